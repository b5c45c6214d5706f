"""The seam between the bot and the human desk: a handoff request and where it goes.

The policy decides *that* a conversation needs a person and *why*; an `Escalator` decides
what happens next. `MarkPending` only marks the conversation; `QueueEscalator` opens a ticket
in the desk's queue and tells the customer their place in it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy.orm import Session

from bot.db import utcnow
from bot.store import PENDING_HANDOFF, Conversation
from handoff.service import HelpDesk, Notice

# Why a conversation went to a person; recorded on the conversation and the ticket.
REASONS = (
    "human_request",
    "complaint",
    "anger",
    "fallback",
    "slot_failed",
    "order_not_found",
    "verification_failed",
    "tracking_stuck",
    "remittance_overdue",
    "remittance_review",
    "claim",
    "lookup_unavailable",
    "keyword",
    "high_value",
    "repeated",
)


@dataclass(frozen=True)
class HandoffRequest:
    reason: str
    context: dict[str, Any] = field(default_factory=dict)


class Escalator(Protocol):
    def escalate(self, session: Session, conversation: Conversation, request: HandoffRequest) -> list[Notice]:
        """Hand the conversation over; returns what to tell the customer and the desk afterwards."""
        ...


class MarkPending:
    """Marks the conversation as waiting for a person, with the reason and the time."""

    def escalate(self, session: Session, conversation: Conversation, request: HandoffRequest) -> list[Notice]:
        conversation.state = PENDING_HANDOFF
        conversation.handoff_reason = request.reason
        conversation.handoff_at = utcnow()
        conversation.meta = {**(conversation.meta or {}), "handoff_context": request.context}
        return []


class QueueEscalator(MarkPending):
    """Marks the conversation and opens a ticket in the right queue of the desk."""

    def __init__(self, desk: HelpDesk) -> None:
        self.desk = desk

    def escalate(self, session: Session, conversation: Conversation, request: HandoffRequest) -> list[Notice]:
        super().escalate(session, conversation, request)
        _, notices = self.desk.open_ticket(session, conversation, request.reason, request.context)
        return notices
