"""Faults done for real: Redis and PostgreSQL restarted under a running instance.

The servers are this machine's own (see .ci/run): the tests stop and start them, so they run
only where they can (CI=true, or TRIAGE_FAULT_TESTS=1 on a machine of the same kind) and
always leave the service running. A request during an outage fails cleanly (503, "nothing was
saved"); afterwards the same instance carries on, and nothing it acknowledged is lost.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import httpx
import psycopg
import pytest
import redis
import websockets

from tests.conftest import IN_CI, ON_SERVICES
from tests.servers import SIGNED, chat_socket_url, spawn_triage
from tests.test_services import DESK_HOURS, PG_URL, REDIS_URL, _agent_token, _problem, pg_url, say

__all__ = ["pg_url"]  # the fixture, used here by name

ENABLED = IN_CI or os.environ.get("TRIAGE_FAULT_TESTS") == "1"
CAN_CONTROL = shutil.which("pg_ctlcluster") is not None and shutil.which("redis-server") is not None
pytestmark = [
    *ON_SERVICES,
    pytest.mark.skipif(_problem is not None, reason=_problem or ""),
    pytest.mark.skipif(
        not ENABLED, reason="restarts this machine's PostgreSQL and Redis: CI=true or TRIAGE_FAULT_TESTS=1"
    ),
    pytest.mark.skipif(not CAN_CONTROL, reason="needs pg_ctlcluster and redis-server to restart the services"),
]
REDIS_START = [
    "redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "-::1", "--port", "6379", "--save", "",
    "--appendonly", "no", "--dir", "/var/lib/redis", "--logfile", "/var/log/redis/ci.log",
]  # fmt: skip


def _wait(check: object, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():  # type: ignore[operator]
                return
        except Exception:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{what} did not happen in {timeout}s")


def stop_redis() -> None:
    subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", "6379", "shutdown", "nosave"], check=False)
    _wait(lambda: not _redis_up(), "Redis stopping")


def start_redis() -> None:
    if not _redis_up():
        subprocess.run(REDIS_START, check=True)
    _wait(_redis_up, "Redis starting")


def _redis_up() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=1).ping())
    except redis.RedisError:
        return False


def _cluster() -> str:
    return sorted(os.listdir("/etc/postgresql"))[-1]


def stop_postgres() -> None:
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", _cluster(), "main", "stop", "-m", "fast"], check=True)
    _wait(lambda: not _postgres_up(), "PostgreSQL stopping")


def start_postgres() -> None:
    if not _postgres_up():
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", _cluster(), "main", "start"], check=False)
    _wait(_postgres_up, "PostgreSQL starting", timeout=60)


def _postgres_up() -> bool:
    try:
        psycopg.connect(PG_URL, connect_timeout=1).close()
        return True
    except psycopg.Error:
        return False


def post(base: str, sender: str, text: str) -> httpx.Response:
    return httpx.post(
        f"{base}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=30, auth=SIGNED
    )


def inbound(base: str, sender: str) -> list[str]:
    messages = httpx.get(f"{base}/conversations/{sender}", timeout=30, auth=SIGNED).json()["messages"]
    return [m["text"] for m in messages if m["direction"] == "in"]


def test_redis_restart_mid_queue_refuses_cleanly_then_the_queue_and_pushes_come_back(
    pg_url: str, tmp_path: Path
) -> None:
    env = {"DATABASE_URL": pg_url, "REDIS_URL": REDIS_URL.rsplit("/", 1)[0] + "/0", **DESK_HOURS}
    sender = f"redis-{uuid.uuid4().hex[:8]}"
    with spawn_triage(env, tmp_path) as (base, _):
        say(base, sender, "下单后多久发货")
        say(base, sender, "转人工")
        headers = _agent_token(base, pg_url)
        ticket = httpx.get(f"{base}/api/agent/queue", headers=headers).json()["waiting"][0]["id"]

        async def socket_closed_by_restart() -> int | None:
            ws_url = chat_socket_url(base, sender)
            async with websockets.connect(ws_url) as ws:
                await asyncio.sleep(0.5)
                try:
                    stop_redis()
                    refused = post(base, sender, "还在吗")
                    assert refused.status_code == 503, refused.text
                    assert "nothing was saved" in refused.json()["detail"]
                finally:
                    start_redis()
                try:
                    await asyncio.wait_for(ws.recv(), timeout=20)
                except websockets.ConnectionClosed as closed:
                    return closed.rcvd.code if closed.rcvd else None
                return None

        # The page's socket is told to reconnect (pushes published meanwhile are lost).
        assert asyncio.run(socket_closed_by_restart()) == 1012
        assert "还在吗" not in inbound(base, sender)  # refused, so not recorded either

        # The restarted Redis is empty: the queue comes back from SQL within the sweep.
        _wait(
            lambda: (
                [t["id"] for t in httpx.get(f"{base}/api/agent/queue", headers=headers).json()["waiting"]] == [ticket]
            ),
            "the queue rebuilt after the Redis restart",
        )
        assert post(base, sender, "人呢").status_code == 200  # the customer carries on

        async def reply_reaches_a_new_socket() -> str:
            ws_url = chat_socket_url(base, sender)
            async with websockets.connect(ws_url) as ws:
                await asyncio.sleep(0.5)
                claimed = httpx.post(f"{base}/api/agent/tickets/{ticket}/claim", headers=headers)
                assert claimed.status_code == 200, claimed.text
                sent = httpx.post(
                    f"{base}/api/agent/tickets/{ticket}/reply", headers=headers, json={"text": "您好，我来帮您"}
                )
                assert sent.status_code == 200, sent.text
                while True:
                    pushed = json_text(await asyncio.wait_for(ws.recv(), timeout=10))
                    if pushed == "您好，我来帮您":
                        return pushed

        assert asyncio.run(reply_reaches_a_new_socket()) == "您好，我来帮您"
        assert inbound(base, sender) == ["下单后多久发货", "转人工", "人呢"]


def json_text(raw: str | bytes) -> str:
    import json

    return str(json.loads(raw).get("text", ""))


def test_postgres_restart_refuses_cleanly_then_the_same_instance_carries_on(pg_url: str, tmp_path: Path) -> None:
    env = {"DATABASE_URL": pg_url, "REDIS_URL": REDIS_URL, **DESK_HOURS}
    sender = f"pg-{uuid.uuid4().hex[:8]}"
    with spawn_triage(env, tmp_path) as (base, proc):
        assert post(base, sender, "下单后多久发货").status_code == 200
        try:
            stop_postgres()
            refused = post(base, sender, "运费多少钱")
            assert refused.status_code == 503, refused.text
            assert "nothing was saved" in refused.json()["detail"]
            assert httpx.get(f"{base}/health").status_code == 503
        finally:
            start_postgres()
        _wait(lambda: httpx.get(f"{base}/health").status_code == 200, "the instance healthy again")
        assert post(base, sender, "可以开发票吗").status_code == 200
        assert proc.poll() is None  # the same process, no restart needed
        assert inbound(base, sender) == ["下单后多久发货", "可以开发票吗"]
