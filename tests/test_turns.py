"""The turn pool: customer work off the event loop, and readiness that sees every thread stuck."""

from __future__ import annotations

import contextlib
import threading
import time
from pathlib import Path

import anyio
from fastapi.testclient import TestClient

from core.config import Settings
from core.turns import TurnPool
from triage.app import create_app
from triage.wiring import Instance


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_pool_is_exhausted_only_when_every_thread_is_stuck() -> None:
    clock = Clock()
    pool = TurnPool(2, stuck_after=30, clock=clock)
    release = threading.Event()
    started = threading.Semaphore(0)

    def stuck_turn() -> str:
        started.release()
        release.wait(10)
        return "done"

    async def scenario() -> list[str]:
        results: list[str] = []

        async def one() -> None:
            results.append(await pool.run(stuck_turn))

        async with anyio.create_task_group() as tg:
            tg.start_soon(one)
            await anyio.to_thread.run_sync(started.acquire)
            clock.now = 31  # the first turn has run past the limit; one thread is still free
            assert (pool.stuck(), pool.exhausted()) == (1, False)
            tg.start_soon(one)
            await anyio.to_thread.run_sync(started.acquire)
            assert (pool.stuck(), pool.exhausted()) == (1, False)  # the second has only just started
            clock.now = 62
            assert (pool.stuck(), pool.exhausted()) == (2, True)
            release.set()
        return results

    assert anyio.run(scenario) == ["done", "done"]
    assert (pool.stuck(), pool.exhausted()) == (0, False)


def test_a_failing_turn_leaves_the_pool(tmp_path: Path) -> None:
    pool = TurnPool(1, stuck_after=0)

    def broken() -> None:
        raise ValueError("boom")

    async def scenario() -> None:
        with contextlib.suppress(ValueError):
            await pool.run(broken)

    anyio.run(scenario)
    time.sleep(0.01)
    assert not pool.exhausted()


def test_health_is_503_while_every_turn_thread_is_stuck(tmp_path: Path, instance: Instance) -> None:
    """A load balancer must stop sending customers to an instance that cannot answer them."""
    release = threading.Event()
    entered = threading.Event()
    real_handle = instance.engine.handle

    def stuck_handle(message):  # type: ignore[no-untyped-def]
        entered.set()
        release.wait(20)
        return real_handle(message)

    instance.engine.handle = stuck_handle  # type: ignore[method-assign]
    app = create_app(Settings.from_env({}, data_dir=str(tmp_path)), instance=instance)
    with TestClient(app) as client:
        app.state.turns = TurnPool(1, stuck_after=0.05)
        assert client.get("/health").status_code == 200
        replies: list[int] = []
        customer = threading.Thread(
            target=lambda: replies.append(
                client.post("/webhooks/rest/webhook", json={"sender": "s1", "message": "你好"}).status_code
            )
        )
        customer.start()
        assert entered.wait(10)
        time.sleep(0.1)
        health = client.get("/health")
        assert health.status_code == 503 and health.json()["turns"] == "stuck"
        assert client.get("/livez").status_code == 200  # alive, just not ready
        release.set()
        customer.join(20)
        assert replies == [200]
        assert client.get("/health").json()["turns"] == "ok"
