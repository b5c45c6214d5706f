"""Redis at the edge: pub/sub outlives Redis going away (the subscription comes back and says
to catch up), and a conversation's lock is a short lease renewed while the turn runs."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator

import fakeredis
import pytest
import redis

from core.runtime import LEASE_SECONDS, RESYNC, Runtime, ServiceUnavailable
from tests.conftest import IN_CI, ON_SERVICES
from tests.servers import free_port


async def _next(stream, timeout: float = 10.0):  # type: ignore[no-untyped-def]
    return await asyncio.wait_for(stream.__anext__(), timeout)


def test_a_subscription_comes_back_after_redis_goes_away_and_says_resync() -> None:
    runtime = Runtime(None)
    assert runtime.fake_server is not None

    async def scenario() -> list[dict[str, object]]:
        ready = asyncio.Event()
        stream = runtime.subscribe("chat:someone", ready)
        first = asyncio.ensure_future(_next(stream))
        await asyncio.wait_for(ready.wait(), 5)
        runtime.publish("chat:someone", {"text": "before"})
        got = [await first]
        runtime.fake_server.connected = False  # type: ignore[union-attr]  # Redis goes away
        pending = asyncio.ensure_future(_next(stream))
        await asyncio.sleep(1.5)
        runtime.fake_server.connected = True  # type: ignore[union-attr]
        got.append(await pending)  # subscribed again: catch up
        await asyncio.sleep(0.3)
        runtime.publish("chat:someone", {"text": "after"})
        got.append(await _next(stream))
        await stream.aclose()
        return got

    got = asyncio.run(scenario())
    assert got == [{"text": "before"}, RESYNC, {"text": "after"}]


# --- the per-conversation lock -------------------------------------------------------------

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _redis_problem() -> str | None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=3).ping()
    except redis.RedisError as exc:
        return f"Redis at {REDIS_URL} is not reachable ({exc.__class__.__name__})"
    return None


_problem = _redis_problem()
if _problem and IN_CI:
    raise RuntimeError(f"CI must run the Redis tests for real: {_problem}")
real_redis = pytest.param("real", marks=[*ON_SERVICES, pytest.mark.skipif(_problem is not None, reason=_problem or "")])


@pytest.fixture(params=["fake", real_redis])
def redis_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A Redis another process can reach: fakeredis served over TCP, or the real one."""
    if request.param == "real":
        yield REDIS_URL
        return
    server = fakeredis.TcpFakeServer(("127.0.0.1", free_port()))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"redis://127.0.0.1:{server.server_address[1]}/0"
    finally:
        server.shutdown()
        server.server_close()


_HOLD = """
import sys, time
from core.runtime import Runtime
turn = Runtime(sys.argv[1]).lock(sys.argv[2])
turn.__enter__()  # and never leaves: killed mid-turn
print("held", flush=True)
time.sleep(120)
"""


def test_a_conversation_locked_by_a_killed_instance_is_free_again_within_seconds(redis_url: str) -> None:
    """An instance SIGKILLed mid-turn never releases its lock: its lease runs out, and a turn
    waiting for the conversation gets it within a few seconds (not after 20–30 s of 503s)."""
    name = f"conversation:killed-{uuid.uuid4().hex[:8]}"
    holder = subprocess.Popen([sys.executable, "-c", _HOLD, redis_url, name], stdout=subprocess.PIPE)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == b"held"
        time.sleep(LEASE_SECONDS)  # the holder is alive: its lease is renewed, not left to run out
        runtime = Runtime(redis_url)
        with pytest.raises(ServiceUnavailable, match="busy"), runtime.lock(name, wait=0.5):
            pass
        holder.send_signal(signal.SIGKILL)
        holder.wait()
        started = time.monotonic()
        with runtime.lock(name):
            waited = time.monotonic() - started
        assert waited <= LEASE_SECONDS + 1.0
        runtime.close()
    finally:
        holder.kill()
        holder.wait()
        assert holder.stdout is not None
        holder.stdout.close()


def test_a_turn_longer_than_the_lease_keeps_its_lock(redis_url: str) -> None:
    """The lease is renewed while the turn runs: nobody else gets the conversation meanwhile."""
    name = f"conversation:slow-{uuid.uuid4().hex[:8]}"
    holder, other = Runtime(redis_url, lease=1.0), Runtime(redis_url, lease=1.0)
    with holder.lock(name), pytest.raises(ServiceUnavailable, match="busy"), other.lock(name, wait=3.0):
        pass  # three leases long: had the lease not been renewed, this would have got in
    with other.lock(name, wait=0.5):
        pass  # released at the end of the turn: the next one goes at once
    holder.close()
    other.close()


def test_the_embedded_lock_is_leased_and_renewed_too() -> None:
    """The same lease in embedded mode (in-process fakeredis): a lock left by a holder that
    stopped renewing frees itself, one still renewed does not."""
    runtime = Runtime(None, lease=1.0)
    with runtime.lock("conversation:a"):
        time.sleep(2.5)
        assert runtime.sync.pttl("lock:conversation:a") > 0
    abandoned = runtime.sync.lock("lock:conversation:b", timeout=1.0)  # what a dead holder leaves
    assert abandoned.acquire(blocking=False)
    started = time.monotonic()
    with runtime.lock("conversation:b"):
        assert time.monotonic() - started <= 2.0
    runtime.close()


def test_a_lock_taken_after_a_quiet_spell_is_still_renewed() -> None:
    """The renewing thread ends when nothing has been held for a while; the next lock starts it
    again, so a long turn after a quiet spell keeps its conversation too."""
    holder, other = Runtime(None, lease=0.3), Runtime(None, lease=0.3)
    other.sync = holder.sync  # the same embedded Redis, another instance's locks
    with holder.lock("conversation:quiet"):
        pass
    time.sleep(0.3 / 3 * 15)  # quiet for longer than the thread waits idle
    with (
        holder.lock("conversation:quiet"),
        pytest.raises(ServiceUnavailable),
        other.lock("conversation:quiet", wait=1.0),
    ):
        pass  # a wait of three leases and more: held all along
    holder.close()
    other.close()
