"""The live floor (现场管理): its snapshot (handoff/floor.py), a supervisor's whisper and take-over
(handoff/operations.py), and the floor API (staff/floor_api.py), supervisors only."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.escalation import DESK_CHANNEL, Notice
from bot.store import PENDING_HANDOFF, Conversation, Message
from core.db import Database
from core.runtime import customer_channel
from handoff.access import Viewer
from handoff.agents import hash_password
from handoff.desk import load_desk
from handoff.errors import Conflict, DeskError
from handoff.floor import DUE_SOON, MISSED, Member, OpenTicket, floor, hears_whisper, snapshot
from handoff.models import ASSIGNED, QUEUED, Agent, Ticket, TicketEvent
from handoff.operations import Operations
from handoff.state import DeskState
from tests.conftest import Chat
from tests.desk_parts import MONDAY_10AM, desk_database, desk_state
from triage.wiring import Instance

NOW = MONDAY_10AM
RULES = load_desk()
PASSWORD = "floor-test-pw"


# ---------------------------------------------------------------- the snapshot, pure


def member(id: int, name: str, skills: tuple[str, ...], presence: str = "online", max_chats: int = 3) -> Member:
    return Member(id, name.lower(), name, "agent", presence, skills, max_chats, NOW - timedelta(hours=1))


def ticket(
    id: int,
    queue: str,
    *,
    waited: float,
    status: str = QUEUED,
    agent_id: int | None = None,
    due_in: float = 3,
    answered: bool = False,
) -> OpenTicket:
    """A ticket handed over `waited` minutes ago whose first response is due in `due_in` minutes."""
    created = NOW - timedelta(minutes=waited)
    return OpenTicket(
        id=id,
        conversation_id=f"c{id}",
        sender_id=f"s{id}",
        customer=None,
        status=status,
        queue=queue,
        priority=0,
        labels=(),
        reason="human_request",
        summary="客户说：转人工\n原因：客户要求转人工",
        created_at=created,
        assigned_at=NOW - timedelta(minutes=1) if status == ASSIGNED else None,
        agent_id=agent_id,
        first_response_due=NOW + timedelta(minutes=due_in),
        first_response_at=NOW if answered else None,
        sla_breached=False,
    )


def test_the_floor_counts_each_queue_its_oldest_wait_and_the_first_responses_at_risk() -> None:
    wang, li = member(1, "Wang", ("tracking", "general")), member(2, "Li", ("payments", "general"), presence="away")
    tickets = [
        ticket(10, "tracking", waited=2.5, due_in=0.5),  # due in 30 s: about to be missed
        ticket(11, "tracking", waited=1, due_in=2),
        ticket(12, "general", waited=4, due_in=-1),  # late already
        ticket(13, "tracking", waited=5, status=ASSIGNED, agent_id=1, due_in=-2, answered=True),  # answered
        ticket(14, "general", waited=2.8, status=ASSIGNED, agent_id=1, due_in=0.2),  # claimed, no reply yet
    ]
    order = [("tracking", 10), ("general", 12), ("tracking", 11)]
    shown = floor(NOW, RULES.queues, [wang, li], tickets, order, after_hours=2)

    queues = {q["id"]: q for q in shown["queues"]}
    tracking, general = queues["tracking"], queues["general"]
    assert (tracking["waiting"], tracking["serving"], tracking["oldest_wait_seconds"]) == (2, 1, 150)
    assert (tracking["due_soon"], tracking["missed"]) == (1, 0)
    assert [d["ticket_id"] for d in tracking["first_response_due"]] == [10]
    assert (general["waiting"], general["due_soon"], general["missed"]) == (1, 1, 1)
    assert [(d["ticket_id"], d["risk"]) for d in general["first_response_due"]] == [(12, MISSED), (14, DUE_SOON)]
    assert queues["claims"]["waiting"] == 0 and queues["claims"]["oldest_wait_seconds"] is None
    assert tracking["agents_online"] == 1 and tracking["seats_free"] == 1  # Wang holds 2 of 3; Li is away

    assert shown["totals"] == {
        "waiting": 3,
        "serving": 2,
        "after_hours": 2,
        "agents_online": 1,
        "seats_free": 1,
        "due_soon": 2,
        "missed": 1,
    }
    agents = {a["id"]: a for a in shown["agents"]}
    assert (agents[1]["open_chats"], agents[1]["max_chats"], agents[1]["tickets"]) == (2, 3, [13, 14])
    assert agents[2]["open_chats"] == 0 and agents[2]["presence"] == "away"
    assert [a["id"] for a in shown["agents"]] == [1, 2]  # online first

    # Waiting ones as they are served, then those being served, longest first.
    rows = shown["tickets"]
    assert [t["id"] for t in rows] == [10, 12, 11, 13, 14]
    assert [t["position"] for t in rows[:3]] == [1, 1, 2]
    served = {t["id"]: t for t in rows}[14]
    assert (served["agent_name"], served["served_seconds"], served["risk"]) == ("Wang", 60, DUE_SOON)
    assert served["summary"] == "客户说：转人工"
    # 11 becomes due soon at 10:01 (due 10:02, a minute before): nothing announces that, so look again then.
    assert shown["recheck_at"] == (NOW + timedelta(minutes=1)).isoformat()


def test_how_soon_counts_as_at_risk_is_the_callers() -> None:
    tickets = [ticket(1, "general", waited=0, due_in=3)]
    assert floor(NOW, RULES.queues, [], tickets)["totals"]["due_soon"] == 0
    assert floor(NOW, RULES.queues, [], tickets, within=timedelta(minutes=5))["totals"]["due_soon"] == 1


# ---------------------------------------------------------------- whisper and take over, without a server


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


def person(db: Database, username: str, skills: list[str], role: str = "agent") -> Agent:
    with db.session() as s:
        row = Agent(
            username=username,
            display_name=username.title(),
            password_hash="-",
            skills=skills,
            role=role,
            presence="online",
        )
        s.add(row)
        s.flush()
        s.expunge(row)
        return row


def waiting(db: Database, state: DeskState, sender: str, queue: str = "general", waited: float = 0) -> int:
    with db.session() as s:
        conv = Conversation(sender_id=sender, channel="rest", state=PENDING_HANDOFF, slots={}, meta={})
        s.add(conv)
        s.flush()
        created = MONDAY_10AM - timedelta(minutes=waited)
        row = Ticket(
            conversation_id=conv.id,
            reason="human_request",
            queue=queue,
            created_at=created,
            first_response_due=created + timedelta(minutes=3),
        )
        s.add(row)
        s.flush()
        state.queue.push(row.id, queue, 0, created)
        return row.id


def test_the_snapshot_reads_sql_and_the_redis_order(db: Database, state: DeskState, work: Operations) -> None:
    wang = person(db, "wang", ["tracking", "general"])
    person(db, "chen", ["supervisor"], role="supervisor")
    person(db, "editor", [], role="kb_editor")  # no chats: not on the floor
    older, newer, served = (
        waiting(db, state, "a", waited=2.5),
        waiting(db, state, "b", waited=1),
        waiting(db, state, "c", "tracking"),
    )
    with db.session() as s:
        work.claim(s, served, wang)
    with db.session() as s:
        shown = snapshot(s, state)
    assert [a["username"] for a in shown["agents"]] == ["wang", "chen"]
    assert shown["agents"][0]["open_chats"] == 1
    general = next(q for q in shown["queues"] if q["id"] == "general")
    assert (general["waiting"], general["oldest_wait_seconds"], general["due_soon"]) == (2, 150, 1)
    assert [(t["id"], t["status"], t["position"]) for t in shown["tickets"]] == [
        (older, QUEUED, 1),
        (newer, QUEUED, 2),
        (served, ASSIGNED, None),
    ]
    assert shown["tickets"][2]["agent_name"] == "Wang" and shown["tickets"][2]["sender_id"] == "c"


def test_a_whisper_is_kept_for_the_agent_and_announced_to_the_desk_only(
    db: Database, state: DeskState, work: Operations
) -> None:
    wang, chen = person(db, "wang", ["general"]), person(db, "chen", [], role="supervisor")
    ticket_id = waiting(db, state, "c1")
    with db.session() as s:
        work.claim(s, ticket_id, wang)
    with db.session() as s:
        (notice,) = work.whisper(s, ticket_id, chen, "客户是老客户，先道歉")
    assert notice.sender_id is None and not notice.text  # nothing for the customer or their channel
    assert notice.desk_event is not None
    assert {k: notice.desk_event[k] for k in ("type", "ticket_id", "from_agent_id", "to_agent_id")} == {
        "type": "whisper",
        "ticket_id": ticket_id,
        "from_agent_id": chen.id,
        "to_agent_id": wang.id,
    }
    assert "客户是老客户" not in str(notice.desk_event)  # the words stay in SQL, for who may read them
    with db.session() as s:
        event = s.scalars(select(TicketEvent).where(TicketEvent.kind == "whisper")).one()
        assert (event.agent_id, event.data) == (chen.id, {"text": "客户是老客户，先道歉", "to_agent_id": wang.id})
        assert not s.scalars(select(Message).where(Message.text.contains("老客户"))).all()


def test_only_a_supervisor_whispers_and_only_to_someone_serving_the_chat(
    db: Database, state: DeskState, work: Operations
) -> None:
    wang, li = person(db, "wang", ["general"]), person(db, "li", ["general"])
    chen = person(db, "chen", [], role="supervisor")
    ticket_id = waiting(db, state, "c1")
    with db.session() as s, pytest.raises(Conflict, match="nobody is serving"):
        work.whisper(s, ticket_id, chen, "在吗")
    with db.session() as s:
        work.claim(s, ticket_id, wang)
    with db.session() as s, pytest.raises(DeskError, match="only supervisors"):
        work.whisper(s, ticket_id, li, "悄悄说")
    with db.session() as s, pytest.raises(DeskError, match="needs a text"):
        work.whisper(s, ticket_id, chen, "   ")


def test_who_reads_a_whisper() -> None:
    data = {"text": "…", "to_agent_id": 1}
    assert hears_whisper(Viewer(1, "agent", frozenset()), 3, data)  # written to
    assert hears_whisper(Viewer(3, "supervisor", frozenset()), 3, data)  # wrote it
    assert hears_whisper(Viewer(4, "admin", frozenset()), 3, data)
    assert not hears_whisper(Viewer(2, "agent", frozenset({"general"})), 3, data)  # a colleague


def test_a_supervisor_takes_over_a_chat_and_the_customer_hears_their_name(
    db: Database, state: DeskState, work: Operations
) -> None:
    wang, chen = person(db, "wang", ["general"]), person(db, "chen", [], role="supervisor")
    ticket_id = waiting(db, state, "c1")
    with db.session() as s:
        work.claim(s, ticket_id, wang)
    with db.session() as s:
        greeting, event = work.take_over(s, ticket_id, chen)
    assert greeting.sender_id == "c1" and "Chen" in greeting.text
    assert greeting.custom["agent_name"] == "Chen"
    assert event.desk_event is not None and event.desk_event["type"] == "ticket_taken_over"
    assert event.desk_event["from_agent_id"] == wang.id and wang.id in event.desk_event["owners"]
    with db.session() as s:
        row = s.get_one(Ticket, ticket_id)
        assert (row.status, row.agent_id) == (ASSIGNED, chen.id)
        taken = s.scalars(select(TicketEvent).where(TicketEvent.kind == "taken_over")).one()
        assert (taken.agent_id, taken.data) == (chen.id, {"from_agent": wang.id})
    with db.session() as s, pytest.raises(DeskError, match="already yours"):
        work.take_over(s, ticket_id, chen)
    with db.session() as s, pytest.raises(Conflict, match="not yours"):
        work.reply(s, ticket_id, wang, "我还在")


def test_a_chat_nobody_serves_is_claimed_not_taken_over(db: Database, state: DeskState, work: Operations) -> None:
    chen = person(db, "chen", [], role="supervisor")
    ticket_id = waiting(db, state, "c1")
    with db.session() as s, pytest.raises(Conflict, match="claim it"):
        work.take_over(s, ticket_id, chen)


# ---------------------------------------------------------------- the API


@pytest.fixture
def desk(instance: Instance) -> Instance:
    with instance.db.session() as s:
        hashed = hash_password(PASSWORD)
        s.add_all(
            [
                Agent(username="wang", display_name="王芳", password_hash=hashed, skills=["tracking", "general"]),
                Agent(username="li", display_name="李军", password_hash=hashed, skills=["payments", "general"]),
                Agent(
                    username="chen", display_name="陈磊", password_hash=hashed, role="supervisor", skills=["general"]
                ),
                Agent(username="editor", display_name="编辑", password_hash=hashed, role="kb_editor", skills=[]),
            ]
        )
    return instance


def login(client: TestClient, username: str) -> dict[str, str]:
    response = client.post("/api/agent/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def token(headers: dict[str, str]) -> str:
    return headers["Authorization"].removeprefix("Bearer ")


def handed_over(client: TestClient, desk: Instance, sender: str) -> int:
    Chat(client, sender).say("转人工")
    with desk.db.session() as s:
        return s.scalars(
            select(Ticket.id)
            .join(Conversation, Conversation.id == Ticket.conversation_id)
            .where(Conversation.sender_id == sender)
        ).one()


def heard(ws: Any, until: Callable[[dict[str, Any]], bool], timeout: float = 10) -> list[dict[str, Any]]:
    """What the socket says until an event matches `until` (a failure if none comes in time)."""
    seen: list[dict[str, Any]] = []

    def read() -> None:
        while True:
            event = ws.receive_json()
            seen.append(event)
            if until(event):
                return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout)
    assert not reader.is_alive(), f"never came; heard {seen}"
    return seen


def test_the_floor_is_for_supervisors_and_admins(client: TestClient, desk: Instance) -> None:
    assert client.get("/api/floor").status_code == 401
    for who in ("wang", "editor"):
        refused = client.get("/api/floor", headers=login(client, who))
        assert refused.status_code == 403 and "supervisors" in refused.json()["detail"]
    wang = login(client, "wang")
    ticket_id = handed_over(client, desk, "c1")
    assert client.post(f"/api/agent/tickets/{ticket_id}/claim", headers=wang).status_code == 200
    for path, body in (("whisper", {"text": "x"}), ("take-over", None)):
        assert client.post(f"/api/floor/tickets/{ticket_id}/{path}", headers=wang, json=body).status_code == 403
    page = client.get("/floor")
    assert page.status_code == 200 and "现场管理" in page.text
    # The policy allows the app's own scripts and styles only: nothing inline.
    assert re.search(r"<script[^>]*\bsrc=", page.text)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page.text)
    assert not re.search(r"<style\b|\sstyle=|\son[a-z]+=", page.text)


def test_the_floor_shows_a_ticket_queue_claimed_and_resolved(client: TestClient, desk: Instance) -> None:
    chen, wang = login(client, "chen"), login(client, "wang")
    ticket_id = handed_over(client, desk, "c1")
    shown = client.get("/api/floor", headers=chen).json()
    general = next(q for q in shown["queues"] if q["id"] == "general")
    assert (general["waiting"], shown["totals"]["agents_online"]) == (1, 2)  # 王芳 and 陈磊 logged in
    assert [(t["id"], t["status"], t["agent_name"]) for t in shown["tickets"]] == [(ticket_id, QUEUED, None)]

    client.post(f"/api/agent/tickets/{ticket_id}/claim", headers=wang)
    shown = client.get("/api/floor", headers=chen).json()
    assert [(t["id"], t["status"], t["agent_name"]) for t in shown["tickets"]] == [(ticket_id, ASSIGNED, "王芳")]
    assert next(a for a in shown["agents"] if a["name"] == "王芳")["open_chats"] == 1
    assert client.get(f"/api/agent/tickets/{ticket_id}", headers=chen).status_code == 200  # read without claiming

    client.post(f"/api/agent/tickets/{ticket_id}/resolve", headers=wang)
    shown = client.get("/api/floor", headers=chen).json()
    assert shown["tickets"] == [] and shown["totals"]["serving"] == 0
    assert client.get("/api/floor?at_risk_minutes=0", headers=chen).status_code == 422


def test_a_whisper_reaches_the_agents_console_and_never_the_customer(client: TestClient, desk: Instance) -> None:
    chen, wang, li = login(client, "chen"), login(client, "wang"), login(client, "li")
    ticket_id = handed_over(client, desk, "c1")
    client.post(f"/api/agent/tickets/{ticket_id}/claim", headers=wang)

    published: list[tuple[str, dict[str, Any]]] = []
    delivered: list[Notice] = []
    publish, deliver = desk.runtime.publish, desk.engine.deliver

    def record_publish(channel: str, message: dict[str, Any]) -> None:
        published.append((channel, message))
        publish(channel, message)

    def record_deliver(notices: list[Notice]) -> None:
        delivered.extend(notices)
        deliver(notices)

    desk.runtime.publish = record_publish  # type: ignore[method-assign]
    desk.engine.deliver = record_deliver  # type: ignore[method-assign]
    with client.websocket_connect(f"/ws/agent?token={token(wang)}") as ws:
        assert ws.receive_json()["type"] == "hello"
        sent = client.post(
            f"/api/floor/tickets/{ticket_id}/whisper", headers=chen, json={"text": "客户是老客户，语气放软"}
        )
        assert sent.status_code == 200, sent.text
        seen = heard(ws, lambda e: e.get("type") == "whisper")
    with desk.db.session() as s:
        wang_id = s.scalars(select(Agent.id).where(Agent.username == "wang")).one()
    assert seen[-1]["ticket_id"] == ticket_id and seen[-1]["to_agent_id"] == wang_id

    # Told to the desk only: no customer channel, nothing for a chat app to push.
    assert [channel for channel, _ in published] == [DESK_CHANNEL]
    assert customer_channel("c1") not in [channel for channel, _ in published]
    assert all(n.sender_id is None for n in delivered)
    transcript = client.get("/conversations/c1").json()["messages"]
    assert not any("老客户" in (m["text"] or "") for m in transcript)

    # In the ticket for the agent it was written to and the supervisors; not for a colleague who
    # may read the ticket (general is his queue too).
    def whispers(headers: dict[str, str]) -> list[str]:
        events = client.get(f"/api/agent/tickets/{ticket_id}", headers=headers).json()["events"]
        return [e["data"]["text"] for e in events if e["kind"] == "whisper"]

    assert whispers(wang) == whispers(chen) == ["客户是老客户，语气放软"]
    assert whispers(li) == []


def test_taking_over_moves_the_chat_and_tells_the_agent_and_the_customer(client: TestClient, desk: Instance) -> None:
    chen, wang = login(client, "chen"), login(client, "wang")
    ticket_id = handed_over(client, desk, "c1")
    client.post(f"/api/agent/tickets/{ticket_id}/claim", headers=wang)
    with client.websocket_connect(f"/ws/agent?token={token(wang)}") as ws:
        assert ws.receive_json()["type"] == "hello"
        taken = client.post(f"/api/floor/tickets/{ticket_id}/take-over", headers=chen)
        assert taken.status_code == 200, taken.text
        seen = heard(ws, lambda e: e.get("type") == "ticket_taken_over")
    with desk.db.session() as s:
        chen_id, wang_id = (s.scalars(select(Agent.id).where(Agent.username == u)).one() for u in ("chen", "wang"))
    assert taken.json()["agent_id"] == chen_id
    assert (seen[-1]["agent_id"], seen[-1]["from_agent_id"]) == (chen_id, wang_id)
    transcript = client.get("/conversations/c1").json()["messages"]
    assert "陈磊" in transcript[-1]["text"]
    assert client.post(f"/api/agent/tickets/{ticket_id}/reply", headers=wang, json={"text": "我在"}).status_code == 409
    assert client.get(f"/api/agent/tickets/{ticket_id}", headers=wang).status_code == 200  # hers before: she reads on
    assert (
        client.post(f"/api/agent/tickets/{ticket_id}/reply", headers=chen, json={"text": "我来处理"}).status_code == 200
    )
    again = client.post(f"/api/floor/tickets/{ticket_id}/take-over", headers=chen)
    assert again.status_code == 400 and "already yours" in again.json()["detail"]
