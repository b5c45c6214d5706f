"""The desk's members in the generated history, and their seats: each agent's chats as time
intervals, so a chat goes only to someone with a seat free all along it (`max_chats`, the cap
handoff/seats.py holds the real desk to)."""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass

from handoff.access import Viewer


@dataclass(frozen=True)
class DeskAgent:
    """A desk member as the history needs them: who, which queues, how many chats at once."""

    id: int
    name: str
    role: str
    skills: frozenset[str]
    max_chats: int

    @property
    def viewer(self) -> Viewer:
        return Viewer(self.id, self.role, self.skills)


class Seats:
    """Each agent's chats as time intervals: a chat is given only to an agent with a free seat
    all along it. Intervals may be booked in any order (conversations are written one by one)."""

    def __init__(self, agents: Sequence[DeskAgent]) -> None:
        self._starts: dict[int, list[float]] = {a.id: [] for a in agents}
        self._ends: dict[int, list[float]] = {a.id: [] for a in agents}
        self._longest: dict[int, float] = {a.id: 0.0 for a in agents}  # the longest chat booked

    def _around(self, agent: DeskAgent, a: float, b: float) -> list[tuple[float, float]]:
        """The agent's chats that overlap the time from `a` to `b`."""
        starts, ends = self._starts[agent.id], self._ends[agent.id]
        lo = bisect.bisect_left(starts, a - self._longest[agent.id])
        hi = bisect.bisect_left(starts, b, lo)
        return [(starts[i], ends[i]) for i in range(lo, hi) if ends[i] > a]

    def free(self, agent: DeskAgent, a: float, b: float) -> bool:
        """Has `agent` a seat free from `a` to `b`?"""
        held = self._around(agent, a, b)
        if len(held) < agent.max_chats:
            return True
        points = [a, *(s for s, _ in held if s > a)]
        return all(sum(1 for s, e in held if s <= p < e) < agent.max_chats for p in points)

    def book(self, agent: DeskAgent, a: float, b: float) -> None:
        starts = self._starts[agent.id]
        i = bisect.bisect_right(starts, a)
        starts.insert(i, a)
        self._ends[agent.id].insert(i, b)
        self._longest[agent.id] = max(self._longest[agent.id], b - a)

    def busy(self, agent: DeskAgent, t: float) -> int:
        return len(self._around(agent, t, t + 1e-6))

    def next_free(self, agents: Sequence[DeskAgent], t: float) -> float:
        """When the first of the chats these agents hold at `t` ends."""
        ends = [e for a in agents for _, e in self._around(a, t, t + 1e-6)]
        return min(ends, default=t)
