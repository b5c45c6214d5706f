"""The dialogue policy as a pure function: parse and state in, decision out."""

from __future__ import annotations

from dataclasses import replace

from bot.nlu.match import Candidate
from bot.nlu.parser import NLU, OUT_OF_SCOPE, Parse, Thresholds
from bot.nlu.sentiment import score_anger
from bot.policy import Policy, State
from bot.store import HUMAN, PENDING_HANDOFF
from triage.wiring import load_responses

THRESHOLDS = Thresholds(oos=0.3, answer=0.5)


def policy(nlu: NLU) -> Policy:
    return Policy(nlu.entries, load_responses(), THRESHOLDS, ("shipping_dispatch_time",))


def parse_with(nlu: NLU, ranked: list[tuple[str, float]], text: str = "…", language: str = "zh") -> Parse:
    candidates = [Candidate(label, conf, 0.0, 0.0, 0.0, "") for label, conf in ranked]
    top = ranked[0]
    entry = nlu.entries[top[0]]
    confident = top[1] >= THRESHOLDS.oos and entry.topic != OUT_OF_SCOPE
    return Parse(
        text=text,
        language=language,  # type: ignore[arg-type]
        intent=("faq" if entry.kind == "faq" else entry.id) if confident else OUT_OF_SCOPE,
        confidence=top[1],
        topic=entry.topic if confident else OUT_OF_SCOPE,
        faq_id=entry.id if confident and entry.kind == "faq" else None,
        candidates=candidates,
        entities=[],
        sentiment=score_anger(text),
    )


def test_confident_match_is_answered_in_the_customers_language(nlu: NLU) -> None:
    decision = policy(nlu).decide(parse_with(nlu, [("shipping_dispatch_time", 0.9)], language="en"), State())
    assert decision.kind == "answer"
    assert decision.replies[0].text == nlu.entries["shipping_dispatch_time"].answer["en"]
    assert decision.language == "en"


def test_two_close_entries_ask_did_you_mean_with_buttons(nlu: NLU) -> None:
    ranked = [("refund_processing_time", 0.7), ("refund_not_received", 0.65), ("greeting", 0.01)]
    decision = policy(nlu).decide(parse_with(nlu, ranked), State())
    assert decision.kind == "clarify"
    assert "猜你想问" in decision.replies[0].text
    buttons = decision.replies[0].buttons or []
    assert [b["title"] for b in buttons] == [
        nlu.entries["refund_processing_time"].question["zh"],
        nlu.entries["refund_not_received"].question["zh"],
    ]
    assert buttons[0]["payload"] == '/faq{"id":"refund_processing_time","lang":"zh"}'
    assert decision.fallback_count == 0


def test_an_unsure_single_guess_is_offered_rather_than_asserted(nlu: NLU) -> None:
    decision = policy(nlu).decide(parse_with(nlu, [("stock_restock_notice", 0.4)]), State())
    assert decision.kind == "clarify"
    assert len(decision.replies[0].buttons or []) == 1


def test_a_miss_counts_and_the_second_one_hands_over(nlu: NLU) -> None:
    p = policy(nlu)
    miss = parse_with(nlu, [("shipping_dispatch_time", 0.05)])
    first = p.decide(miss, State())
    assert first.kind == "fallback" and first.fallback_count == 1 and first.handoff is None
    second = p.decide(miss, State(fallback_count=1))
    assert second.kind == "handoff" and second.handoff == "fallback"
    assert second.replies[-1].custom == {"handoff": True, "reason": "fallback"}


def test_an_off_topic_ask_is_told_what_the_bot_can_do(nlu: NLU) -> None:
    decision = policy(nlu).decide(parse_with(nlu, [(OUT_OF_SCOPE, 0.95)]), State())
    assert decision.kind == "decline" and decision.fallback_count == 0  # understood: not ours, no miss
    assert decision.replies[0].text == nlu.entries[OUT_OF_SCOPE].answer["zh"]


def test_anger_hands_over_but_still_answers_a_clear_question(nlu: NLU) -> None:
    angry = parse_with(nlu, [("shipping_dispatch_time", 0.9)], text="到底什么时候发货！！！垃圾")
    decision = policy(nlu).decide(angry, State())
    assert decision.handoff == "anger"
    assert decision.replies[0].text == nlu.entries["shipping_dispatch_time"].answer["zh"]
    assert (decision.replies[-1].custom or {})["handoff"] is True


def test_an_impatient_customer_asking_about_their_order_gets_the_lookup_first(nlu: NLU) -> None:
    impatient = parse_with(nlu, [("order_where_is_my_order", 0.9)], text="我的快递到底到哪了 都好几天了")
    impatient = replace(impatient, sentiment=replace(impatient.sentiment, anger=0.5, angry=True))
    decision = policy(nlu).decide(impatient, State())
    assert decision.handoff is None and decision.action == "action_order_status"


