"""Who sees which ticket (handoff/access.py), without a server."""

from __future__ import annotations

from handoff.access import Feed, Viewer, may_work, owners, queues_for, shown

WANG = Viewer(1, "agent", frozenset({"tracking", "general"}))
LI = Viewer(2, "agent", frozenset({"payments"}))
CHEN = Viewer(3, "supervisor", frozenset())
ROOT = Viewer(4, "admin", frozenset())
QUEUES = ["tracking", "payments", "claims", "general", "supervisor"]


def test_an_agent_works_the_queues_their_skills_cover_and_general() -> None:
    assert may_work(WANG, "tracking", []) and may_work(WANG, "general", [])
    assert not may_work(WANG, "supervisor", []) and not may_work(WANG, "claims", [])
    assert may_work(LI, "general", [])  # every queue overflows to general: everyone serves it
    assert queues_for(WANG, QUEUES) == ["tracking", "general"]
    assert queues_for(LI, QUEUES) == ["payments", "general"]


def test_supervisors_and_admins_see_every_queue() -> None:
    assert all(may_work(v, q, []) for v in (CHEN, ROOT) for q in QUEUES)
    assert queues_for(CHEN, QUEUES) == QUEUES


def test_a_ticket_someone_owns_or_owned_stays_theirs_to_see_wherever_it_went() -> None:
    assert may_work(WANG, "supervisor", [7, WANG.id])
    assert not may_work(LI, "supervisor", [7, WANG.id])


def test_owners_are_the_agent_now_whoever_claimed_it_and_whoever_it_was_passed_to() -> None:
    history = [
        ("queued", None, {}),
        ("claimed", 1, None),
        ("note", 5, {"text": "…"}),
        ("transferred", 1, {"to_agent": 2}),
        ("transferred", 2, {"to_queue": "supervisor"}),
        ("claimed", 3, None),
    ]
    assert owners(3, history) == [3, 1, 2]
    assert owners(None, [("queued", None, {})]) == []


def test_a_console_is_sent_the_events_of_tickets_it_may_see_and_everyone_s_presence() -> None:
    hidden = {"type": "ticket_queued", "ticket_id": 9, "queue": "supervisor", "owners": []}
    passed_on = {"type": "ticket_transferred", "ticket_id": 9, "queue": "supervisor", "owners": [WANG.id]}
    assert not shown(WANG, hidden) and shown(CHEN, hidden)
    assert shown(WANG, passed_on) and not shown(LI, passed_on)
    assert shown(LI, {"type": "presence", "agent_id": 3, "presence": "away"})
    assert not shown(WANG, {"type": "note", "ticket_id": 9})  # says nothing of its queue: not assumed open
    assert shown(CHEN, {"type": "note", "ticket_id": 9})


def test_a_console_hears_the_messages_of_the_tickets_it_sees_and_drops_one_passed_out_of_sight() -> None:
    feed = Feed(WANG)
    message = {"type": "message", "conversation_id": "c1", "sender_id": "alice", "state": "pending_handoff"}
    assert feed.admit(message) is None  # a conversation no ticket of hers is about
    queued = {"type": "ticket_queued", "ticket_id": 5, "conversation_id": "c1", "queue": "general", "owners": []}
    assert feed.admit(queued) == queued
    assert feed.admit(message) == message
    away = {"type": "ticket_transferred", "ticket_id": 5, "conversation_id": "c1", "queue": "claims", "owners": [9]}
    assert feed.admit(away) == {"type": "ticket_transferred", "ticket_id": 5}  # it went: no more than that
    assert feed.admit(message) is None and feed.admit(away) is None
    assert Feed(CHEN).admit(message) == message
