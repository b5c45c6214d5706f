"""Dialogue policy: what the bot says next. Pure: plain data in, a decision out, no I/O."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.nlu.language import reply_language
from bot.nlu.parser import OUT_OF_SCOPE, Parse, Thresholds
from bot.store import BOT, HUMAN, PENDING_HANDOFF
from knowledge_base.models import Entry

ORDER_ACTION = "action_order_status"
MAX_SLOT_ATTEMPTS = 2
HANDOFF_INTENTS = {"human_request": "human_request", "complaint": "complaint"}
SMALL_TALK = ("greeting", "goodbye", "thanks", "bot_identity", "affirm")


@dataclass(frozen=True)
class State:
    """What the policy needs to know about the conversation so far."""

    state: str = BOT
    language: str | None = None
    fallback_count: int = 0
    slots: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Reply:
    text: str
    buttons: list[dict[str, str]] | None = None
    custom: dict[str, Any] | None = None


@dataclass(frozen=True)
class Decision:
    """Replies to send, the conversation's new bookkeeping, and a handoff if one is due."""

    replies: list[Reply]
    language: str
    fallback_count: int
    slots: dict[str, Any]
    handoff: str | None = None
    handoff_context: dict[str, Any] = field(default_factory=dict)
    kind: str = "answer"  # answer | clarify | fallback | handoff | ask_slot | silent | queued


class Policy:
    def __init__(
        self,
        entries: Mapping[str, Entry],
        responses: Mapping[str, Mapping[str, str]],
        thresholds: Thresholds | None = None,
        suggestions: tuple[str, ...] = (),
    ) -> None:
        self.entries = entries
        self.responses = responses
        self.thresholds = thresholds or Thresholds()
        self.suggestions = suggestions  # entry ids offered when nothing matched

    def decide(self, parse: Parse, state: State) -> Decision:
        lang = parse.payload.get("lang") or reply_language(parse.language, state.language)
        turn = _Turn(self, parse, state, str(lang))
        if state.state == HUMAN:
            return turn.silent()
        if state.state == PENDING_HANDOFF:
            return turn.while_queued()
        return turn.run()

    def say(self, key: str, lang: str, **values: str) -> str:
        return self.responses[key][lang].format(**values)

    def button(self, entry: Entry, lang: str) -> dict[str, str]:
        if entry.kind == "faq":
            payload = "/faq" + json.dumps({"id": entry.id, "lang": lang}, separators=(",", ":"))
        else:
            payload = f"/{entry.id}"
        return {"title": entry.question[lang], "payload": payload}


