"""Rasa's action-call payload: what a well-formed call to `/webhook` must contain.

rasa-sdk answers a call without a tracker with a 500; the action server checks calls first
(actions/server.py) and the bot's in-process runner does the same, so both refuse a
malformed call alike, with the field named.
"""

from __future__ import annotations

from typing import Any


class MalformedCall(ValueError):
    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field


def validate_action_call(call: Any) -> dict[str, Any]:
    """`call` if it is a usable action call; raises MalformedCall naming the first bad field."""
    if not isinstance(call, dict):
        raise MalformedCall("body", "must be a JSON object")
    name = call.get("next_action")
    if not isinstance(name, str) or not name.strip():
        raise MalformedCall("next_action", "must be the name of an action")
    tracker = call.get("tracker")
    if not isinstance(tracker, dict):
        raise MalformedCall("tracker", "must be an object")
    sender = tracker.get("sender_id")
    if not isinstance(sender, str) or not sender:
        raise MalformedCall("tracker.sender_id", "must be a non-empty string")
    for key, kind in (("slots", dict), ("latest_message", dict), ("events", list), ("active_loop", dict)):
        value = tracker.get(key)
        if value is not None and not isinstance(value, kind):
            raise MalformedCall(f"tracker.{key}", f"must be {'an object' if kind is dict else 'a list'}")
    message = tracker.get("latest_message") or {}
    if not isinstance(message.get("text", ""), str | None):
        raise MalformedCall("tracker.latest_message.text", "must be a string")
    entities = message.get("entities")
    if entities is not None and not (isinstance(entities, list) and all(isinstance(e, dict) for e in entities)):
        raise MalformedCall("tracker.latest_message.entities", "must be a list of objects")
    domain = call.get("domain")
    if domain is not None and not isinstance(domain, dict):
        raise MalformedCall("domain", "must be an object")
    return call
