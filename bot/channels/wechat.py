"""The WeChat Official Account channel (公众号, developer mode): WeChat's callbacks in, replies out.

WeChat posts each message to `/webhooks/wechat` as XML, signed with the account's Token (plain
mode) or signed and AES-encrypted (安全模式), and waits 5 seconds for the answer. A quick turn is
answered in that response (a passive reply, one message); a slow one gets "success" at once and
its replies follow through the customer-service API (客服消息), which also carries everything sent
later (an agent's reply, the queue position, the rating survey) through `deliver`.

Several replies of one turn: as many as fit in one message (WeChat's ~2 KB) are joined, in order,
into the passive reply; the rest follow through the customer-service API right after it. WeChat
text has no buttons, so buttons become numbered lines ("回复 1：…") and the customer's "1" is sent
on as that button's payload; the numbers always mean the buttons of the latest message sent.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import struct
import time
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import anyio
import httpx
import redis
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from defusedxml import ElementTree as SafeXml
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import PlainTextResponse, Response
from starlette.background import BackgroundTask

from bot.channels.contract import DELIVERY_ATTEMPTS, RETRY_SECONDS, AppChannel, DeliveryFailed, sender_for
from bot.engine import Attachment, Engine, InboundMessage, InvalidMessage, OutboundMessage
from core.body import read_body
from core.config import ConfigError, Settings
from core.media import MediaNotFound, MediaRejected, MediaStore, MediaTooLarge
from core.runtime import Runtime, ServiceUnavailable

log = logging.getLogger(__name__)

NAME = "wechat"
# WeChat gives up on an answer after 5 s (and asks again, three times): past this, "success" and
# the customer-service API.
REPLY_WINDOW_S = 4.0
# A request whose timestamp is further than this from our clock is a replay (or a wrong clock).
MAX_SKEW_S = 300
# WeChat's messages are small; 安全模式 wraps one in base64 of AES, 兼容模式 sends both forms.
MAX_XML_BYTES = 64 * 1024
# WeChat's limit on one text message is 2048 bytes; a little under leaves room for the framing.
TEXT_LIMIT_BYTES = 2000
# A message WeChat retried is answered once: its id is remembered this long (retries span 15 s).
SEEN_SECONDS = 600
# What the numbers of the latest numbered buttons stand for, per customer.
BUTTONS_SECONDS = 24 * 3600
# The access token is renewed this long before WeChat says it expires (7200 s).
TOKEN_MARGIN_S = 300
# WeChat's error codes: the token was refused (invalid, not the latest, expired), WeChat is busy.
TOKEN_ERRORS = frozenset({40001, 40014, 42001})
BUSY = -1
HTTP_TIMEOUT = httpx.Timeout(10.0, connect=5.0)

# The channel's own lines (the conversation's are the policy's).
WELCOME = (
    "您好，欢迎关注！我是智能客服小优，可以帮您查订单和物流、解答发货、退款退货、货到付款回款等问题，"
    "收到破损或错发的商品也可以直接发照片给我。需要人工客服时，回复“转人工”即可。"
)
VOICE_UNHEARD = "抱歉，小优暂时还听不了语音消息，麻烦您打字告诉我您的问题，谢谢！"
UNSUPPORTED = "抱歉，小优暂时只能看懂文字和图片，麻烦您用文字描述一下您的问题，谢谢！"
PICTURE_LOST = "抱歉，图片没有收到，请稍后再发一次，或用文字描述一下情况。"
PICTURE_TOO_LARGE = "抱歉，这张图片太大了，请换一张小一些的照片再发，或用文字描述一下情况。"
PICTURE_UNREADABLE = "抱歉，这张图片小优打不开，请换一张照片再发，或用文字描述一下情况。"
NOT_TAKEN = "抱歉，这条消息小优没能收下（太长或是空的），请精简后再发一次。"
FILE_SENT = "客服给您发了一个文件（{name}），微信里暂时无法显示。"

_FRAME = struct.Struct(">I")  # the message's length inside a decrypted frame


class Forged(ValueError):
    """The request is not WeChat's: a wrong signature, a stale timestamp, another account's message."""


class Malformed(ValueError):
    """The request cannot be read: not XML, or a ciphertext that does not decrypt."""


# --- signatures and 安全模式 (pure) ----------------------------------------------------------


def signature(*parts: str) -> str:
    """WeChat's signature: sha1 over the parts sorted and joined (token, timestamp, nonce[, Encrypt])."""
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def check_signature(token: str, given: str, timestamp: str, nonce: str, *extra: str, now: float) -> None:
    """Raises Forged unless `given` signs these parts and `timestamp` is within MAX_SKEW_S of `now`."""
    if not hmac.compare_digest(signature(token, timestamp, nonce, *extra).encode(), given.encode()):
        raise Forged("the signature does not match")
    if not (timestamp.isdigit() and len(timestamp) <= 12) or abs(now - int(timestamp)) > MAX_SKEW_S:
        raise Forged("the timestamp is missing or too old (a replayed request?)")


