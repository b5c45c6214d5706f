"""The service's numbers (reports/, staff/report_api.py) against a desk counted by hand.

Eleven conversations over Monday 23 and Tuesday 24 November 2026 (China time) and one started the
Sunday before, each built to sit on one edge of a definition; every expected figure is counted in
the comments. Runs on SQLite and, with CI=true, on PostgreSQL.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from bot.store import Conversation, Message
from core import http_errors
from handoff.agents import hash_password, login
from handoff.desk import load_desk
from handoff.helpdesk import HelpDesk
from handoff.models import Agent, Rating, Ticket, TicketEvent
from handoff.queue import TicketQueue
from reports import drill
from reports.daycache import DayCache
from reports.metrics import Reports
from reports.period import Period
from staff import report_api
from tests.backends import Backend, backend_fixture  # noqa: F401
from tests.desk_parts import SHANGHAI

MON, TUE = date(2026, 11, 23), date(2026, 11, 24)
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=SHANGHAI)  # a week on: every day of the fixture is final


def at(day: date, hh: int, mm: int, ss: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hh, mm, ss, tzinfo=SHANGHAI)


def later(day: date, days: int) -> date:
    return day + timedelta(days=days)


@dataclass
class Desk:
    """The hand-built desk: agents' ids and each ticket's id by name."""

    wang: int
    li: int
    chen: int
    tickets: dict[str, int]


class Builder:
    """Writes a conversation the way the engine and the desk record one."""

    def __init__(self, s: Session) -> None:
        self.s = s

    def conversation(self, sender: str, started: datetime) -> Conversation:
        conv = Conversation(sender_id=sender, channel="rest", slots={}, meta={}, created_at=started)
        self.s.add(conv)
        self.s.flush()
        return conv

    def say(self, conv: Conversation, when: datetime, text: str, outcome: str | None, topic: str | None) -> None:
        self.s.add(
            Message(
                conversation_id=conv.id,
                direction="in",
                author="customer",
                text=text,
                topic=topic,
                outcome=outcome,
                language="zh",
                created_at=when,
            )
        )

    def bot(self, conv: Conversation, when: datetime, text: str, faq: str | None = None) -> None:
        custom = {"faq_id": faq, "topic": faq.split("_")[0]} if faq else None
        self.s.add(
            Message(conversation_id=conv.id, direction="out", author="bot", text=text, custom=custom, created_at=when)
        )

    def rate(self, conv: Conversation, when: datetime, score: int, ticket: Ticket | None = None) -> None:
        self.say(conv, when, f"{score}/5", None, "csat")
        self.s.add(
            Rating(
                conversation_id=conv.id,
                ticket_id=ticket.id if ticket else None,
                agent_id=ticket.agent_id if ticket else None,
                queue=ticket.queue if ticket else None,
                score=score,
                at=when,
            )
        )

    def ticket(
        self, conv: Conversation, handed: datetime, queue: str, reason: str, due: datetime, **fields: Any
    ) -> Ticket:
        ticket = Ticket(
            conversation_id=conv.id,
            reason=reason,
            queue=queue,
            created_at=handed,
            first_response_due=due,
            summary="",
            context={},
            labels=[],
            **fields,
        )
        self.s.add(ticket)
        self.s.flush()
        return ticket

    def event(self, ticket: Ticket, kind: str, when: datetime, agent: int | None = None, **data: Any) -> None:
        self.s.add(TicketEvent(ticket_id=ticket.id, kind=kind, agent_id=agent, data=data, at=when))


PASSWORD = "pw-report-2026"


@cache
def password_hash() -> str:
    """One argon2 hash for every account of every test (hashing is slow on purpose)."""
    return hash_password(PASSWORD)


def build(s: Session) -> Desk:
    b = Builder(s)
    wang, li, chen = (
        Agent(username=u, display_name=n, password_hash=password_hash(), skills=k, role=r)
        for u, n, k, r in (
            ("wangfang", "王芳", ["tracking", "claims"], "agent"),
            ("lijun", "李军", ["payments"], "agent"),
            ("chenlei", "陈磊", ["general"], "supervisor"),
        )
    )
    s.add_all([wang, li, chen])
    s.flush()
    tickets: dict[str, int] = {}

    # c1, Mon 09:30: served by the bot alone, rated 5 -> contained; bot CSAT.
    c1 = b.conversation("c1", at(MON, 9, 30))
    b.say(c1, at(MON, 9, 30), "运费多少", "answer", "shipping_fee")
    b.bot(c1, at(MON, 9, 30, 1), "满 99 元包邮", "shipping_fee_free")
    b.say(c1, at(MON, 9, 30, 30), "谢谢", "answer", "thanks")
    b.rate(c1, at(MON, 9, 31), 5)

    # c2, Mon 10:00: back 23 hours later -> reopened, not contained.
    c2 = b.conversation("c2", at(MON, 10, 0))
    b.say(c2, at(MON, 10, 0), "我的快递到哪了", "action", "order_status")
    b.say(c2, at(TUE, 9, 0), "还是没到", "answer", "order_status")

    # c3, Mon 10:30: back 25 hours later -> a new matter, the first stays contained.
    c3 = b.conversation("c3", at(MON, 10, 30))
    b.say(c3, at(MON, 10, 30), "怎么退货", "answer", "refund")
    b.say(c3, at(TUE, 11, 30), "退款多久到账", "answer", "refund")

    # c4, Mon 11:00: a fallback and a did-you-mean, then fine -> contained; rated 2 (low).
    c4 = b.conversation("c4", at(MON, 11, 0))
    b.say(c4, at(MON, 11, 0), "你们支持数字人民币吗", "fallback", None)
    b.say(c4, at(MON, 11, 1), "能不能开专票", "clarify", "invoice")
    b.say(c4, at(MON, 11, 2), "好的", "answer", "affirm")
    b.rate(c4, at(MON, 11, 3), 2)

    # c5, Mon 10:00 (sender c5): an FAQ answer, then a person (payments, 李军): picked up in 40 s,
    # answered in 60 s, resolved; rated 4. Back 73 hours after the resolve on the same topic: too
    # late to count -> first-contact resolved.
    c5 = b.conversation("c5", at(MON, 10, 0, 5))
    b.say(c5, at(MON, 10, 0, 5), "货款什么时候到账", "answer", "payment_arrival")
    b.bot(c5, at(MON, 10, 0, 6), "货款 T+3 到账", "pay_cod_remittance_schedule")
    b.say(c5, at(MON, 10, 1), "转人工", "handoff", "human_request")
    t5 = b.ticket(
        c5,
        at(MON, 10, 1, 1),
        "payments",
        "human_request",
        at(MON, 10, 4, 1),
        status="resolved",
        agent_id=li.id,
        assigned_at=at(MON, 10, 1, 41),
        first_response_at=at(MON, 10, 2, 1),
        closed_at=at(MON, 10, 8, 1),
        csat=4,
    )
    b.event(t5, "queued", at(MON, 10, 1, 1))
    b.event(t5, "claimed", at(MON, 10, 1, 41), li.id)
    b.say(c5, at(MON, 10, 3), "好的", "silent", "affirm")  # the person's chat: not the bot's
    b.event(t5, "resolved", at(MON, 10, 8, 1), li.id)
    b.rate(c5, at(MON, 10, 8, 30), 4, t5)
    b.say(c5, at(MON, 10, 9), "谢谢", "answer", "thanks")
    b.say(c5, at(later(MON, 3), 11, 8, 2), "货款还是没到", "answer", "payment_arrival")  # 73 h after
    tickets["t5"] = t5.id

    # c6, Mon 14:00: a claim (claims, 王芳): 60 s, 150 s, resolved; rated 1. Back 71 hours after
    # the resolve about the same claim -> not first-contact resolved.
    c6 = b.conversation("c6", at(MON, 14, 0))
    b.say(c6, at(MON, 14, 0), "东西摔坏了", "action", "claim")
    b.say(c6, at(MON, 14, 1), "转人工", "handoff", "human_request")
    t6 = b.ticket(
        c6,
        at(MON, 14, 1, 1),
        "claims",
        "claim",
        at(MON, 14, 4, 1),
        status="resolved",
        agent_id=wang.id,
        assigned_at=at(MON, 14, 2, 1),
        first_response_at=at(MON, 14, 3, 31),
        closed_at=at(MON, 14, 10, 1),
        csat=1,
    )
    b.event(t6, "claimed", at(MON, 14, 2, 1), wang.id)
    b.event(t6, "resolved", at(MON, 14, 10, 1), wang.id)
    b.rate(c6, at(MON, 14, 10, 30), 1, t6)
    b.say(c6, at(later(MON, 3), 13, 10), "东西摔坏了还没处理", "answer", "claim")  # 71 h after
    tickets["t6"] = t6.id

    # c7, Mon 23:30: a complaint after hours: a message left for the morning. Picked up Tue 09:02
    # (120 s after the desk opened at 09:00), answered 09:05 (300 s: past the 09:03 target).
    c7 = b.conversation("c7", at(MON, 23, 30))
    b.say(c7, at(MON, 23, 30), "我要投诉", "handoff", "complaint")
    t7 = b.ticket(
        c7,
        at(MON, 23, 30, 1),
        "general",
        "complaint",
        at(TUE, 9, 3),
        status="resolved",
        agent_id=chen.id,
        assigned_at=at(TUE, 9, 2),
        first_response_at=at(TUE, 9, 5),
        closed_at=at(TUE, 9, 20),
        sla_breached=True,
    )
    b.event(t7, "offline", at(MON, 23, 30, 1))
    b.event(t7, "queued", at(TUE, 9, 0), after_hours=True)
    b.event(t7, "claimed", at(TUE, 9, 2), chen.id)
    b.event(t7, "resolved", at(TUE, 9, 20), chen.id)
    tickets["t7"] = t7.id

    # c8, Tue 10:00: tracking; 王芳 picks it up in 30 s, answers in 60 s, transfers it to 李军 at
    # 10:05 (the desk moves assigned_at then), who resolves it: one transfer, still first contact.
    c8 = b.conversation("c8", at(TUE, 10, 0))
    b.say(c8, at(TUE, 10, 0), "查一下物流", "action", "order_status")
    b.say(c8, at(TUE, 10, 0, 30), "转人工", "handoff", "human_request")
    t8 = b.ticket(
        c8,
        at(TUE, 10, 0, 31),
        "tracking",
        "human_request",
        at(TUE, 10, 3, 31),
        status="resolved",
        agent_id=li.id,
        assigned_at=at(TUE, 10, 5),
        first_response_at=at(TUE, 10, 1, 31),
        closed_at=at(TUE, 10, 15, 1),
    )
    b.event(t8, "claimed", at(TUE, 10, 1, 1), wang.id)
    b.event(t8, "transferred", at(TUE, 10, 5), wang.id, to_agent=li.id)
    b.event(t8, "resolved", at(TUE, 10, 15, 1), li.id)
    tickets["t8"] = t8.id

    # c9, Tue 21:50: nobody has picked it up (its target passed long ago) -> missed.
    c9 = b.conversation("c9", at(TUE, 21, 50))
    b.say(c9, at(TUE, 21, 50), "转人工", "handoff", "human_request")
    b.say(c9, at(TUE, 21, 52), "人呢", "queued", "human_request")
    t9 = b.ticket(c9, at(TUE, 21, 50, 1), "general", "human_request", at(TUE, 21, 53, 1), status="queued")
    tickets["t9"] = t9.id

    # c10, Tue 15:00: payments (李军), resolved; the customer hands over again two days later:
    # a new ticket within 72 hours -> not first-contact resolved (the new one is outside the period).
    c10 = b.conversation("c10", at(TUE, 15, 0))
    b.say(c10, at(TUE, 15, 0), "钱扣了订单没显示", "action", "payment_arrival")
    b.say(c10, at(TUE, 15, 0, 30), "转人工", "handoff", "human_request")
    t10 = b.ticket(
        c10,
        at(TUE, 15, 0, 31),
        "payments",
        "human_request",
        at(TUE, 15, 3, 31),
        status="resolved",
        agent_id=li.id,
        assigned_at=at(TUE, 15, 1, 1),
        first_response_at=at(TUE, 15, 1, 31),
        closed_at=at(TUE, 15, 5, 1),
    )
    b.event(t10, "claimed", at(TUE, 15, 1, 1), li.id)
    b.say(c10, at(later(TUE, 2), 15, 0), "转人工", "handoff", "human_request")
    b.ticket(
        c10,
        at(later(TUE, 2), 15, 0, 1),
        "payments",
        "human_request",
        at(later(TUE, 2), 15, 3, 1),
        status="resolved",
        agent_id=li.id,
        assigned_at=at(later(TUE, 2), 15, 1),
        first_response_at=at(later(TUE, 2), 15, 2),
        closed_at=at(later(TUE, 2), 15, 9),
    )
    tickets["t10"] = t10.id

    # c11, Tue 11:59: the same fallback as c4 (another wording), an FAQ answer, then a person
    # (tracking, 王芳) who hands it back to the bot: closed, not resolved.
    c11 = b.conversation("c11", at(TUE, 11, 59))
    b.say(c11, at(TUE, 11, 59), "你们支持数字人民币吗？", "fallback", None)
    b.say(c11, at(TUE, 12, 0), "改一下地址", "answer", "address_change")
    b.bot(c11, at(TUE, 12, 0, 1), "发货前可以改", "address_change_before_dispatch")
    b.say(c11, at(TUE, 12, 1), "转人工", "handoff", "human_request")
    t11 = b.ticket(
        c11,
        at(TUE, 12, 1, 1),
        "tracking",
        "human_request",
        at(TUE, 12, 4, 1),
        status="handed_back",
        agent_id=wang.id,
        assigned_at=at(TUE, 12, 1, 31),
        first_response_at=at(TUE, 12, 2, 1),
        closed_at=at(TUE, 12, 4, 1),
    )
    b.event(t11, "claimed", at(TUE, 12, 1, 31), wang.id)
    b.event(t11, "handed_back", at(TUE, 12, 4, 1), wang.id)
    tickets["t11"] = t11.id

    # c12, started Sunday: not one of the period's conversations, but its Monday message is the
    # period's (out of scope: a fallback).
    c12 = b.conversation("c12", at(later(MON, -1), 20, 0))
    b.say(c12, at(later(MON, -1), 20, 0), "你好", "answer", "greeting")
    b.say(c12, at(MON, 8, 0), "能送到村里吗", "out_of_scope", "out_of_scope")
    return Desk(wang.id, li.id, chen.id, tickets)


@pytest.fixture
def desk(backend: Backend) -> Desk:
    with backend.db.session() as s:
        return build(s)


@contextmanager
def reports(backend: Backend, cache: DayCache | None = None, now: datetime = NOW) -> Iterator[Reports]:
    """The views over one session; nothing kept between calls unless given a cache."""
    yield Reports(backend.db.session, load_desk(), cache or DayCache(None), now)


def summary(backend: Backend, **filters: Any) -> dict[str, Any]:
    with reports(backend) as r:
        return r.summary(Period(MON, TUE, **filters))


def test_the_bots_figures_count_conversations_by_their_first_visit(backend: Backend, desk: Desk) -> None:
    bot = summary(backend)["bot"]
    # c1..c11 started in the period (c12 on Sunday). Contained: c1 (the bot alone), c3 (back after
    # 25 h: a new matter), c4 (a fallback, no person); not c2 (back after 23 h) nor c5..c11 (tickets).
    assert (bot["conversations"], bot["contained"], bot["containment_rate"]) == (11, 3, round(3 / 11, 4))
    # The bot decided on 24 customer messages of Mon–Tue (answers, actions, a clarify, 3 fallbacks
    # counting c12's out-of-scope on Monday, the handoffs); not the ratings, nor c5's message to the
    # person (silent), nor c9's while waiting (queued).
    assert bot["fallback_rate"] == round(3 / 24, 4)
    assert bot["did_you_mean_rate"] == round(1 / 24, 4)
    assert bot["handoffs"] == 7  # t5..t11; c10's second ticket is on Thursday
    assert bot["handoffs_by_reason"] == {"human_request": 5, "claim": 1, "complaint": 1}
    # a ticket's topic: the latest subject before the handoff; else the latest message's (c7, c9)
    assert bot["handoffs_by_topic"] == {
        "payment_arrival": 2,
        "address_change": 1,
        "claim": 1,
        "complaint": 1,
        "human_request": 1,
        "order_status": 1,
    }
    assert bot["csat"] == {"average": 3.5, "count": 2}  # c1's 5 and c4's 2; no person's rating


def test_the_peoples_figures_count_tickets_from_when_a_person_could_answer(backend: Backend, desk: Desk) -> None:
    people = summary(backend)["people"]
    assert (people["handoffs"], people["answered"], people["answer_rate"]) == (7, 6, round(6 / 7, 4))  # not t9
    # in target: t5, t6, t8, t10, t11; t7 answered at 09:05 after the 09:03 target, t9 not at all
    assert (people["answered_in_target"], people["answer_rate_in_target"]) == (5, round(5 / 7, 4))
    # waits [30 t8 (its first claim, not the transfer), 30 t10, 30 t11, 40 t5, 60 t6, 120 t7 (from
    # the 09:00 opening)]: nearest rank 3 of 6 and 6 of 6
    assert people["wait_seconds"] == {"p50": 30.0, "p90": 120.0}
    # first responses [60 t5, 60 t8, 60 t10, 60 t11, 150 t6, 300 t7]
    assert people["first_response_seconds"] == {"p50": 60.0, "p90": 300.0}
    assert people["sla_by_queue"] == {
        "claims": {"tickets": 1, "met": 1, "rate": 1.0},
        "general": {"tickets": 2, "met": 0, "rate": 0.0},  # t7 late, t9 never
        "payments": {"tickets": 2, "met": 2, "rate": 1.0},
        "tracking": {"tickets": 2, "met": 2, "rate": 1.0},
    }
    # pickup to close: t5 380, t6 480, t7 1080, t8 840 (from 王芳's claim), t10 240, t11 150
    assert people["handle_seconds_average"] == round(3170 / 6, 1)
    assert people["transfers"] == 1
    # resolved Mon–Tue: t5, t6, t7 (Tue 09:20), t8, t10; first contact: t5 (back after 73 h), t7,
    # t8 (a transfer is still one contact); not t6 (back on its claim after 71 h), t10 (a new ticket)
    assert (people["resolved"], people["first_contact_resolved"], people["fcr_rate"]) == (5, 3, 0.6)
    assert people["csat"] == {"average": 2.5, "count": 2}  # t5's 4 and t6's 1; not the bot's


def test_the_content_is_what_customers_asked(backend: Backend, desk: Desk) -> None:
    content = summary(backend)["content"]
    # every message the NLU read with a subject (small talk and ratings left out): human_request 7
    # (6 handoff messages and c9's while queued), order_status 3, payment_arrival 2, refund 2 …
    assert content["top_topics"] == [
        {"topic": "human_request", "count": 7},
        {"topic": "order_status", "count": 3},
        {"topic": "payment_arrival", "count": 2},
        {"topic": "refund", "count": 2},
        {"topic": "address_change", "count": 1},
        {"topic": "claim", "count": 1},
        {"topic": "complaint", "count": 1},
        {"topic": "invoice", "count": 1},
        {"topic": "out_of_scope", "count": 1},
        {"topic": "shipping_fee", "count": 1},
    ]
    # c4's and c11's wordings are one question once normalised; requests for a person are not gaps
    assert content["top_unanswered"] == [
        {"text": "你们支持数字人民币吗？", "count": 2},
        {"text": "我要投诉", "count": 1},
        {"text": "能不能开专票", "count": 1},
        {"text": "能送到村里吗", "count": 1},
    ]
    # the bot's last FAQ answer in the 30 minutes before a handoff: t5's and t11's
    assert content["entries_leading_to_handoff"] == [
        {"entry_id": "address_change_before_dispatch", "count": 1},
        {"entry_id": "pay_cod_remittance_schedule", "count": 1},
    ]


def test_a_queue_or_an_agent_narrows_the_peoples_figures_only(backend: Backend, desk: Desk) -> None:
    payments = summary(backend, queue="payments")
    assert payments["bot"]["conversations"] == 11  # the bot's are the whole desk's
    people = payments["people"]
    assert (people["handoffs"], people["answered_in_target"], people["transfers"]) == (2, 2, 0)  # t5, t10
    assert people["wait_seconds"] == {"p50": 30.0, "p90": 40.0}
    assert (people["resolved"], people["fcr_rate"], people["csat"]) == (2, 0.5, {"average": 4.0, "count": 1})
    li = summary(backend, agent_id=desk.li)["people"]
    # 李军 has t5, t10 and (after the transfer) t8; he made no transfer; resolved all three
    assert (li["handoffs"], li["transfers"], li["resolved"], li["fcr_rate"]) == (3, 0, 3, round(2 / 3, 4))
    wang = summary(backend, agent_id=desk.wang)["people"]
    assert (wang["handoffs"], wang["transfers"], wang["resolved"], wang["fcr_rate"]) == (2, 1, 1, 0.0)


def test_a_row_per_day_queue_and_agent(backend: Backend, desk: Desk) -> None:
    with reports(backend) as r:
        days = r.daily(Period(MON, TUE))["days"]
        queues = {q["queue"]: q for q in r.queues(Period(MON, TUE))["queues"]}
        agents = {a["username"]: a for a in r.agents(Period(MON, TUE))["agents"]}
    assert days == [
        {
            "day": "2026-11-23",
            "conversations": 7,  # c1..c7
            "containment_rate": round(3 / 7, 4),
            "handoffs": 3,  # t5, t6, t7 (after hours, on the day of the handoff)
            "answer_rate": 1.0,
            "fcr_rate": 0.5,  # resolved Monday: t5 yes, t6 no
            "bot_csat": 3.5,
            "human_csat": 2.5,
            "sla_rate": round(2 / 3, 4),  # t7 late
        },
        {
            "day": "2026-11-24",
            "conversations": 4,  # c8..c11
            "containment_rate": 0.0,
            "handoffs": 4,
            "answer_rate": 0.75,  # not t9
            "fcr_rate": round(2 / 3, 4),  # resolved Tuesday: t7, t8 yes; t10 no
            "bot_csat": None,
            "human_csat": None,
            "sla_rate": 0.75,
        },
    ]
    assert list(queues) == ["tracking", "payments", "claims", "general", "supervisor"]  # desk.yaml's order
    assert queues["general"] == {
        "queue": "general",
        "tickets": 2,
        "answer_rate": 0.5,
        "sla_rate": 0.0,
        "wait_p50": 120.0,
        "handle_seconds_average": 1080.0,
        "csat": {"average": None, "count": 0},
    }
    assert queues["payments"]["wait_p50"] == 30.0 and queues["payments"]["csat"] == {"average": 4.0, "count": 1}
    assert queues["supervisor"]["tickets"] == 0 and queues["supervisor"]["answer_rate"] is None
    assert agents["wangfang"] == {
        "agent_id": desk.wang,
        "username": "wangfang",
        "display_name": "王芳",
        "tickets": 2,  # t6, t11 (t8 went to 李军)
        "handle_seconds_average": 315.0,
        "transfers_out": 1,
        "fcr_rate": 0.0,
        "csat": {"average": 1.0, "count": 1},
    }
    assert (agents["lijun"]["tickets"], agents["lijun"]["handle_seconds_average"]) == (3, round(1460 / 3, 1))
    assert (agents["chenlei"]["fcr_rate"], agents["chenlei"]["csat"]["count"]) == (1.0, 0)


def test_the_conversations_behind_each_figure(backend: Backend, desk: Desk) -> None:
    behind = {  # newest first
        "contained": ["c4", "c3", "c1"],
        "not_contained": ["c9", "c10", "c11", "c8", "c7", "c6", "c5", "c2"],
        "fallback": ["c11", "c4", "c12"],  # by their last fallback; c12's on Monday counts
        "handoff": ["c9", "c10", "c11", "c8", "c7", "c6", "c5"],
        "answered": ["c10", "c11", "c8", "c7", "c6", "c5"],
        "missed": ["c9"],
        "sla_missed": ["c9", "c7"],
        "fcr": ["c8", "c7", "c5"],  # by the resolve
        "not_fcr": ["c10", "c6"],
        "low_csat": ["c6", "c4"],  # a person's 1 and the bot's 2
    }
    assert set(behind) == set(drill.METRICS)
    for metric, senders in behind.items():
        found = drill.conversations(
            backend.db.session, load_desk(), DayCache(None), Period(MON, TUE), metric, NOW, limit=100, offset=0
        )
        assert ([c["sender_id"] for c in found["conversations"]], found["total"]) == (senders, len(senders)), metric


def test_a_drill_down_pages_across_days_and_shows_the_ticket_its_queue_and_agent(backend: Backend, desk: Desk) -> None:
    def page(offset: int) -> dict[str, Any]:
        return drill.conversations(
            backend.db.session,
            load_desk(),
            DayCache(None),
            Period(MON, TUE),
            "not_contained",
            NOW,
            limit=2,
            offset=offset,
        )

    # newest first: c9, c10, c11, c8 (Tuesday), c7, c6, c5, c2 (Monday)
    second = page(1)
    assert second["total"] == 8
    assert [(c["sender_id"], c["ticket_id"], c["queue"], c["agent"], c["topic"]) for c in second["conversations"]] == [
        ("c10", desk.tickets["t10"], "payments", "李军", "payment_arrival"),
        ("c11", desk.tickets["t11"], "tracking", "王芳", "address_change"),
    ]
    assert [c["sender_id"] for c in page(3)["conversations"]] == ["c8", "c7"]
    assert [c["sender_id"] for c in page(7)["conversations"]] == ["c2"]
    assert page(8)["conversations"] == []


def test_settled_days_are_kept_and_today_is_counted_again_after_a_minute(backend: Backend, desk: Desk) -> None:
    tuesday = at(TUE, 12, 30)  # Monday is settled (its messages an hour after it ended), Tuesday is not
    kept, fresh = DayCache(backend.runtime.sync), DayCache(backend.runtime.sync, live_seconds=0)

    def conversations(cache: DayCache) -> int:
        with reports(backend, cache, now=tuesday) as r:
            return int(r.summary(Period(MON, TUE))["bot"]["conversations"])

    def late(day: date, sender: str) -> None:
        with backend.db.session() as s:
            b = Builder(s)
            b.say(b.conversation(sender, at(day, 12, 15)), at(day, 12, 15), "几天能到", "answer", "shipping_speed")

    with reports(backend, fresh, now=tuesday) as r:
        r.keep(Period(MON, TUE))  # what a periodic job does: Monday's figures kept
    assert conversations(fresh) == 11  # c1..c11
    late(MON, "late-1")  # Monday was kept as it was
    late(TUE, "late-2")
    assert conversations(kept) == 12  # Tuesday counted, and kept for a minute
    late(TUE, "late-3")
    assert (conversations(kept), conversations(fresh)) == (12, 13)
    kept.forget()  # what anything that rewrites the past calls
    assert conversations(fresh) == 14


# The API: who may read it, how the period is checked, and the spreadsheets.


@pytest.fixture
def api(backend: Backend, desk: Desk) -> Iterator[TestClient]:
    """The report API alone over the backend, on the desk's clock, with a supervisor and an agent."""
    rules = load_desk()
    helpdesk = HelpDesk(TicketQueue(backend.runtime.sync, rules), rules, now=lambda: NOW)
    app = FastAPI()
    app.state.instance = SimpleNamespace(db=backend.db, runtime=backend.runtime, desk=helpdesk)
    http_errors.install(app)
    app.include_router(report_api.router)
    with TestClient(app) as client:
        yield client


