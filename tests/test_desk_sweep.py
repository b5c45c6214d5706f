"""The desk's sweep and queue repair (handoff/sweep.py), without a server: a migrated SQLite and
in-process Redis."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.store import Conversation
from core.db import Database
from handoff.models import OFFLINE, QUEUED, RESOLVED, Ticket, TicketEvent
from handoff.queue import OFFLINE as OFFLINE_QUEUE
from handoff.state import DeskState
from handoff.sweep import Sweeper
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
def sweeper(state: DeskState) -> Sweeper:
    return Sweeper(state)


def ticket(db: Database, sender: str, queue: str, *, status: str = QUEUED, handed_over: datetime = MONDAY_10AM) -> int:
    """A ticket as opened at `handed_over` (in SQL only: the sweep's repair puts it in Redis)."""
    with db.session() as s:
        conv = Conversation(sender_id=sender, channel="rest", slots={}, meta={})
        s.add(conv)
        s.flush()
        row = Ticket(
            conversation_id=conv.id,
            status=status,
            reason="human_request",
            queue=queue,
            created_at=handed_over,
            first_response_due=handed_over + timedelta(minutes=3),
            overflow_at=handed_over + timedelta(minutes=2) if queue != "general" else None,
        )
        s.add(row)
        s.flush()
        return row.id


def sweep(db: Database, sweeper: Sweeper, at: datetime) -> list[str]:
    """Sweep at `at`; the kinds of desk event it announced."""
    with db.session() as s:
        return [n.desk_event["type"] for n in sweeper.sweep(s, now=at) if n.desk_event]


def kinds(db: Database, ticket_id: int) -> list[str]:
    with db.session() as s:
        return list(s.scalars(select(TicketEvent.kind).where(TicketEvent.ticket_id == ticket_id)))


def test_a_long_wait_in_a_specialist_queue_overflows_to_general(
    db: Database, state: DeskState, sweeper: Sweeper
) -> None:
    stuck = ticket(db, "s1", "tracking")
    assert sweep(db, sweeper, MONDAY_10AM + timedelta(minutes=1)) == []
    assert state.queue.position(stuck, "tracking") == 1
    assert sweep(db, sweeper, MONDAY_10AM + timedelta(minutes=2)) == ["ticket_overflow"]
    with db.session() as s:
        moved = s.get_one(Ticket, stuck)
        assert (moved.queue, moved.overflow_at, moved.labels) == ("general", None, ["from_tracking"])
    assert state.queue.waiting(["tracking", "general"]) == [("general", stuck)]
    assert kinds(db, stuck) == ["overflow"]


def test_a_missed_first_response_is_recorded_once(db: Database, sweeper: Sweeper) -> None:
    late = ticket(db, "s1", "general")
    assert sweep(db, sweeper, MONDAY_10AM + timedelta(minutes=3)) == []  # due, not yet missed
    assert sweep(db, sweeper, MONDAY_10AM + timedelta(minutes=4)) == ["sla_breached"]
    assert sweep(db, sweeper, MONDAY_10AM + timedelta(minutes=5)) == []
    with db.session() as s:
        assert s.get_one(Ticket, late).sla_breached
    assert kinds(db, late) == ["sla_breached"]


def test_when_the_desk_opens_the_messages_left_overnight_join_their_queues(
    db: Database, state: DeskState, sweeper: Sweeper
) -> None:
    night = MONDAY_10AM + timedelta(hours=13)
    left = ticket(db, "n1", "general", status=OFFLINE, handed_over=night)
    assert sweep(db, sweeper, night + timedelta(minutes=30)) == []  # still closed
    assert state.queue.position(left, OFFLINE_QUEUE) == 1
    opening = datetime(2026, 11, 24, 9, 0, tzinfo=SHANGHAI)
    assert sweep(db, sweeper, opening) == ["ticket_queued"]
    with db.session() as s:
        opened = s.get_one(Ticket, left)
        assert opened.status == QUEUED and opened.first_response_due == opening + timedelta(minutes=3)
    assert state.queue.waiting(["general", OFFLINE_QUEUE]) == [("general", left)]


def test_a_flushed_redis_is_rebuilt_from_sql_with_only_the_waiting_tickets(
    db: Database, state: DeskState, sweeper: Sweeper
) -> None:
    first = ticket(db, "r1", "general")
    second = ticket(db, "r2", "payments", handed_over=MONDAY_10AM + timedelta(seconds=1))
    ticket(db, "r3", "general", status=RESOLVED)
    with db.session() as s:
        assert sweeper.reconcile(s) == 2
    state.queue.r.flushall()
    with db.session() as s:
        assert sweeper.reconcile(s) == 2
        assert sweeper.reconcile(s) == 0  # nothing left to mend
    assert state.queue.waiting(["general", "payments"]) == [("general", first), ("payments", second)]


def test_an_id_sql_does_not_know_is_dropped_only_if_still_unknown_a_sweep_later(
    db: Database, state: DeskState, sweeper: Sweeper
) -> None:
    known = ticket(db, "k1", "general")
    with db.session() as s:
        sweeper.reconcile(s)
    state.queue.push(99999, "general", 0, MONDAY_10AM)  # its handoff may not have committed yet
    with db.session() as s:
        assert sweeper.reconcile(s) == 0
    assert {t for _, t in state.queue.waiting(["general"])} == {known, 99999}
    with db.session() as s:
        assert sweeper.reconcile(s) == 1
    assert state.queue.waiting(["general"]) == [("general", known)]
