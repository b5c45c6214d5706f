"""One WeChat Official Account: what the channel remembers in Redis, and how it sends.

It checks and reads WeChat's callbacks (bot/channels/wechat_crypto.py), answers each message WeChat
retries once, remembers what the numbers of the latest numbered buttons stand for, keeps the
pictures followers send in the media store, and sends through the customer-service API
(bot/channels/wechat_api.py): a slow turn's replies, and pushes through `deliver`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable, Mapping, Sequence

import anyio
import httpx
import redis

from bot.channels.contract import DeliveryFailed, retrying
from bot.channels.wechat_api import HTTP_TIMEOUT, WeChatApi, fetch_picture
from bot.channels.wechat_crypto import Malformed, MessageCrypt, check_signature, parse_xml
from bot.channels.wechat_text import Part, pressed, render
from bot.engine import Attachment, OutboundMessage
from core.media import MediaNotFound, MediaStore
from core.runtime import Runtime, ServiceUnavailable

log = logging.getLogger(__name__)

NAME = "wechat"
# WeChat gives up on an answer after 5 s (and asks again, three times): past this, "success" and
# the customer-service API.
REPLY_WINDOW_S = 4.0
# A message WeChat retried is answered once: its id is remembered this long (retries span 15 s).
SEEN_SECONDS = 600
# What the numbers of the latest numbered buttons stand for, per customer.
BUTTONS_SECONDS = 24 * 3600
# A push has no request, so no policy to say a line from responses.yaml: the one line a push may
# need (a file WeChat cannot show) stays here until the channel is given the policy when it is made.
FILE_SENT = "客服给您发了一个文件（{name}），微信里暂时无法显示。"


class WeChat:
    """One Official Account: checks and reads WeChat's callbacks, and sends through its API."""

    name = NAME

    def __init__(
        self,
        token: str,
        *,
        runtime: Runtime,
        media: MediaStore,
        api: WeChatApi | None = None,
        crypt: MessageCrypt | None = None,
        http: httpx.Client | None = None,
        max_media_bytes: int = 10 * 1024 * 1024,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.token = token
        self.runtime = runtime
        self.media = media
        self.api = api
        self.crypt = crypt
        self.http = http or httpx.Client(timeout=HTTP_TIMEOUT)
        self.max_media_bytes = max_media_bytes
        self.clock = clock
        self.reply_window = REPLY_WINDOW_S
        self.sleep: Callable[[float], None] = time.sleep
        self._later: set[asyncio.Task[None]] = set()  # turns that outlived the reply window

    # Checking what WeChat sends.

    def verify(self, given: str, timestamp: str, nonce: str, *extra: str) -> None:
        check_signature(self.token, given, timestamp, nonce, *extra, now=self.clock())

    def read(self, raw: bytes, query: Mapping[str, str]) -> tuple[dict[str, str], bool]:
        """The message's fields, and whether it came encrypted; Forged / Malformed otherwise."""
        timestamp, nonce = query.get("timestamp", ""), query.get("nonce", "")
        if query.get("encrypt_type", "raw") != "aes":
            self.verify(query.get("signature", ""), timestamp, nonce)
            return parse_xml(raw), False
        envelope = parse_xml(raw)
        encrypted = envelope.get("Encrypt", "")
        if not encrypted:
            raise Malformed("an encrypted message (encrypt_type=aes) without its Encrypt field")
        self.verify(query.get("msg_signature", ""), timestamp, nonce, encrypted)
        if self.crypt is None:
            raise Malformed("安全模式 messages need TRIAGE_WECHAT_AES_KEY (and TRIAGE_WECHAT_APP_ID)")
        return parse_xml(self.crypt.decrypt(encrypted)), True

    def first_time(self, key: str) -> bool:
        """True for the first delivery of a message, across instances; False for WeChat's retries."""
        try:
            return bool(self.runtime.sync.set(f"wechat:seen:{key}", b"1", nx=True, ex=SEEN_SECONDS))
        except redis.RedisError as exc:
            raise ServiceUnavailable("the coordination service (Redis) is unavailable") from exc

    def forget(self, key: str) -> None:
        """The turn failed: WeChat's retry of the message gets a fresh try."""
        with contextlib.suppress(redis.RedisError):
            self.runtime.sync.delete(f"wechat:seen:{key}")

    # Buttons, by number.

    def button_payload(self, openid: str, text: str) -> str | None:
        try:
            raw = self.runtime.sync.get(f"wechat:buttons:{openid}")
        except redis.RedisError:
            return None  # the number is read as it is
        return pressed(text, json.loads(raw)) if raw else None

    def remember_buttons(self, openid: str, numbers: dict[str, str]) -> None:
        key = f"wechat:buttons:{openid}"
        try:
            if numbers:
                self.runtime.sync.set(key, json.dumps(numbers, ensure_ascii=False), ex=BUTTONS_SECONDS)
            else:
                self.runtime.sync.delete(key)
        except redis.RedisError:
            log.warning("wechat: could not keep the button numbers of %s", openid)

    def prepare(self, openid: str, messages: Sequence[OutboundMessage]) -> list[Part]:
        parts, numbers = render(messages)
        self.remember_buttons(openid, numbers)
        return parts

    # Pictures the customer sends.

    def picture(self, fields: Mapping[str, str]) -> Attachment:
        """The customer's picture, fetched from WeChat and kept in the media store.
        Raises DeliveryFailed (not fetched), MediaRejected or MediaTooLarge (not kept)."""
        media_id, url = fields.get("MediaId", ""), fields.get("PicUrl", "")
        data, content_type = fetch_picture(self.api, self.http, media_id, url, self.max_media_bytes)
        stored = self.media.put(data, content_type or None, name=f"wechat-{fields.get('MsgId', 'picture')}")
        return Attachment(stored.media_id, stored.content_type)

    # Sending through the customer-service API.

    def deliver(self, address: str, messages: Sequence[OutboundMessage]) -> None:
        """Send `messages` to the customer `address` (an openid) as customer-service messages."""
        self.send(address, self.prepare(address, messages))

    def send(self, openid: str, pending: list[Part]) -> None:
        """Send `pending` in order, each part removed once WeChat has it (a retry sends the rest only)."""
        if self.api is None:
            raise DeliveryFailed(
                "WeChat's customer-service API needs TRIAGE_WECHAT_APP_ID and _APP_SECRET", retry=False
            )
        while pending:
            self._send_part(self.api, openid, pending[0])
            pending.pop(0)

    def _send_part(self, api: WeChatApi, openid: str, part: Part) -> None:
        if part.image is None:
            api.send(openid, {"msgtype": "text", "text": {"content": part.text}})
            return
        name = part.image.get("name") or "image"
        try:
            data, content_type = self.media.get(part.image["media_id"])
        except MediaNotFound:  # a file gone from the store: the rest of the messages still go
            log.warning("wechat: attachment %s is not in the media store", part.image.get("media_id"))
            return
        except ServiceUnavailable as exc:
            raise DeliveryFailed(f"the media store is unavailable: {exc}") from exc
        if not content_type.startswith("image/"):  # WeChat's image messages carry pictures only
            api.send(openid, {"msgtype": "text", "text": {"content": FILE_SENT.format(name=name)}})
            return
        wx_media = api.upload_image(data, content_type, name)
        api.send(openid, {"msgtype": "image", "image": {"media_id": wx_media}})

    def send_retrying(self, openid: str, parts: Sequence[Part]) -> None:
        """`send` on this thread, tried as pushes are (contract.retrying); failures are logged."""
        pending = list(parts)
        retrying(lambda: self.send(openid, pending), f"wechat: sending to {openid}", self.sleep)

    def send_later(self, openid: str, turn: asyncio.Task[list[OutboundMessage]]) -> None:
        """The turn outlived the reply window: its replies go through the API once it ends."""

        async def follow() -> None:
            try:
                replies = await turn
            except Exception:
                log.exception("wechat: a turn for %s failed after the reply window", openid)
                return
            parts = self.prepare(openid, replies)
            if parts:
                await anyio.to_thread.run_sync(self.send_retrying, openid, parts)

        task = asyncio.create_task(follow())
        self._later.add(task)
        task.add_done_callback(self._later.discard)

    def close(self) -> None:
        self.http.close()
