"""The channel contract: what every place a customer writes from implements.

A chat-app channel is one module here (wechat.py, telegram.py) with
- a module-level `router`, always mounted: its routes find their configured channel in
  `request.app.state.channels[name]` (404 while the channel is not configured), verify each request
  the platform sends and refuse a forged one with 403, turn what it carries into `InboundMessage`s
  for `Engine.handle`, and answer the turn;
- `from_settings(settings, runtime, media)`, the configured `AppChannel` or None when its settings
  are unset, whose `deliver(address, messages)` sends what comes later (an agent's reply, the queue
  position, the rating survey) to the customer's address on that platform.

A conversation's sender id names its channel and address: `wechat:<openid>`, `telegram:<chat id>`
(`sender_for`, `address_of`), so any instance can route a push with no lookup, and the conversation
row also keeps its channel. The web page and the REST channel deliver pushes over the chat socket
(bot/channels/web.py); they need nothing here. Credentials are settings (core/config.py), never code.

What a channel says on its own (a welcome, "please type instead of a voice message", a message it
could not take) is a line of triage/responses.yaml, said through the instance's policy
(`request.app.state.instance.policy.say(key, lang)`) in the customer's language: their
conversation's (`language_of`) when there is one, else the channel's best guess.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.exc import SQLAlchemyError

from bot.engine import OutboundMessage
from bot.store import find
from core.db import Database

log = logging.getLogger(__name__)

# A push that failed this many times is given up (and logged): the message is in the transcript,
# and the agent's console shows it; a chat app that is down for longer is not retried forever.
DELIVERY_ATTEMPTS = 3
RETRY_SECONDS = (1.0, 4.0)
MAX_WAIT_SECONDS = 30.0  # a platform asking for longer is given up on instead


class DeliveryFailed(RuntimeError):
    """The platform refused or could not be reached; `retry` says whether trying again can help."""

    def __init__(self, message: str, *, retry: bool = True, after: float | None = None) -> None:
        super().__init__(message)
        self.retry = retry
        self.after = after  # seconds the platform asked us to wait (Telegram's retry_after)


class AppChannel(Protocol):
    """One chat app, configured: its way to send a message later."""

    name: str  # the prefix of its senders' ids and the conversation's channel

    def deliver(self, address: str, messages: Sequence[OutboundMessage]) -> None:
        """Send `messages` to `address`, in order; raises DeliveryFailed."""
        ...

    def close(self) -> None:
        """Release what the channel holds (its HTTP client); the instance calls it on shutdown."""
        ...


def retrying(
    send: Callable[[], None],
    what: str,
    sleep: Callable[[float], None] = time.sleep,
    longest_wait: float = MAX_WAIT_SECONDS,
) -> bool:
    """`send()` tried up to DELIVERY_ATTEMPTS times while the platform's failure can be retried,
    waiting our back-off or as long as the platform asks (Telegram's retry_after), at most
    `longest_wait`; True when it went, False (logged) when it was given up."""
    for attempt in range(DELIVERY_ATTEMPTS):
        try:
            send()
            return True
        except DeliveryFailed as exc:
            log.warning("%s failed (attempt %d): %s", what, attempt + 1, exc)
            if not exc.retry or attempt == DELIVERY_ATTEMPTS - 1:
                return False
            wait = RETRY_SECONDS[min(attempt, len(RETRY_SECONDS) - 1)]
            sleep(min(max(wait, exc.after or 0.0), longest_wait))
    return False


def sender_for(channel: str, address: str) -> str:
    """The sender id of the customer at `address` on `channel` (at most 128 characters)."""
    return f"{channel}:{address}"


def address_of(sender_id: str) -> tuple[str, str] | None:
    """(channel, address) for a chat-app sender id, None for the web page's and REST senders."""
    channel, sep, address = sender_id.partition(":")
    return (channel, address) if sep and address else None


def language_of(db: Database, sender_id: str) -> str | None:
    """The language of the sender's conversation, None before their first turn (or without the
    database: a channel's own line is then said in its default language rather than not at all)."""
    try:
        with db.session() as session:
            conversation = find(session, sender_id=sender_id)
            return conversation.language if conversation is not None else None
    except SQLAlchemyError:
        log.warning("the language of %s is not known: the database is unavailable", sender_id, exc_info=True)
        return None


def refusal(text: str, limit: int) -> tuple[str, dict[str, str]]:
    """The responses.yaml line (and its values) telling a customer why the engine refused their
    message (InvalidMessage): too long for `limit`, or not taken for another reason."""
    if len(text.strip()) > limit:
        return "message_too_long", {"limit": str(limit)}
    return "message_not_taken", {}


@dataclass(frozen=True)
class Pushes:
    """Routes later messages to the chat app each customer wrote from, off the caller's thread.

    The caller (a desk operation after its commit, the sweep) never waits for a platform: each
    customer's messages go in order on a worker thread, tried `DELIVERY_ATTEMPTS` times."""

    channels: dict[str, AppChannel]
    pool: ThreadPoolExecutor
    sleep: Callable[[float], None] = time.sleep

    @classmethod
    def of(cls, channels: Sequence[AppChannel], threads: int = 4) -> Pushes:
        return cls({c.name: c for c in channels}, ThreadPoolExecutor(threads, thread_name_prefix="push"))

    def __call__(self, messages: Sequence[OutboundMessage]) -> None:
        by_sender: dict[str, list[OutboundMessage]] = defaultdict(list)
        for message in messages:
            by_sender[message.recipient_id].append(message)
        for sender_id, mine in by_sender.items():
            found = address_of(sender_id)
            if found is None or found[0] not in self.channels:
                continue  # the web page's socket has it already
            self.pool.submit(self.send, self.channels[found[0]], found[1], mine)

    def send(self, channel: AppChannel, address: str, messages: Sequence[OutboundMessage]) -> bool:
        """Deliver now, on this thread, one message at a time (a retry never repeats one that
        arrived), retrying what can be retried; True when all arrived. A message given up stops
        the rest: they would arrive out of order."""
        return all(self._one(channel, address, message) for message in messages)

    def _one(self, channel: AppChannel, address: str, message: OutboundMessage) -> bool:
        return retrying(lambda: channel.deliver(address, [message]), f"push to {channel.name}:{address}", self.sleep)

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=False)
