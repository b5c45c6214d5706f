"""Conversation-level triage by kind of miss (blind round 10): the queue a person request or a
complaint names, declining what is not ours, questions asked again, the phone's last four in
words, a held remittance, and a customer's own order asked about without its number."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.cues import about_own_order, asks_progress, gives_last4, only_urges, says_dont_know
from bot.nlu.entities import extract_entities
from bot.nlu.match import Candidate
from bot.nlu.parser import NLU, OUT_OF_SCOPE, Parse, Thresholds
from bot.nlu.sentiment import Sentiment, score_anger
from bot.policy import Policy, State
from handoff.models import Ticket
from tests import merchant
from tests.conftest import Chat
from tests.servers import MODEL_CACHE
from triage.evaluate_conversations import Case, Result, evaluate, read_cases, report, summary
from triage.wiring import Instance, load_responses

THRESHOLDS = Thresholds(oos=0.3, answer=0.5)


def last_ticket(instance: Instance) -> Ticket:
    with instance.db.session() as s:
        ticket = s.scalars(select(Ticket).order_by(Ticket.id.desc())).first()
        assert ticket is not None, "no ticket was opened"
        s.expunge(ticket)
        return ticket


def policy(nlu: NLU) -> Policy:
    return Policy(nlu.entries, load_responses(), THRESHOLDS, ("shipping_dispatch_time",))


def ranked(nlu: NLU, labels: list[tuple[str, float]], text: str = "…", evidence: str = "") -> Parse:
    """A parse whose matcher ranked `labels` (the first decides, as the parser would)."""
    candidates = [Candidate(label, conf, 0.0, 0.0, 0.0, evidence) for label, conf in labels]
    entry = nlu.entries[labels[0][0]]
    confident = labels[0][1] >= THRESHOLDS.oos and entry.topic != OUT_OF_SCOPE
    intent = ("faq" if entry.kind == "faq" else entry.id) if confident else OUT_OF_SCOPE
    topic = entry.topic if confident else OUT_OF_SCOPE
    faq_id = entry.id if confident and entry.kind == "faq" else None
    return Parse(text, "zh", intent, labels[0][1], topic, faq_id, candidates, [], score_anger(text))


# --- 1. a request for a person goes to the desk of the subject it names -----------------------


@pytest.mark.parametrize(
    ("text", "queue"),
    [
        ("行 知道了 另外上周买的另一单付款扣了我两次钱 帮我找个人工处理下", "payments"),
        ("行。另外上个月有几票货款一直没回，转人工帮我查一下", "payments"),
        ("另外其實有一件收到就摔破了，我要找人處理", "claims"),
        ("another thing, my last order the lamp arrived broken, pls let me talk to someone", "claims"),
        (
            "btw the COD money for my shop parcels still haven't come in, 2 weeks already, pls get someone check",
            "payments",
        ),
    ],
)
def test_a_request_for_a_person_that_names_a_subject_goes_to_its_desk_not_the_earlier_lookups(
    alice: Chat, shop: Instance, text: str, queue: str
) -> None:
    alice.say(f"{merchant.IN_TRANSIT} 到哪了")
    alice.say("1234")
    assert "南京" in alice.text  # a tracking lookup first
    alice.say(text)
    assert alice.handed_over and alice.state()["handoff_reason"] == "human_request"
    assert last_ticket(shop).queue == queue


def test_a_bare_request_for_a_person_keeps_the_latest_subject(alice: Chat, shop: Instance) -> None:
    alice.say(f"{merchant.IN_TRANSIT} 到哪了")
    alice.say("1234")
    alice.say("转人工")
    assert last_ticket(shop).queue == "tracking"


def test_the_parse_carries_the_subject_a_request_for_a_person_names(nlu: NLU) -> None:
    assert nlu.parse("need to talk to a human pls, my company VAT invoice title is wrong").subject == "invoice"
    assert nlu.parse("我的货款一直没到账 帮我转人工").subject == "payment_arrival"
    for bare in ("转人工", "can i talk to a real person or not", "唔想同機械人講，轉真人唔該"):
        parse = nlu.parse(bare)
        assert parse.intent == "human_request" and parse.subject is None, bare


def test_a_person_asked_for_with_no_subject_goes_to_general(alice: Chat, shop: Instance) -> None:
    alice.say("need to talk to a human pls")
    assert last_ticket(shop).queue == "general"


# --- 2. ordinary anger about a subject keeps the subject's desk --------------------------------


def test_an_angry_complaint_about_the_money_goes_to_payments_with_anger_priority(alice: Chat, shop: Instance) -> None:
    alice.say("你们到底什么时候打款？？拖我半个月了，一群骗子，垃圾公司")
    assert alice.handed_over
    ticket = last_ticket(shop)
    assert ticket.queue == "payments" and "anger" in ticket.labels and "major_complaint" not in ticket.labels


def test_anger_about_nothing_in_particular_stays_with_general(alice: Chat, shop: Instance) -> None:
    alice.say("你们这什么垃圾服务")
    assert last_ticket(shop).queue == "general"


def test_a_threat_to_go_outside_is_still_the_supervisors_whatever_it_is_about(alice: Chat, shop: Instance) -> None:
    alice.say("货款再不到账我就去12315投诉你们")
    assert last_ticket(shop).queue == "supervisor"


# --- 3. a message surely not ours is declined, and is no misunderstanding ----------------------


def test_a_sure_out_of_scope_verdict_is_declined_without_counting_as_a_miss(nlu: NLU) -> None:
    p = policy(nlu)
    elsewhere = ranked(nlu, [(OUT_OF_SCOPE, 1.0)], evidence="(about Alipay)")
    first = p.decide(elsewhere, State())
    assert first.kind == "decline" and first.fallback_count == 0 and first.handoff is None
    assert first.replies[0].text == nlu.entries[OUT_OF_SCOPE].answer["zh"]
    again = p.decide(elsewhere, State(fallback_count=first.fallback_count))
    assert again.kind == "decline" and again.handoff is None


def test_a_real_miss_after_a_decline_still_counts_once(nlu: NLU) -> None:
    p = policy(nlu)
    garbled = ranked(nlu, [("shipping_dispatch_time", 0.05)])
    first = p.decide(garbled, State())
    declined = p.decide(ranked(nlu, [(OUT_OF_SCOPE, 0.9)]), State(fallback_count=first.fallback_count))
    assert declined.kind == "decline" and declined.fallback_count == 1
    assert p.decide(garbled, State(fallback_count=declined.fallback_count)).handoff == "fallback"


def test_an_unsure_out_of_scope_guess_is_a_miss(nlu: NLU) -> None:
    unsure = ranked(nlu, [(OUT_OF_SCOPE, 0.4), ("shipping_dispatch_time", 0.2)])
    decision = policy(nlu).decide(unsure, State(fallback_count=1))
    assert decision.handoff == "fallback"


def test_two_questions_about_other_apps_are_declined_and_not_handed_over(alice: Chat) -> None:
    alice.say("我支付宝账号被冻结了 咋解冻啊")
    alice.say("can u help me top up my GrabPay wallet? keep fail")
    assert not alice.handed_over
    inbound = [m for m in alice.state()["messages"] if m["direction"] == "in"]
    assert [m["outcome"] for m in inbound] == ["declined", "declined"]


# --- 4. asking on the same topic again offers a person, never hands over by itself -------------


def test_three_different_questions_on_the_service_hours_are_answered_not_handed_over(alice: Chat) -> None:
    for text in ("客服几点下班", "我是问电话 打电话几点有人", "那晚上九点半打还有人接不"):
        alice.say(text)
        assert not alice.handed_over, text
    assert "转人工" in [b["title"] for b in alice.buttons]  # a person is a button away


def test_the_same_question_asked_three_times_offers_a_person_as_a_button(alice: Chat) -> None:
    for _ in range(3):
        alice.say("退款多久能到账")
    assert not alice.handed_over
    assert {"title": "转人工", "payload": "/human_request"} in alice.buttons


# --- 5. the phone's last four digits given in words ---------------------------------------------


@pytest.mark.parametrize(
    "answer",
    [
        "last 4 is 1234",
        "我是李小红 尾号1234",
        "尾號1234",
        "手机尾号1234",
        "my number ends in 1234",
        "一二三四",
        "尾四位係壹貳叁肆",
        "one two three four",
    ],
)
def test_the_last_four_digits_in_words_are_taken_as_the_answer(alice: Chat, answer: str) -> None:
    alice.say(f"{merchant.IN_TRANSIT} 到哪了")
    alice.say(answer)
    assert ("南京" in alice.text or "Nanjing" in alice.text) and not alice.handed_over, alice.text


def test_the_last_four_in_words_are_recognised_and_other_messages_are_not() -> None:
    for text in ("last 4 is 7606", "我是林晓雯 尾号5601", "尾號3603", "手机尾号3603", "7606"):
        assert gives_last4(text), text
    for text in ("7606 你们这垃圾服务", "YX20261103000007 7606", "我上个月买了4件 2000块", "退款多久到账"):
        assert not gives_last4(text), text


# --- 6. a remittance held for an account-name mismatch: explained, and a person reviews it ----


def test_a_remittance_held_for_the_account_name_is_explained_and_handed_to_payments(
    shipper: Chat, shop: Instance
) -> None:
    shipper.say(f"货款怎么还没到 {merchant.HELD}")
    shipper.say("2468")
    assert "挂账" in shipper.text and "杭州小美服饰有限公司" in shipper.text  # the explanation, as before
    assert shipper.handed_over and shipper.state()["handoff_reason"] == "remittance_held"
    ticket = last_ticket(shop)
    assert ticket.queue == "payments"
    assert any("挂账" in said for said in ticket.context["handoff"]["told"])  # the agent sees what was said


# --- 7. one's own order asked about without its number -----------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "那我前天下的那单咋还没发货啊",
        "I return the shoes one week already, refund 几时到账 ah?",
        "我上週買的宅配包裹現在到哪裡了？",
        # Impatient, not abusive: the lookup is still the fastest help.
        "我那笔退款到底退哪去了 都十天了还没见着钱",
        "and my refund for the boots i returned on monday, where is it??",
        # Bought, and when will it come: the order's status, whatever else came close (a restock).
        "我喺你哋度買咗件外套，幾時先到呀？",
    ],
)
def test_a_question_about_ones_own_order_without_a_number_asks_for_it(alice: Chat, text: str) -> None:
    alice.say(text)
    assert alice.state()["slots"].get("requested_slot") == "order_id", alice.text


@pytest.mark.parametrize("text", ["多久发货", "退款多久到账", "how long does a refund take"])
def test_general_questions_on_the_same_topics_are_still_answered(alice: Chat, text: str) -> None:
    alice.say(text)
    assert alice.replies[0].get("custom", {}).get("faq_id"), alice.text
    assert "requested_slot" not in alice.state()["slots"]


def test_own_order_and_progress_are_read_from_the_words() -> None:
    assert (
        about_own_order("我前天下的那单") and about_own_order("I returned the shoes") and about_own_order("my refund")
    )
    assert not about_own_order("can i return it") and not about_own_order("多久发货")
    assert asks_progress("咋还没发货") and asks_progress("几时到账") and asks_progress("still nothing")
    assert not asks_progress("多久发货") and not asks_progress("how long does shipping take")


def test_another_order_than_the_one_in_hand_is_asked_for(shipper: Chat) -> None:
    shipper.say(f"回款什么时候到 {merchant.PENDING}")
    shipper.say("2468")
    shipper.say("行。那我另外一票件的钱呢，也是上周签收的")
    assert shipper.state()["slots"].get("requested_slot") == "order_id", shipper.text


# --- 8. the conversation runner tells a polite decline from a miss ------------------------------


def test_the_runner_accepts_declined_and_scores_answered_by_the_compatibility_rule(tmp_path: Path) -> None:
    gold = tmp_path / "gold.yaml"
    gold.write_text(
        "- id: new\n  turns: ['我支付宝账号被冻结了 咋解冻啊']\n  outcome: declined\n  queue: null\n"
        "- id: old\n  turns: ['我支付宝账号被冻结了 咋解冻啊']\n  outcome: answered\n  queue: null\n",
        encoding="utf-8",
    )
    new, old = read_cases([gold])
    results = [Result(new, "declined", None, ()), Result(old, "declined", None, ())]
    assert results[0].right and not results[1].right and results[1].right_compatible
    assert not Result(new, "answered", None, ()).right_compatible  # never the other way round
    figures = summary(results)
    assert figures["right"] == 0.5 and figures["right_compatible"] == 1.0
    text = report(results, show_misses=True)
    assert "COMPAT old: want answered, got declined" in text and "MISS" not in text


def test_the_runner_reads_a_decline_from_the_record_and_a_garbled_message_as_unresolved(tmp_path: Path) -> None:
    cases = [
        Case("decline", ("我支付宝账号被冻结了 咋解冻啊",), "declined", None),
        Case("garbled", ("咕噜咕噜 巴拉巴拉",), "unresolved", None),
    ]
    results = evaluate(cases, tmp_path, date(2026, 11, 23), Path(MODEL_CACHE))
    assert {r.case.id: r.outcome for r in results} == {"decline": "declined", "garbled": "unresolved"}


# --- 8. round 12's kinds -----------------------------------------------------------------------


def test_a_message_only_the_phrasing_model_reads_as_angry_is_not_made_a_complaint(nlu: NLU) -> None:
    """Small talk, an unreadable reply, a question about Sunday hours: the model alone is no complaint."""
    parse = ranked(nlu, [(OUT_OF_SCOPE, 0.2)], text="嗯那个 就是那个啥")
    parse = replace(parse, sentiment=Sentiment(0.7, True, ("angry_phrasing",)))
    decision = policy(nlu).decide(parse, State())
    assert decision.handoff is None and decision.kind == "fallback"
    heard = replace(parse, sentiment=Sentiment(0.7, True, ("frustration", "angry_phrasing")))
    assert policy(nlu).decide(heard, State()).handoff == "anger"


def test_damage_said_with_the_order_number_opens_a_claim_whatever_matched(nlu: NLU) -> None:
    parse = ranked(nlu, [("shipping_dispatch_time", 0.75)], text="YX20261119000008 昨天收到 里面的杯子都碎了")
    parse = replace(parse, entities=extract_entities(parse.text))
    assert policy(nlu).decide(parse, State()).action == "action_claim_intake"
    asking = replace(parse, text="YX20261119000008 如果收到碎了怎么理赔")
    assert policy(nlu).decide(asking, State()).action != "action_claim_intake"


def test_another_matter_raised_with_a_complaint_goes_to_general_not_the_earlier_lookup(
    alice: Chat, shop: Instance
) -> None:
    alice.say("货款什么时候到账")
    alice.say("好 另外我想投诉上次送货的快递员 态度很差 还骂人")
    assert alice.handed_over
    assert last_ticket(shop).queue == "general"


def test_the_last_four_given_again_with_a_corrected_number_is_read(alice: Chat) -> None:
    alice.say(f"{merchant.IN_TRANSIT} 尾號都係1234")
    assert ("南京" in alice.text or "Nanjing" in alice.text) and not alice.handed_over, alice.text


def test_digits_given_while_the_order_number_is_asked_are_an_attempt_at_it(alice: Chat) -> None:
    """ "尾号3388" reads as "88" (bye-bye) to the matcher; while the order number is asked, it is a try."""
    alice.say("帮我查下YX20261120000999到哪了")
    alice.say("尾号3388")
    assert alice.handed_over, alice.text


def test_the_last_four_with_nothing_asked_are_acknowledged_not_declined(alice: Chat) -> None:
    alice.say("发票怎么开")
    alice.say("5601")
    assert not alice.handed_over and "没有需要验证的订单" in alice.text, alice.text


def test_another_couriers_waybill_is_declined_not_looked_up(alice: Chat) -> None:
    alice.say("pls check my FedEx parcel from Japan, tracking no 7730912845")
    assert not alice.handed_over
    inbound = [m for m in alice.state()["messages"] if m["direction"] == "in"]
    assert inbound[-1]["outcome"] == "declined", alice.text


# --- a short follow-up leans on the message before it -------------------------------------------


@pytest.mark.parametrize(
    ("first", "follow_up", "expected"),
    [
        ("寄到澳门一般要几天", "那邮费呢", "shipping_hk_macau_overseas"),
        ("我喺香港 寄過嚟要幾多日", "咁運費要幾錢", "shipping_hk_macau_overseas"),
        ("退款多久到账", "那换货呢", "refund_exchange"),  # not the previous answer again
        ("衣服尺码偏大吗", "那鞋子呢", "product_size_guide"),  # the same question of another item
    ],
)
def test_a_short_follow_up_is_read_with_the_message_before_it(
    nlu: NLU, first: str, follow_up: str, expected: str
) -> None:
    parsed = nlu.parse(follow_up, [first])
    assert parsed.faq_id == expected and parsed.confidence >= THRESHOLDS.answer, parsed.candidates[:3]


def test_a_question_of_its_own_is_not_bent_by_the_message_before_it(nlu: NLU) -> None:
    assert nlu.parse("满多少包邮", ["寄到澳门一般要几天"]).faq_id == "shipping_fee_free_threshold"


# --- while the order number is asked --------------------------------------------------------------


def test_hurrying_while_the_order_number_is_asked_asks_for_it_again(alice: Chat) -> None:
    alice.say("我的包裹怎么还没到 等了好几天了")
    for _ in range(3):  # never counted as a failed try: no handoff for hurrying
        alice.say("快点啦 急死了")
        assert not alice.handed_over and "订单号" in alice.text, alice.text
    assert alice.state()["slots"]["requested_slot"] == "order_id"


def test_another_platforms_number_while_ours_is_asked_is_declined(alice: Chat) -> None:
    alice.say("帮我查下快递到哪了")
    alice.say("是拼多多买的 拼多多的单号 你们查得到吗")
    inbound = [m for m in alice.state()["messages"] if m["direction"] == "in"]
    assert inbound[-1]["outcome"] == "declined" and not alice.handed_over, alice.text


def test_damage_found_after_a_lookup_is_a_claim_on_that_order(alice: Chat) -> None:
    alice.say(f"{merchant.DAMAGED} 到了没")
    alice.say("1234")
    alice.say("拆开一看 里面的杯子碎了 怎么赔")
    assert "订单号" not in alice.text, alice.text  # the order in hand, not asked for again


def test_a_phone_check_in_words_names_no_subject_for_the_queue(alice: Chat, shop: Instance) -> None:
    """ "phone ends 1234" only answers the check: the queue follows the refund asked about before it."""
    alice.say(f"why is my refund for {merchant.REFUNDING} not back yet")
    alice.say("phone ends 1234")
    alice.say("i want a real person to look at it")
    assert last_ticket(shop).queue == "general"


def test_hurrying_and_not_knowing_are_read_only_when_little_else_is_said() -> None:
    for text in ("快点啦 急死了", "hurry up pls", "asap lah"):
        assert only_urges(text), text
    for text in ("快点发货", "好的", "5601", "I need it fast, when will it ship"):
        assert not only_urges(text), text
    for text in ("不记得了", "i don't remember", "唔记得"):
        assert says_dont_know(text), text
    assert not says_dont_know("忘了密码怎么办")
