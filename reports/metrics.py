"""The service's numbers for a period, as the report API serves them: a summary, a row per day,
per queue and per agent.

Each figure is defined once, in SQL with its definition beside it: the bot's in reports/bot.py,
the people's in reports/people.py, what customers asked about in reports/content.py; gather.py
reads them day by day (through the day cache) and here they are summed into views. Rates are a
share (0.0–1.0, 4 places), null when there was nothing to count; seconds have one decimal,
averages of 1–5 ratings two.

Bot traffic never counts in the people's figures, nor the reverse: the bot's figures are over
conversations, the bot's own decisions and ratings of the bot; the people's over tickets and
ratings of a ticket. The queue and agent filters narrow the people's figures (and the people's
columns of the daily rows); the bot's and the content's are the whole desk's.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select

from handoff.desk import Desk
from handoff.models import Agent
from reports import bot, content
from reports.daycache import DayCache
from reports.gather import Figures, Sessions
from reports.people import nearest_rank
from reports.period import Period

TOP = 10
SUMMARY = (  # the longest first: side by side, they end soonest that way
    "resolutions",
    "containment",
    "entries",
    "handoff_topics",
    "unanswered",
    "tickets",
    "messages",
    "conversations",
    "transfers",
    "ratings",
)
# Where queue and agent sit in each kind of cell (gather.Figures documents the cells).
TICKET, TRANSFER, RESOLUTION, RATING = (0, 1), (0, 1), (0, 1), (1, 2)


def rate(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


def average(total: float, count: int, places: int = 1) -> float | None:
    return round(total / count, places) if count else None


class Reports:
    """The views over one session, with the desk's rules, the day cache and the clock."""

    def __init__(self, sessions: Sessions, desk: Desk, cache: DayCache, now: datetime) -> None:
        self.sessions = sessions
        self.desk = desk
        self.cache = cache
        self.now = now

    def figures(self, period: Period, *needed: str) -> Figures:
        """The period's figures, those `needed` computed at once."""
        f = Figures(self.sessions, self.desk, self.cache, self.now, period)
        f.open_days  # noqa: B018  (what the tickets' figures ask first: once, before they go side by side)
        f.prefetch(*needed)
        return f

    def keep(self, period: Period) -> None:
        """Compute every figure of the period, so its settled days are kept: what a periodic job
        calls for the days just settled, and once over the past a report may ask for."""
        self.figures(period, *SUMMARY)

    def summary(self, period: Period) -> dict[str, Any]:
        f = self.figures(period, *SUMMARY)
        return {
            "period": {"from": period.first.isoformat(), "to": period.last.isoformat()},
            "bot": _bot(f),
            "people": _people(f),
            "content": _content(f),
        }

    def daily(self, period: Period) -> dict[str, Any]:
        f = self.figures(period, "conversations", "containment", "tickets", "resolutions", "ratings")
        rows = []
        for day in f.days:
            tickets = _mine(f.tickets[day]["cells"], TICKET, period)
            resolved = _mine(f.resolutions[day], RESOLUTION, period)
            ratings = f.ratings[day]
            conversations, contained = f.containment[day]
            rows.append(
                {
                    "day": day.isoformat(),
                    "conversations": f.conversations[day],
                    "containment_rate": rate(contained, conversations),
                    "handoffs": _sum(tickets, 3),
                    "answer_rate": rate(_sum(tickets, 4), _sum(tickets, 3)),
                    "fcr_rate": rate(_sum(resolved, 3), _sum(resolved, 2)),
                    "bot_csat": _csat(r for r in ratings if not r[0])["average"],
                    "human_csat": _csat(_mine([r for r in ratings if r[0]], RATING, period))["average"],
                    "sla_rate": rate(_sum(tickets, 7), _sum(tickets, 6)),
                }
            )
        return {"days": rows}

    def queues(self, period: Period) -> dict[str, Any]:
        f = self.figures(period, "tickets", "ratings")
        cells = _all(f.tickets[d]["cells"] for d in f.days)
        waits = _waits(f, "wait", agent_id=None)
        ratings = [r for r in _all(f.ratings.values()) if r[0]]
        found = {c[0] for c in cells} | {r[1] for r in ratings if r[1]}
        rows = []
        for queue in [*self.desk.queues, *sorted(found - set(self.desk.queues))]:
            mine = [c for c in cells if c[0] == queue]
            rows.append(
                {
                    "queue": queue,
                    "tickets": _sum(mine, 3),
                    "answer_rate": rate(_sum(mine, 4), _sum(mine, 3)),
                    "sla_rate": rate(_sum(mine, 7), _sum(mine, 6)),
                    "wait_p50": _percentile(waits, 0.5, queue),
                    "handle_seconds_average": average(_sum(mine, 9), _sum(mine, 8)),
                    "csat": _csat(r for r in ratings if r[1] == queue),
                }
            )
        return {"queues": rows}

    def agents(self, period: Period) -> dict[str, Any]:
        f = self.figures(period, "tickets", "transfers", "resolutions", "ratings")
        cells = _all(f.tickets[d]["cells"] for d in f.days)
        transfers = _all(f.transfers.values())
        resolved = _all(f.resolutions.values())
        ratings = [r for r in _all(f.ratings.values()) if r[0]]
        ids = {c[1] for c in cells} | {t[1] for t in transfers} | {r[1] for r in resolved} | {r[2] for r in ratings}
        ids.discard(None)
        with self.sessions() as s:
            names = {a.id: (a.username, a.display_name) for a in s.scalars(select(Agent).where(Agent.id.in_(ids)))}
        rows = []
        for agent_id in sorted(ids):
            mine = [c for c in cells if c[1] == agent_id]
            theirs = [r for r in resolved if r[1] == agent_id]
            username, display_name = names.get(agent_id, (None, None))
            rows.append(
                {
                    "agent_id": agent_id,
                    "username": username,
                    "display_name": display_name,
                    "tickets": _sum(mine, 3),
                    "handle_seconds_average": average(_sum(mine, 9), _sum(mine, 8)),
                    "transfers_out": _sum([t for t in transfers if t[1] == agent_id], 2),
                    "fcr_rate": rate(_sum(theirs, 3), _sum(theirs, 2)),
                    "csat": _csat(r for r in ratings if r[2] == agent_id),
                }
            )
        return {"agents": rows}