def token(backend: Backend, username: str) -> dict[str, str]:
    with backend.db.session() as s:
        found = login(s, username=username, password=PASSWORD)
        assert found is not None
        return {"Authorization": f"Bearer {found[1]}"}


PERIOD = {"from": "2026-11-23", "to": "2026-11-24"}


def test_only_supervisors_and_admins_read_the_numbers(backend: Backend, api: TestClient) -> None:
    assert api.get("/api/reports/summary", params=PERIOD).status_code == 401
    agent = token(backend, "wangfang")
    assert api.get("/api/reports/summary", params=PERIOD, headers=agent).status_code == 403
    boss = token(backend, "chenlei")
    answer = api.get("/api/reports/summary", params=PERIOD, headers=boss)
    assert answer.status_code == 200
    assert answer.json()["period"] == {"from": "2026-11-23", "to": "2026-11-24"}
    assert answer.json()["people"]["handoffs"] == 7
    listed = api.get(
        "/api/reports/conversations", params={**PERIOD, "metric": "handoff", "day": "2026-11-24"}, headers=boss
    )
    assert listed.json()["total"] == 4


def test_a_period_that_cannot_be_reported_is_refused_naming_the_field(backend: Backend, api: TestClient) -> None:
    boss = token(backend, "chenlei")
    for params, field in (
        ({"from": "2026-11-24", "to": "2026-11-23"}, "to"),
        ({"from": "2025-11-23", "to": "2026-11-24"}, "to"),  # 367 days
        ({**PERIOD, "queue": "nowhere"}, "queue"),
        ({"from": "9999-12-31", "to": "9999-12-31"}, "from"),
    ):
        answer = api.get("/api/reports/summary", params=params, headers=boss)
        assert (answer.status_code, answer.json()["field"]) == (422, field), params


