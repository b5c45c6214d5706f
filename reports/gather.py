"""The figures of one period, read day by day from SQL through the day cache.

Everything comes as *cells*: small rows per day (and queue, agent, reason, topic …) that the views
sum as they need, a month's summary, a row per day, a row per queue or agent. Waits come as
per-second counts, so their percentiles can be read over any set of days, queues or agents.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cached_property
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from handoff.desk import Desk
from handoff.models import Ticket
from reports import bot, content, people
from reports.daycache import DayCache
from reports.period import Period, day_start
from reports.sql import Rows

# When a day's figure can no longer change, counted from the day's end.
SETTLED = timedelta(hours=1)  # a turn's outcome is written within seconds of its message
SETTLED_CONTAINMENT = timedelta(seconds=bot.LOOK_SECONDS) + SETTLED
SETTLED_RESOLUTIONS = timedelta(seconds=people.CAME_BACK_SECONDS) + SETTLED
WAITS = ("wait", "first_response")


Sessions = Callable[[], AbstractContextManager[Session]]  # core.db.Database.session
PARALLEL = 4  # figures computed side by side: PostgreSQL runs each query on a core of its own


class Figures:
    """The cells of `period`, every queue and agent (the views filter), as of `now`. Each query
    runs in a session of its own, so `prefetch` can ask for several figures at once."""

    def __init__(self, sessions: Sessions, desk: Desk, cache: DayCache, now: datetime, period: Period) -> None:
        self.sessions = sessions
        self.desk = desk
        self.cache = cache
        self.now = now
        self.period = period
        self.days = list(period.days())

    def prefetch(self, *names: str) -> None:
        """Compute these figures side by side (on SQLite the sessions take turns)."""
        with ThreadPoolExecutor(max_workers=PARALLEL, thread_name_prefix="report") as pool:
            for done in [pool.submit(getattr, self, name) for name in names]:
                done.result()

    def _rows(self, query: Rows) -> list[Any]:
        with self.sessions() as s:
            if s.get_bind().dialect.name == "postgresql":
                # Report queries are few and long: compiling them (JIT) cost more than it saved,
                # and their sorts and hashes fit in memory with a little more room than a turn's.
                s.execute(text("SET LOCAL jit = off"))
                s.execute(text("SET LOCAL work_mem = '64MB'"))
            return [[_plain(v) for v in row] for row in s.execute(query)]

    def _after(self, wait: timedelta) -> Callable[[date], bool]:
        return lambda day: day_start(day + timedelta(days=1)) + wait <= self.now

    def _figure(
        self,
        name: str,
        settled: Callable[[date], bool],
        compute: Callable[[datetime, datetime], Mapping[date, Any]],
        empty: Any,
    ) -> dict[date, Any]:
        def run(first: date, last: date) -> Mapping[date, Any]:
            return compute(day_start(first), day_start(last + timedelta(days=1)))

        return self.cache.figure(name, self.days, settled, run, empty)

    def _per_day(self, query: Callable[[datetime, datetime], Rows]) -> Callable[..., dict[date, list[Any]]]:
        """Run `query` and file its rows (day, *rest) under their days."""

        def compute(start: datetime, end: datetime) -> dict[date, list[Any]]:
            out: dict[date, list[Any]] = {}
            for day, *rest in self._rows(query(start, end)):
                out.setdefault(_day(day), []).append(rest)
            return out

        return compute

    @cached_property
    def open_days(self) -> set[date]:
        """Days with a ticket still open: their tickets' figures can still move."""
        return {_day(d) for (d,) in self._rows(people.open_days(self.period.start, self.period.end))}

    @cached_property
    def conversations(self) -> dict[date, int]:
        counts = self._figure("conversations", self._after(SETTLED), self._per_day(bot.conversations_by_day), [])
        return {d: sum(n for (n,) in rows) for d, rows in counts.items()}

    @cached_property
    def containment(self) -> dict[date, list[int]]:
        """[conversations, contained] per day."""
        rows = self._figure("containment", self._after(SETTLED_CONTAINMENT), self._per_day(bot.containment_by_day), [])
        return {d: [sum(r[0] for r in day), sum(r[1] or 0 for r in day)] for d, day in rows.items()}

    @cached_property
    def messages(self) -> dict[date, list[list[Any]]]:
        """[outcome, topic, messages] per day."""
        return self._figure("messages", self._after(SETTLED), self._per_day(bot.messages_by_day), [])

    @cached_property
    def unanswered(self) -> dict[date, list[list[Any]]]:
        """[group key, label, messages] per day, the most asked first."""

        def compute(start: datetime, end: datetime) -> dict[date, list[list[Any]]]:
            texts = self._per_day(content.unanswered_texts)(start, end)
            return {d: content.group_texts(rows)[: content.KEPT_PER_DAY] for d, rows in texts.items()}

        return self._figure("unanswered", self._after(SETTLED), compute, [])

    @cached_property
    def handoff_topics(self) -> dict[date, list[list[Any]]]:
        """[topic, handoffs] per day."""
        return self._figure("handoff_topics", self._after(SETTLED), self._per_day(content.handoff_topics), [])

    @cached_property
    def entries(self) -> dict[date, list[list[Any]]]:
        """[entry (None: no FAQ answer before the handoff), handoffs] per day."""
        return self._figure("entries", self._after(SETTLED), self._per_day(content.handoff_entries), [])

    @cached_property
    def tickets(self) -> dict[date, dict[str, Any]]:
        """Per day: "cells" [queue, agent, reason, handoffs, answered, in_target, judged, met,
        closed, handle_total]; "wait" and "first_response" {queue: {seconds: tickets}}."""

        def compute(start: datetime, end: datetime) -> dict[date, dict[str, Any]]:
            facts = people.ticket_facts(self.desk, start, end, self.now).subquery("f")
            cells = self._per_day(lambda *_: people.ticket_cells(facts))(start, end)
            waits = {name: self._histograms(facts, name) for name in WAITS}
            days = set(cells) | {d for by_day in waits.values() for d in by_day}
            return {d: {"cells": cells.get(d, []), **{n: waits[n].get(d, {}) for n in WAITS}} for d in days}

        settled = self._after(SETTLED)
        empty: dict[str, Any] = {"cells": [], **{name: {} for name in WAITS}}
        return self._figure("tickets", lambda d: settled(d) and d not in self.open_days, compute, empty)

    def _histograms(self, facts: Any, value: str) -> dict[date, dict[str, dict[str, int]]]:
        """{day: {queue: {seconds: tickets}}} of `value` over `facts`."""
        out: dict[date, dict[str, dict[str, int]]] = {}
        for day, queue, seconds, n in self._rows(people.histogram(facts, value)):
            out.setdefault(_day(day), {}).setdefault(queue, {})[str(int(seconds))] = n
        return out

    def agent_histogram(self, value: str, agent_id: int) -> dict[date, dict[str, dict[str, int]]]:
        """The same per-second counts for one agent's tickets (kept ones are the whole desk's)."""
        f = people.ticket_facts(self.desk, self.period.start, self.period.end, self.now)
        return self._histograms(f.where(Ticket.agent_id == agent_id).subquery("f"), value)

    @cached_property
    def transfers(self) -> dict[date, list[list[Any]]]:
        """[queue, agent who transferred, transfers] per day of the tickets' handoffs."""
        settled = self._after(SETTLED)
        return self._figure(
            "transfers", lambda d: settled(d) and d not in self.open_days, self._per_day(people.transfer_cells), []
        )

    @cached_property
    def resolutions(self) -> dict[date, list[list[Any]]]:
        """[queue, agent, resolved, first-contact resolved] per day of the resolves."""
        return self._figure("resolutions", self._after(SETTLED_RESOLUTIONS), self._per_day(people.resolution_cells), [])

    @cached_property
    def ratings(self) -> dict[date, list[list[Any]]]:
        """[people's (1) or the bot's (0), queue, agent, ratings, score total, low] per day."""
        return self._figure("ratings", self._after(SETTLED), self._per_day(people.rating_cells), [])


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _plain(value: Any) -> Any:
    """A number as an int when whole (PostgreSQL sums to Decimal), else float; JSON-ready."""
    if isinstance(value, Decimal | float) and not isinstance(value, bool):
        return int(value) if value == int(value) else float(value)
    return value