class MessageCrypt:
    """WeChat's message encryption: AES-256-CBC, key = base64(EncodingAESKey + "="), iv = key[:16],
    PKCS#7 padded to 32 bytes, over 16 random bytes + the length (4 bytes, big-endian) + the
    message + the AppID; base64 on the wire."""

    def __init__(self, encoding_aes_key: str, app_id: str) -> None:
        try:
            self.key = base64.b64decode(encoding_aes_key + "=", validate=True)
        except ValueError as exc:
            raise ConfigError("TRIAGE_WECHAT_AES_KEY is not WeChat's base64 EncodingAESKey") from exc
        if len(self.key) != 32:
            raise ConfigError("TRIAGE_WECHAT_AES_KEY is not WeChat's 43-character EncodingAESKey")
        self.app_id = app_id

    def _cipher(self) -> Cipher[modes.CBC]:
        return Cipher(algorithms.AES(self.key), modes.CBC(self.key[:16]))

    def encrypt(self, message: str) -> str:
        body = message.encode()
        plain = os.urandom(16) + _FRAME.pack(len(body)) + body + self.app_id.encode()
        padder = padding.PKCS7(256).padder()
        padded = padder.update(plain) + padder.finalize()
        encryptor = self._cipher().encryptor()
        return base64.b64encode(encryptor.update(padded) + encryptor.finalize()).decode()

    def decrypt(self, encrypted: str) -> str:
        """The message inside; Malformed when it does not decrypt, Forged when it is for another AppID."""
        try:
            data = base64.b64decode(encrypted, validate=True)
            decryptor = self._cipher().decryptor()
            padded = decryptor.update(data) + decryptor.finalize()
            unpadder = padding.PKCS7(256).unpadder()
            plain = unpadder.update(padded) + unpadder.finalize()
        except ValueError as exc:  # not base64, not whole blocks, bad padding
            raise Malformed("the Encrypt field does not decrypt with TRIAGE_WECHAT_AES_KEY") from exc
        if len(plain) < 20:
            raise Malformed("the decrypted message is too short")
        (length,) = _FRAME.unpack(plain[16:20])
        body, app_id = plain[20 : 20 + length], plain[20 + length :]
        if len(body) != length:
            raise Malformed("the decrypted message is shorter than it says")
        if not hmac.compare_digest(app_id, self.app_id.encode()):
            raise Forged("the message is for another account (its AppID differs)")
        try:
            return body.decode()
        except UnicodeDecodeError as exc:
            raise Malformed("the decrypted message is not UTF-8") from exc


# --- XML (pure) ---------------------------------------------------------------------------------

_NOT_XML_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def parse_xml(raw: bytes | str) -> dict[str, str]:
    """The fields of WeChat's flat `<xml>` message; Malformed for anything else. DTDs, and so
    entity expansion and external entities, are refused outright."""
    try:
        root = SafeXml.fromstring(raw, forbid_dtd=True)
    except SafeXml.ParseError as exc:
        raise Malformed(f"malformed XML: {exc}") from exc
    except ValueError as exc:  # defusedxml's refusals (DTDs, entities) are ValueErrors
        raise Malformed(f"refused XML: {type(exc).__name__}") from exc
    if root.tag != "xml":
        raise Malformed(f"expected WeChat's <xml> message, got <{root.tag}>")
    return {child.tag: (child.text or "").strip() for child in root if len(child) == 0}