class _Turn:
    """One decision; keeps the arguments in one place so each rule reads as a sentence."""

    def __init__(self, policy: Policy, parse: Parse, state: State, lang: str) -> None:
        self.p, self.parse, self.state, self.lang = policy, parse, state, lang
        self.slots = dict(state.slots)

    def decision(
        self,
        replies: list[Reply],
        *,
        kind: str,
        fallback_count: int = 0,
        handoff: str | None = None,
        context: dict[str, Any] | None = None,
    ) -> Decision:
        return Decision(replies, self.lang, fallback_count, self.slots, handoff, context or {}, kind)

    def silent(self) -> Decision:
        return self.decision([], kind="silent", fallback_count=self.state.fallback_count)

    def while_queued(self) -> Decision:
        replies = []
        entry = self.confident_entry()
        if entry is not None and entry.kind == "faq":
            replies.append(self.answer(entry))
        replies.append(Reply(self.p.say("still_queued", self.lang), custom={"handoff": True}))
        return self.decision(replies, kind="queued")

    def run(self) -> Decision:
        parse = self.parse
        if parse.intent in HANDOFF_INTENTS:
            entry = self.p.entries[parse.intent]
            return self.handoff(HANDOFF_INTENTS[parse.intent], [Reply(entry.answer[self.lang])])
        if parse.sentiment.angry:
            matched = self.confident_entry()
            replies = [self.answer(matched)] if matched is not None and matched.kind == "faq" else []
            return self.handoff("anger", [*replies, Reply(self.p.say("handoff_anger", self.lang))])
        if self.slots.get("requested_slot") == "order_id":
            decided = self.fill_order_id()
            if decided is not None:
                return decided
        if parse.intent == "deny":
            return self.decision(
                [Reply(self.p.entries["deny"].answer[self.lang])],
                kind="answer",
                fallback_count=self.state.fallback_count,
            )
        if parse.intent in SMALL_TALK:
            return self.decision([Reply(self.p.entries[parse.intent].answer[self.lang])], kind="answer")
        close = self.close_candidates()
        if parse.faq_id is not None and not close:
            entry = self.p.entries[parse.faq_id]
            if entry.action == ORDER_ACTION:
                return self.order_status()
            return self.decision([self.answer(entry)], kind="answer")
        if close:
            buttons = [self.p.button(e, self.lang) for e in close]
            return self.decision(
                [Reply(self.p.say("clarify", self.lang), buttons)],
                kind="clarify",
                fallback_count=self.state.fallback_count,
            )
        return self.fallback()

    def confident_entry(self) -> Entry | None:
        if self.parse.faq_id is not None:
            return self.p.entries[self.parse.faq_id]
        if self.parse.intent in self.p.entries:
            return self.p.entries[self.parse.intent]
        return None

    def answer(self, entry: Entry) -> Reply:
        return Reply(entry.answer[self.lang], custom={"faq_id": entry.id, "topic": entry.topic})

    def close_candidates(self) -> list[Entry]:
        """Entries to offer as "did you mean": rivals of a confident match, or the best guesses
        when none is confident enough to answer outright. Empty when the answer is clear."""
        t = self.p.thresholds
        if self.off_topic_first():
            return []  # off-topic is likelier than any entry: offering entries would be noise
        cands = [
            c for c in self.parse.candidates if c.label in self.p.entries and self.p.entries[c.label].kind == "faq"
        ]
        if not cands or cands[0].confidence < t.oos:
            return []
        top = cands[0].confidence
        if top >= t.answer:
            rivals = [c for c in cands[1:3] if c.confidence >= 0.8 * top]
            picked = [cands[0], *rivals] if rivals else []
        else:
            picked = [c for c in cands[:3] if c.confidence >= max(t.oos / 2, 0.4 * top)]
        return [self.p.entries[c.label] for c in picked]

    def order_status(self) -> Decision:
        order_id = self.entity("order_id") or self.slots.get("order_id")
        if order_id:
            return self.order_received(str(order_id))
        self.slots.update(requested_slot="order_id", attempts=0)
        return self.decision([Reply(self.p.say("ask_order_id", self.lang))], kind="ask_slot")

    def fill_order_id(self) -> Decision | None:
        """The customer was asked for an order number; `None` means they moved on to something else."""
        order_id = self.entity("order_id")
        if order_id:
            return self.order_received(order_id)
        moved_on = self.parse.intent != OUT_OF_SCOPE and self.parse.intent != "deny"
        if moved_on:
            self.forget_question()
            return None
        attempts = int(self.slots.get("attempts", 0)) + 1
        if attempts >= MAX_SLOT_ATTEMPTS:
            return self.handoff("slot_failed", [Reply(self.p.say("handoff_slot_failed", self.lang))])
        self.slots["attempts"] = attempts
        return self.decision([Reply(self.p.say("ask_order_id_again", self.lang))], kind="ask_slot")

    def order_received(self, order_id: str) -> Decision:
        # Order lookups are the action server's job; until it answers, a person checks.
        self.slots["order_id"] = order_id
        text = self.p.say("handoff_order", self.lang, order_id=order_id)
        return self.handoff("order_lookup", [Reply(text)], {"order_id": order_id})

    def fallback(self) -> Decision:
        misses = self.state.fallback_count + 1
        if misses >= 2:
            return self.handoff("fallback", [Reply(self.p.say("handoff", self.lang))])
        ids = [
            c.label
            for c in self.parse.candidates
            if c.label in self.p.entries and self.p.entries[c.label].kind == "faq" and c.confidence >= 0.1
        ][:3]
        ids = ids or [i for i in self.p.suggestions if i in self.p.entries][:3]
        buttons = [self.p.button(self.p.entries[i], self.lang) for i in ids]
        human = {"title": "转人工" if self.lang == "zh" else "Talk to a person", "payload": "/human_request"}
        # A recognisably off-topic ask gets told what the bot does; a garbled one, to rephrase.
        oos = self.p.entries.get(OUT_OF_SCOPE)
        text = oos.answer[self.lang] if oos and self.off_topic_first() else self.p.say("rephrase", self.lang)
        reply = Reply(text, [*buttons, human])
        return self.decision([reply], kind="fallback", fallback_count=misses)

    def handoff(self, reason: str, replies: list[Reply], context: dict[str, Any] | None = None) -> Decision:
        self.forget_question()  # a person takes it from here
        marked = [
            *replies[:-1],
            Reply(
                replies[-1].text, replies[-1].buttons, {**(replies[-1].custom or {}), "handoff": True, "reason": reason}
            ),
        ]
        return self.decision(marked, kind="handoff", handoff=reason, context=context)

    def off_topic_first(self) -> bool:
        """The knowledge base's own out-of-scope examples outrank every entry."""
        return bool(self.parse.candidates) and self.parse.candidates[0].label == OUT_OF_SCOPE

    def forget_question(self) -> None:
        """Drop the slot the bot was asking for, and the count of attempts at it."""
        self.slots.pop("requested_slot", None)
        self.slots.pop("attempts", None)

    def entity(self, name: str) -> str | None:
        return next((e.value for e in self.parse.entities if e.entity == name), None)
