"""The Redis side of the system: per-conversation locks and pub/sub.

With REDIS_URL set this is a real Redis shared by every instance; embedded, an in-process
fakeredis server stands in, so the same code paths run in both modes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import fakeredis
import redis
import redis.asyncio as aioredis
from redis.exceptions import LockError

log = logging.getLogger(__name__)
# Yielded by `Runtime.subscribe` after it lost Redis and subscribed again: catch up.
RESYNC: dict[str, Any] = {"type": "resync"}


class ServiceUnavailable(RuntimeError):
    """Redis (or the stand-in) did not answer; callers map this to 503."""


class Runtime:
    def __init__(self, redis_url: str | None) -> None:
        self.redis_url = redis_url
        self.fake_server: fakeredis.FakeServer | None = None  # embedded: tests take it down and up
        if redis_url:
            self.sync: redis.Redis = redis.Redis.from_url(redis_url, socket_timeout=5)
            self.aio: aioredis.Redis = aioredis.Redis.from_url(redis_url)
        else:
            server = fakeredis.FakeServer()
            self.fake_server = server
            self.sync = fakeredis.FakeRedis(server=server)
            self.aio = fakeredis.FakeAsyncRedis(server=server)

    def ping(self) -> bool:
        try:
            return bool(self.sync.ping())
        except redis.RedisError:
            return False

    @contextmanager
    def lock(self, name: str, timeout: float = 30.0, wait: float = 20.0) -> Iterator[None]:
        """Serialise work on one conversation across threads and instances."""
        try:
            lock = self.sync.lock(f"lock:{name}", timeout=timeout, blocking_timeout=wait)
            acquired = lock.acquire()
        except redis.RedisError as exc:
            raise ServiceUnavailable("the coordination service (Redis) is unavailable") from exc
        if not acquired:
            raise ServiceUnavailable(f"conversation {name} is busy, please retry")
        try:
            yield
        finally:
            # Expired, or Redis gone: either way the lock's timeout frees it.
            with contextlib.suppress(LockError, redis.RedisError):
                lock.release()

    def publish(self, channel: str, message: dict[str, Any]) -> None:
        try:
            self.sync.publish(channel, json.dumps(message, ensure_ascii=False, default=str))
        except redis.RedisError as exc:
            raise ServiceUnavailable("the messaging service (Redis) is unavailable") from exc

    async def subscribe(self, channel: str, ready: asyncio.Event | None = None) -> AsyncIterator[dict[str, Any]]:
        """Messages published on `channel` from now on, until the caller stops iterating;
        `ready` is set once the subscription is in place (nothing published after it is missed).

        Redis going away (a restart, a failover) does not end the subscription: it is made
        again once Redis answers, and `RESYNC` is yielded then, because whatever was published
        meanwhile is lost and the caller has to catch up from the database."""
        delay = 0.2
        lost = False
        while True:
            pubsub = self.aio.pubsub()
            try:
                await pubsub.subscribe(channel)
                if ready is not None:
                    ready.set()
                if lost:
                    lost, delay = False, 0.2
                    yield dict(RESYNC)
                while True:
                    item = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                    if item is None:
                        continue
                    data = item["data"]
                    yield json.loads(data.decode() if isinstance(data, bytes) else data)
            except (redis.RedisError, OSError):
                log.warning("subscription to %s lost; subscribing again in %.1f s", channel, delay)
                lost = True
            finally:
                with contextlib.suppress(redis.RedisError, OSError):
                    await pubsub.unsubscribe(channel)
                with contextlib.suppress(redis.RedisError, OSError):
                    await pubsub.aclose()
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)

    def close(self) -> None:
        self.sync.close()


def customer_channel(sender_id: str) -> str:
    """Pub/sub channel for messages pushed to one customer's open sockets."""
    return f"chat:{sender_id}"


EVENTS_CHANNEL = "events:conversations"
