"""The Telegram channel: a bot's webhook in, the Bot API (plain JSON over HTTPS) out.

`POST /webhooks/telegram` takes the Updates Telegram sends once `triage telegram set-webhook` has
registered this deployment: a message (text, or a photo with its caption), or the press of one of
our buttons (a callback query). Telegram proves it is Telegram with the secret token registered with
the webhook, in a header; it retries an update until it gets a 2xx, so each `update_id` makes one
turn (Redis SET NX).

The turn runs before the webhook answers (Telegram waits for up to a minute; a turn takes well under
a second), and its replies are sent by then too: a customer's replies go out in the order of their
messages, and a turn that failed (a 503: Redis or the database away) leaves the update unanswered,
so Telegram delivers it again and the retry makes the turn. Once the turn is saved the update is
acknowledged whatever the sending did: Telegram delivering it again would not resend the replies
(the turn is done), and the transcript keeps them for the agent.

Buttons are inline keyboards whose callback_data is the button's payload; Telegram allows 64 bytes
of it, so a longer payload is kept in Redis for `BUTTON_SECONDS` and its key goes in instead. The
Bot API client and Telegram's objects are bot/channels/telegram_api.py. What the channel says on
its own (a message it could not take) is in triage/responses.yaml, in the conversation's language,
or before there is one, the language of the customer's Telegram app.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import redis
from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool

from bot.channels.contract import (
    AppChannel,
    DeliveryFailed,
    language_of,
    refusal,
    retrying,
    sender_for,
)
from bot.channels.telegram_api import BotApi, BotApiError, File, Message, Update, User
from bot.engine import Attachment, InboundMessage, InvalidMessage, OutboundMessage
from core.body import parse_body, read_body
from core.config import Settings
from core.errors import DomainError
from core.media import MediaStore
from core.runtime import Runtime, ServiceUnavailable

log = logging.getLogger(__name__)
router = APIRouter()

NAME = "telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
TEXT_CHARS = 4096  # sendMessage's limit; a longer reply goes as several messages
CALLBACK_DATA_BYTES = 64
STORED_BUTTON = "~"  # callback_data starting so names a payload kept in Redis
BUTTON_SECONDS = 7 * 86400  # a rating survey may be answered days later
UPDATE_SECONDS = 86400  # Telegram gives up redelivering an update well within a day
RETRY_AFTER_CAP = 5.0  # a webhook waits out a 429 this long at most, then the turn's replies are given up


@dataclass
class TelegramChannel:
    """One bot: what its webhook receives becomes InboundMessages, and replies go back as Bot API calls."""

    api: BotApi
    secret: str | None
    runtime: Runtime
    media: MediaStore
    name: str = NAME
    sleep: Callable[[float], None] = time.sleep

    def genuine(self, given: str | None) -> bool:
        """The request carries the secret token registered with the webhook (compared in constant time)."""
        if not self.secret or given is None:
            return False
        return hmac.compare_digest(given.encode("latin-1"), self.secret.encode())

    def deliver(self, address: str, messages: Sequence[OutboundMessage]) -> None:
        for message in messages:
            self._send(address, message)

    def close(self) -> None:
        self.api.close()

    def reply(self, address: str, messages: Sequence[OutboundMessage]) -> bool:
        """A turn's replies, now: each retried where that can help; False when one was given up
        (the rest are not sent: they would arrive out of order)."""
        what = f"reply to telegram:{address}"
        return all(retrying(partial(self._send, address, m), what, self.sleep, RETRY_AFTER_CAP) for m in messages)

    def _send(self, chat_id: str, message: OutboundMessage) -> None:
        text = message.text if message.text.strip() else ""
        chunks = [text[i : i + TEXT_CHARS] for i in range(0, len(text), TEXT_CHARS)]
        if message.buttons and not chunks:
            chunks = ["…"]  # a keyboard needs a message to hang from
        for n, chunk in enumerate(chunks, start=1):
            params: dict[str, Any] = {"chat_id": chat_id, "text": chunk}
            if message.buttons and n == len(chunks):
                rows = [
                    [{"text": b["title"], "callback_data": self.button_data(b["payload"])}] for b in message.buttons
                ]
                params["reply_markup"] = {"inline_keyboard": rows}
            self.api.call("sendMessage", params)
        for item in (message.custom or {}).get("attachments") or []:
            try:
                data, content_type = self.media.get(str(item["media_id"]))
            except (KeyError, TypeError, DomainError) as exc:  # not ours any more: the rest still goes
                log.warning("attachment %r for telegram:%s not sent: %s", item, chat_id, exc)
                continue
            except ServiceUnavailable as exc:  # the bucket is away: later may work
                raise DeliveryFailed(f"attachment for telegram:{chat_id}: {exc}") from exc
            field = "photo" if content_type.startswith("image/") else "document"
            upload = (item.get("name") or ("photo.jpg" if field == "photo" else "file"), data, content_type)
            self.api.call(f"send{field.title()}", {"chat_id": chat_id}, files={field: upload})

    def button_data(self, payload: str) -> str:
        """The callback_data for a button: its payload, or the key it is kept under when too long."""
        if len(payload.encode()) <= CALLBACK_DATA_BYTES and not payload.startswith(STORED_BUTTON):
            return payload
        key = base64.urlsafe_b64encode(hashlib.sha256(payload.encode()).digest()[:16]).decode().rstrip("=")
        try:
            self.runtime.sync.set(f"telegram:button:{key}", payload, ex=BUTTON_SECONDS)
        except redis.RedisError as exc:
            raise DeliveryFailed(f"cannot keep a long button payload: Redis: {exc}") from exc
        return STORED_BUTTON + key

    def payload_of(self, data: str) -> str | None:
        """The payload a pressed button stands for; None when it was kept and has expired."""
        if not data.startswith(STORED_BUTTON):
            return data
        kept = self._redis("get", f"telegram:button:{data.removeprefix(STORED_BUTTON)}")
        return kept.decode() if isinstance(kept, bytes) else None

    def first_delivery(self, update_id: int) -> bool:
        """True once per update: Telegram delivers an update again until it is acknowledged."""
        return bool(self._redis("set", self._update_key(update_id), 1, nx=True, ex=UPDATE_SECONDS))

    def forget(self, update_id: int) -> None:
        """The update's turn did not happen: let Telegram's next delivery of it make it."""
        self._redis("delete", self._update_key(update_id))

    def _update_key(self, update_id: int) -> str:
        return f"telegram:{self.api.token.partition(':')[0]}:update:{update_id}"

    def _redis(self, command: str, *args: Any, **kwargs: Any) -> Any:
        try:
            return getattr(self.runtime.sync, command)(*args, **kwargs)
        except redis.RedisError as exc:
            raise ServiceUnavailable("the coordination service (Redis) is unavailable") from exc

    def inbound(self, update: Update) -> InboundMessage | None:
        """What the customer said (a photo fetched and stored); None for what we do not take."""
        if update.callback_query is not None:
            press = update.callback_query
            self._answer(press.id)
            payload = self.payload_of(press.data or "")
            if not payload:
                log.warning("telegram: a button pressed in update %d is unknown or expired", update.update_id)
                return None
            chat_id = press.message.chat.id if press.message else press.from_.id
            return InboundMessage(sender_for(NAME, str(chat_id)), payload, NAME, _metadata(update, press.from_))
        message = update.message
        if message is None:
            return None  # an edited message, a channel post, ...: not asked for in ALLOWED_UPDATES
        sender, meta = sender_for(NAME, str(message.chat.id)), _metadata(update, message.from_)
        if message.text is not None:
            return InboundMessage(sender, message.text, NAME, meta)
        attachment = self._fetch(message)
        if attachment is None:
            return InboundMessage(sender, message.caption, NAME, meta) if message.caption else None
        return InboundMessage(sender, message.caption or "", NAME, meta, attachments=(attachment,))

    def _answer(self, callback_query_id: str) -> None:
        """Stop the button's spinner; the reply itself comes as a message."""
        try:
            self.api.call("answerCallbackQuery", {"callback_query_id": callback_query_id})
        except BotApiError as exc:
            log.warning("telegram answerCallbackQuery failed: %s", exc)

    def _fetch(self, message: Message) -> Attachment | None:
        """The message's photo (its largest size) or image file, kept in the media store."""
        declared: str | None
        if message.photo:
            largest = max(message.photo, key=lambda p: (p.width * p.height, p.file_size or 0))
            file_id, declared, name = largest.file_id, "image/jpeg", ""  # Telegram re-encodes photos as JPEG
        elif message.document is not None and (message.document.mime_type or "").startswith("image/"):
            document = message.document
            file_id, declared, name = document.file_id, document.mime_type, document.file_name or ""
        else:
            return None  # a sticker, a voice note, a location, ...
        try:
            found = File.model_validate(self.api.call("getFile", {"file_id": file_id}))
            if not found.file_path:
                raise BotApiError("Telegram getFile: no file_path (over the 20 MB the Bot API serves)", 400)
            stored = self.media.put(self.api.download(found.file_path), declared, name)
        except BotApiError as exc:
            if exc.retry:
                raise
            log.warning("telegram: photo %s not fetched: %s", file_id, exc)
            return None
        except DomainError as exc:  # MediaRejected, MediaTooLarge: no retry makes it acceptable
            log.warning("telegram: photo %s not kept: %s", file_id, exc)
            return None
        return Attachment(stored.media_id, stored.content_type, name)


