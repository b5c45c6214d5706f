"""The seam between the bot and the human desk: a handoff request and where it goes.

The policy decides *that* a conversation needs a person and *why*; `Escalator` decides what
happens next. Today it marks the conversation as waiting; the queue plugs in here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy.orm import Session

from bot.db import utcnow
from bot.store import PENDING_HANDOFF, Conversation

# Why a conversation went to a person; recorded on the conversation (and later the ticket).
REASONS = ("human_request", "complaint", "anger", "fallback", "order_lookup", "slot_failed")


@dataclass(frozen=True)
class HandoffRequest:
    reason: str
    context: dict[str, Any] = field(default_factory=dict)


class Escalator(Protocol):
    def escalate(self, session: Session, conversation: Conversation, request: HandoffRequest) -> None: ...


class MarkPending:
    """Marks the conversation as waiting for a person, with the reason and the time."""

    def escalate(self, session: Session, conversation: Conversation, request: HandoffRequest) -> None:
        conversation.state = PENDING_HANDOFF
        conversation.handoff_reason = request.reason
        conversation.handoff_at = utcnow()
        conversation.meta = {**(conversation.meta or {}), "handoff_context": request.context}
