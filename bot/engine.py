"""One inbound message, end to end: lock, owner check, NLU, policy, persist, deliver.

Channels call `Engine.handle` with plain data and deliver what it returns; they never
decide what to say.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from actions.protocol import MalformedCall
from bot.action_client import ActionRunner, ActionUnavailable, action_call, apply
from bot.escalation import DESK_CHANNEL, Desk, HandoffRequest, Notice
from bot.identity import verified_phone
from bot.knowledge import Knowledge
from bot.nlu.language import Language
from bot.nlu.parser import OUT_OF_SCOPE, Parse
from bot.nlu.sentiment import Sentiment
from bot.policy import QUESTION_SLOTS, Decision, Policy, Reply, State
from bot.script import in_script, written_in
from bot.store import (
    BOT,
    HUMAN,
    PENDING_HANDOFF,
    Conversation,
    Message,
    get_or_create,
    recent_inbound,
    unanswered_while_human,
)
from core import errors, logs, metrics
from core.db import Database
from core.runtime import EVENTS_CHANNEL, Runtime, ServiceUnavailable, customer_channel
from core.text import strip_control

log = logging.getLogger(__name__)


# Photos a conversation keeps in its `photos` slot for a claim (the newest).
MAX_PHOTOS = 20
# The intent and topic recorded for a photo without words.
ATTACHMENT = "attachment"
_CSAT = re.compile(r"^/csat(\{.*\})$")
# Every nullable column of a message, named on each row: a turn's inbound and outbound rows
# then go to the database as one INSERT (the ORM batches rows naming the same columns).
_MESSAGE_NULLS: dict[str, Any] = {c.key: None for c in Message.__table__.columns if c.nullable}


def _message(**values: Any) -> Message:
    return Message(**(_MESSAGE_NULLS | values))


class InvalidMessage(errors.Unprocessable, ValueError):
    """The message cannot be accepted as sent; the text says why, for the customer."""


@dataclass(frozen=True)
class Attachment:
    """A file the customer sent (a photo of the damage): kept in the media store under `media_id`."""

    media_id: str
    content_type: str
    name: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"media_id": self.media_id, "content_type": self.content_type, "name": self.name}


@dataclass(frozen=True)
class InboundMessage:
    sender_id: str
    text: str
    channel: str = "rest"
    metadata: dict[str, Any] = field(default_factory=dict)
    attachments: tuple[Attachment, ...] = ()


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
        knowledge: Knowledge,
        policy: Policy,
        desk: Desk,
        *,
        max_chars: int = 2000,
        actions: ActionRunner | None = None,
        identity_secret: str | None = None,
        push: Callable[[list[OutboundMessage]], None] | None = None,
    ) -> None:
        self._db = db
        self._runtime = runtime
        self._knowledge = knowledge
        self._policy = policy
        self._desk = desk
        self._max_chars = max_chars
        self._actions = actions
        self._identity_secret = identity_secret
        # Sends later messages to a chat app's customer (bot/channels/contract.Pushes); the web
        # page's customers get them over the chat socket from the publication below.
        self._push = push

    def clean(self, message: InboundMessage) -> InboundMessage:
        """Validate and tidy the text; raises InvalidMessage with a readable reason."""
        sender = message.sender_id.strip()
        if not sender or len(sender) > 128:
            raise InvalidMessage("sender must be a non-empty string of at most 128 characters")
        text = strip_control(message.text).strip()
        if not text and not message.attachments:
            raise InvalidMessage("message is empty")
        if len(text) > self._max_chars:
            raise InvalidMessage(f"message is too long: {len(text)} characters, the limit is {self._max_chars}")
        return replace(message, sender_id=sender, text=text)

    def handle(self, message: InboundMessage) -> list[OutboundMessage]:
        with logs.bound(sender_id=message.sender_id, channel=message.channel):
            message = self.clean(message)
            metrics.MESSAGES.labels(message.channel).inc()
            with metrics.REPLY_SECONDS.time():
                return self._handle(message)

    def take_up(self, conversation_id: str) -> list[OutboundMessage]:
        """A person handed the chat back: the customer's latest message, if it came while the person
        had the chat and they did not answer it, is answered now as if it had just arrived (its
        record kept, not repeated); the replies are pushed to the customer."""
        with self._db.session() as session:
            conv = session.get(Conversation, conversation_id)
            if conv is None or conv.state != BOT:
                return []
            waiting = unanswered_while_human(session, conversation_id=conv.id)
            if waiting is None:
                return []
            message, retake = InboundMessage(conv.sender_id, waiting.text, conv.channel), waiting.id
        with logs.bound(sender_id=message.sender_id, channel=message.channel):
            replies = self._handle(message, retake=retake)
        self.deliver([Notice(r.recipient_id, r.text, r.buttons, r.custom or {}) for r in replies])
        return replies

    def _handle(self, message: InboundMessage, retake: int | None = None) -> list[OutboundMessage]:
        with self._runtime.lock(f"conversation:{message.sender_id}"):
            with self._db.session() as session:
                conv = get_or_create(session, sender_id=message.sender_id, channel=message.channel)
                logs.tag(conversation_id=conv.id)
                previous = recent_inbound(session, conversation_id=conv.id, within=12)
                # While a person owns the chat a rating is a message like any other: kept, unanswered.
                if (rating := _CSAT.match(message.text)) is not None and conv.state != HUMAN:
                    return self._rate(session, conv, message, rating.group(1))
                if not message.text:  # a photo with no words: nothing to read
                    parse = _wordless(message, conv.language)
                    record = self._record_in(session, conv, message, parse)
                    decision = self._policy.photo(_state(conv))
                    keyword = None
                else:
                    parse = self._knowledge.nlu.parse(message.text, previous)
                    record = self._record_in(session, conv, message, parse, retake)
                    keyword = self._desk.keyword_queue(session, message.text) if conv.state == BOT else None
                    decision = self._policy.decide(parse, _state(conv), keyword=keyword[0] if keyword else None)
                if keyword is not None:
                    decision = replace(
                        decision, handoff_context={**decision.handoff_context, "keyword_queue": keyword[1]}
                    )
                if (
                    conv.state == BOT
                    and parse.intent in ("thanks", "goodbye")
                    and not (conv.meta or {}).get("csat_asked")
                ):
                    decision = self._ask_rating(conv, decision)
                if decision.action is None:
                    outbound, events = self._conclude(session, conv, message, parse, decision, record)
                conversation_id = conv.id
            if decision.action is not None:
                # The action runs with no transaction of ours open: it reads (and may write) the
                # merchant's data through its own connection, possibly in another process.
                decision = self._run_action(message, parse, decision)
                with self._db.session() as session:
                    conv = session.get_one(Conversation, conversation_id, with_for_update=True)
                    session.add(record)  # saved by the first session; this one records its outcome
                    outbound, events = self._conclude(session, conv, message, parse, decision, record)
        # One line a turn (masked by the log filter: phone numbers, addresses, cards).
        log.info(
            "turn %r: %s %s %.2f, %s%s",
            message.text[:200],
            parse.language,
            parse.topic,
            parse.confidence,
            record.outcome,
            f", handoff {decision.handoff}" if decision.handoff else "",
        )
        self.announce(events)
        return outbound

    def _ask_rating(self, conv: Conversation, decision: Decision) -> Decision:
        """A customer the bot helped says thanks or goodbye: ask once how it went."""
        conv.meta = {**(conv.meta or {}), "csat_asked": True}
        lang = decision.language
        asked = self._desk.rating_prompt(lang)
        prompt = Reply(asked.text, asked.buttons, {"csat": "bot"})
        return replace(decision, replies=[*decision.replies, prompt])

    def _rate(self, session: Any, conv: Conversation, message: InboundMessage, raw: str) -> list[OutboundMessage]:
        """A rating button: store the score (for the ticket's agent and queue, if any) and thank."""
        try:
            data = json.loads(raw)
            score = int(data["score"])
            ticket = int(data["ticket"]) if data.get("ticket") is not None else None
            if ticket is not None and abs(ticket) >= 2**31:  # no ticket has it; SQLite's driver overflows on it
                raise ValueError(ticket)
        # 1e400 is float('inf'), which int() overflows; json.loads recurses a level per bracket.
        except (ValueError, KeyError, TypeError, OverflowError, RecursionError) as exc:
            raise InvalidMessage("a rating needs a score from 1 to 5") from exc
        if not 1 <= score <= 5:
            raise InvalidMessage("a rating needs a score from 1 to 5")
        session.add(
            Message(conversation_id=conv.id, direction="in", author="customer", text=f"{score}/5", topic="csat")
        )
        text = self._desk.rate(session, conv, score, ticket)
        session.add(Message(conversation_id=conv.id, direction="out", author="bot", text=text, language=conv.language))
        return [OutboundMessage(conv.sender_id, text, custom={"csat": score})]

    def announce(self, events: list[dict[str, Any]]) -> None:
        """Tell the consoles of a turn, after its commit."""
        self._publish([(EVENTS_CHANNEL if event.get("type") == "message" else DESK_CHANNEL, event) for event in events])

    def deliver(self, notices: list[Notice]) -> None:
        """After a desk operation's commit: push its messages to customers, its events to the consoles."""
        out: list[tuple[str, dict[str, Any]]] = []
        pushed: list[OutboundMessage] = []
        for n in notices:
            if n.sender_id and (n.text or (n.custom or {}).get("attachments")):  # an agent's photo alone too
                message = OutboundMessage(n.sender_id, n.text, n.buttons, n.custom or None)
                pushed.append(message)
                out.append((customer_channel(n.sender_id), message.as_rasa()))
            if n.desk_event:
                out.append((DESK_CHANNEL, n.desk_event))
        self._publish(out)
        if pushed and self._push is not None:
            self._push(pushed)

    def _publish(self, items: list[tuple[str, dict[str, Any]]]) -> None:
        """The one place that publishes after a commit. What is published is saved already: a
        lost publication is caught up from the database (the consoles refetch, the page polls)."""
        for channel, payload in items:
            try:
                self._runtime.publish(channel, payload)
            except ServiceUnavailable:
                log.warning("could not publish %s on %s: Redis unavailable", payload.get("type"), channel)

    def _conclude(
        self,
        session: Any,
        conv: Conversation,
        message: InboundMessage,
        parse: Parse,
        decision: Decision,
        record: Message,
    ) -> tuple[list[OutboundMessage], list[dict[str, Any]]]:
        """Keep the decision's bookkeeping, hand over if due, and record the replies."""
        record.outcome = outcome(parse, decision)
        conv.language = decision.language
        conv.fallback_count = decision.fallback_count
        conv.slots = decision.slots
        script = written_in(message.text) or (conv.slots or {}).get("script")
        if script is not None:
            conv.slots = {**conv.slots, "script": script}  # the bot answers in the customer's script
        if decision.handoff:
            context = {
                **decision.handoff_context,
                "topic": parse.topic,
                "subject": parse.subject,
                "anger": parse.sentiment.anger,
                "major": parse.major,
                "last_message": message.text,
            }
            notices = self._desk.escalate(session, conv, HandoffRequest(decision.handoff, context))
            metrics.HANDOFFS.labels(decision.handoff).inc()
            extra = [
                Reply(n.text, n.buttons, {**n.custom, "system": True}) for n in notices if n.text and not n.sender_id
            ]
            decision = replace(decision, replies=[*decision.replies, *extra])
            desk_events = [n.desk_event for n in notices if n.desk_event]
        else:
            desk_events = []
        upset = parse.sentiment.angry or parse.major
        if conv.state == PENDING_HANDOFF and not decision.handoff:
            notices = self._desk.subject_while_waiting(session, conv, parse.subject or parse.topic)
            if upset:
                notices += self._desk.upset_while_waiting(session, conv, parse.major)
            desk_events += [n.desk_event for n in notices if n.desk_event]
        outbound = self._record_out(session, conv, decision)
        event = {
            "type": "message",
            "conversation_id": conv.id,
            "sender_id": conv.sender_id,
            "state": conv.state,
            "handoff": decision.handoff,
            "topic": parse.topic,
        }
        return outbound, [event, *desk_events]

    def _run_action(self, message: InboundMessage, parse: Parse, decision: Decision) -> Decision:
        """Ask the action server; fold its events and replies into the decision."""
        assert decision.action is not None
        slots = dict(decision.slots)
        if self._actions is None:
            return self._action_failed(parse, decision, "no action runner configured")
        call = action_call(
            decision.action,
            sender_id=message.sender_id,
            slots=slots,
            latest_message=parse.as_dict(),
            active_loop=slots.get("active_loop"),
            channel=message.channel,
        )
        try:
            response = self._actions.run(call)
        except (ActionUnavailable, MalformedCall) as exc:
            return self._action_failed(parse, decision, str(exc))
        result = apply(response, slots, slots.get("active_loop"))
        new_slots = dict(result.slots)
        new_slots.pop("active_loop", None)
        if result.active_loop:
            new_slots["active_loop"] = result.active_loop
        replies = [Reply(r["text"], r["buttons"], r["custom"]) for r in result.replies]
        if result.handoff:
            # What the lookup told the customer goes with the ticket ("挂账: 户名不一致 …"): the
            # person starts from the explanation already given, not from the order number.
            told = [r.text for r in replies]
            context = {"lookup": new_slots.get("lookup"), "action": decision.action, "told": told}
            for key in ("order_id", "claim_kind", "verified_customer"):
                if new_slots.get(key):
                    context[key] = new_slots[key]
            return replace(
                decision,
                replies=replies,
                slots=new_slots,
                kind="handoff",
                handoff=result.handoff,
                handoff_context=context,
            )
        return replace(decision, replies=replies, slots=new_slots)

    def _action_failed(self, parse: Parse, decision: Decision, why: str) -> Decision:
        """The lookup failed: give the general answer if there is one, and a person takes over."""
        log.error("action %s failed: %s", decision.action, why)
        metrics.ACTION_FAILURES.labels(decision.action or "").inc()
        lang = decision.language
        replies = []
        entry = self._knowledge.entries.get(parse.faq_id) if parse.faq_id else None
        if entry is not None:
            replies.append(Reply(entry.answer[lang], custom={"faq_id": entry.id, "topic": entry.topic}))
        reason = "lookup_unavailable"
        replies.append(Reply(self._policy.say(reason, lang), custom={"handoff": True, "reason": reason}))
        slots = {k: v for k, v in decision.slots.items() if k not in QUESTION_SLOTS}
        context = {"action": decision.action, "error": why}
        return replace(decision, replies=replies, slots=slots, kind="handoff", handoff=reason, handoff_context=context)

    def _record_in(
        self, session: Any, conv: Conversation, message: InboundMessage, parse: Parse, retake: int | None = None
    ) -> Message:
        """The inbound message's record, with what the NLU made of it; `retake`: the id of a message
        recorded before and answered only now (take_up), whose row is reused."""
        if retake is not None:
            record: Message = session.get_one(Message, retake)
            record.parse, record.topic, record.confidence = parse.as_dict(), parse.topic, parse.confidence
            record.language = parse.language
            return record
        conv.channel = message.channel
        if message.metadata:
            conv.meta = {**(conv.meta or {}), "last_metadata": message.metadata}
            phone = verified_phone(message.metadata, self._identity_secret)
            if phone and (conv.slots or {}).get("verified_phone") != phone:
                conv.slots = {**(conv.slots or {}), "verified_phone": phone}
        if message.attachments:
            # Kept as slots too: a claim opened later in the conversation takes them (actions/claims.py).
            photos = [*(conv.slots or {}).get("photos", []), *(a.media_id for a in message.attachments)]
            conv.slots = {**(conv.slots or {}), "photos": photos[-MAX_PHOTOS:]}
        record = _message(
            conversation_id=conv.id,
            direction="in",
            author="customer",
            text=message.text,
            custom={"attachments": [a.as_dict() for a in message.attachments]} if message.attachments else None,
            parse=parse.as_dict(),
            topic=parse.topic,
            confidence=parse.confidence,
            language=parse.language,
        )
        session.add(record)
        return record

    def _record_out(self, session: Any, conv: Conversation, decision: Decision) -> list[OutboundMessage]:
        """The replies, in the customer's script (bot/script.py), recorded as the customer sees them."""
        script = (conv.slots or {}).get("script") if decision.language == "zh" else None
        out = []
        for reply in decision.replies:
            text = in_script(reply.text, script)
            buttons = [{**b, "title": in_script(b["title"], script)} for b in reply.buttons] if reply.buttons else None
            session.add(
                _message(
                    conversation_id=conv.id,
                    direction="out",
                    author="bot",
                    text=text,
                    buttons=buttons,
                    custom=reply.custom,
                    language=decision.language,
                )
            )
            out.append(OutboundMessage(conv.sender_id, text, buttons, reply.custom))
        return out


def _wordless(message: InboundMessage, language: str | None) -> Parse:
    """What there is to understand of a photo sent without words: that it is one."""
    lang: Language = "en" if language == "en" else "zh"
    return Parse(message.text, lang, ATTACHMENT, 1.0, ATTACHMENT, None, [], [], Sentiment(0.0, False))


def outcome(parse: Parse, decision: Decision) -> str:
    """What became of an inbound message, as the inbox counts it: the decision's kind, except
    that a message declined as surely not ours is `declined`, and a fallback on a message the
    knowledge base has nothing for (unsure it is not ours) is `out_of_scope`."""
    if decision.kind == "decline":
        return "declined"
    if decision.kind == "fallback" and parse.topic == OUT_OF_SCOPE:
        return OUT_OF_SCOPE
    return decision.kind


def _state(conv: Conversation) -> State:
    return State(
        state=conv.state, language=conv.language, fallback_count=conv.fallback_count, slots=dict(conv.slots or {})
    )
