"""The ticket's summary, as the agent reads it before picking up: what the customer wants in their
words, what the bot answered and looked up, why a person, and what was added while waiting."""

from __future__ import annotations

from sqlalchemy import select

from handoff.models import Ticket
from tests import merchant
from tests.conftest import Chat
from triage.wiring import Instance


def summary_of(instance: Instance) -> str:
    with instance.db.session() as s:
        return s.scalars(select(Ticket).order_by(Ticket.id.desc())).first().summary  # type: ignore[union-attr]


def test_the_first_real_question_leads_not_a_greeting_or_the_request_for_a_person(
    chat: Chat, instance: Instance
) -> None:
    chat.say("你好")
    chat.say("我上周寄的货，对方签收了，货款怎么还没打给我")
    chat.say("转人工")
    first = summary_of(instance).splitlines()[0]
    assert first == "客户说：我上周寄的货，对方签收了，货款怎么还没打给我"


def test_what_the_bot_answered_is_named_not_none(chat: Chat, instance: Instance) -> None:
    chat.say("下单后多久发货")
    chat.say("转人工")
    summary = summary_of(instance)
    assert "机器人已答：" in summary and "没有答复" not in summary and "发货" in summary.splitlines()[1]


def test_the_phone_check_digits_never_appear_and_the_lookup_does(alice: Chat, shop: Instance) -> None:
    alice.say(f"帮我查下订单 {merchant.IN_TRANSIT}")
    alice.say("1234")
    alice.say("还是不放心，转人工吧")
    summary = summary_of(shop)
    assert "1234" not in summary
    assert merchant.IN_TRANSIT in summary and "已查询" in summary  # the order and what was found


def test_what_the_customer_adds_while_waiting_is_added_to_the_summary(chat: Chat, instance: Instance) -> None:
    chat.say("转人工")
    assert "等待期间" not in summary_of(instance)
    chat.say("怎么还没人理我，你们太慢了，我要投诉")
    chat.say("5601")  # digits alone (a phone check, an order): not news for the summary
    summary = summary_of(instance)
    assert "等待期间客户又说：怎么还没人理我，你们太慢了，我要投诉" in summary and "5601" not in summary


def test_a_customer_who_only_asks_for_a_person_is_said_to_have_said_nothing_more(
    chat: Chat, instance: Instance
) -> None:
    chat.say("转人工")
    assert summary_of(instance).splitlines()[0] == "客户说：（只要求转人工，没说具体问题）"
