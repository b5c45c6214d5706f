"""The bot's port to the human desk: what a turn asks of it, and what it gets back.

The policy decides *that* a conversation needs a person and *why*; a `Desk` decides what happens
next (`handoff.escalation.QueueDesk` opens a ticket in the right queue). The bot owns this
interface and the desk implements it, so the bot never imports the desk.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy.orm import Session

from bot.store import Conversation

DESK_CHANNEL = "events:desk"  # where the consoles hear of tickets (a turn publishes here after its commit)

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
    "remittance_held",
    "claim",
    "lookup_unavailable",
    "keyword",
    "high_value",
)


@dataclass(frozen=True)
class HandoffRequest:
    reason: str
    context: dict[str, Any] = field(default_factory=dict)


@dataclass
class Notice:
    """Something to tell after the commit: a customer (pushed to their channel) or the desk."""

    sender_id: str | None = None
    text: str = ""
    buttons: list[dict[str, str]] | None = None
    custom: dict[str, Any] = field(default_factory=dict)
    desk_event: dict[str, Any] | None = None


@dataclass(frozen=True)
class RatingPrompt:
    text: str
    buttons: list[dict[str, str]]


class Desk(Protocol):
    """What a turn needs from the human desk, all inside the turn's transaction."""

    def escalate(self, session: Session, conversation: Conversation, request: HandoffRequest) -> list[Notice]:
        """Hand the conversation over; returns what to tell the customer and the desk afterwards."""
        ...

    def upset_while_waiting(self, session: Session, conversation: Conversation, major: str | None) -> list[Notice]:
        """A customer already waiting got angry (or threatened to go outside: `major`)."""
        ...

    def subject_while_waiting(self, session: Session, conversation: Conversation, topic: str | None) -> list[Notice]:
        """A customer already waiting said what it is about (`topic`): the ticket may find its desk."""
        ...

    def keyword_queue(self, session: Session, text: str) -> tuple[str, str] | None:
        """A staff escalation keyword in `text`, with the queue it sends to."""
        ...

    def rating_prompt(self, lang: str) -> RatingPrompt:
        """How the bot asks a customer it helped to rate the chat."""
        ...

    def rate(self, session: Session, conversation: Conversation, score: int, ticket_id: int | None) -> str:
        """Store a 1–5 rating; returns the thanks to show."""
        ...