def _metadata(update: Update, user: User | None) -> dict[str, Any]:
    meta: dict[str, Any] = {"update_id": update.update_id}
    if user is not None:
        meta |= {"user_id": user.id, "username": user.username, "language_code": user.language_code}
    return {"telegram": meta}


def from_settings(settings: Settings, runtime: Runtime, media: MediaStore) -> AppChannel | None:
    if not settings.telegram_token:
        return None
    if not settings.telegram_secret:
        log.warning("TRIAGE_TELEGRAM_SECRET is not set: the Telegram webhook refuses every update until it is")
    return TelegramChannel(
        BotApi(settings.telegram_api, settings.telegram_token), settings.telegram_secret, runtime, media
    )


async def _say(request: Request, inbound: InboundMessage, key: str, **values: str) -> str:
    """The channel's own line `key` (triage/responses.yaml) in the conversation's language, or
    before there is one, in the language the customer's Telegram app is set to (Chinese or English)."""
    instance = request.app.state.instance
    known = await run_in_threadpool(language_of, instance.db, inbound.sender_id)
    if known not in ("zh", "en"):
        code = str((inbound.metadata.get("telegram") or {}).get("language_code") or "")
        known = "zh" if code.lower().startswith("zh") else "en"
    said: str = instance.policy.say(key, known, **values)
    return said