def _all(per_day: Iterable[list[list[Any]]]) -> list[list[Any]]:
    return [row for rows in per_day for row in rows]


def _sum(rows: Iterable[list[Any]], column: int) -> Any:
    return sum(r[column] or 0 for r in rows)


def _mine(rows: Iterable[list[Any]], at: tuple[int, int], period: Period) -> list[list[Any]]:
    """The cells of the period's queue and agent (`at`: where they sit in the cell)."""
    queue, agent = at
    return [
        r
        for r in rows
        if (period.queue is None or r[queue] == period.queue)
        and (period.agent_id is None or r[agent] == period.agent_id)
    ]


def _csat(rows: Iterable[list[Any]]) -> dict[str, Any]:
    """Average and count of rating cells [human, queue, agent, ratings, total, low]."""
    rows = list(rows)
    count = _sum(rows, 3)
    return {"average": average(_sum(rows, 4), count, 2), "count": count}


def _waits(f: Figures, value: str, agent_id: int | None) -> dict[str, dict[int, int]]:
    """{queue: {seconds: tickets}} of `value` over the period (one agent's, if given)."""
    per_day = f.agent_histogram(value, agent_id) if agent_id is not None else {d: f.tickets[d][value] for d in f.days}
    out: dict[str, dict[int, int]] = {}
    for by_queue in per_day.values():
        for queue, counts in by_queue.items():
            mine = out.setdefault(queue, {})
            for seconds, n in counts.items():
                mine[int(seconds)] = mine.get(int(seconds), 0) + n
    return out


def _percentile(waits: dict[str, dict[int, int]], share: float, queue: str | None = None) -> float | None:
    """Nearest-rank percentile of per-second counts, over one queue or all."""
    counts: dict[int, int] = {}
    for name, by_second in waits.items():
        if queue is None or name == queue:
            for seconds, n in by_second.items():
                counts[seconds] = counts.get(seconds, 0) + n
    found = nearest_rank(counts, share)
    return None if found is None else float(found)


def _ranked(pairs: Iterable[tuple[Any, int]]) -> dict[Any, int]:
    out: dict[Any, int] = {}
    for key, n in pairs:
        out[key] = out.get(key, 0) + n
    return dict(sorted(out.items(), key=lambda kv: (-kv[1], str(kv[0]))))


