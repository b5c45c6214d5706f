"""Who may see and work a ticket. Pure: plain data in, a yes or no out.

Queues are access control, not only an order of work. A desk member sees and acts on (reads,
notes, claims, replies, transfers, resolves, hands back) the tickets in the queues their skills
cover, plus `general` (where every queue overflows, so everyone serves it), and the tickets
they own or owned (claimed, or transferred to them). Supervisors and admins see every ticket.
A ticket someone may not see is answered as if it did not exist (404): ticket ids are
sequential, and a 403 would confirm that each one exists.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from handoff.desk import GENERAL

SEES_ALL = ("supervisor", "admin")
OWNING_EVENTS = ("claimed", "transferred")  # the ticket events that can make someone its owner


@dataclass(frozen=True)
class Viewer:
    """The desk member asking: what the rule needs to know of them."""

    id: int
    role: str
    skills: frozenset[str]

    @classmethod
    def of(cls, agent: Any) -> Viewer:
        """From anything with `id`, `role` and `skills` (an `Agent` row, detached or not)."""
        return cls(int(agent.id), str(agent.role), frozenset(agent.skills or ()))


def sees_all(viewer: Viewer) -> bool:
    return viewer.role in SEES_ALL


def covers(viewer: Viewer, queue: str) -> bool:
    """The queue's waiting tickets are the viewer's to see and claim."""
    return sees_all(viewer) or queue == GENERAL or queue in viewer.skills


def queues_for(viewer: Viewer, queues: Iterable[str]) -> list[str]:
    """The queues the viewer's listing shows, in the order given."""
    return [q for q in queues if covers(viewer, q)]


def may_work(viewer: Viewer, queue: str, owners: Collection[int]) -> bool:
    """May the viewer see and act on a ticket in `queue` that `owners` own or owned?"""
    return covers(viewer, queue) or viewer.id in owners


def owners(current: int | None, events: Iterable[tuple[str, int | None, Mapping[str, Any] | None]]) -> list[int]:
    """Everyone who owns or owned a ticket: its agent now, whoever claimed it, and whoever it was
    transferred to, from its events as (kind, agent id, data)."""
    found: list[int] = [current] if current is not None else []
    for kind, agent_id, data in events:
        who = agent_id if kind == "claimed" else (data or {}).get("to_agent") if kind == "transferred" else None
        if isinstance(who, int) and who not in found:
            found.append(who)
    return found


def shown(viewer: Viewer, event: Mapping[str, Any]) -> bool:
    """Is this desk event for the viewer's console? An event about a ticket carries the ticket's
    `queue` and `owners`; one without them (a colleague's presence) is for everyone, and a
    ticket's event missing them is shown to those who see everything only."""
    if "ticket_id" not in event:
        return True
    queue = event.get("queue")
    if not isinstance(queue, str):
        return viewer.role in SEES_ALL
    return may_work(viewer, queue, event.get("owners") or ())


class Feed:
    """What one console's socket is sent: the events of tickets its agent may see, everyone's
    presence, and the customer messages of the conversations behind those tickets (learnt from
    the ticket events as they pass, and from the open tickets when the console connects).

    A ticket that leaves the agent's sight (passed to a queue not theirs) is announced once
    more by its id and kind only, so the console drops it, and its messages stop coming."""

    def __init__(self, viewer: Viewer) -> None:
        self.viewer = viewer
        self.conversations: set[str] = set()

    def admit(self, event: Mapping[str, Any]) -> Mapping[str, Any] | None:
        """The event as this console gets it, or None when it is not for them."""
        conversation = event.get("conversation_id")
        if event.get("type") == "message":
            return event if self.viewer.role in SEES_ALL or conversation in self.conversations else None
        if shown(self.viewer, event):
            if isinstance(conversation, str):
                self.conversations.add(conversation)
            return event
        if conversation in self.conversations:
            self.conversations.discard(conversation)
            return {"type": event.get("type"), "ticket_id": event.get("ticket_id")}
        return None