def parse_update(raw: bytes) -> Update:
    """The Update in a webhook body; 400 with the reason when it is not one."""
    try:
        return parse_body(raw, Update)
    except HTTPException as exc:
        if exc.status_code != 422:
            raise
        raise HTTPException(400, f"not a Telegram Update: {exc.detail}") from exc


@router.post("/webhooks/telegram")
async def webhook(request: Request) -> dict[str, bool]:
    channel = request.app.state.channels.get(NAME)
    if not isinstance(channel, TelegramChannel):
        raise HTTPException(404, "the Telegram channel is not configured (TRIAGE_TELEGRAM_TOKEN)")
    if not channel.genuine(request.headers.get(SECRET_HEADER)):
        raise HTTPException(403, f"{SECRET_HEADER} is missing or wrong")
    update = parse_update(await read_body(request, request.app.state.settings.max_body_bytes))
    if not await run_in_threadpool(channel.first_delivery, update.update_id):
        return {"ok": True}  # delivered again: its turn has run or is running
    try:
        inbound = await run_in_threadpool(channel.inbound, update)
        if inbound is None:
            return {"ok": True}
        try:
            replies = await request.app.state.turns.run(request.app.state.engine.handle, inbound)
        except InvalidMessage as exc:  # no retry makes it acceptable: tell the customer why, in their language
            log.info("telegram update %d: the message was refused: %s", update.update_id, exc)
            line, values = refusal(inbound.text, request.app.state.settings.max_message_chars)
            replies = [OutboundMessage(inbound.sender_id, await _say(request, inbound, line, **values))]
    except BotApiError as exc:
        with contextlib.suppress(ServiceUnavailable):
            await run_in_threadpool(channel.forget, update.update_id)
        raise HTTPException(503, f"could not fetch the file from Telegram ({exc}); deliver it again") from exc
    except Exception:  # Redis or the database away (503): the turn did not happen
        with contextlib.suppress(ServiceUnavailable):
            await run_in_threadpool(channel.forget, update.update_id)
        raise
    address = inbound.sender_id.removeprefix(f"{NAME}:")
    if not await run_in_threadpool(channel.reply, address, replies):
        log.error("telegram update %d: replies not delivered (kept in the transcript)", update.update_id)
    return {"ok": True}
