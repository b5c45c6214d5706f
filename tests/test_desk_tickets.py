"""Opening tickets (handoff/tickets.py), without a server: a migrated SQLite and in-process Redis."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.store import Conversation, Message
from core.db import Database
from handoff.models import OFFLINE, QUEUED, Agent, Ticket, TicketEvent
from handoff.operations import Operations
from handoff.queue import OFFLINE as OFFLINE_QUEUE
from handoff.state import DeskState
from handoff.tickets import Tickets, subject
from tests.desk_parts import MONDAY_10AM, SHANGHAI, desk_database, desk_state


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    with desk_database(tmp_path) as database:
        yield database


@pytest.fixture
def state() -> Iterator[DeskState]:
    with desk_state() as made:
        yield made


@pytest.fixture
def tickets(state: DeskState) -> Tickets:
    return Tickets(state, Operations(state))


def customer(db: Database, sender: str, *said: tuple[str, str | None], language: str = "zh") -> str:
    """A conversation in which the customer said each (text, topic); its id."""
    with db.session() as s:
        conv = Conversation(sender_id=sender, channel="rest", language=language, slots={}, meta={})
        s.add(conv)
        s.flush()
        s.add_all(
            Message(conversation_id=conv.id, direction="in", author="customer", text=text, topic=topic)
            for text, topic in said
        )
        return conv.id


def open_for(db: Database, tickets: Tickets, conv_id: str, reason: str = "human_request", **context: Any) -> Any:
    with db.session() as s:
        ticket, notices = tickets.open(s, s.get_one(Conversation, conv_id), reason, context)
        assert ticket is not None
        return ticket, notices


def test_opening_a_ticket_routes_it_by_subject_and_queues_it(db: Database, state: DeskState, tickets: Tickets) -> None:
    conv = customer(db, "payer", ("货款怎么还没到账", "payment_arrival"), ("转人工", "human_request"))
    ticket, (notice,) = open_for(db, tickets, conv, topic="human_request", last_message="转人工")
    assert (ticket.queue, ticket.status) == ("payments", QUEUED)
    assert ticket.first_response_due == MONDAY_10AM + timedelta(minutes=3)
    assert ticket.overflow_at == MONDAY_10AM + state.rules.overflow_after
    assert state.queue.position(ticket.id, "payments") == 1
    assert notice.sender_id is None  # the customer hears it in the reply to their own message
    assert "查款" in notice.text and "下一位" in notice.text
    assert notice.custom == {"queue": "payments", "position": 1}
    assert notice.desk_event is not None and notice.desk_event["type"] == "ticket_queued"
    with db.session() as s:
        kinds = s.scalars(select(TicketEvent.kind).where(TicketEvent.ticket_id == ticket.id)).all()
    assert kinds == ["queued"]


def test_the_second_in_line_hears_their_place_and_the_wait(db: Database, tickets: Tickets) -> None:
    open_for(db, tickets, customer(db, "first"))
    _, (notice,) = open_for(db, tickets, customer(db, "second", language="en"))
    assert notice.text == "You're in the queue for our General team: 1 ahead of you, about 4 min."
    assert notice.custom == {"queue": "general", "position": 2}


def test_a_conversation_with_a_ticket_open_gets_that_ticket_and_no_second(db: Database, tickets: Tickets) -> None:
    conv = customer(db, "twice")
    first, _ = open_for(db, tickets, conv)
    again, notices = open_for(db, tickets, conv)
    assert again.id == first.id and notices == []
    with db.session() as s:
        assert len(s.scalars(select(Ticket)).all()) == 1


def test_after_hours_the_ticket_waits_for_the_desk_and_the_customer_leaves_a_message(
    db: Database, state: DeskState, tickets: Tickets
) -> None:
    state.now = lambda: MONDAY_10AM + timedelta(hours=13)  # 23:00
    conv = customer(db, "night")
    ticket, (notice,) = open_for(db, tickets, conv)
    assert ticket.status == OFFLINE
    assert ticket.first_response_due == datetime(2026, 11, 24, 9, 3, tzinfo=SHANGHAI)  # from the opening
    assert state.queue.position(ticket.id, OFFLINE_QUEUE) == 1
    assert "非工作时间" in notice.text and "11-24 09:00" in notice.text
    assert notice.desk_event is not None and notice.desk_event["type"] == "ticket_offline"
    with db.session() as s:
        assert s.get_one(Conversation, conv).slots["left_message"] is True


def test_the_online_agent_with_the_most_free_seats_is_offered_the_ticket(
    db: Database, state: DeskState, tickets: Tickets
) -> None:
    with db.session() as s:
        s.add(Agent(username="away", display_name="A", password_hash="-", skills=["general"], presence="away"))
        s.add(Agent(username="on", display_name="B", password_hash="-", skills=["general"], presence="online"))
    ticket, (notice,) = open_for(db, tickets, customer(db, "offered"))
    with db.session() as s:
        online = s.scalars(select(Agent.id).where(Agent.username == "on")).one()
    assert ticket.status == QUEUED and ticket.offered_to == online
    assert notice.desk_event is not None and notice.desk_event["ticket"]["offered_to"] == online


def test_a_desk_that_assigns_gives_the_chat_to_that_agent_at_once(
    db: Database, state: DeskState, tickets: Tickets
) -> None:
    state.rules = replace(state.rules, auto_assign=True)
    with db.session() as s:
        s.add(Agent(username="on", display_name="王芳", password_hash="-", skills=["general"], presence="online"))
    ticket, notices = open_for(db, tickets, customer(db, "assigned"))
    assert state.queue.position(ticket.id, "general") is None
    with db.session() as s:
        assert s.get_one(Ticket, ticket.id).status == "assigned"
    joined = notices[0]
    assert joined.sender_id is None and "王芳" in joined.text  # in this very reply, not pushed


def test_the_subject_is_the_latest_turn_about_something_not_a_bare_answer() -> None:
    said = [
        Message(direction="in", text="我的订单到哪了", topic="order_status"),
        Message(direction="in", text="货款怎么还没到账", topic="payment_arrival"),
        Message(direction="in", text="单号 1234", topic="order_status"),  # answers the bot's question
        Message(direction="out", text="请问还有什么可以帮您", topic="claim"),  # the bot's, not theirs
        Message(direction="in", text="转人工", topic="human_request"),
    ]
    assert subject(said, "human_request") == "payment_arrival"
    assert subject(said, "claim") == "claim"  # a topic that says something is kept
    assert subject([], "human_request") == "human_request"


def test_a_customer_upset_while_waiting_moves_up_once_and_a_threat_goes_to_a_supervisor(
    db: Database, state: DeskState, tickets: Tickets
) -> None:
    open_for(db, tickets, customer(db, "calm"))
    upset = customer(db, "upset")
    ticket, _ = open_for(db, tickets, upset)
    with db.session() as s:
        (notice,) = tickets.upset_while_waiting(s, s.get_one(Conversation, upset))
        assert tickets.upset_while_waiting(s, s.get_one(Conversation, upset)) == []  # once
    assert notice.desk_event is not None and notice.desk_event["type"] == "ticket_escalated"
    assert state.queue.position(ticket.id, "general") == 1
    with db.session() as s:
        tickets.upset_while_waiting(s, s.get_one(Conversation, upset), major="regulator")
        moved = s.get_one(Ticket, ticket.id)
        assert moved.queue == "supervisor" and moved.labels == ["anger", "major_complaint"]
        assert moved.priority == state.rules.priority["anger"] + state.rules.priority["major_complaint"]
    assert state.queue.position(ticket.id, "supervisor") == 1


def test_a_ticket_waiting_in_general_moves_to_the_desk_of_what_the_customer_then_says(
    db: Database, state: DeskState, tickets: Tickets
) -> None:
    conv = customer(db, "vague", ("转人工", "human_request"))
    ticket, _ = open_for(db, tickets, conv, topic="human_request")
    assert ticket.queue == "general"
    with db.session() as s:
        (notice,) = tickets.subject_while_waiting(s, s.get_one(Conversation, conv), "payment_arrival")
        assert notice.desk_event is not None and notice.desk_event["type"] == "ticket_rerouted"
    with db.session() as s:
        moved = s.get_one(Ticket, ticket.id)
        assert moved.queue == "payments" and moved.priority == ticket.priority
        # Said again, or something with no desk of its own: it stays where it is.
        assert tickets.subject_while_waiting(s, s.get_one(Conversation, conv), "order_status") == []
        assert tickets.subject_while_waiting(s, s.get_one(Conversation, conv), "greeting") == []
    assert state.queue.position(ticket.id, "payments") == 1