def test_a_really_angry_customer_goes_to_a_person_even_from_a_lookup(nlu: NLU) -> None:
    furious = parse_with(nlu, [("order_where_is_my_order", 0.9)], text="我的快递到底到哪了 都好几天了 一群骗子")
    signals = ("insult", "frustration", "angry_phrasing")
    furious = replace(furious, sentiment=replace(furious.sentiment, anger=0.95, angry=True, signals=signals))
    assert policy(nlu).decide(furious, State()).handoff == "anger"


def test_impatience_without_insults_still_gets_the_lookup_however_strong(nlu: NLU) -> None:
    """都一个礼拜了 / 到底 / capitals are impatience: the lookup answers it. The number says "look it up" too."""
    signals = ("frustration", "angry_phrasing")
    for text in ("我的快递到底到哪了 都好几天了", "都一天了还不发货 你们干啥吃的 YX20261122000009"):
        impatient = parse_with(nlu, [("order_where_is_my_order", 0.9)], text=text)
        impatient = replace(impatient, sentiment=replace(impatient.sentiment, anger=0.95, angry=True, signals=signals))
        decision = policy(nlu).decide(impatient, State())
        assert decision.handoff is None and decision.action == "action_order_status", text


def test_anger_about_another_business_is_declined_not_handed_over(nlu: NLU) -> None:
    theirs = nlu.parse("淘宝上买的羽绒服退了都一个礼拜了 退款咋还没到账啊 急死了")
    theirs = replace(theirs, sentiment=replace(theirs.sentiment, anger=0.8, angry=True, signals=("angry_phrasing",)))
    assert policy(nlu).decide(theirs, State()).kind == "decline"
    abusive = replace(theirs, sentiment=replace(theirs.sentiment, signals=("insult", "angry_phrasing")))
    assert policy(nlu).decide(abusive, State()).handoff == "anger"


def test_asking_whether_it_is_a_bot_is_answered_unless_rules_hear_anger(nlu: NLU) -> None:
    asked = nlu.parse("你们这是机器人回复吧")
    asked = replace(asked, sentiment=replace(asked.sentiment, anger=0.9, angry=True, signals=("angry_phrasing",)))
    assert policy(nlu).decide(asked, State()).kind == "answer"
    fed_up = replace(asked, sentiment=replace(asked.sentiment, signals=("frustration", "angry_phrasing")))
    assert policy(nlu).decide(fed_up, State()).handoff == "anger"


def test_asking_how_to_reach_a_person_is_answered_with_the_way_in(nlu: NLU) -> None:
    decision = policy(nlu).decide(nlu.parse("请问人工客服要从哪里进去找？我在app里翻了半天没找到"), State())
    assert decision.kind == "answer" and decision.handoff is None
    assert decision.replies[-1].buttons == [{"title": "转人工", "payload": "/human_request"}]


def test_nothing_is_said_while_a_human_owns_the_conversation(nlu: NLU) -> None:
    decision = policy(nlu).decide(parse_with(nlu, [("shipping_dispatch_time", 0.9)]), State(state=HUMAN))
    assert decision.replies == [] and decision.kind == "silent"


def test_a_queued_customer_gets_answers_and_a_reminder_but_no_second_handoff(nlu: NLU) -> None:
    decision = policy(nlu).decide(parse_with(nlu, [("shipping_dispatch_time", 0.9)]), State(state=PENDING_HANDOFF))
    assert decision.handoff is None and decision.kind == "queued"
    assert len(decision.replies) == 2


def test_off_topic_ranked_first_gets_no_did_you_mean(nlu: NLU) -> None:
    ranked = [(OUT_OF_SCOPE, 0.45), ("shipping_dispatch_time", 0.35)]
    decision = policy(nlu).decide(parse_with(nlu, ranked), State())
    assert decision.kind == "fallback"


def test_a_handoff_clears_a_pending_question(nlu: NLU) -> None:
    state = State(slots={"requested_slot": "order_id", "attempts": 1})
    decision = policy(nlu).decide(parse_with(nlu, [("human_request", 0.95)], text="转人工"), state)
    assert decision.handoff == "human_request"
    assert "requested_slot" not in decision.slots


def test_unsure_between_entries_about_their_own_order_the_customer_gets_the_lookup(nlu: NLU) -> None:
    unsure = parse_with(
        nlu, [("shipping_dispatch_time", 0.45), ("order_where_is_my_order", 0.42)], text="my order ship already or not?"
    )
    decision = policy(nlu).decide(unsure, State())
    assert decision.kind == "action" and decision.action == "action_order_status"


def test_unsure_between_entries_about_orders_in_general_the_customer_chooses(nlu: NLU) -> None:
    unsure = parse_with(
        nlu, [("shipping_dispatch_time", 0.45), ("order_where_is_my_order", 0.42)], text="订单一般多久发"
    )
    assert policy(nlu).decide(unsure, State()).kind == "clarify"
