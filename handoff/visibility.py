"""Which tickets an agent may see, read from SQL: a ticket's owners, the access rule applied to
one ticket, and the conversations an agent's console hears.

The rule itself is pure (handoff/access.py); this module fetches what it needs. A ticket an
agent may not see is not found, exactly as one that does not exist.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.store import Conversation
from handoff.access import OWNING_EVENTS, Viewer, covers, owners
from handoff.errors import NotFound
from handoff.models import OPEN_STATES, Agent, Ticket, TicketEvent


def load(session: Session, ticket_id: int, *, lock: bool = False) -> tuple[Ticket, Conversation]:
    """The ticket and its conversation, whoever asks (`lock`: held until the commit)."""
    query = select(Ticket).where(Ticket.id == ticket_id)
    ticket = session.scalars(query.with_for_update() if lock else query).first()
    if ticket is None:
        raise NotFound(f"no ticket {ticket_id}")
    conv = session.get_one(Conversation, ticket.conversation_id)
    return ticket, conv


def load_for(session: Session, ticket_id: int, agent: Agent, *, lock: bool = False) -> tuple[Ticket, Conversation]:
    """The ticket and its conversation, if `agent` may see them (handoff/access.py); one they
    may not see is not found, as a ticket that does not exist."""
    ticket, conv = load(session, ticket_id, lock=lock)
    if not may_work(session, agent, ticket.id, ticket.queue, ticket.agent_id):
        raise NotFound(f"no ticket {ticket_id}")
    return ticket, conv


def may_work(session: Session, agent: Agent, ticket_id: int, queue: str, current: int | None) -> bool:
    """The access rule for one ticket; its history is read only when its queue is not the agent's."""
    viewer = Viewer.of(agent)
    return covers(viewer, queue) or viewer.id in owners_of(session, ticket_id, current)


def owners_of(session: Session, ticket_id: int, current: int | None) -> list[int]:
    """Who owns or owned the ticket: `current` (its agent now), then its claims and transfers."""
    history = session.execute(
        select(TicketEvent.kind, TicketEvent.agent_id, TicketEvent.data)
        .where(TicketEvent.ticket_id == ticket_id, TicketEvent.kind.in_(OWNING_EVENTS))
        .order_by(TicketEvent.id)
    ).all()
    return owners(current, [(k, a, d) for k, a, d in history])


def visible_conversations(session: Session, agent: Agent) -> set[str]:
    """The conversations of the open tickets `agent` may see: whose messages their console
    hears. Two queries, however many tickets wait."""
    viewer = Viewer.of(agent)
    rows = session.execute(
        select(Ticket.id, Ticket.conversation_id, Ticket.queue, Ticket.agent_id).where(Ticket.status.in_(OPEN_STATES))
    ).all()
    seen = {c for _, c, q, _ in rows if covers(viewer, q)}
    others = {i: (c, a) for i, c, q, a in rows if c not in seen}
    if not others:
        return seen
    history: dict[int, list[tuple[str, int | None, dict[str, Any] | None]]] = {i: [] for i in others}
    for ticket_id, kind, agent_id, data in session.execute(
        select(TicketEvent.ticket_id, TicketEvent.kind, TicketEvent.agent_id, TicketEvent.data)
        .join(Ticket, Ticket.id == TicketEvent.ticket_id)
        .where(Ticket.status.in_(OPEN_STATES), TicketEvent.kind.in_(OWNING_EVENTS))
        .order_by(TicketEvent.id)
    ):
        if ticket_id in history:
            history[ticket_id].append((kind, agent_id, data))
    return seen | {c for i, (c, a) in others.items() if viewer.id in owners(a, history[i])}
