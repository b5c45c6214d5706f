"""The waiting-ticket queue (handoff/queue.py) on fakeredis and on Redis, rebuilt from SQLite
and from PostgreSQL."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.store import Conversation
from handoff.desk import load_desk
from handoff.models import QUEUED, RESOLVED, Ticket
from handoff.queue import ELSEWHERE, GONE, OFFLINE, TAKEN, UNKNOWN, TicketQueue
from tests.backends import Backend, backend_fixture  # noqa: F401  (the `backend` fixture: each test runs on both)

HANDOFF = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def queue(backend: Backend) -> TicketQueue:
    """The desk's queue over the backend's Redis, built (empty) as a desk's first sweep leaves it."""
    q = TicketQueue(backend.runtime.sync, load_desk())
    q.rebuild([])
    return q


def at(minutes: float) -> datetime:
    return HANDOFF + timedelta(minutes=minutes)


def test_higher_priority_is_served_first_then_the_longest_waiting(queue: TicketQueue) -> None:
    queue.push(1, "general", 0, at(0))
    queue.push(2, "general", 30, at(5))  # angry: ahead of everyone calmer, however long they waited
    queue.push(3, "general", 0, at(-10))
    queue.push(4, "general", 30, at(1))
    queue.push(5, "general", 10, at(60))
    assert queue.waiting(["general"]) == [("general", t) for t in (4, 2, 5, 3, 1)]
    assert [queue.position(t, "general") for t in (4, 2, 5, 3, 1)] == [1, 2, 3, 4, 5]


def test_waiting_merges_the_queues_asked_for_in_serving_order(queue: TicketQueue) -> None:
    queue.push(1, "tracking", 0, at(0))
    queue.push(2, "claims", 20, at(3))
    queue.push(3, "general", 0, at(-1))
    queue.push(4, "payments", 0, at(-5))  # not asked for
    assert queue.waiting(["tracking", "claims", "general"]) == [("claims", 2), ("general", 3), ("tracking", 1)]
    assert queue.waiting(["supervisor"]) == []


def test_a_priority_step_outranks_any_wait_even_a_years_long_one(queue: TicketQueue) -> None:
    queue.push(1, "general", 0, at(0))
    queue.push(2, "general", 1, at(0) + timedelta(days=3650))
    assert queue.waiting(["general"]) == [("general", 2), ("general", 1)]


def test_position_is_counted_within_its_own_queue_and_none_when_not_waiting(queue: TicketQueue) -> None:
    queue.push(1, "tracking", 0, at(0))
    queue.push(2, "general", 0, at(1))
    queue.push(3, "general", 0, at(2))
    assert queue.position(1, "tracking") == 1
    assert queue.position(3, "general") == 2
    assert queue.position(1, "general") is None  # waits, but elsewhere
    assert queue.position(99, "general") is None
    assert (queue.length("general"), queue.length("tracking"), queue.length("claims")) == (2, 1, 0)


def test_taking_a_ticket_moves_everyone_behind_it_up_one(queue: TicketQueue) -> None:
    for ticket in (1, 2, 3):
        queue.push(ticket, "general", 0, at(ticket))
    assert queue.take(2) is True
    assert queue.take(2) is False  # a second take finds nothing
    assert queue.position(2, "general") is None
    assert queue.position(3, "general") == 2
    assert queue.length("general") == 2


def test_of_many_agents_taking_one_ticket_at_once_exactly_one_gets_it(queue: TicketQueue) -> None:
    queue.push(7, "general", 0, at(0))
    start = threading.Barrier(8)
    results: list[bool] = []
    lock = threading.Lock()

    def click() -> None:
        start.wait()
        got = queue.take(7)
        with lock:
            results.append(got)

    threads = [threading.Thread(target=click) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False] * 7 + [True]
    assert queue.waiting(["general"]) == []


def test_take_from_says_whether_the_ticket_was_taken_waits_elsewhere_or_is_gone(queue: TicketQueue) -> None:
    queue.push(1, "claims", 20, at(0))
    queue.push(2, OFFLINE, 0, at(0))  # left after hours
    assert queue.take_from(1, ["general", "tracking"]) == ELSEWHERE
    assert queue.position(1, "claims") == 1  # only looked at, not taken
    assert queue.take_from(1, ["general", "claims"]) == TAKEN
    assert queue.take_from(1, ["general", "claims"]) == GONE
    assert queue.take_from(2, ["general"]) == ELSEWHERE
    assert queue.take_checked(2) is True  # every queue, the offline one too


