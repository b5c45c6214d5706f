"""An agent's work on tickets (handoff/operations.py) and what they may see (handoff/visibility.py),
without a server: a migrated SQLite and in-process Redis."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.store import BOT, HUMAN, PENDING_HANDOFF, Conversation
from core import errors
from core.db import Database
from handoff import visibility
from handoff.errors import Conflict, DeskError, NotFound
from handoff.models import ASSIGNED, QUEUED, RESOLVED, Agent, Ticket, TicketEvent
from handoff.operations import Operations
from handoff.state import DeskState
from tests.desk_parts import MONDAY_10AM, desk_database, desk_state


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    with desk_database(tmp_path) as database:
        yield database


@pytest.fixture
def state() -> Iterator[DeskState]:
    with desk_state() as made:
        yield made


@pytest.fixture
def work(state: DeskState) -> Operations:
    return Operations(state)


def agent(db: Database, username: str, skills: list[str], *, max_chats: int = 3, role: str = "agent") -> Agent:
    with db.session() as s:
        row = Agent(
            username=username,
            display_name=username.title(),
            password_hash="-",
            skills=skills,
            max_chats=max_chats,
            role=role,
            presence="online",
        )
        s.add(row)
        s.flush()
        s.expunge(row)
        return row


def waiting(db: Database, state: DeskState, sender: str, queue: str = "general") -> int:
    """A ticket waiting in `queue`, in SQL and in Redis, for a new conversation; its id."""
    with db.session() as s:
        conv = Conversation(sender_id=sender, channel="rest", state=PENDING_HANDOFF, slots={}, meta={})
        s.add(conv)
        s.flush()
        ticket = Ticket(
            conversation_id=conv.id,
            reason="human_request",
            queue=queue,
            created_at=MONDAY_10AM,
            first_response_due=MONDAY_10AM + timedelta(minutes=3),
        )
        s.add(ticket)
        s.flush()
        state.queue.push(ticket.id, queue, 0, MONDAY_10AM)
        return ticket.id


def claim(db: Database, work: Operations, ticket_id: int, who: Agent) -> None:
    with db.session() as s:
        work.claim(s, ticket_id, who)


def test_a_claim_gives_the_chat_to_the_agent_and_the_bot_goes_quiet(
    db: Database, state: DeskState, work: Operations
) -> None:
    wang = agent(db, "wang", ["general"])
    ticket_id = waiting(db, state, "c1")
    behind = waiting(db, state, "c2")
    with db.session() as s:
        joined, event, place = work.claim(s, ticket_id, wang)
        ticket, conv = visibility.load(s, ticket_id)
        assert (ticket.status, ticket.agent_id, ticket.assigned_at) == (ASSIGNED, wang.id, MONDAY_10AM)
        assert conv.state == HUMAN
    assert joined.sender_id == "c1" and "Wang" in joined.text
    assert event.desk_event is not None and event.desk_event["owners"] == [wang.id]
    assert place.sender_id == "c2" and place.custom["position"] == 1  # the next one hears they are next
    assert state.queue.waiting(["general"]) == [("general", behind)]


def test_of_two_claims_of_one_ticket_the_second_is_a_conflict(db: Database, state: DeskState, work: Operations) -> None:
    ticket_id = waiting(db, state, "c1")
    claim(db, work, ticket_id, agent(db, "wang", ["general"]))
    with pytest.raises(Conflict, match="no longer waiting"):
        claim(db, work, ticket_id, agent(db, "li", ["general"]))


def test_a_claim_beyond_max_chats_is_refused_and_the_ticket_waits_on(
    db: Database, state: DeskState, work: Operations
) -> None:
    li = agent(db, "li", ["general"], max_chats=1)
    first, second = waiting(db, state, "c1"), waiting(db, state, "c2")
    claim(db, work, first, li)
    with pytest.raises(Conflict, match="already has 1 chats open"):
        claim(db, work, second, li)
    with db.session() as s:
        assert s.get_one(Ticket, second).status == QUEUED
    assert state.queue.position(second, "general") == 1  # back in Redis, in its place


def test_a_ticket_outside_the_agents_queues_is_not_found_and_stays_waiting(
    db: Database, state: DeskState, work: Operations
) -> None:
    wang = agent(db, "wang", ["tracking"])
    hidden = waiting(db, state, "lawyer", queue="supervisor")
    with pytest.raises(NotFound, match=f"no ticket {hidden}"):
        claim(db, work, hidden, wang)
    with db.session() as s, pytest.raises(NotFound):
        visibility.load_for(s, hidden, wang)
    assert state.queue.position(hidden, "supervisor") == 1
    claim(db, work, hidden, agent(db, "chen", [], role="supervisor"))  # a supervisor sees every queue


def test_the_first_reply_settles_the_first_response_and_a_late_one_breaches_it(
    db: Database, state: DeskState, work: Operations
) -> None:
    wang = agent(db, "wang", ["general"])
    ticket_id = waiting(db, state, "c1")
    claim(db, work, ticket_id, wang)
    state.now = lambda: MONDAY_10AM + timedelta(minutes=5)
    with db.session() as s:
        to_customer, _ = work.reply(s, ticket_id, wang, "您好")
        work.reply(s, ticket_id, wang, "还在吗")
        ticket = s.get_one(Ticket, ticket_id)
        assert ticket.first_response_at == MONDAY_10AM + timedelta(minutes=5) and ticket.sla_breached
    assert (to_customer.sender_id, to_customer.text) == ("c1", "您好")


def test_only_the_owner_may_reply_but_anyone_who_sees_it_may_note(
    db: Database, state: DeskState, work: Operations
) -> None:
    wang, li = agent(db, "wang", ["general"]), agent(db, "li", ["general"])
    ticket_id = waiting(db, state, "c1")
    claim(db, work, ticket_id, wang)
    with db.session() as s, pytest.raises(Conflict, match="not yours"):
        work.reply(s, ticket_id, li, "我来")
    with db.session() as s:
        work.note(s, ticket_id, li, "客户之前来过")
        notes = s.scalars(select(TicketEvent.data).where(TicketEvent.kind == "note")).all()
    assert notes == [{"text": "客户之前来过"}]


def test_a_chat_passed_to_a_queue_waits_again_and_its_past_owner_still_sees_it(
    db: Database, state: DeskState, work: Operations
) -> None:
    wang = agent(db, "wang", ["general"])
    ticket_id = waiting(db, state, "c1")
    claim(db, work, ticket_id, wang)
    with db.session() as s, pytest.raises(DeskError, match="unknown queue"):
        work.transfer(s, ticket_id, wang, queue="nowhere")
    with db.session() as s:
        told, _ = work.transfer(s, ticket_id, wang, queue="payments")
        ticket, conv = visibility.load(s, ticket_id)
        assert (ticket.status, ticket.queue, ticket.agent_id, conv.state) == (QUEUED, "payments", None, PENDING_HANDOFF)
        assert visibility.visible_conversations(s, wang) == {conv.id}  # payments is not hers, the chat was
    assert "无需重复" in told.text
    assert state.queue.position(ticket_id, "payments") == 1


def test_a_chat_passed_to_a_colleague_needs_them_online_with_a_free_seat(
    db: Database, state: DeskState, work: Operations
) -> None:
    wang, li = agent(db, "wang", ["general"]), agent(db, "li", ["general"], max_chats=1)
    busy, ticket_id = waiting(db, state, "c1"), waiting(db, state, "c2")
    claim(db, work, busy, li)
    claim(db, work, ticket_id, wang)
    with db.session() as s, pytest.raises(Conflict, match="no free seat"):
        work.transfer(s, ticket_id, wang, to_agent=li)
    with db.session() as s, pytest.raises(DeskError, match="already yours"):
        work.transfer(s, ticket_id, wang, to_agent=wang)


def test_resolving_returns_the_chat_to_the_bot_and_asks_for_a_rating(
    db: Database, state: DeskState, work: Operations
) -> None:
    wang = agent(db, "wang", ["general"])
    ticket_id = waiting(db, state, "c1")
    claim(db, work, ticket_id, wang)
    with db.session() as s:
        survey, event = work.resolve(s, ticket_id, wang)
        ticket, conv = visibility.load(s, ticket_id)
        assert (ticket.status, ticket.closed_at, conv.state) == (RESOLVED, MONDAY_10AM, BOT)
    assert survey.buttons is not None and len(survey.buttons) == 5
    assert survey.buttons[0]["payload"] == f'/csat{{"score":1,"ticket":{ticket_id}}}'
    assert survey.custom["csat"] == ticket_id
    assert event.desk_event is not None and event.desk_event["type"] == "ticket_resolved"


def test_desk_errors_keep_the_kinds_the_web_layer_maps() -> None:
    assert issubclass(DeskError, errors.Invalid)
    assert issubclass(NotFound, errors.NotFound) and issubclass(NotFound, DeskError)
    assert issubclass(Conflict, errors.Conflict) and issubclass(Conflict, DeskError)
