"""How the bot runs an action: Rasa's action-call protocol, over HTTP or in-process.

The bot builds the same payload Rasa sends (`next_action`, `sender_id`, `tracker`, `domain`,
`version`). With `ACTION_ENDPOINT_URL` set it posts it to the rasa-sdk action server; in the
embedded mode it hands it to rasa-sdk's `ActionExecutor` running in this process.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Mapping
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx
import rasa_sdk

from actions.protocol import MalformedCall, validate_action_call

# The domain the actions are written against: the slots they read and set.
SLOTS = (
    "language",
    "order_id",
    "requested_slot",
    "attempts",
    "verified_phone",
    "verified_customer",
    "verified_orders",
    "product",
    "claim_kind",
    "claim_description",
    "handoff_reason",
    "lookup",
    "customer_tier",
    "order_total",
    "photos",  # media ids of the photos the customer sent (bot/engine.py), for a claim
)
DOMAIN: dict[str, Any] = {
    "version": "3.1",
    "session_config": {"session_expiration_time": 60, "carry_over_slots_to_new_session": True},
    "intents": ["faq", "out_of_scope", "affirm", "deny"],
    "entities": ["order_id", "waybill", "phone"],
    "slots": {
        name: {"type": "any", "influence_conversation": False, "mappings": [{"type": "custom"}]} for name in SLOTS
    },
    "responses": {},
    "actions": [],
    "forms": {},
}
TIMEOUT = 10.0


class ActionUnavailable(RuntimeError):
    """The action server could not be reached or failed; the customer should hear that, not wait."""


class ActionRunner(Protocol):
    def run(self, call: dict[str, Any]) -> dict[str, Any]:
        """Rasa's action response: `{"events": [...], "responses": [...]}`."""
        ...

    def close(self) -> None: ...


def action_call(
    name: str,
    *,
    sender_id: str,
    slots: Mapping[str, Any],
    latest_message: dict[str, Any],
    active_loop: str | None,
    channel: str,
) -> dict[str, Any]:
    """The payload Rasa posts to an action server's /webhook."""
    now = time.time()
    user_event = {
        "event": "user",
        "timestamp": now,
        "text": latest_message.get("text"),
        "parse_data": latest_message,
        "input_channel": channel,
        "metadata": latest_message.get("metadata") or {},
    }
    tracker = {
        "sender_id": sender_id,
        "slots": {name: slots.get(name) for name in SLOTS},
        "latest_message": latest_message,
        "latest_event_time": now,
        "followup_action": None,
        "paused": False,
        "events": [user_event],
        "latest_input_channel": channel,
        "active_loop": {"name": active_loop} if active_loop else {},
        "latest_action": {"action_name": "action_listen"},
        "latest_action_name": "action_listen",
    }
    return {
        "next_action": name,
        "sender_id": sender_id,
        "tracker": tracker,
        "domain": DOMAIN,
        "version": rasa_sdk.__version__,
    }


class InProcessRunner:
    """rasa-sdk's executor on a private event loop, callable from the bot's worker threads."""

    def __init__(self, executor: Any) -> None:
        self.executor = executor
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="actions", daemon=True)
        self._thread.start()

    def run(self, call: dict[str, Any]) -> dict[str, Any]:
        validate_action_call(call)
        future = asyncio.run_coroutine_threadsafe(self.executor.run(call), self._loop)
        try:
            result = future.result(timeout=TIMEOUT)
        except FutureTimeout as exc:
            future.cancel()
            raise ActionUnavailable(f"{call['next_action']} took longer than {TIMEOUT:.0f}s") from exc
        except Exception as exc:  # an action's own failure: the customer is told, the bot goes on
            raise ActionUnavailable(f"{call['next_action']} failed: {exc}") from exc
        return result.model_dump() if result is not None else {"events": [], "responses": []}

    def close(self) -> None:
        if self._loop.is_closed():
            return
        asyncio.run_coroutine_threadsafe(self._loop.shutdown_default_executor(), self._loop).result(timeout=5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()


@dataclass
class HttpRunner:
    """The rasa-sdk action server at `url` (its /webhook)."""

    url: str
    timeout: float = TIMEOUT
    client: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.client = httpx.Client(timeout=self.timeout)

    def run(self, call: dict[str, Any]) -> dict[str, Any]:
        try:
            response = self.client.post(self.url, json=call)
        except httpx.HTTPError as exc:
            raise ActionUnavailable(f"action server at {self.url} unreachable: {exc}") from exc
        if response.status_code == 400:
            body = response.json()
            raise MalformedCall(str(body.get("field") or "body"), str(body.get("error")))
        if response.status_code != 200:
            raise ActionUnavailable(f"action server answered {response.status_code}: {response.text[:200]}")
        return dict(response.json())

    def close(self) -> None:
        self.client.close()


@dataclass(frozen=True)
class ActionResult:
    """An action's response read back into what the bot keeps: slots, loop, replies, handoff."""

    slots: dict[str, Any]
    active_loop: str | None
    replies: list[dict[str, Any]]
    handoff: str | None


def apply(response: dict[str, Any], slots: Mapping[str, Any], active_loop: str | None) -> ActionResult:
    new_slots, loop, handoff = dict(slots), active_loop, None
    for event in response.get("events") or []:
        kind = event.get("event")
        if kind == "slot" and event.get("name") in SLOTS:
            new_slots[event["name"]] = event.get("value")
        elif kind == "active_loop":
            loop = event.get("name")
        elif kind == "followup" and event.get("name") == "action_handoff":
            handoff = str(new_slots.get("handoff_reason") or "action")
    replies = [
        {"text": r.get("text") or "", "buttons": r.get("buttons") or None, "custom": r.get("custom") or None}
        for r in response.get("responses") or []
        if r.get("text")
    ]
    return ActionResult(new_slots, loop, replies, handoff)
