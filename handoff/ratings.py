"""Customer ratings (1–5): the survey's buttons, and storing the one rating each survey counts.

A resolved ticket's survey rates its agent and queue; without a ticket the bot is rated, once
per conversation.
"""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.store import Conversation
from handoff.lines import line
from handoff.models import RESOLVED, Rating, Ticket


def rating_buttons(lang: str, ticket_id: int | None) -> list[dict[str, str]]:
    """Five buttons, 1 (very poor) to 5; each sends `/csat{"score":…}`, with the ticket if any."""
    labels = ["1 非常不满意", "2 不满意", "3 一般", "4 满意", "5 非常满意"]
    if lang != "zh":
        labels = ["1 very poor", "2 poor", "3 okay", "4 good", "5 excellent"]
    out = []
    for score, label in enumerate(labels, start=1):
        data: dict[str, int] = {"score": score}
        if ticket_id is not None:
            data["ticket"] = ticket_id
        out.append({"title": label, "payload": "/csat" + json.dumps(data, separators=(",", ":"))})
    return out


def rate(session: Session, conv: Conversation, score: int, ticket_id: int | None) -> str:
    """Store a 1–5 rating, one per survey: a resolved ticket's (for its agent and queue) or,
    without one, the bot's (asked once per conversation). The first rating counts; a later one
    (the same button pressed again, another score) is thanked and changes nothing."""
    ticket = session.get(Ticket, ticket_id) if ticket_id is not None else None
    if ticket is not None and (ticket.conversation_id != conv.id or ticket.status != RESOLVED):
        ticket = None  # someone else's, or not finished: rate this conversation only
    lang = conv.language or "zh"
    if ticket is not None:
        rated = ticket.csat is not None
    else:
        rated = (
            session.scalar(
                select(Rating.id).where(Rating.conversation_id == conv.id, Rating.ticket_id.is_(None)).limit(1)
            )
            is not None
        )
    if rated:
        return line("already_rated", lang)
    if ticket is not None:
        ticket.csat = score
    session.add(
        Rating(
            conversation_id=conv.id,
            ticket_id=ticket.id if ticket else None,
            agent_id=ticket.agent_id if ticket else None,
            queue=ticket.queue if ticket else None,
            score=score,
        )
    )
    return line("thanks_rating", lang)