def _bot(f: Figures) -> dict[str, Any]:
    conversations = sum(f.containment[d][0] for d in f.days)
    contained = sum(f.containment[d][1] for d in f.days)
    outcomes = _ranked((outcome, n) for outcome, _, n in _all(f.messages.values()))
    decided = sum(n for outcome, n in outcomes.items() if outcome in bot.BOT_DECISIONS)
    cells = _all(f.tickets[d]["cells"] for d in f.days)
    return {
        "conversations": sum(f.conversations.values()),
        "contained": contained,
        "containment_rate": rate(contained, conversations),
        "fallback_rate": rate(sum(outcomes.get(o, 0) for o in bot.FALLBACKS), decided),
        "did_you_mean_rate": rate(sum(outcomes.get(o, 0) for o in bot.DID_YOU_MEAN), decided),
        "handoffs": _sum(cells, 3),
        "handoffs_by_reason": _ranked((c[2], c[3]) for c in cells),
        "handoffs_by_topic": _ranked((topic or "none", n) for topic, n in _all(f.handoff_topics.values())),
        "csat": _csat(r for r in _all(f.ratings.values()) if not r[0]),
    }


def _people(f: Figures) -> dict[str, Any]:
    period = f.period
    cells = _mine(_all(f.tickets[d]["cells"] for d in f.days), TICKET, period)
    waits = _waits(f, "wait", period.agent_id)
    firsts = _waits(f, "first_response", period.agent_id)
    resolved = _mine(_all(f.resolutions.values()), RESOLUTION, period)
    transfers = _mine(_all(f.transfers.values()), TRANSFER, period)
    ratings = _mine([r for r in _all(f.ratings.values()) if r[0]], RATING, period)
    handoffs, answered, in_target = _sum(cells, 3), _sum(cells, 4), _sum(cells, 5)
    by_queue: dict[str, dict[str, Any]] = {}
    for c in cells:
        q = by_queue.setdefault(c[0], {"tickets": 0, "met": 0})
        q["tickets"] += c[6]
        q["met"] += c[7]
    return {
        "handoffs": handoffs,
        "answered": answered,
        "answer_rate": rate(answered, handoffs),
        "answered_in_target": in_target,
        "answer_rate_in_target": rate(in_target, handoffs),
        "wait_seconds": {"p50": _percentile(waits, 0.5, period.queue), "p90": _percentile(waits, 0.9, period.queue)},
        "first_response_seconds": {
            "p50": _percentile(firsts, 0.5, period.queue),
            "p90": _percentile(firsts, 0.9, period.queue),
        },
        "sla_by_queue": {name: {**q, "rate": rate(q["met"], q["tickets"])} for name, q in sorted(by_queue.items())},
        "handle_seconds_average": average(_sum(cells, 9), _sum(cells, 8)),
        "transfers": _sum(transfers, 2),
        "resolved": _sum(resolved, 2),
        "first_contact_resolved": _sum(resolved, 3),
        "fcr_rate": rate(_sum(resolved, 3), _sum(resolved, 2)),
        "csat": _csat(ratings),
    }


def _content(f: Figures) -> dict[str, Any]:
    topics = _ranked(
        (topic, n) for _, topic, n in _all(f.messages.values()) if topic is not None and topic not in content.SMALL_TALK
    )
    groups: dict[str, dict[str, int]] = {}
    for key, label, n in _all(f.unanswered.values()):
        wordings = groups.setdefault(key, {})
        wordings[label] = wordings.get(label, 0) + n
    ranked = sorted(groups.values(), key=lambda w: (-sum(w.values()), max(w, key=lambda t: (w[t], t))))
    unanswered = [{"text": max(w, key=lambda t: (w[t], t)), "count": sum(w.values())} for w in ranked]
    entries = _ranked((entry, n) for entry, n in _all(f.entries.values()) if entry is not None)
    return {
        "top_topics": [{"topic": t, "count": n} for t, n in list(topics.items())[:TOP]],
        "top_unanswered": unanswered[:TOP],
        "entries_leading_to_handoff": [{"entry_id": e, "count": n} for e, n in list(entries.items())[:TOP]],
    }