def _cdata(value: str) -> str:
    clean = _NOT_XML_CHARS.sub("", value)
    return "<![CDATA[" + clean.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def text_reply(to: str, from_: str, content: str, now: int) -> str:
    """A passive text reply, as WeChat documents it."""
    return (
        f"<xml><ToUserName>{_cdata(to)}</ToUserName><FromUserName>{_cdata(from_)}</FromUserName>"
        f"<CreateTime>{now}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content>{_cdata(content)}</Content></xml>"
    )


def encrypted_reply(token: str, crypt: MessageCrypt, reply: str, now: int) -> str:
    """The passive reply of 安全模式: the reply encrypted, and signed with a fresh nonce."""
    encrypted = crypt.encrypt(reply)
    nonce = secrets.token_hex(8)
    sign = signature(token, str(now), nonce, encrypted)
    return (
        f"<xml><Encrypt>{_cdata(encrypted)}</Encrypt><MsgSignature>{_cdata(sign)}</MsgSignature>"
        f"<TimeStamp>{now}</TimeStamp><Nonce>{_cdata(nonce)}</Nonce></xml>"
    )


# --- what a message becomes on WeChat (pure) ---------------------------------------------------


@dataclass(frozen=True)
class Part:
    """One WeChat message to send: a text, or an image from the media store."""

    text: str = ""
    image: dict[str, str] | None = None


def chunks(text: str, limit: int = TEXT_LIMIT_BYTES) -> list[str]:
    """`text` cut into pieces of at most `limit` UTF-8 bytes, at line ends where it can be."""
    out: list[str] = []
    current = ""
    for line in text.splitlines(keepends=True):
        while len(line.encode()) > limit:  # one line longer than a message: cut by characters
            cut = len(line.encode()[:limit].decode(errors="ignore"))
            line, head = line[cut:], line[:cut]
            if current:
                out.append(current)
            out.append(head)
            current = ""
        if len((current + line).encode()) > limit:
            out.append(current)
            current = ""
        current += line
    if current.strip():
        out.append(current)
    return [piece.strip("\n") for piece in out if piece.strip()]


def render(messages: Sequence[OutboundMessage]) -> tuple[list[Part], dict[str, str]]:
    """The WeChat messages for `messages`, and what each button number stands for. Buttons are
    numbered lines under their message's text, numbered on across the messages."""
    parts: list[Part] = []
    numbers: dict[str, str] = {}
    for message in messages:
        lines = [message.text] if message.text else []
        for button in message.buttons or []:
            number = str(len(numbers) + 1)
            numbers[number] = button["payload"]
            lines.append(f"回复 {number}：{button['title']}")
        parts += [Part(text=piece) for piece in chunks("\n".join(lines))]
        for attachment in (message.custom or {}).get("attachments") or []:
            parts.append(Part(image=dict(attachment)))
    return parts, numbers


def passive(parts: list[Part], limit: int = TEXT_LIMIT_BYTES) -> tuple[str | None, list[Part]]:
    """The leading texts that fit in one passive reply, joined; and what is left for the API."""
    taken: list[str] = []
    for part in parts:
        joined = "\n\n".join([*taken, part.text])
        if part.image is not None or len(joined.encode()) > limit:
            break
        taken.append(part.text)
    return ("\n\n".join(taken) if taken else None), parts[len(taken) :]


def pressed(text: str, numbers: Mapping[str, str]) -> str | None:
    """The payload of the button whose number `text` is ("1", "１ "), else None."""
    number = unicodedata.normalize("NFKC", text).strip()
    return numbers.get(number) if number.isdigit() else None


# --- WeChat's API -----------------------------------------------------------------------------


