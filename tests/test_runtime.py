"""Pub/sub outlives Redis going away: the subscription comes back and says to catch up."""

from __future__ import annotations

import asyncio

from bot.runtime import RESYNC, Runtime


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
