"""What agents' consoles hear of a ticket: how it shows in queues, and the desk events about it.

An event carries the ticket's queue and owners, which consoles are filtered by (handoff/access.py).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from handoff.models import Ticket
from handoff.visibility import owners_of


def ticket_summary(t: Ticket, position: int | None = None) -> dict[str, Any]:
    """A ticket as queues and events show it (its full context is fetched on opening)."""
    return {
        "id": t.id,
        "conversation_id": t.conversation_id,
        "status": t.status,
        "reason": t.reason,
        "queue": t.queue,
        "priority": t.priority,
        "labels": t.labels or [],
        "created_at": t.created_at.isoformat(),
        "first_response_due": t.first_response_due.isoformat(),
        "first_response_at": t.first_response_at.isoformat() if t.first_response_at else None,
        "sla_breached": t.sla_breached,
        "agent_id": t.agent_id,
        "summary": t.summary,
        "position": position,
        "csat": t.csat,
        "offered_to": t.offered_to,
    }


def desk_event(session: Session, about: Ticket, kind: str, **extra: Any) -> dict[str, Any]:
    """A desk event about a ticket, with what consoles are filtered by (handoff/access.py)."""
    return {
        "type": kind,
        "ticket_id": about.id,
        "conversation_id": about.conversation_id,
        "queue": about.queue,
        "owners": owners_of(session, about.id, about.agent_id),
        **extra,
    }