def test_move_changes_the_queue_and_keeps_the_place_in_time(queue: TicketQueue) -> None:
    queue.push(1, "supervisor", 0, at(0))
    queue.push(2, "general", 0, at(-30))
    queue.push(3, "supervisor", 0, at(10))
    queue.move(2, "supervisor", 0, at(-30))  # transferred: waited longest, so next
    assert queue.waiting(["general"]) == []
    assert queue.waiting(["supervisor"]) == [("supervisor", 2), ("supervisor", 1), ("supervisor", 3)]
    queue.move(2, "supervisor", 0, at(-30))  # twice is the same as once
    assert queue.length("supervisor") == 3


def _tickets_in_sql(b: Backend, rows: list[tuple[str, int, float, str]]) -> list[int]:
    """Tickets (queue, priority, minutes after HANDOFF, status) on conversations of their own."""
    ids = []
    with b.db.session() as s:
        for n, (queue, priority, minutes, status) in enumerate(rows):
            conv = Conversation(sender_id=f"waiting-{n}", channel="rest", slots={}, meta={})
            s.add(conv)
            s.flush()
            ticket = Ticket(
                conversation_id=conv.id,
                status=status,
                reason="human_request",
                queue=queue,
                priority=priority,
                created_at=at(minutes),
                first_response_due=at(minutes + 3),
                summary="",
                context={},
            )
            s.add(ticket)
            s.flush()
            ids.append(ticket.id)
    return ids


def _waiting_in_sql(b: Backend) -> list[tuple[int, str, int, datetime]]:
    with b.db.session() as s:
        rows = s.execute(
            select(Ticket.id, Ticket.queue, Ticket.priority, Ticket.created_at).where(Ticket.status == QUEUED)
        ).all()
    return [(int(i), str(q), int(p), c) for i, q, p, c in rows]


def test_after_redis_loses_the_queues_a_take_says_unknown_instead_of_gone(backend: Backend, queue: TicketQueue) -> None:
    queue.push(1, "general", 0, at(0))
    queue.push(2, "general", 0, at(1))
    assert queue.is_built() and queue.take_checked(1) is True
    assert queue.take_checked(1) is False  # gone: someone took it
    backend.runtime.sync.flushdb()  # a Redis restart without persistence, a failover
    assert not queue.is_built()
    assert queue.waiting(["general"]) == []
    assert queue.take_checked(2) is None  # not "gone": ask SQL
    assert queue.take_from(2, ["general"]) == UNKNOWN
    assert queue.take(2) is False


def test_a_queue_rebuilt_from_sql_serves_in_the_same_order_as_before(backend: Backend, queue: TicketQueue) -> None:
    tickets = [
        ("general", 0, 0.0, QUEUED),
        ("general", 30, 4.0, QUEUED),
        ("claims", 20, 1.0, QUEUED),
        ("general", 0, -2.5, QUEUED),
        ("general", 0, 0.000001, QUEUED),  # a microsecond after the first: still behind it
        ("general", 0, -60.0, RESOLVED),  # done: not waiting
    ]
    ids = _tickets_in_sql(backend, tickets)
    for ticket_id, (q, priority, minutes, status) in zip(ids, tickets, strict=True):
        if status == QUEUED:
            queue.push(ticket_id, q, priority, at(minutes))
    before = queue.waiting(["general", "claims"])
    positions = {t: queue.position(t, q) for q, t in before}
    assert [t for _, t in before] == [ids[1], ids[2], ids[3], ids[0], ids[4]]

    backend.runtime.sync.flushdb()
    assert queue.rebuild(_waiting_in_sql(backend)) == 5
    assert queue.is_built()
    assert queue.waiting(["general", "claims"]) == before
    assert {t: queue.position(t, q) for q, t in before} == positions
    assert queue.take_checked(ids[5]) is False  # built again: a ticket in no queue is gone


def test_a_rebuild_replaces_what_redis_held_rather_than_adding_to_it(queue: TicketQueue) -> None:
    queue.push(1, "general", 0, at(0))  # stale: SQL no longer has it waiting
    queue.push(2, "tracking", 0, at(1))  # stale queue: SQL has it in claims now
    assert queue.rebuild([(2, "claims", 20, at(1)), (3, "general", 0, at(2))]) == 2
    assert queue.waiting(["general", "tracking", "claims"]) == [("claims", 2), ("general", 3)]