class WeChatApi:
    """The calls this channel makes to api.weixin.qq.com, with the access token they need.

    The token is kept in Redis for every instance, renewed TOKEN_MARGIN_S before it expires, and
    fetched by one instance at a time (a Redis lock): WeChat allows 2000 fetches a day, and each
    fetch voids the token the other instances hold."""

    def __init__(self, base: str, app_id: str, app_secret: str, runtime: Runtime, http: httpx.Client) -> None:
        self.base = base.rstrip("/")
        self.app_id = app_id
        self._secret = app_secret
        self._runtime = runtime
        self._http = http
        self._key = f"wechat:access-token:{app_id}"

    def token(self, stale: str | None = None) -> str:
        """The current access token; a fresh one if the cached one is `stale` (WeChat refused it)."""
        try:
            cached = self._cached()
            if cached and cached != stale:
                return cached
            with self._runtime.lock(f"wechat-token:{self.app_id}", wait=15):
                cached = self._cached()  # another instance may have fetched it while we waited
                if cached and cached != stale:
                    return cached
                return self._fetch()
        except (redis.RedisError, ServiceUnavailable) as exc:
            raise DeliveryFailed(f"the access token is not available: {exc}") from exc

    def _cached(self) -> str | None:
        value = self._runtime.sync.get(self._key)
        return value.decode() if isinstance(value, bytes) else value

    def _fetch(self) -> str:
        params = {"grant_type": "client_credential", "appid": self.app_id, "secret": self._secret}
        body = _json(self._request("GET", "/cgi-bin/token", params=params), "/cgi-bin/token")
        if "access_token" not in body:
            code = body.get("errcode")
            raise DeliveryFailed(f"WeChat refused the access token: {code} {body.get('errmsg')}", retry=code == BUSY)
        token = str(body["access_token"])
        lifetime = int(body.get("expires_in", 7200))
        self._runtime.sync.set(self._key, token, ex=max(lifetime - TOKEN_MARGIN_S, 60))
        log.info("wechat: a new access token, for %d s", lifetime)
        return token

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.request(method, self.base + path, **kwargs)
        except httpx.HTTPError as exc:
            raise DeliveryFailed(f"WeChat {path} could not be reached: {exc}") from exc
        if response.status_code >= 500:
            raise DeliveryFailed(f"WeChat {path} answered HTTP {response.status_code}")
        if response.status_code != 200:
            raise DeliveryFailed(f"WeChat {path} answered HTTP {response.status_code}", retry=False)
        return response

    def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """An API call with the access token; renewed once and tried again when WeChat refuses it."""
        params = dict(kwargs.pop("params", None) or {})
        stale = None
        for _ in range(2):
            token = self.token(stale)
            response = self._request(method, path, params={**params, "access_token": token}, **kwargs)
            if not _is_json(response):
                return response  # media/get answers with the file itself
            body = _json(response, path)
            code = int(body.get("errcode") or 0)
            if code in TOKEN_ERRORS and stale is None:
                log.info("wechat: the access token was refused (%d); renewing it", code)
                stale = token
                continue
            if code:
                raise DeliveryFailed(f"WeChat {path} failed: {code} {body.get('errmsg')}", retry=code == BUSY)
            return response
        raise DeliveryFailed(f"WeChat {path} refused a freshly renewed access token")

    def send(self, openid: str, message: dict[str, Any]) -> None:
        """A customer-service message (客服消息): {"msgtype": "text", "text": {"content": …}} and the like."""
        body = json.dumps({"touser": openid, **message}, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json; charset=utf-8"}
        self.call("POST", "/cgi-bin/message/custom/send", content=body, headers=headers)

    def upload_image(self, data: bytes, content_type: str, name: str) -> str:
        """WeChat's media id of `data`, uploaded as temporary media (kept three days)."""
        files = {"media": (name, data, content_type)}
        response = self.call("POST", "/cgi-bin/media/upload", params={"type": "image"}, files=files)
        return str(_json(response, "/cgi-bin/media/upload")["media_id"])

    def download(self, media_id: str, limit: int) -> tuple[bytes, str]:
        """The file WeChat keeps as `media_id` (a customer's picture), and its content type."""
        response = self.call("GET", "/cgi-bin/media/get", params={"media_id": media_id})
        if len(response.content) > limit:
            raise DeliveryFailed(f"the picture is larger than {limit} bytes", retry=False)
        return response.content, response.headers.get("content-type", "").split(";")[0].strip()


def _is_json(response: httpx.Response) -> bool:
    kind = response.headers.get("content-type", "")
    return "json" in kind or kind.startswith("text/plain")


def _json(response: httpx.Response, path: str) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError as exc:
        raise DeliveryFailed(f"WeChat {path} answered something that is not JSON") from exc
    if not isinstance(body, dict):
        raise DeliveryFailed(f"WeChat {path} answered something that is not a JSON object")
    return body


# --- the channel ---------------------------------------------------------------------------------


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
        data, content_type = self._fetch_picture(fields.get("MediaId", ""), fields.get("PicUrl", ""))
        stored = self.media.put(data, content_type or None, name=f"wechat-{fields.get('MsgId', 'picture')}")
        return Attachment(stored.media_id, stored.content_type)

    def _fetch_picture(self, media_id: str, url: str) -> tuple[bytes, str]:
        if self.api is not None and media_id:
            try:
                return self.api.download(media_id, self.max_media_bytes)
            except DeliveryFailed as exc:
                if not url:
                    raise
                log.warning("wechat: media/get failed (%s); fetching the PicUrl", exc)
        if not url.startswith(("https://", "http://")):
            raise DeliveryFailed("the picture has no MediaId this account can fetch and no PicUrl", retry=False)
        try:
            with self.http.stream("GET", url) as response:
                response.raise_for_status()
                data = bytearray()
                for chunk in response.iter_bytes():
                    data += chunk
                    if len(data) > self.max_media_bytes:
                        raise DeliveryFailed(f"the picture is larger than {self.max_media_bytes} bytes", retry=False)
                return bytes(data), response.headers.get("content-type", "").split(";")[0].strip()
        except httpx.HTTPError as exc:
            raise DeliveryFailed(f"the picture could not be fetched: {exc}") from exc

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
        wx_media = api.upload_image(data, content_type, _filename(name, content_type))
        api.send(openid, {"msgtype": "image", "image": {"media_id": wx_media}})

    def send_retrying(self, openid: str, parts: Sequence[Part]) -> None:
        """`send` on this thread, tried as pushes are (contract.DELIVERY_ATTEMPTS); failures are logged."""
        pending = list(parts)
        for attempt in range(DELIVERY_ATTEMPTS):
            try:
                self.send(openid, pending)
                return
            except DeliveryFailed as exc:
                log.warning("wechat: sending to %s failed (attempt %d): %s", openid, attempt + 1, exc)
                if not exc.retry or attempt == DELIVERY_ATTEMPTS - 1:
                    return
                self.sleep(RETRY_SECONDS[min(attempt, len(RETRY_SECONDS) - 1)])

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


def _filename(name: str, content_type: str) -> str:
    """WeChat's upload wants a file name with the image's extension."""
    extension = {"image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif", "image/bmp": ".bmp"}
    ext = extension.get(content_type, ".jpg")
    return name if name.lower().endswith(ext) else f"{name}{ext}"


def from_settings(settings: Settings, runtime: Runtime, media: MediaStore) -> AppChannel | None:
    """The Official Account of the settings, or None without TRIAGE_WECHAT_TOKEN."""
    if not settings.wechat_token:
        return None
    app_id, secret = settings.wechat_app_id, settings.wechat_app_secret
    http = httpx.Client(timeout=HTTP_TIMEOUT)
    api = WeChatApi(settings.wechat_api, app_id, secret, runtime, http) if app_id and secret else None
    if api is None:
        log.warning("wechat: no TRIAGE_WECHAT_APP_ID/_APP_SECRET: slow replies and pushes cannot be sent")
    crypt = None
    if settings.wechat_aes_key:
        if not app_id:
            raise ConfigError("TRIAGE_WECHAT_AES_KEY needs TRIAGE_WECHAT_APP_ID (安全模式 checks it)")
        crypt = MessageCrypt(settings.wechat_aes_key, app_id)
    return WeChat(
        settings.wechat_token,
        runtime=runtime,
        media=media,
        api=api,
        crypt=crypt,
        http=http,
        max_media_bytes=settings.media_max_bytes,
    )


# --- the callback routes -------------------------------------------------------------------------

router = APIRouter()


def _channel(request: Request) -> WeChat:
    channel = request.app.state.channels.get(NAME)
    if not isinstance(channel, WeChat):
        raise HTTPException(404, "the WeChat channel is not configured (TRIAGE_WECHAT_TOKEN)")
    return channel


@router.get("/webhooks/wechat")
async def verify_url(request: Request) -> PlainTextResponse:
    """WeChat checks the callback URL: echo its `echostr` if the request is signed with our Token."""
    channel = _channel(request)
    q = request.query_params
    try:
        channel.verify(q.get("signature", ""), q.get("timestamp", ""), q.get("nonce", ""))
    except Forged as exc:
        raise HTTPException(403, f"not signed by WeChat: {exc}") from exc
    return PlainTextResponse(q.get("echostr", ""))


@router.post("/webhooks/wechat")
async def receive(request: Request) -> Response:
    """One message or event from WeChat: the passive reply, or "success" (nothing, or later)."""
    channel = _channel(request)
    raw = await read_body(request, MAX_XML_BYTES)
    try:
        fields, encrypted = channel.read(raw, request.query_params)
    except Forged as exc:
        raise HTTPException(403, f"not signed by WeChat: {exc}") from exc
    except Malformed as exc:
        raise HTTPException(400, str(exc)) from exc
    openid, account = fields.get("FromUserName", ""), fields.get("ToUserName", "")
    if not openid or not account or len(sender_for(NAME, openid)) > 128:
        raise HTTPException(400, "a WeChat message needs its FromUserName and ToUserName")
    parts = await _answer(request, channel, fields)
    content, rest = passive(parts)
    background = BackgroundTask(channel.send_retrying, openid, rest) if rest else None
    if content is None:
        return PlainTextResponse("success", background=background)
    now = int(channel.clock())
    reply = text_reply(openid, account, content, now)
    if encrypted and channel.crypt is not None:
        reply = encrypted_reply(channel.token, channel.crypt, reply, now)
    return Response(reply, media_type="application/xml", background=background)


async def _answer(request: Request, channel: WeChat, fields: dict[str, str]) -> list[Part]:
    """What to answer in the response (the rest of a slow turn follows through the API)."""
    openid, kind = fields["FromUserName"], fields.get("MsgType", "")
    key = fields.get("MsgId") or f"{openid}:{fields.get('CreateTime', '')}:{fields.get('Event', '')}"
    if not channel.first_time(key):
        return []  # WeChat asking again: the first delivery answers (or has answered)
    sender = sender_for(NAME, openid)
    if kind == "event":
        said = WELCOME if fields.get("Event", "").lower() == "subscribe" else None
        return [Part(text=said)] if said else []
    text = {"text": fields.get("Content", ""), "voice": fields.get("Recognition", "")}.get(kind, "")
    if kind == "voice" and not text:  # WeChat recognises the speech only where the account turned it on
        return [Part(text=VOICE_UNHEARD)]
    if kind not in ("text", "voice", "image"):
        return [Part(text=UNSUPPORTED)]
    if text:
        text = channel.button_payload(openid, text) or text
    metadata = {"msg_type": kind, "msg_id": fields.get("MsgId", "")}
    turn = asyncio.create_task(_turn(request, channel, fields, InboundMessage(sender, text, NAME, metadata)))
    try:
        # asyncio.wait never cancels the turn: one that outlives the window goes on, and is sent later.
        done, _ = await asyncio.wait({turn}, timeout=channel.reply_window)
    except asyncio.CancelledError:  # WeChat hung up first; its retry will be told "success"
        channel.send_later(openid, turn)
        raise
    if not done:
        channel.send_later(openid, turn)
        return []
    try:
        replies = turn.result()
    except InvalidMessage:
        return [Part(text=NOT_TAKEN)]
    except BaseException:
        channel.forget(key)  # Redis or the database failed: WeChat's retry tries again
        raise
    return channel.prepare(openid, replies)


async def _turn(
    request: Request, channel: WeChat, fields: Mapping[str, str], inbound: InboundMessage
) -> list[OutboundMessage]:
    """The turn of one message, a picture fetched and kept first."""
    if fields.get("MsgType") == "image":
        try:
            attachment = await anyio.to_thread.run_sync(channel.picture, fields)
        except DeliveryFailed as exc:
            log.warning("wechat: the picture of %s was not fetched: %s", inbound.sender_id, exc)
            return [OutboundMessage(inbound.sender_id, PICTURE_LOST)]
        except MediaTooLarge:
            return [OutboundMessage(inbound.sender_id, PICTURE_TOO_LARGE)]
        except MediaRejected:
            return [OutboundMessage(inbound.sender_id, PICTURE_UNREADABLE)]
        inbound = InboundMessage(inbound.sender_id, "", NAME, inbound.metadata, attachments=(attachment,))
    engine: Engine = request.app.state.engine
    replies: list[OutboundMessage] = await request.app.state.turns.run(engine.handle, inbound)
    return replies