def test_bad_drill_downs_and_dates_are_refused_naming_the_field(backend: Backend, api: TestClient) -> None:
    boss = token(backend, "chenlei")
    url = "/api/reports/conversations"
    assert api.get(url, params={**PERIOD, "metric": "nope"}, headers=boss).json()["field"] == "metric"
    outside = api.get(url, params={**PERIOD, "metric": "handoff", "day": "2026-11-25"}, headers=boss)
    assert (outside.status_code, outside.json()["field"]) == (422, "day")
    malformed = api.get("/api/reports/daily", params={"from": "23/11/2026", "to": "2026-11-24"}, headers=boss)
    assert malformed.status_code == 422
    assert malformed.json()["detail"][0]["loc"] == ["query", "from"]


def test_the_daily_view_exports_as_csv_excel_reads(backend: Backend, api: TestClient) -> None:
    answer = api.get(
        "/api/reports/export",
        params={**PERIOD, "view": "daily", "format": "csv"},
        headers=token(backend, "chenlei"),
    )
    assert answer.status_code == 200
    assert answer.headers["content-disposition"] == 'attachment; filename="reports-daily-2026-11-23-2026-11-24.csv"'
    assert answer.content.startswith(b"\xef\xbb\xbf")  # the BOM: Excel then reads UTF-8
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["日期 (day)", "会话量 (conversations)", "机器人解决率 (containment_rate)"]
    assert rows[1] == ["2026-11-23", "7", "0.4286", "3", "1.0", "0.5", "3.5", "2.5", "0.6667"]
    assert rows[2] == ["2026-11-24", "4", "0.0", "4", "0.75", "0.6667", "", "", "0.75"]


def test_the_agents_view_exports_as_xlsx(backend: Backend, api: TestClient, desk: Desk) -> None:
    answer = api.get(
        "/api/reports/export",
        params={**PERIOD, "view": "agents", "format": "xlsx"},
        headers=token(backend, "chenlei"),
    )
    assert answer.status_code == 200
    sheet = load_workbook(io.BytesIO(answer.content)).active
    assert sheet is not None
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0][:3] == ["客服编号 (agent_id)", "账号 (username)", "姓名 (display_name)"]
    assert rows[1] == [desk.wang, "wangfang", "王芳", 2, 315.0, 1, 0.0, 1.0, 1]
    assert sheet.cell(row=2, column=7).number_format == "0.0%"
