"""Conversations over the REST channel, read like a chat."""

import pytest
from sqlalchemy import update

from bot.store import HUMAN, Conversation
from tests.conftest import Chat
from triage.wiring import Instance

NONSENSE = ["咕噜咕噜 巴拉巴拉", "锟斤拷烫烫烫 zxcv"]


def test_dispatch_question_gets_the_chinese_answer(chat: Chat) -> None:
    chat.say("下单后多久发货")
    assert "48小时" in chat.text
    assert chat.replies[0]["custom"]["faq_id"] == "shipping_dispatch_time"


def test_stock_question_in_english_gets_an_english_answer(chat: Chat) -> None:
    chat.say("is the black one in stock")
    assert chat.state()["slots"]["last_action"] == "action_check_stock"
    assert chat.in_english and "Which item" in chat.text


def test_traditional_chinese_is_understood(chat: Chat) -> None:
    chat.say("請問甚麼時候發貨")
    assert chat.replies[0]["custom"]["topic"] == "shipping_speed"


def test_greeting_is_answered_in_kind(chat: Chat) -> None:
    chat.say("你好")
    assert "小优" in chat.text
    chat.say("hi there")
    assert "assistant" in chat.text


def test_first_miss_asks_to_rephrase_with_suggestions_and_a_person_button(chat: Chat) -> None:
    chat.say(NONSENSE[0])
    assert not chat.handed_over
    assert "小优" in chat.text
    assert any(b["payload"] == "/human_request" for b in chat.buttons)
    assert len(chat.buttons) >= 2


def test_second_fallback_hands_over_with_transcript(chat: Chat) -> None:
    chat.say(NONSENSE[0])
    chat.say(NONSENSE[1])
    assert chat.handed_over
    state = chat.state()
    assert state["state"] == "pending_handoff"
    assert state["handoff_reason"] == "fallback"
    assert [m["text"] for m in state["messages"] if m["direction"] == "in"] == NONSENSE


def test_an_answer_between_misses_resets_the_fallback_count(chat: Chat) -> None:
    chat.say(NONSENSE[0])
    chat.say("下单后多久发货")
    chat.say(NONSENSE[1])
    assert not chat.handed_over


def test_asking_for_a_person_hands_over(chat: Chat) -> None:
    chat.say("转人工")
    assert chat.handed_over
    assert chat.state()["handoff_reason"] == "human_request"


def test_english_request_for_an_agent_hands_over_in_english(chat: Chat) -> None:
    chat.say("can I talk to a real person please")
    assert chat.handed_over
    assert chat.in_english


def test_anger_hands_over_with_priority(chat: Chat) -> None:
    chat.say("你们什么垃圾服务！！！再不发货我就去12315投诉")
    assert chat.handed_over
    assert chat.state()["handoff_reason"] in {"anger", "complaint"}


def test_clicking_a_suggestion_button_answers_that_entry(chat: Chat) -> None:
    chat.say('/faq{"id":"refund_processing_time","lang":"en"}')
    assert chat.replies[0]["custom"]["faq_id"] == "refund_processing_time"
    assert chat.in_english


def test_while_waiting_for_a_person_the_customer_is_told_they_are_queued(chat: Chat) -> None:
    chat.say("转人工")
    chat.say("还要等多久")
    assert "队列" in chat.text
    assert chat.state()["state"] == "pending_handoff"


def test_bot_is_silent_while_a_human_owns_the_conversation(chat: Chat, instance: Instance) -> None:
    chat.say("你好")
    with instance.db.session() as session:
        session.execute(update(Conversation).values(state=HUMAN))
    assert chat.say("下单后多久发货") == []
    messages = chat.state()["messages"]
    assert messages[-1]["direction"] == "in" and messages[-1]["text"] == "下单后多久发货"


def test_every_turn_is_persisted_with_its_parse(chat: Chat) -> None:
    chat.say("下单后多久发货")
    chat.say("thanks!")
    state = chat.state()
    assert state["state"] == "bot"
    assert state["language"] == "en"
    inbound = [m for m in state["messages"] if m["direction"] == "in"]
    assert inbound[0]["topic"] == "shipping_speed"
    assert inbound[0]["parse"]["faq_id"] == "shipping_dispatch_time"
    assert 0 < inbound[0]["confidence"] <= 1
    assert inbound[0]["language"] == "zh"
    assert all(m["created_at"] for m in state["messages"])
    # thanks → you're welcome, and once per conversation a 1–5 rating of the bot (CSAT)
    assert [m["author"] for m in state["messages"]] == ["customer", "bot", "customer", "bot", "bot"]
    assert state["messages"][-1]["custom"] == {"csat": "bot"} and len(state["messages"][-1]["buttons"]) == 5


def test_unknown_conversation_is_404(chat: Chat) -> None:
    response = chat.client.get("/conversations/nobody")
    assert response.status_code == 404
    assert "nobody" in response.json()["detail"]


def test_asking_the_same_question_again_offers_a_person_as_a_button_without_anger(chat: Chat) -> None:
    chat.say("退款多久能到账")
    assert not chat.handed_over
    chat.say("退款一般几天能到账？")
    assert "转人工" in [b["title"] for b in chat.buttons] and not chat.handed_over
    chat.say("退款多久能到账啊")
    assert "转人工" in [b["title"] for b in chat.buttons] and not chat.handed_over  # the customer chooses
    state = chat.state()
    assert not any("anger" in (m.get("parse") or {}).get("sentiment", {}).get("signals", []) for m in state["messages"])


@pytest.mark.parametrize("text", ["货还没到", "东西一直没收到", "I still haven't received my parcel"])
def test_goods_not_received_is_looked_up_or_sent_to_the_tracking_desk_never_did_you_mean(chat: Chat, text: str) -> None:
    chat.say(text)
    assert "猜你想问" not in chat.text and "did you mean" not in chat.text.lower()
    asks_for_the_order = chat.state()["slots"].get("requested_slot") == "order_id"
    to_tracking = chat.handed_over and ("查货" in chat.text or "tracking" in chat.text.lower())
    assert asks_for_the_order or to_tracking, chat.text


@pytest.mark.parametrize("text", ["我的退款到现在都没到 都好几天了", "refund still not in my account"])
def test_a_refund_that_has_not_arrived_is_not_answered_as_a_cod_remittance(chat: Chat, text: str) -> None:
    chat.say(text)
    assert "代收货款" not in chat.text and "COD" not in chat.text, chat.text
