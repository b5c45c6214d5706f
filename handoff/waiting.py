"""What a waiting customer is told: their place in the queue and about how long until a person
picks up (handoff/desk.py `estimated_wait`, fed with the desk's recent handling times).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.escalation import Notice
from bot.store import Conversation
from handoff.agents import DESK_ROLES
from handoff.desk import estimated_wait
from handoff.lines import line
from handoff.models import QUEUED, Agent, Ticket
from handoff.state import DeskState

POSITION_UPDATES = 10  # how many of those waiting hear their new place when the queue moves


def wait_minutes(state: DeskState, session: Session, queue: str, position: int) -> int:
    """Whole minutes (at least one) until someone `position` places from the front is picked up."""
    agents = (
        session.scalar(
            select(func.count()).select_from(Agent).where(Agent.presence == "online", Agent.role.in_(DESK_ROLES))
        )
        or 0
    )
    recent = session.execute(
        select(Ticket.assigned_at, Ticket.closed_at)
        .where(Ticket.queue == queue, Ticket.closed_at.is_not(None), Ticket.assigned_at.is_not(None))
        .order_by(Ticket.closed_at.desc())
        .limit(50)
    ).all()
    handle = [(c - a).total_seconds() / 60 for a, c in recent if a and c]
    return max(1, round(estimated_wait(state.rules, position, handle, int(agents))))


def queued_notice(state: DeskState, session: Session, ticket: Ticket, lang: str, desk_event: dict[str, Any]) -> Notice:
    """What a customer whose ticket just joined its queue hears (the team, their place, the wait),
    with the desk's event about it."""
    q = state.rules.queues[ticket.queue]
    queue_name = q.name_zh if lang == "zh" else q.name_en
    position = state.queue.position(ticket.id, ticket.queue) or 1
    minutes = wait_minutes(state, session, ticket.queue, position)
    if position <= 1:
        text = line("queued_next", lang, queue=queue_name, minutes=minutes)
    else:
        text = line("queued", lang, queue=queue_name, ahead=position - 1, minutes=minutes)
    return Notice(text=text, custom={"queue": ticket.queue, "position": position}, desk_event=desk_event)


def positions(state: DeskState, session: Session, queue: str) -> list[Notice]:
    """Tell the first few still waiting in `queue` where they are now (further back, the
    quoted wait barely moves; they hear again as they come forward)."""
    front = [t for _, t in state.queue.waiting([queue])[:POSITION_UPDATES]]
    if not front:
        return []
    rows = session.execute(
        select(Ticket.id, Conversation.sender_id, Conversation.language)
        .join(Conversation, Ticket.conversation_id == Conversation.id)
        .where(Ticket.id.in_(front), Ticket.status == QUEUED)
    ).all()
    who = {int(t): (sender, lang or "zh") for t, sender, lang in rows}
    per_place = wait_minutes(state, session, queue, 1)
    notices = []
    for position, ticket_id in enumerate(front, start=1):
        if ticket_id not in who:
            continue
        sender, lang = who[ticket_id]
        if position <= 1:
            text = line("position_next", lang, minutes=per_place)
        else:
            text = line("position", lang, ahead=position - 1, minutes=per_place * position)
        notices.append(Notice(sender, text, custom={"queue": queue, "position": position, "system": True}))
    return notices
