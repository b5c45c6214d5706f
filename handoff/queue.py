"""Waiting tickets in order, in Redis (fakeredis embedded), rebuilt from SQL whenever needed.

One sorted set per queue: most urgent first, then oldest first. Taking a ticket out is one
atomic Redis operation across every queue, so of many agents clicking "claim" at once exactly
one gets it; the SQL update that follows is conditional on the ticket still waiting, so even a
stale Redis cannot give a ticket to two people.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import redis

from handoff.desk import Desk

PREFIX = "queue:"
BUILT = "queue:built"  # present while Redis holds the queues; gone after a flush
OFFLINE = "offline"  # messages left outside desk hours wait here until the desk opens

# What a take found: removed from one of the queues asked; waiting in another queue (not
# touched); in no queue while the queues are built (someone else took it); in no queue and the
# queues are not built (Redis lost them: ask SQL).
TAKEN, ELSEWHERE, GONE, UNKNOWN = 1, 2, 0, -1
# KEYS: the queues to take from, the other queues, then the "built" marker; ARGV: the ticket,
# how many queues to take from. One round trip for the losers of a race, most of the callers.
_TAKE = """
local from = tonumber(ARGV[2])
local taken = 0
for i = 1, from do
  taken = taken + redis.call('ZREM', KEYS[i], ARGV[1])
end
if taken > 0 then return 1 end
for i = from + 1, #KEYS - 1 do
  if redis.call('ZSCORE', KEYS[i], ARGV[1]) then return 2 end
end
if redis.call('EXISTS', KEYS[#KEYS]) == 1 then return 0 end
return -1
"""


def score(priority: int, created_at: datetime) -> float:
    """Lower comes first: the priority in big steps, then the moment of handoff."""
    return -priority * 1e10 + created_at.timestamp()


class TicketQueue:
    def __init__(self, client: redis.Redis, desk: Desk) -> None:
        self.r = client
        self.desk = desk
        self._take = client.register_script(_TAKE)

    def key(self, queue: str) -> str:
        return PREFIX + queue

    @property
    def keys(self) -> list[str]:
        return [self.key(q) for q in (*self.desk.queues, OFFLINE)]

    def push(self, ticket_id: int, queue: str, priority: int, created_at: datetime) -> None:
        self.r.zadd(self.key(queue), {str(ticket_id): score(priority, created_at)})

    def take(self, ticket_id: int) -> bool:
        """Remove the ticket from whichever queue holds it; True for exactly one caller."""
        return self.take_checked(ticket_id) is True

    def take_checked(self, ticket_id: int) -> bool | None:
        """As `take`, and None when the ticket is in no queue because Redis lost its queues."""
        found = self.take_from(ticket_id, [*self.desk.queues, OFFLINE])
        return None if found == UNKNOWN else found == TAKEN

    def take_from(self, ticket_id: int, queues: Iterable[str]) -> int:
        """Remove the ticket if one of `queues` holds it (TAKEN, for exactly one caller); else say
        whether it waits in another queue (ELSEWHERE), is gone (GONE), or Redis lost the queues
        (UNKNOWN)."""
        wanted = [self.key(q) for q in queues]
        others = [k for k in self.keys if k not in wanted]
        return int(self._take(keys=[*wanted, *others, BUILT], args=[str(ticket_id), str(len(wanted))]))

    def move(self, ticket_id: int, queue: str, priority: int, created_at: datetime) -> None:
        """Put a waiting ticket in another queue (transfer, overflow), keeping its place in time."""
        with self.r.pipeline(transaction=True) as p:
            for key in self.keys:
                p.zrem(key, str(ticket_id))
            p.zadd(self.key(queue), {str(ticket_id): score(priority, created_at)})
            p.execute()

    def waiting(self, queues: Iterable[str]) -> list[tuple[str, int]]:
        """(queue, ticket id) of everything waiting in `queues`, in the order they are served."""
        scored: list[tuple[float, str, int]] = []
        for q in queues:
            pairs: list[tuple[bytes, float]] = self.r.zrange(self.key(q), 0, -1, withscores=True)  # type: ignore[assignment]
            for member, s in pairs:
                scored.append((float(s), q, int(member)))
        return [(q, t) for _, q, t in sorted(scored)]

    def length(self, queue: str) -> int:
        return int(self.r.zcard(self.key(queue)))

    def position(self, ticket_id: int, queue: str) -> int | None:
        """1 for the next one served in its queue; None when not waiting."""
        rank: int | None = self.r.zrank(self.key(queue), str(ticket_id))  # type: ignore[assignment]
        return None if rank is None else rank + 1

    def is_built(self) -> bool:
        return bool(self.r.exists(BUILT))

    def rebuild(self, waiting: Iterable[tuple[int, str, int, datetime]]) -> int:
        """Replace Redis's queues with `waiting` (id, queue, priority, handed over) from SQL."""
        rows = list(waiting)
        with self.r.pipeline(transaction=True) as p:
            p.delete(*self.keys)
            for ticket_id, queue, priority, created_at in rows:
                p.zadd(self.key(queue), {str(ticket_id): score(priority, created_at)})
            p.set(BUILT, "1")
            p.execute()
        return len(rows)
