"""The production mode for real: PostgreSQL and Redis, several stateless instances, restarts.

Runs for real in CI (CI=true), where a missing service is a failure; elsewhere it skips
with the reason when PostgreSQL or Redis is not reachable.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
import redis
import websockets
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError

from bot.engine import OutboundMessage
from bot.nlu.parser import NLU
from core import db as db_module
from core.db import Database
from tests.conftest import IN_CI, ON_SERVICES, make_instance
from tests.servers import SIGNED, chat_socket_url, spawn_triage

PG_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _reachable() -> str | None:
    try:
        psycopg.connect(PG_URL, connect_timeout=3).close()
    except psycopg.Error as exc:
        return f"PostgreSQL at {PG_URL} is not reachable ({exc.__class__.__name__})"
    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=3).ping()
    except redis.RedisError as exc:
        return f"Redis at {REDIS_URL} is not reachable ({exc.__class__.__name__})"
    return None


_problem = _reachable()
if _problem and IN_CI:
    raise RuntimeError(f"CI must run the service tests for real: {_problem}")
pytestmark = [
    *ON_SERVICES,
    pytest.mark.skipif(_problem is not None, reason=_problem or ""),
]


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh schema per test, so runs never see each other's rows."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def say(base: str, sender: str, text: str) -> list[dict[str, object]]:
    response = httpx.post(
        f"{base}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=30, auth=SIGNED
    )
    assert response.status_code == 200, response.text
    return list(response.json())


def test_engine_on_postgres_and_redis_persists_every_turn(pg_url: str, nlu: NLU) -> None:
    from bot.engine import InboundMessage

    instance = make_instance(pg_url.replace("postgresql://", "postgresql+psycopg://"), nlu, REDIS_URL)
    sender = f"pg-{uuid.uuid4().hex[:8]}"
    replies = instance.engine.handle(InboundMessage(sender, "下单后多久发货"))
    assert "48小时" in replies[0].text
    instance.engine.handle(InboundMessage(sender, "转人工"))
    with instance.db.session() as session:
        from bot.store import find, transcript

        conv = find(session, sender_id=sender)
        assert conv is not None and conv.state == "pending_handoff"
        # the handoff line, then the queue position
        assert [m.direction for m in transcript(session, conversation_id=conv.id)] == ["in", "out", "in", "out", "out"]
        from handoff.models import Ticket

        ticket = session.scalars(select(Ticket).where(Ticket.conversation_id == conv.id)).one()
    assert instance.desk is not None and instance.desk.queue.position(ticket.id, ticket.queue) is not None
    instance.db.engine.dispose()


@pytest.fixture
def pg_database(pg_url: str) -> Iterator[Database]:
    db = Database(pg_url.replace("postgresql://", "postgresql+psycopg://"))
    yield db
    db.engine.dispose()


def _backend_pid(db: Database) -> int:
    with db.session() as session:
        return int(session.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _terminate(pid: int) -> None:
    with psycopg.connect(PG_URL, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))


def test_a_pooled_connection_dropped_while_idle_is_replaced_before_use(
    pg_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pool tests a connection that sat idle (core/db.py): one whose server process went
    away meanwhile (a restart, an idle timeout) is swapped for a fresh one unseen."""
    monkeypatch.setattr(db_module, "PING_AFTER_IDLE_SECONDS", 0.05)
    first = _backend_pid(pg_database)
    _terminate(first)
    time.sleep(0.2)
    assert _backend_pid(pg_database) != first


