"""The Redis side of the system: per-conversation locks and pub/sub.

With REDIS_URL set this is a real Redis shared by every instance; embedded, an in-process
fakeredis server stands in, so the same code paths run in both modes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import fakeredis
import redis
import redis.asyncio as aioredis
from redis.exceptions import LockError
from redis.lock import Lock

log = logging.getLogger(__name__)
# A conversation's lock is a lease this long, renewed while the turn runs: an instance killed
# mid-turn holds the conversation at most this long. A waiter waits longer than one lease.
LEASE_SECONDS = 5.0
WAIT_SECONDS = 20.0
# Yielded by `Runtime.subscribe` after it lost Redis and subscribed again: catch up.
RESYNC: dict[str, Any] = {"type": "resync"}


class ServiceUnavailable(RuntimeError):
    """Redis (or the stand-in) did not answer; callers map this to 503."""


class _Leases:
    """Renews the leases of every lock this process holds, from one background thread: a turn
    costs no thread of its own, and a short one (most) ends before any renewal is due. The
    thread ends after a while with nothing held and starts again with the next lock."""

    IDLE_ROUNDS = 10

    def __init__(self, lease: float) -> None:
        self.every = lease / 3  # two renewals may fail (a slow Redis) before the lease runs out
        self._held: dict[int, Lock] = {}
        self._guard = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def hold(self, lock: Lock) -> None:
        with self._guard:
            self._held[id(lock)] = lock
            if self._thread is None and not self._stop.is_set():
                self._thread = threading.Thread(target=self._renew, name="lock-leases", daemon=True)
                self._thread.start()

    def drop(self, lock: Lock) -> None:
        with self._guard:
            self._held.pop(id(lock), None)

    def _renew(self) -> None:
        idle = 0
        while not self._stop.wait(self.every):
            with self._guard:
                held = list(self._held.values())
                idle = 0 if held else idle + 1
                if idle >= self.IDLE_ROUNDS:
                    self._thread = None  # under the guard: the next `hold` starts another
                    return
            for lock in held:
                try:
                    lock.reacquire()
                except LockError:  # released meanwhile, or lost: the lease ran out (a stall)
                    with self._guard:
                        lost = self._held.pop(id(lock), None) is not None
                    if lost:
                        log.warning("lost the lock %s: its lease ran out before it was renewed", lock.name)
                except redis.RedisError:
                    log.warning("could not renew the lock %s; trying again", lock.name)

    def stop(self) -> None:
        self._stop.set()
        with self._guard:
            thread = self._thread
        if thread is not None:
            thread.join(timeout=5)


class Runtime:
    def __init__(self, redis_url: str | None, lease: float = LEASE_SECONDS) -> None:
        self.redis_url = redis_url
        self.lease = lease
        self._leases = _Leases(lease)
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
    def lock(self, name: str, wait: float = WAIT_SECONDS) -> Iterator[None]:
        """Serialise work on one conversation across threads and instances.

        The lock is a lease of `self.lease` seconds, renewed while the work runs: the lock of
        an instance killed mid-turn frees itself within one lease, so a waiter (who waits
        longer than a lease) gets the conversation instead of answering "busy"."""
        try:
            # thread_local=False: the renewing thread extends the lease with this holder's token
            lock = self.sync.lock(f"lock:{name}", timeout=self.lease, blocking_timeout=wait, thread_local=False)
            acquired = lock.acquire()
        except redis.RedisError as exc:
            raise ServiceUnavailable("the coordination service (Redis) is unavailable") from exc
        if not acquired:
            raise ServiceUnavailable(f"conversation {name} is busy, please retry")
        self._leases.hold(lock)
        try:
            yield
        finally:
            self._leases.drop(lock)
            # Expired, or Redis gone: either way the lease frees it.
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
        self._leases.stop()
        self.sync.close()


def customer_channel(sender_id: str) -> str:
    """Pub/sub channel for messages pushed to one customer's open sockets."""
    return f"chat:{sender_id}"


EVENTS_CHANNEL = "events:conversations"
