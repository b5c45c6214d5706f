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
    all along it. Intervals may be booked in any order (conversations are written one by one).

    Kept as two sorted lists per agent, the chats' starts and their ends: the chats open at a
    moment are the starts up to it less the ends up to it, two bisections."""

    def __init__(self, agents: Sequence[DeskAgent]) -> None:
        self._starts: dict[int, list[float]] = {a.id: [] for a in agents}
        self._ends: dict[int, list[float]] = {a.id: [] for a in agents}

    def busy(self, agent: DeskAgent, t: float) -> int:
        """How many chats `agent` holds at `t`."""
        return bisect.bisect_right(self._starts[agent.id], t) - bisect.bisect_right(self._ends[agent.id], t)

    def free(self, agent: DeskAgent, a: float, b: float) -> bool:
        """Has `agent` a seat free from `a` to `b`? The most chats held at once in that time is
        reached at `a` or where one of them starts."""
        if self.busy(agent, a) >= agent.max_chats:
            return False
        starts = self._starts[agent.id]
        later = starts[bisect.bisect_right(starts, a) : bisect.bisect_left(starts, b)]
        return all(self.busy(agent, p) < agent.max_chats for p in later)

    def book(self, agent: DeskAgent, a: float, b: float) -> None:
        bisect.insort(self._starts[agent.id], a)
        bisect.insort(self._ends[agent.id], b)

    def next_free(self, agents: Sequence[DeskAgent], t: float) -> float:
        """The first moment after `t` one of these agents' chats ends (one of theirs may free a seat)."""
        ends = (self._ends[a.id] for a in agents)
        return min((e[i] for e in ends if (i := bisect.bisect_right(e, t)) < len(e)), default=t)
