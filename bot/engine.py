"""One inbound message, end to end: lock, owner check, NLU, policy, persist, deliver.

Channels call `Engine.handle` with plain data and deliver what it returns; they never
decide what to say.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from bot.db import Database
from bot.nlu.normalize import strip_control
from bot.nlu.parser import NLU, Parse
from bot.policy import Decision, Policy, State
from bot.runtime import EVENTS_CHANNEL, Runtime, ServiceUnavailable, customer_channel
from bot.store import Conversation, Message, get_or_create, transcript
from handoff.escalation import Escalator, HandoffRequest, MarkPending

log = logging.getLogger(__name__)


class InvalidMessage(ValueError):
    """The message cannot be accepted as sent; the text says why, for the customer."""


@dataclass(frozen=True)
class InboundMessage:
    sender_id: str
    text: str
    channel: str = "rest"
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class OutboundMessage:
    recipient_id: str
    text: str
    buttons: list[dict[str, str]] | None = None
    custom: dict[str, Any] | None = None

    def as_rasa(self) -> dict[str, Any]:
        """Rasa REST channel shape: recipient_id, text, and buttons/custom when present."""
        out: dict[str, Any] = {"recipient_id": self.recipient_id, "text": self.text}
        if self.buttons:
            out["buttons"] = self.buttons
        if self.custom:
            out["custom"] = self.custom
        return out


class Engine:
    def __init__(
        self,
        db: Database,
        runtime: Runtime,
        nlu: NLU,
        policy: Policy,
        escalator: Escalator | None = None,
        max_chars: int = 2000,
    ) -> None:
        self.db = db
        self.runtime = runtime
        self.nlu = nlu
        self.policy = policy
        self.escalator = escalator or MarkPending()
        self.max_chars = max_chars

    def clean(self, message: InboundMessage) -> InboundMessage:
        """Validate and tidy the text; raises InvalidMessage with a readable reason."""
        sender = message.sender_id.strip()
        if not sender or len(sender) > 128:
            raise InvalidMessage("sender must be a non-empty string of at most 128 characters")
        text = strip_control(message.text).strip()
        if not text:
            raise InvalidMessage("message is empty")
        if len(text) > self.max_chars:
            raise InvalidMessage(f"message is too long: {len(text)} characters, the limit is {self.max_chars}")
        return InboundMessage(sender, text, message.channel, message.metadata)

    def handle(self, message: InboundMessage) -> list[OutboundMessage]:
        message = self.clean(message)
        with self.runtime.lock(f"conversation:{message.sender_id}"), self.db.session() as session:
            conv = get_or_create(session, sender_id=message.sender_id, channel=message.channel)
            previous = [m.text for m in transcript(session, conversation_id=conv.id, limit=12) if m.direction == "in"]
            parse = self.nlu.parse(message.text, previous)
            self._record_in(session, conv, message, parse)
            decision = self.policy.decide(parse, _state(conv))
            conv.language = decision.language
            conv.fallback_count = decision.fallback_count
            conv.slots = decision.slots
            if decision.handoff:
                context = {
                    **decision.handoff_context,
                    "topic": parse.topic,
                    "anger": parse.sentiment.anger,
                    "last_message": message.text,
                }
                self.escalator.escalate(session, conv, HandoffRequest(decision.handoff, context))
            outbound = self._record_out(session, conv, decision)
            event = {
                "type": "message",
                "conversation_id": conv.id,
                "sender_id": conv.sender_id,
                "state": conv.state,
                "handoff": decision.handoff,
                "topic": parse.topic,
            }
        try:
            self.runtime.publish(EVENTS_CHANNEL, event)
        except ServiceUnavailable:
            # The turn is saved; consoles catch up from the database. The customer still gets the reply.
            log.warning("could not announce a message of conversation %s: Redis unavailable", event["conversation_id"])
        return outbound

    def push(self, sender_id: str, message: OutboundMessage) -> None:
        """Deliver a message to the customer's open sockets (agent replies, later notices)."""
        self.runtime.publish(customer_channel(sender_id), message.as_rasa())

    def _record_in(self, session: Any, conv: Conversation, message: InboundMessage, parse: Parse) -> None:
        conv.channel = message.channel
        if message.metadata:
            conv.meta = {**(conv.meta or {}), "last_metadata": message.metadata}
        session.add(
            Message(
                conversation_id=conv.id,
                direction="in",
                author="customer",
                text=message.text,
                parse=parse.as_dict(),
                topic=parse.topic,
                confidence=parse.confidence,
                language=parse.language,
            )
        )

    def _record_out(self, session: Any, conv: Conversation, decision: Decision) -> list[OutboundMessage]:
        out = []
        for reply in decision.replies:
            session.add(
                Message(
                    conversation_id=conv.id,
                    direction="out",
                    author="bot",
                    text=reply.text,
                    buttons=reply.buttons,
                    custom=reply.custom,
                    language=decision.language,
                )
            )
            out.append(OutboundMessage(conv.sender_id, reply.text, reply.buttons, reply.custom))
        return out


def _state(conv: Conversation) -> State:
    return State(
        state=conv.state, language=conv.language, fallback_count=conv.fallback_count, slots=dict(conv.slots or {})
    )
