"""The instance's turn threads: customer work (a turn, a parse) runs here, never on the event loop.

A turn is CPU-bound Python over customer text (normalising, matching, masking its log line), so it
runs on a small pool of its own (TRIAGE_TURN_THREADS) while the event loop keeps serving sockets,
health checks and everyone else's requests. The pool also knows how long each turn has been
running, so readiness (`/health`) can say 503 when every thread is stuck and the instance cannot
take another turn: a load balancer then stops sending it customers.
"""

from __future__ import annotations

import functools
import itertools
import threading
import time
from collections.abc import Callable
from typing import TypeVar

import anyio

T = TypeVar("T")

# A turn that has run this long is stuck, not slow: the slowest legitimate turn waits on a lookup,
# and lookups give up after a few seconds.
STUCK_AFTER_S = 30.0


class TurnPool:
    """Runs customer work on `threads` worker threads and reports turns that have run too long."""

    def __init__(
        self, threads: int, stuck_after: float = STUCK_AFTER_S, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.threads = threads
        self.stuck_after = stuck_after
        self._clock = clock
        self._limiter = anyio.CapacityLimiter(threads)
        self._running: dict[int, float] = {}  # turn number -> when it started
        self._numbers = itertools.count()
        self._lock = threading.Lock()

    async def run(self, work: Callable[..., T], *args: object) -> T:
        """`work(*args)` on a turn thread; waits for a free one."""
        return await anyio.to_thread.run_sync(functools.partial(self._timed, work, *args), limiter=self._limiter)

    def _timed(self, work: Callable[..., T], *args: object) -> T:
        with self._lock:
            number = next(self._numbers)
            self._running[number] = self._clock()
        try:
            return work(*args)
        finally:
            with self._lock:
                del self._running[number]

    def stuck(self) -> int:
        """How many turns have been running longer than `stuck_after`."""
        now = self._clock()
        with self._lock:
            return sum(1 for started in self._running.values() if now - started > self.stuck_after)

    def exhausted(self) -> bool:
        """Every thread is held by a stuck turn: nothing new will be answered."""
        return self.stuck() >= self.threads
