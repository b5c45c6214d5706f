"""The live floor (现场管理): what a supervisor watches. Every desk member's presence and seats,
each queue's waiting, oldest wait and first responses about to be missed, and the open tickets
with who serves them, as plain data.

`floor` is pure (rows and a clock in, the snapshot out); `snapshot` reads the rows from SQL (the
record) and the serving order from Redis. Who hears a supervisor's whisper is decided here too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.store import Conversation
from handoff.access import Viewer, sees_all
from handoff.agents import DESK_ROLES
from handoff.desk import Queue
from handoff.models import ASSIGNED, OFFLINE, QUEUED, Agent, Ticket
from handoff.state import DeskState

AT_RISK = timedelta(minutes=1)  # a first response due this soon is about to be missed
PRESENCE_ORDER = {"online": 0, "away": 1, "offline": 2}
DUE_SOON, MISSED = "due_soon", "missed"


@dataclass(frozen=True)
class Member:
    """A desk member as the floor shows them."""

    id: int
    username: str
    display_name: str
    role: str
    presence: str
    skills: tuple[str, ...]
    max_chats: int
    last_seen: datetime | None


@dataclass(frozen=True)
class OpenTicket:
    """A ticket waiting in a queue or being served, with what the floor shows of it."""

    id: int
    conversation_id: str
    sender_id: str
    customer: str | None  # the verified customer's name
    status: str
    queue: str
    priority: int
    labels: tuple[str, ...]
    reason: str
    summary: str
    created_at: datetime
    assigned_at: datetime | None
    agent_id: int | None
    first_response_due: datetime
    first_response_at: datetime | None
    sla_breached: bool


def risk(ticket: OpenTicket, now: datetime, within: timedelta = AT_RISK) -> str | None:
    """MISSED when the first response is late, DUE_SOON when due within `within`, else None
    (answered already, or time enough)."""
    if ticket.first_response_at is not None:
        return None
    if ticket.sla_breached or ticket.first_response_due <= now:
        return MISSED
    return DUE_SOON if ticket.first_response_due - now <= within else None


def floor(
    now: datetime,
    queues: Mapping[str, Queue],
    members: Sequence[Member],
    tickets: Sequence[OpenTicket],
    order: Sequence[tuple[str, int]] = (),
    *,
    after_hours: int = 0,
    within: timedelta = AT_RISK,
) -> dict[str, Any]:
    """The floor at `now`: `tickets` are the open ones in hours (waiting or served), `order` the
    waiting ones as Redis serves them ((queue, id), the front first), `after_hours` how many
    messages wait for the desk to open. `recheck_at` is when a ticket next becomes due soon,
    the one change to the floor no event announces."""
    rank = {ticket_id: i for i, (_, ticket_id) in enumerate(order)}
    position: dict[int, int] = {}  # 1 for the next one served in its queue
    ahead: dict[str, int] = {}
    for queue, ticket_id in order:
        ahead[queue] = position[ticket_id] = ahead.get(queue, 0) + 1
    waiting = sorted((t for t in tickets if t.status == QUEUED), key=lambda t: (rank.get(t.id, len(rank)), t.id))
    served = sorted((t for t in tickets if t.status == ASSIGNED), key=lambda t: (t.assigned_at or now, t.id))
    chats: dict[int, list[int]] = {}
    for t in served:
        if t.agent_id is not None:
            chats.setdefault(t.agent_id, []).append(t.id)
    names = {m.id: m.display_name for m in members}
    online = [m for m in members if m.presence == "online"]
    queue_rows = [_queue_row(name, q, waiting, served, online, chats, now, within) for name, q in queues.items()]
    upcoming = [t.first_response_due - within for t in tickets if _unanswered(t) and risk(t, now, within) is None]
    return {
        "now": now.isoformat(),
        "at_risk_minutes": within.total_seconds() / 60,
        "recheck_at": min(upcoming).isoformat() if upcoming else None,
        "totals": {
            "waiting": len(waiting),
            "serving": len(served),
            "after_hours": after_hours,
            "agents_online": len(online),
            "seats_free": sum(_free_seats(m, chats) for m in online),
            "due_soon": sum(q["due_soon"] for q in queue_rows),
            "missed": sum(q["missed"] for q in queue_rows),
        },
        "agents": [
            _agent_row(m, chats.get(m.id, []))
            for m in sorted(members, key=lambda m: (PRESENCE_ORDER.get(m.presence, 3), m.id))
        ],
        "queues": queue_rows,
        "tickets": [_ticket_row(t, now, within, names, position.get(t.id)) for t in [*waiting, *served]],
    }


def _seconds(now: datetime, since: datetime | None) -> int | None:
    return None if since is None else max(0, int((now - since).total_seconds()))


def _unanswered(t: OpenTicket) -> bool:
    return t.first_response_at is None and t.status in (QUEUED, ASSIGNED)


def _free_seats(m: Member, chats: Mapping[int, list[int]]) -> int:
    return max(m.max_chats - len(chats.get(m.id, [])), 0)


def _ticket_row(
    t: OpenTicket, now: datetime, within: timedelta, names: Mapping[int, str], position: int | None
) -> dict[str, Any]:
    return {
        "id": t.id,
        "conversation_id": t.conversation_id,
        "sender_id": t.sender_id,
        "customer": t.customer,
        "status": t.status,
        "queue": t.queue,
        "priority": t.priority,
        "labels": list(t.labels),
        "reason": t.reason,
        "summary": t.summary.split("\n")[0],
        "agent_id": t.agent_id,
        "agent_name": names.get(t.agent_id) if t.agent_id is not None else None,
        "created_at": t.created_at.isoformat(),
        "assigned_at": t.assigned_at.isoformat() if t.assigned_at else None,
        "waited_seconds": _seconds(now, t.created_at),
        "served_seconds": _seconds(now, t.assigned_at),
        "first_response_due": t.first_response_due.isoformat(),
        "first_response_at": t.first_response_at.isoformat() if t.first_response_at else None,
        "sla_breached": t.sla_breached,
        "risk": risk(t, now, within),
        "position": position,
    }


def _queue_row(
    name: str,
    queue: Queue,
    waiting: Sequence[OpenTicket],
    served: Sequence[OpenTicket],
    online: Sequence[Member],
    chats: Mapping[int, list[int]],
    now: datetime,
    within: timedelta,
) -> dict[str, Any]:
    """One queue: who waits and since when, whose first response is due soon or missed (waiting
    or already with an agent who has not answered), and the online people who serve it."""
    here = [t for t in waiting if t.queue == name]
    oldest = min((t.created_at for t in here), default=None)
    due = sorted(
        (t for t in [*here, *(t for t in served if t.queue == name)] if risk(t, now, within)),
        key=lambda t: (t.first_response_due, t.id),
    )
    serving = [m for m in online if name in m.skills]
    return {
        "id": name,
        "name_zh": queue.name_zh,
        "name_en": queue.name_en,
        "first_response_minutes": queue.first_response.total_seconds() / 60,
        "waiting": len(here),
        "serving": sum(1 for t in served if t.queue == name),
        "oldest_since": oldest.isoformat() if oldest else None,
        "oldest_wait_seconds": _seconds(now, oldest),
        "first_response_due": [
            {
                "ticket_id": t.id,
                "status": t.status,
                "due": t.first_response_due.isoformat(),
                "seconds_left": int((t.first_response_due - now).total_seconds()),
                "risk": risk(t, now, within),
            }
            for t in due
        ],
        "due_soon": sum(1 for t in due if risk(t, now, within) == DUE_SOON),
        "missed": sum(1 for t in due if risk(t, now, within) == MISSED),
        "agents_online": len(serving),
        "seats_free": sum(_free_seats(m, chats) for m in serving),
    }


def _agent_row(m: Member, chats: list[int]) -> dict[str, Any]:
    return {
        "id": m.id,
        "username": m.username,
        "name": m.display_name,
        "role": m.role,
        "presence": m.presence,
        "skills": list(m.skills),
        "open_chats": len(chats),
        "max_chats": m.max_chats,
        "tickets": chats,
        "last_seen": m.last_seen.isoformat() if m.last_seen else None,
    }


def snapshot(session: Session, state: DeskState, *, within: timedelta = AT_RISK) -> dict[str, Any]:
    """The floor now, read from SQL (tickets, desk members) and Redis (the waiting order)."""
    members = [
        Member(a.id, a.username, a.display_name, a.role, a.presence, tuple(a.skills or ()), a.max_chats, a.last_seen)
        for a in session.scalars(select(Agent).where(Agent.role.in_(DESK_ROLES)).order_by(Agent.id))
    ]
    found = session.execute(
        select(Ticket, Conversation.sender_id)
        .join(Conversation, Conversation.id == Ticket.conversation_id)
        .where(Ticket.status.in_((QUEUED, ASSIGNED)))
    ).all()
    tickets = [_open_ticket(t, sender) for t, sender in found]
    after_hours = session.scalar(select(func.count()).select_from(Ticket).where(Ticket.status == OFFLINE))
    order = state.queue.waiting(state.rules.queues)
    return floor(
        state.now(), state.rules.queues, members, tickets, order, after_hours=int(after_hours or 0), within=within
    )


def _open_ticket(t: Ticket, sender_id: str) -> OpenTicket:
    customer = (t.context or {}).get("customer") or {}
    return OpenTicket(
        id=t.id,
        conversation_id=t.conversation_id,
        sender_id=sender_id,
        customer=customer.get("name") if isinstance(customer, dict) else None,
        status=t.status,
        queue=t.queue,
        priority=t.priority,
        labels=tuple(t.labels or ()),
        reason=t.reason,
        summary=t.summary or "",
        created_at=t.created_at,
        assigned_at=t.assigned_at,
        agent_id=t.agent_id,
        first_response_due=t.first_response_due,
        first_response_at=t.first_response_at,
        sla_breached=t.sla_breached,
    )


def hears_whisper(viewer: Viewer, whisperer: int | None, data: Mapping[str, Any] | None) -> bool:
    """A whisper is for the agent it was written to, its writer and the supervisors: a colleague
    who may read the ticket does not read it, and the customer never does."""
    return sees_all(viewer) or viewer.id in (whisperer, (data or {}).get("to_agent_id"))
