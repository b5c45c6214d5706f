"""Figures of days that can no longer change, kept once computed (in Redis, the product's cache).

A month of customer messages takes longer to count than a report may take (about a second for
2.7 million messages on the bench's machine, before anything else), yet a past day's messages
never change. So each day's figures are computed by the same SQL as ever and, once the day is
*settled* (nothing can move its figure any more: an hour after it ends for messages and ratings,
27 hours for containment, 73 hours for first-contact resolution, and for tickets once every
ticket of the day is closed), kept. Days not settled are computed afresh at most once a minute
(LIVE_SECONDS): today's figures on the page are at most a minute old.

Kept figures are forgotten when their definition changes (PREFIX names the version) and after
TTL_SECONDS; anything that rewrites past data (a backfill, a purge, a demo history) calls
`forget`. A flushed Redis only costs time; with Redis unreachable every day is computed.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping
from datetime import date, timedelta
from typing import Any, Protocol

import redis

log = logging.getLogger(__name__)

PREFIX = "reports:v1"  # bump when a figure's definition changes: old entries are then ignored
GENERATION = "reports:generation"  # bumped by `forget`
TTL_SECONDS = 400 * 24 * 3600  # a year's reports and a bit; unread days fall away
LIVE_SECONDS = 60  # how long a day not settled yet is served as computed
RUN_DAYS = 31  # the most days one query computes


class Store(Protocol):
    """What the cache needs of Redis (redis.Redis, fakeredis embedded)."""

    def mget(self, keys: list[str]) -> list[Any]: ...
    def get(self, key: str) -> Any: ...
    def incr(self, key: str) -> Any: ...
    def pipeline(self) -> Any: ...


class DayCache:
    """Per-day figures, computed over runs of days by `compute`: kept when settled, and for
    `live_seconds` when not (so the page's several requests and a reload within a minute share
    one computation of today; 0 computes a day not settled on every request)."""

    def __init__(self, store: Store | None, live_seconds: int = LIVE_SECONDS) -> None:
        self.store = store
        self.live_seconds = live_seconds

    def figure(
        self,
        name: str,
        days: list[date],
        settled: Callable[[date], bool],
        compute: Callable[[date, date], Mapping[date, Any]],
        empty: Any,
    ) -> dict[date, Any]:
        """`name`'s value for each of `days` (consecutive): kept ones read, the rest computed in
        as few runs as they make (`compute(first, last)` gives the days that have any)."""
        final = {d for d in days if settled(d)}
        keys = self._keys(name, days, final)
        found = self._read(keys)
        keep: dict[str, tuple[Any, int]] = {}
        for first, last in _runs([d for d in days if d not in found]):
            computed = compute(first, last)
            for day in _span(first, last):
                found[day] = computed.get(day, empty)
                if day in keys:
                    keep[keys[day]] = (found[day], TTL_SECONDS if day in final else self.live_seconds)
        self._write(keep)
        return {d: found[d] for d in days}

    def forget(self) -> None:
        """Everything kept is computed again (past data was rewritten)."""
        if self.store is not None:
            self.store.incr(GENERATION)

    def _keys(self, name: str, days: list[date], final: set[date]) -> dict[date, str]:
        """Where each day's value is kept: settled and live values apart, so a day that settles
        is computed once more rather than keeping what it was before."""
        wanted = [d for d in days if d in final or self.live_seconds > 0]
        if self.store is None or not wanted:
            return {}
        try:
            generation = int(self.store.get(GENERATION) or 0)
        except redis.RedisError as exc:
            log.warning("report cache unavailable, computing every day: %s", exc)
            return {}
        return {d: f"{PREFIX}:{generation}:{'' if d in final else 'live:'}{name}:{d.isoformat()}" for d in wanted}

    def _read(self, keys: dict[date, str]) -> dict[date, Any]:
        if self.store is None or not keys:
            return {}
        try:
            raw = self.store.mget(list(keys.values()))
        except redis.RedisError as exc:
            log.warning("report cache unavailable, computing every day: %s", exc)
            return {}
        return {day: json.loads(blob) for day, blob in zip(keys, raw, strict=True) if blob is not None}

    def _write(self, values: dict[str, tuple[Any, int]]) -> None:
        if self.store is None or not values:
            return
        try:
            pipe = self.store.pipeline()
            for key, (value, seconds) in values.items():
                pipe.set(key, json.dumps(value, ensure_ascii=False), ex=seconds)
            pipe.execute()
        except redis.RedisError as exc:
            log.warning("could not keep report figures: %s", exc)


def _span(first: date, last: date) -> Iterable[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def _runs(days: list[date]) -> list[tuple[date, date]]:
    """Consecutive days as (first, last) runs of at most RUN_DAYS: a long period never seen
    before is computed a month at a time, each month kept as it is done."""
    runs: list[tuple[date, date]] = []
    for day in sorted(days):
        if runs and runs[-1][1] + timedelta(days=1) == day and (day - runs[-1][0]).days < RUN_DAYS:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs
