"""One generated conversation: its messages, tickets, ticket events and ratings, as rows, in the
shapes the engine and the desk write (bot/engine.py, handoff/tickets.py, handoff/operations.py,
handoff/ratings.py), and its own state as the last of them left it.

Time runs forward through a story in seconds since the epoch (UTC); nothing happens after the
history's cut-off: the step that would is not taken (`PastCutoff`), and the conversation, its
ticket and the desk stay as they were at that moment.
"""

from __future__ import annotations

import bisect
import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from random import Random
from typing import Any, TypeVar, cast

from bot.nlu.language import reply_language
from bot.policy import QUESTION_SLOTS
from bot.store import BOT, Message
from handoff.desk import DESK_TZ
from handoff.operations import as_agent
from triage.history_talk import Said, Talk, in_script, parse

# A message row: conversation_id, direction, author, text, buttons, custom, parse, topic,
# confidence, language, outcome, created_at (the columns of `MESSAGE_COLUMNS`), then the `Ref`
# that learns its id when something must name it (a ticket's `handed_at`), else None.
MESSAGE_COLUMNS = ("conversation_id", "direction", "author", "text", "buttons", "custom", "parse", "topic",
                   "confidence", "language", "outcome", "created_at")  # fmt: skip
AT = MESSAGE_COLUMNS.index("created_at")


class PastCutoff(Exception):
    """The next step would happen after the history's cut-off: the story ends where it is."""


@dataclass(eq=False)
class Ref:
    """A ticket's or a message's id, given when it is written (ids follow time, as the product's do)."""

    id: int | None = None


@dataclass(frozen=True)
class CsatButtons:
    """The survey's buttons after a resolved ticket: they name the ticket, whose id comes at writing."""

    lang: str
    ticket: Ref

    def value(self) -> list[dict[str, str]]:
        return Talk.rating_buttons(self.lang, self.ticket.id)


T = TypeVar("T")


def pick(rng: Random, weighted: tuple[tuple[T, float], ...]) -> T:
    """One of the choices, as often as its weight says."""
    keys, cumulative = _cumulative(weighted)
    return keys[bisect.bisect(cumulative, rng.random() * cumulative[-1])]


@cache
def _cumulative(weighted: tuple[tuple[T, float], ...]) -> tuple[tuple[T, ...], tuple[float, ...]]:
    return tuple(k for k, _ in weighted), tuple(itertools.accumulate(w for _, w in weighted))


@dataclass(frozen=True, slots=True)
class _Read:
    """A message as the desk reads one: its columns, and for an id its place in the conversation
    (what the desk compares ids for, which comes first, is the same)."""

    conversation_id: str
    direction: str
    author: str
    text: str
    buttons: list[dict[str, str]] | None
    custom: dict[str, Any] | None
    parse: dict[str, Any] | None
    topic: str | None
    confidence: float | None
    language: str | None
    outcome: str | None
    created_at: datetime
    id: int | None = None


def local(t: float) -> datetime:
    """China time, as the merchant's lookups word dates and number orders and claims."""
    return datetime.fromtimestamp(t, DESK_TZ)


def stamp(t: float) -> datetime:
    return datetime.fromtimestamp(t, UTC)


@dataclass
class Story:
    """One conversation being written, from its first message on."""

    talk: Talk
    rng: Random
    conversation_id: str
    sender_id: str
    channel: str
    script: str  # how the customer writes: zh, tw, en, mixed
    t: float
    cutoff: float
    lang: str = "zh"
    state: str = BOT
    fallback_count: int = 0
    slots: dict[str, Any] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    handoff_reason: str | None = None
    handoff_at: float | None = None
    messages: list[tuple[Any, ...]] = field(default_factory=list)
    tickets: list[dict[str, Any]] = field(default_factory=list)
    events: list[tuple[Any, ...]] = field(default_factory=list)  # ticket, kind, agent_id, data, at
    ratings: list[tuple[Any, ...]] = field(default_factory=list)  # ticket, agent_id, queue, score, at
    created_at: float = 0.0
    visits: int = 0

    def __post_init__(self) -> None:
        self.created_at = self.t

    # --- time ------------------------------------------------------------------------------

    def at(self, t: float) -> None:
        """Move to `t`, unless that is past the cut-off."""
        if t > self.cutoff:
            raise PastCutoff
        self.t = max(self.t, t)

    def typing(self, median: float = 20.0) -> None:
        """The customer takes a moment before their next message."""
        self.at(self.t + min(600.0, self.rng.lognormvariate(0.0, 0.7) * median))

    # --- rows ------------------------------------------------------------------------------

    def customer(
        self,
        said: Said,
        *,
        topic: str,
        outcome: str,
        confidence: float,
        intent: str | None = None,
        faq_id: str | None = None,
        ranking: list[tuple[str, float]] | None = None,
        anger: float = 0.0,
        signals: tuple[str, ...] = (),
        subject: str | None = None,
    ) -> None:
        """A customer's message with what the NLU made of it and what became of it (`outcome`)."""
        self.lang = reply_language(said.language, self.lang)  # type: ignore[arg-type]
        script = said.script or self.slots.get("script")
        if script is not None:
            self.slots["script"] = script  # the bot answers in the customer's script (bot/engine.py)
        intent = intent or ("faq" if faq_id else topic)
        label = faq_id or intent
        nlu = parse(
            said,
            intent=intent,
            confidence=confidence,
            topic=topic,
            faq_id=faq_id,
            ranking=ranking if ranking is not None else [(label, confidence)],
            anger=anger,
            signals=signals,
            subject=subject,
        )
        self.messages.append(
            (self.conversation_id, "in", "customer", said.text, None, None, nlu, topic, confidence, said.language,
             outcome, self.t, None)
        )  # fmt: skip

    def pressed(self, entry_id: str) -> None:
        """The customer pressed an entry's button ("did you mean"): its payload is the message."""
        entry = self.talk.entries[entry_id]
        payload = self.talk.button(entry_id, self.lang)["payload"]
        said = Said(payload, self.lang, ())
        intent = "faq" if entry.kind == "faq" else entry.id
        self.customer(said, topic=entry.topic, outcome="answer", confidence=1.0, intent=intent,
                      faq_id=entry.id if entry.kind == "faq" else None, ranking=[])  # fmt: skip

    def bot(self, text: str, buttons: list[dict[str, str]] | None = None, custom: dict[str, Any] | None = None) -> None:
        """The bot's reply, a moment after the message it answers, in the customer's script."""
        self.at(self.t + self.rng.uniform(0.2, 1.2))
        script = self.slots.get("script") if self.lang == "zh" else None
        if script is not None and script != "hans":
            text = in_script(text, script)
            buttons = [{**b, "title": in_script(b["title"], script)} for b in buttons] if buttons else None
        self.messages.append(
            (self.conversation_id, "out", "bot", text, buttons, custom, None, None, None, self.lang, None, self.t, None)
        )

    def system(self, text: str, buttons: Any = None) -> None:
        """The desk's line to the customer (handed back, the survey after a resolved chat)."""
        self.messages.append(
            (
                self.conversation_id,
                "out",
                "system",
                text,
                buttons,
                None,
                None,
                None,
                None,
                self.lang,
                None,
                self.t,
                None,
            )
        )

    def agent(self, agent_id: int, name: str, text: str) -> None:
        """A person's message: who wrote it, labelled in the customer's language (handoff/operations.py)."""
        custom = {**as_agent(name, self.lang), "agent_id": agent_id}
        self.messages.append(
            (self.conversation_id, "out", "agent", text, None, custom, None, None, None, self.lang, None, self.t, None)
        )

    def rates(self, score: int, ticket: Ref | None, agent_id: int | None, queue: str | None) -> None:
        """A press of a survey button: the rating, and the bot's thanks (handoff/ratings.py)."""
        self.messages.append(
            (
                self.conversation_id,
                "in",
                "customer",
                f"{score}/5",
                None,
                None,
                None,
                "csat",
                None,
                None,
                None,
                self.t,
                None,
            )
        )
        self.ratings.append((ticket, agent_id, queue, score, self.t))
        self.bot(self.talk.desk("thanks_rating", self.lang))

    def event(self, ticket: Ref, kind: str, agent_id: int | None = None, data: dict[str, Any] | None = None,
              at: float | None = None) -> None:  # fmt: skip
        """Something happened to the ticket, now or `at` (nothing after the cut-off)."""
        when = self.t if at is None else at
        if when > self.cutoff:
            raise PastCutoff
        self.events.append((ticket, kind, agent_id, data or {}, when))

    def forget_question(self) -> None:
        for key in QUESTION_SLOTS:
            self.slots.pop(key, None)

    def transcript(self) -> list[Message]:
        """The messages so far as the desk reads them when it opens a ticket (its summary and
        context): read-only stand-ins with the fields those read, cheaper than mapped rows."""
        read = [
            _Read(m[0], m[1], m[2], m[3], m[4], m[5], m[6], m[7], m[8], m[9], m[10], stamp(m[AT]), n)
            for n, m in enumerate(self.messages)
        ]
        return cast(list[Message], read)

    def mark(self) -> Ref:
        """The latest message's id, to come when it is written."""
        ref = Ref()
        self.messages[-1] = (*self.messages[-1][:-1], ref)
        return ref

    @property
    def updated_at(self) -> float:
        return self.messages[-1][AT] if self.messages else self.created_at
