"""What every merchant-data action shares: the tracker read once, replies, slot bookkeeping.

An action's `handle` is plain synchronous code over a `Turn` (what the customer said, in
which language, with which slots) and a database session; it answers with an `Outcome`
(messages and Rasa events). `MerchantAction.run` adapts that to rasa-sdk, so the same
class serves `python -m rasa_sdk --actions actions` and the bot's in-process executor.
"""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import yaml
from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from merchant import profile
from merchant.store import MerchantData, default_data

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 2  # failed answers to one question before a person takes over
HANDOFF_ACTION = "action_handoff"


@cache
def replies() -> dict[str, dict[str, str]]:
    raw = (resources.files("actions") / "replies.yaml").read_text(encoding="utf-8")
    return dict(yaml.safe_load(raw))


def rules() -> dict[str, Any]:
    """The merchant's service rules (merchant/merchant.yaml)."""
    return profile.rules()


@dataclass(frozen=True)
class Turn:
    """The tracker as an action needs it."""

    sender_id: str
    text: str
    lang: str
    slots: dict[str, Any]
    entities: list[dict[str, Any]]
    faq_id: str | None
    active_loop: str | None
    channel: str | None = None

    @classmethod
    def from_tracker(cls, tracker: Tracker) -> Turn:
        message = tracker.latest_message or {}
        slots = dict(tracker.slots or {})
        lang = slots.get("language") or message.get("language")
        return cls(
            sender_id=tracker.sender_id,
            text=str(message.get("text") or ""),
            lang="en" if lang == "en" else "zh",
            slots=slots,
            entities=[e for e in message.get("entities") or [] if isinstance(e, dict)],
            faq_id=message.get("faq_id"),
            active_loop=tracker.active_loop_name,
            channel=tracker.get_latest_input_channel(),
        )

    def entity(self, name: str) -> str | None:
        return next((str(e["value"]) for e in self.entities if e.get("entity") == name and e.get("value")), None)

    def slot(self, name: str) -> Any:
        return self.slots.get(name)


@dataclass
class Outcome:
    """Messages for the customer and events for the tracker, built up while handling a turn."""

    turn: Turn
    messages: list[dict[str, Any]] = field(default_factory=list)
    events: list[EventType] = field(default_factory=list)
    lookup: dict[str, Any] = field(default_factory=dict)

    @property
    def lang(self) -> str:
        return self.turn.lang

    def text(self, key: str, **values: Any) -> str:
        return replies()[key][self.lang].format(**values)

    def say(self, key: str, *, buttons: list[dict[str, str]] | None = None, **values: Any) -> None:
        self.messages.append({"text": self.text(key, **values), "buttons": buttons or []})

    def set(self, slot: str, value: Any) -> None:
        self.events.append(SlotSet(slot, value))

    def ask(
        self, loop: str, slot: str, key: str, *, buttons: list[dict[str, str]] | None = None, **values: Any
    ) -> None:
        """Ask for `slot` and stay in `loop`: the customer's next message comes back to this action."""
        if self.turn.slot("requested_slot") != slot:
            self.set("attempts", 0)
        self.set("requested_slot", slot)
        self.events.append(ActiveLoop(loop))
        self.say(key, buttons=buttons, **values)

    def failed(
        self,
        loop: str,
        slot: str,
        key: str,
        handoff_reason: str,
        handoff_key: str,
        *,
        buttons: list[dict[str, str]] | None = None,
        **values: Any,
    ) -> None:
        """The answer to `slot` was no good: ask again, or hand over after MAX_ATTEMPTS."""
        attempts = int(self.turn.slot("attempts") or 0) + 1 if self.turn.slot("requested_slot") == slot else 1
        if attempts >= MAX_ATTEMPTS:
            self.handoff(handoff_reason, handoff_key)
            return
        self.set("requested_slot", slot)
        self.set("attempts", attempts)
        self.events.append(ActiveLoop(loop))
        self.say(key, buttons=buttons, **values)

    def done(self) -> None:
        """The question is answered: leave the loop and forget what was being asked."""
        self.events.append(ActiveLoop(None))
        if self.turn.slot("requested_slot") is not None:
            self.set("requested_slot", None)
        if self.turn.slot("attempts"):
            self.set("attempts", 0)

    def handoff(self, reason: str, key: str | None = None, **values: Any) -> None:
        """Hand the conversation to a person, saying `key` (if given) and recording what was looked up."""
        self.done()
        if key is not None:
            self.say(key, **values)
        if self.messages:
            self.messages[-1]["custom"] = {"handoff": True, "reason": reason}
        self.set("handoff_reason", reason)
        self.events.append(FollowupAction(HANDOFF_ACTION))

    def finish(self) -> list[EventType]:
        if self.lookup:
            self.set("lookup", self.lookup)
        return self.events


class MerchantAction(Action, ABC):
    """An action over the merchant's data; rasa-sdk constructs it without arguments."""

    def __init__(self, data: MerchantData | None = None) -> None:
        self._data = data

    @property
    def data(self) -> MerchantData:
        return self._data if self._data is not None else default_data()

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        turn = Turn.from_tracker(tracker)
        outcome = Outcome(turn)
        try:
            await asyncio.to_thread(self._handle, outcome)
        except SQLAlchemyError:
            log.exception("%s: the merchant database failed", self.name())
            outcome = Outcome(turn)
            outcome.handoff("lookup_unavailable", "lookup_unavailable")
        for message in outcome.messages:
            dispatcher.utter_message(
                text=message["text"], buttons=message.get("buttons") or [], json_message=message.get("custom")
            )
        return outcome.finish()

    def _handle(self, outcome: Outcome) -> None:
        with self.data.db.session() as session:
            self.handle(session, outcome)

    @abstractmethod
    def handle(self, session: Session, outcome: Outcome) -> None:
        """Answer the turn from the merchant's data."""