def test_a_connection_dropped_under_load_fails_one_statement_and_the_pool_starts_afresh(
    pg_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Used a moment ago, a connection is not tested (that was a round trip every turn): if it
    died, its statement fails with OperationalError (a 503, nothing saved), and SQLAlchemy
    throws away the pool, so the next request gets a fresh connection."""
    monkeypatch.setattr(db_module, "PING_AFTER_IDLE_SECONDS", 60.0)
    first = _backend_pid(pg_database)
    _terminate(first)
    with pytest.raises(OperationalError):
        _backend_pid(pg_database)
    assert _backend_pid(pg_database) != first


def test_two_instances_share_conversations_and_push_across_instances(pg_url: str, tmp_path: Path) -> None:
    env = {"DATABASE_URL": pg_url, "REDIS_URL": REDIS_URL}
    with spawn_triage(env, tmp_path) as (a, _), spawn_triage(env, tmp_path) as (b, _):
        health = httpx.get(f"{a}/health").json()
        assert health["mode"] == "production" and health["database"] == "ok" and health["redis"] == "ok"
        sender = f"multi-{uuid.uuid4().hex[:8]}"
        say(a, sender, "我的订单到哪了")
        # The slot asked for on instance A is filled on instance B: no state lives in a process.
        replies = say(b, sender, "YX20261105001234")
        assert "YX20261105001234" in str(replies[0]["text"])  # not in the demo data: asked to check it
        state = httpx.get(f"{a}/conversations/{sender}", auth=SIGNED).json()
        assert state["slots"]["requested_slot"] == "order_id" and state["slots"]["attempts"] == 1
        assert len(state["messages"]) == 4

        async def pushed_via_b() -> dict[str, object]:
            ws_url = chat_socket_url(b, sender)
            async with websockets.connect(ws_url) as ws:
                await asyncio.sleep(0.5)  # let the subscription settle
                # Another process (say an agent's instance) publishes for this customer.
                redis.Redis.from_url(REDIS_URL).publish(
                    f"chat:{sender}", json.dumps(OutboundMessage(sender, "您好，我是客服王芳").as_rasa())
                )
                return dict(json.loads(await asyncio.wait_for(ws.recv(), timeout=10)))

        assert asyncio.run(pushed_via_b())["text"] == "您好，我是客服王芳"


def test_killing_the_server_mid_conversation_loses_nothing(pg_url: str, tmp_path: Path) -> None:
    env = {"DATABASE_URL": pg_url, "REDIS_URL": REDIS_URL}
    sender = f"kill-{uuid.uuid4().hex[:8]}"
    with spawn_triage(env, tmp_path) as (base, proc):
        say(base, sender, "我的订单到哪了")
        proc.kill()  # no graceful shutdown
        proc.wait()
    with spawn_triage(env, tmp_path) as (base, _):
        state = httpx.get(f"{base}/conversations/{sender}", auth=SIGNED).json()
        assert [m["direction"] for m in state["messages"]] == ["in", "out"]
        assert state["slots"]["requested_slot"] == "order_id"
        replies = say(base, sender, "YX20261105001234")
        assert "YX20261105001234" in str(replies[0]["text"])


def _desk_redis(db: int) -> str:
    """A Redis database of its own for a desk test, emptied first (queues are global keys)."""
    url = REDIS_URL.rsplit("/", 1)[0] + f"/{db}"
    redis.Redis.from_url(url).flushdb()
    return url


def test_100_agents_claiming_the_same_1000_tickets_each_end_up_owned_once(pg_url: str, nlu: NLU) -> None:
    import random
    import threading
    from datetime import timedelta

    from bot.store import Conversation
    from handoff.agents import hash_password
    from handoff.errors import Conflict
    from handoff.models import Agent, Ticket, TicketEvent

    instance = make_instance(pg_url.replace("postgresql://", "postgresql+psycopg://"), nlu, _desk_redis(7))
    desk = instance.desk
    assert desk is not None
    hashed = hash_password("x")
    with instance.db.session() as s:
        agents = [
            Agent(username=f"a{i}", display_name=f"A{i}", password_hash=hashed, skills=["general"], max_chats=1000)
            for i in range(100)
        ]
        s.add_all(agents)
        convs = [Conversation(sender_id=f"c{i}", channel="rest", slots={}, meta={}) for i in range(1000)]
        s.add_all(convs)
        s.flush()
        now = desk.now()
        s.add_all(
            Ticket(
                conversation_id=c.id,
                reason="human_request",
                queue="general",
                created_at=now + timedelta(microseconds=i),
                first_response_due=now + timedelta(minutes=3),
                summary="",
                context={},
            )
            for i, c in enumerate(convs)
        )
        agent_ids = [a.id for a in agents]
    with instance.db.session() as s:
        assert desk.reconcile(s) == 1000
        ticket_ids = [t for _, t in desk.queue.waiting(["general"])]
    assert len(ticket_ids) == 1000

    won: dict[int, list[int]] = {}
    lock = threading.Lock()
    start = threading.Barrier(100)

    def agent_clicks(agent_id: int) -> None:
        order = ticket_ids[:]
        random.Random(agent_id).shuffle(order)
        with instance.db.session() as s:
            me = s.get_one(Agent, agent_id)
            s.expunge(me)
        start.wait()
        for ticket_id in order:
            try:
                with instance.db.session() as s:
                    desk.claim(s, ticket_id, me)
            except Conflict:
                continue
            with lock:
                won.setdefault(ticket_id, []).append(agent_id)

    threads = [threading.Thread(target=agent_clicks, args=(a,)) for a in agent_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(won) == sorted(ticket_ids)
    assert all(len(owners) == 1 for owners in won.values())
    with instance.db.session() as s:
        rows = s.execute(select(Ticket.id, Ticket.agent_id, Ticket.status)).all()
        assert all(status == "assigned" for _, _, status in rows)
        assert {tid: aid for tid, aid, _ in rows} == {tid: owners[0] for tid, owners in won.items()}
        claims = s.scalars(select(TicketEvent.ticket_id).where(TicketEvent.kind == "claimed")).all()
        assert sorted(claims) == sorted(ticket_ids)
    assert desk.queue.waiting(["general"]) == []
    instance.db.engine.dispose()


def _agent_token(
    base: str, pg: str, username: str = "desk1", *, skills: list[str] | None = None, max_chats: int = 3
) -> dict[str, str]:
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from handoff.agents import hash_password
    from handoff.models import Agent

    db = create_engine(pg.replace("postgresql://", "postgresql+psycopg://"))
    with Session(db) as s, s.begin():
        if s.scalars(select(Agent).where(Agent.username == username)).first() is None:
            s.add(
                Agent(
                    username=username,
                    display_name="值班",
                    password_hash=hash_password("pw-for-tests"),
                    skills=skills or ["general", "tracking", "payments", "claims", "supervisor"],
                    max_chats=max_chats,
                )
            )
    db.dispose()
    token = httpx.post(f"{base}/api/agent/login", json={"username": username, "password": "pw-for-tests"}).json()[
        "token"
    ]
    return {"Authorization": f"Bearer {token}"}


DESK_HOURS = {"TRIAGE_FROZEN_NOW": "2026-11-23T10:00:00+08:00"}  # the desk is open in these runs


def test_killing_the_server_mid_queue_loses_no_ticket_and_no_message(pg_url: str, tmp_path: Path) -> None:
    env = {"DATABASE_URL": pg_url, "REDIS_URL": _desk_redis(8), **DESK_HOURS}
    with spawn_triage(env, tmp_path) as (base, proc):
        say(base, "wait-1", "转人工")
        say(base, "wait-2", "我要投诉，转人工")
        say(base, "wait-1", "我的订单号是 YX20261121000001")  # joins the ticket while waiting
        proc.kill()  # no graceful shutdown
        proc.wait()
    with spawn_triage(env, tmp_path) as (base, _):
        headers = _agent_token(base, pg_url)
        waiting = httpx.get(f"{base}/api/agent/queue", headers=headers).json()["waiting"]
        assert len(waiting) == 2
        details = [httpx.get(f"{base}/api/agent/tickets/{t['id']}", headers=headers).json() for t in waiting]
        detail = next(d for d in details if d["sender_id"] == "wait-1")
        first = {"id": detail["id"]}
        assert [m["text"] for m in detail["messages"] if m["direction"] == "in"] == [
            "转人工",
            "我的订单号是 YX20261121000001",
        ]
        assert httpx.post(f"{base}/api/agent/tickets/{first['id']}/claim", headers=headers).status_code == 200


def test_queue_is_rebuilt_from_sql_after_redis_is_flushed(pg_url: str, tmp_path: Path) -> None:
    import time

    redis_url = _desk_redis(9)
    env = {"DATABASE_URL": pg_url, "REDIS_URL": redis_url, **DESK_HOURS}
    with spawn_triage(env, tmp_path) as (base, _):
        for sender in ("f1", "f2", "f3"):
            say(base, sender, "转人工")
        headers = _agent_token(base, pg_url)
        before = [t["id"] for t in httpx.get(f"{base}/api/agent/queue", headers=headers).json()["waiting"]]
        assert len(before) == 3
        redis.Redis.from_url(redis_url).flushdb()
        deadline = time.monotonic() + 30
        after: list[int] = []
        while time.monotonic() < deadline:  # until the whole queue is back (a sweep may be mid-way)
            after = [t["id"] for t in httpx.get(f"{base}/api/agent/queue", headers=headers).json()["waiting"]]
            if after == before:
                break
            time.sleep(0.5)
        assert after == before  # same tickets, same order, from SQL


def test_one_conversation_written_to_two_instances_at_once_stays_in_order(pg_url: str, tmp_path: Path) -> None:
    """Ten messages fired together, alternately at two instances: each is answered once, and
    the transcript pairs every message with its own replies (the Redis lock serialises turns)."""
    from concurrent.futures import ThreadPoolExecutor

    env = {"DATABASE_URL": pg_url, "REDIS_URL": REDIS_URL}
    questions = ["下单后多久发货", "运费多少钱", "可以开发票吗", "支持花呗吗", "怎么退货"] * 2
    sender = f"alt-{uuid.uuid4().hex[:8]}"
    with spawn_triage(env, tmp_path) as (a, _), spawn_triage(env, tmp_path) as (b, _):
        with ThreadPoolExecutor(10) as pool:
            replies = list(pool.map(lambda i: say((a, b)[i % 2], sender, questions[i]), range(10)))
        assert all(r for r in replies)  # every message answered
        messages = httpx.get(f"{a}/conversations/{sender}", auth=SIGNED).json()["messages"]
    inbound = [m for m in messages if m["direction"] == "in"]
    assert sorted(m["text"] for m in inbound) == sorted(questions)  # none lost, none doubled
    # After each customer message come that message's replies, before the next message.
    turns: list[list[str]] = []
    for m in messages:
        if m["direction"] == "in":
            turns.append([])
        else:
            turns[-1].append(m["text"])
    assert all(turns) and len(turns) == 10


def test_simultaneous_claims_by_one_agent_across_two_instances_respect_max_chats(pg_url: str, tmp_path: Path) -> None:
    """Eight claims at once by an agent with two seats, alternately at two instances: two chats
    are theirs, the other six are refused and still waiting (the agent's row is locked while
    their open chats are counted and the claim is made)."""
    from concurrent.futures import ThreadPoolExecutor

    env = {"DATABASE_URL": pg_url, "REDIS_URL": _desk_redis(10), **DESK_HOURS}
    with spawn_triage(env, tmp_path) as (a, _), spawn_triage(env, tmp_path) as (b, _):
        for i in range(8):
            say(a, f"cap-{i}", "转人工")
        headers = _agent_token(a, pg_url, "capped", skills=["general"], max_chats=2)
        ids = [t["id"] for t in httpx.get(f"{a}/api/agent/queue", headers=headers).json()["waiting"]]
        assert len(ids) == 8

        def claim(i: int) -> int:
            base = (a, b)[i % 2]
            return httpx.post(f"{base}/api/agent/tickets/{ids[i]}/claim", headers=headers, timeout=30).status_code

        with ThreadPoolExecutor(8) as pool:
            codes = list(pool.map(claim, range(8)))
        assert sorted(codes) == [200] * 2 + [409] * 6
        listing = httpx.get(f"{b}/api/agent/queue", headers=headers).json()
        assert len(listing["mine"]) == 2 and len(listing["waiting"]) == 6


_HOLD_TURN = """
import sys, time
from core.runtime import Runtime
turn = Runtime(sys.argv[1]).lock(sys.argv[2])
turn.__enter__()  # an instance in the middle of this conversation's turn
print("held", flush=True)
time.sleep(120)
"""


def test_a_conversation_whose_instance_was_killed_mid_turn_answers_again_within_seconds(
    pg_url: str, tmp_path: Path
) -> None:
    """The instance holding a conversation's lock is SIGKILLed: the lock's lease runs out and
    the next message, to another instance, is answered within seconds instead of a 503."""
    import signal
    import subprocess
    import sys

    from core.runtime import LEASE_SECONDS

    sender = f"lease-{uuid.uuid4().hex[:8]}"
    env = {"DATABASE_URL": pg_url, "REDIS_URL": REDIS_URL}
    with spawn_triage(env, tmp_path) as (base, _):
        holder = subprocess.Popen(
            [sys.executable, "-c", _HOLD_TURN, REDIS_URL, f"conversation:{sender}"], stdout=subprocess.PIPE
        )
        try:
            assert holder.stdout is not None and holder.stdout.readline().strip() == b"held"
            holder.send_signal(signal.SIGKILL)
            holder.wait()
            started = time.monotonic()
            replies = say(base, sender, "下单后多久发货")
            assert time.monotonic() - started <= LEASE_SECONDS + 2.0
            assert "48小时" in str(replies[0]["text"])
        finally:
            holder.kill()
            holder.wait()
            assert holder.stdout is not None
            holder.stdout.close()


def test_a_service_test_holds_the_machine_wide_lock_so_two_runs_take_turns() -> None:
    from filelock import FileLock, Timeout

    from tests.conftest import SERVICES_LOCK

    other_run = FileLock(SERVICES_LOCK, timeout=0)
    with pytest.raises(Timeout):
        other_run.acquire()
