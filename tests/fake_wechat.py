"""WeChat, faked for tests: its API server (token, 客服消息, temporary media) and its side of the callbacks.

`FakeWeChat.app` answers the calls bot/channels/wechat_api.py makes, with WeChat's documented payloads
and error codes, records them, and can be told to expire the tokens it gave out, to fail the next
call with an error code, or to answer slowly. `Callback` is WeChat posting a follower's message to
the account's server: the documented example XML, signed with the Token, and encrypted as WeChat
does in 安全模式. Its crypto is written here apart from the channel's (its own padding), so a
round trip checks the channel against a second reading of WeChat's scheme, not against itself.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import itertools
import json
import os
import secrets
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from defusedxml import ElementTree
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.datastructures import UploadFile

# The documented token error payloads (全局返回码).
EXPIRED = {"errcode": 42001, "errmsg": "access_token expired"}
INVALID = {"errcode": 40001, "errmsg": "invalid credential, access_token is invalid or not latest"}
MISSING = {"errcode": 41001, "errmsg": "access_token missing"}
OK = {"errcode": 0, "errmsg": "ok"}
MESSAGES = {
    -1: "system error",
    40003: "invalid openid",
    40004: "invalid media type",
    40007: "invalid media_id",
    43004: "require subscribe",
    45015: "response out of time limit or subscription is canceled",
    45047: "out of response count limit",
}


@dataclass
class Call:
    """One call to the fake: its path, query and (decoded) body."""

    path: str
    params: dict[str, str]
    body: Any = None
    answered: dict[str, Any] = field(default_factory=dict)


class FakeWeChat:
    """The API server of one Official Account (AppID + AppSecret)."""

    def __init__(self, app_id: str, secret: str) -> None:
        self.app_id = app_id
        self.secret = secret
        self.base = ""  # set once it is served
        self._lock = threading.Lock()
        self._numbers = itertools.count(1)
        self.reset()
        self.app = self._build()

    def reset(self) -> None:
        with self._lock:
            self.calls: list[Call] = []
            self.tokens: dict[str, bool] = {}  # token -> still valid
            self.media: dict[str, tuple[bytes, str]] = {}  # WeChat's media id -> (file, content type)
            self.unsubscribed: set[str] = set()
            self._fail: list[list[int]] = []  # [error code, calls to let through first]
            self._delay = 0.0

    # What a test tells WeChat.

    def expire_tokens(self) -> None:
        """Every token given out so far is now expired: the next call with one gets 42001."""
        with self._lock:
            self.tokens = dict.fromkeys(self.tokens, False)

    def fail_next(self, errcode: int, after: int = 0) -> None:
        """The next API call (not the token endpoint), or the one after `after` more, answers with this error code."""
        with self._lock:
            self._fail.append([errcode, after])

    def delay(self, seconds: float) -> None:
        """Every answer from now on comes this much later."""
        self._delay = seconds

    def add_media(self, data: bytes, content_type: str) -> str:
        """A file a follower sent (a photo): WeChat keeps it under the media id returned."""
        media_id = f"MEDIA_{next(self._numbers)}_{secrets.token_urlsafe(12)}"
        self.media[media_id] = (data, content_type)
        return media_id

    # What a test reads.

    def sent(self) -> list[dict[str, Any]]:
        """The customer-service messages WeChat accepted, in order."""
        return [c.body for c in self.calls if c.path == "/cgi-bin/message/custom/send" and c.answered == OK]

    def texts(self) -> list[str]:
        return [m["text"]["content"] for m in self.sent() if m["msgtype"] == "text"]

    def on(self, path: str) -> list[Call]:
        return [c for c in self.calls if c.path == path]

    def wait_for(self, check: Callable[[], bool], timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while not check():
            if time.monotonic() > deadline:
                raise AssertionError(f"WeChat did not see it within {timeout} s; calls: {self.calls}")
            time.sleep(0.02)

    # The server.

    def _record(self, call: Call, answer: dict[str, Any]) -> JSONResponse:
        call.answered = answer
        with self._lock:
            self.calls.append(call)
        return JSONResponse(answer)

    def _refused(self, call: Call) -> dict[str, Any] | None:
        """The error for this call's token, or the one it was told to fail with."""
        token = call.params.get("access_token")
        if not token:
            return MISSING
        with self._lock:
            valid = self.tokens.get(token)
            failure = None
            if self._fail and self._fail[0][1] > 0:
                self._fail[0][1] -= 1
            elif self._fail:
                failure = self._fail.pop(0)[0]
        if valid is None:
            return INVALID
        if not valid:
            return EXPIRED
        if failure is not None:
            return EXPIRED if failure == 42001 else {"errcode": failure, "errmsg": MESSAGES.get(failure, "error")}
        return None

    def _build(self) -> FastAPI:
        app = FastAPI()

        @app.middleware("http")
        async def slow(request: Request, call_next: Any) -> Any:
            if self._delay and request.url.path != "/health":
                await asyncio.sleep(self._delay)
            return await call_next(request)

        @app.get("/health")
        async def health() -> dict[str, str]:
            return {"status": "ok"}

        @app.get("/cgi-bin/token")
        async def token(request: Request) -> JSONResponse:
            call = Call("/cgi-bin/token", dict(request.query_params))
            if call.params.get("grant_type") != "client_credential":
                return self._record(call, {"errcode": 40002, "errmsg": "invalid grant_type"})
            if call.params.get("appid") != self.app_id:
                return self._record(call, {"errcode": 40013, "errmsg": "invalid appid"})
            if call.params.get("secret") != self.secret:
                return self._record(call, {"errcode": 40125, "errmsg": "invalid appsecret"})
            issued = f"ACCESS_TOKEN_{next(self._numbers)}_{secrets.token_urlsafe(16)}"
            with self._lock:
                self.tokens[issued] = True
            return self._record(call, {"access_token": issued, "expires_in": 7200})

        @app.post("/cgi-bin/message/custom/send")
        async def custom_send(request: Request) -> JSONResponse:
            call = Call("/cgi-bin/message/custom/send", dict(request.query_params), json.loads(await request.body()))
            if (refused := self._refused(call)) is not None:
                return self._record(call, refused)
            message = call.body
            if not message.get("touser"):
                return self._record(call, {"errcode": 40003, "errmsg": MESSAGES[40003]})
            if message["touser"] in self.unsubscribed:
                return self._record(call, {"errcode": 43004, "errmsg": MESSAGES[43004]})
            kind = message.get("msgtype")
            if kind == "text" and not (message.get("text") or {}).get("content"):
                return self._record(call, {"errcode": 44003, "errmsg": "empty news data"})
            if kind == "image" and (message.get("image") or {}).get("media_id") not in self.media:
                return self._record(call, {"errcode": 40007, "errmsg": MESSAGES[40007]})
            if kind not in ("text", "image"):
                return self._record(call, {"errcode": 40008, "errmsg": "invalid message type"})
            return self._record(call, OK)

        @app.post("/cgi-bin/media/upload")
        async def upload(request: Request) -> JSONResponse:
            call = Call("/cgi-bin/media/upload", dict(request.query_params))
            if (refused := self._refused(call)) is not None:
                return self._record(call, refused)
            if call.params.get("type") not in ("image", "voice", "video", "thumb"):
                return self._record(call, {"errcode": 40004, "errmsg": MESSAGES[40004]})
            async with request.form() as form:
                upload = form.get("media")
                if not isinstance(upload, UploadFile):
                    return self._record(call, {"errcode": 41005, "errmsg": "media data missing"})
                data, content_type = await upload.read(), upload.content_type or ""
                call.body = {"filename": upload.filename, "content_type": content_type, "size": len(data)}
            media_id = self.add_media(data, content_type)
            return self._record(
                call, {"type": call.params["type"], "media_id": media_id, "created_at": int(time.time())}
            )

        @app.get("/cgi-bin/media/get")
        async def media_get(request: Request) -> Response:
            call = Call("/cgi-bin/media/get", dict(request.query_params))
            if (refused := self._refused(call)) is not None:
                return self._record(call, refused)
            media_id = call.params.get("media_id", "")
            if media_id not in self.media:
                return self._record(call, {"errcode": 40007, "errmsg": MESSAGES[40007]})
            data, content_type = self.media[media_id]
            call.answered = OK
            with self._lock:
                self.calls.append(call)
            disposition = f'attachment; filename="{media_id}.{content_type.rpartition("/")[2]}"'
            return Response(data, media_type=content_type, headers={"Content-disposition": disposition})

        return app


# --- WeChat's side of the callbacks -----------------------------------------------------------


def signed(token: str, timestamp: int | None = None) -> dict[str, str]:
    """The query WeChat adds to a callback: timestamp, nonce and the signature over them and the Token."""
    stamp, nonce = str(int(time.time()) if timestamp is None else timestamp), str(secrets.randbelow(10**10))
    parts = sorted([token, stamp, nonce])
    return {"timestamp": stamp, "nonce": nonce, "signature": hashlib.sha1("".join(parts).encode()).hexdigest()}


def message(kind: str, openid: str, account: str = "gh_7f083739789a", **fields: str | int) -> str:
    """A follower's message in the documented shape (接收普通消息 / 接收事件推送)."""
    values: dict[str, str | int] = {
        "ToUserName": account,
        "FromUserName": openid,
        "CreateTime": int(time.time()),
        "MsgType": kind,
        **fields,
    }
    if kind != "event":
        values.setdefault("MsgId", str(next(_MSG_IDS)))
    body = "".join(
        f"<{k}>{v}</{k}>" if isinstance(v, int) else f"<{k}><![CDATA[{v}]]></{k}>" for k, v in values.items()
    )
    return f"<xml>{body}</xml>"


_MSG_IDS = itertools.count(23637352235060880)


class Safe:
    """安全模式 as WeChat runs it for one account: encrypts what it posts, decrypts the replies."""

    def __init__(self, token: str, encoding_aes_key: str, app_id: str) -> None:
        self.token = token
        self.key = base64.b64decode(encoding_aes_key + "=")
        self.app_id = app_id

    def _cipher(self) -> Cipher[modes.CBC]:
        return Cipher(algorithms.AES(self.key), modes.CBC(self.key[:16]))

    def encrypt(self, xml: str, app_id: str | None = None) -> str:
        body = xml.encode()
        plain = os.urandom(16) + struct.pack(">I", len(body)) + body + (app_id or self.app_id).encode()
        pad = 32 - len(plain) % 32  # WeChat pads to 32 bytes, a whole block of 32 when it fits
        encryptor = self._cipher().encryptor()
        return base64.b64encode(encryptor.update(plain + bytes([pad]) * pad) + encryptor.finalize()).decode()

    def post(self, xml: str, app_id: str | None = None, timestamp: int | None = None) -> tuple[dict[str, str], str]:
        """(query, body) of the encrypted callback WeChat posts for `xml`."""
        encrypted = self.encrypt(xml, app_id)
        query = signed(self.token, timestamp=timestamp)  # `signature` signs the token, as in plain mode
        stamp, nonce = query["timestamp"], query["nonce"]
        digest = hashlib.sha1("".join(sorted([self.token, stamp, nonce, encrypted])).encode()).hexdigest()
        inside = ElementTree.fromstring(xml)
        openid, account = inside.findtext("FromUserName") or "", inside.findtext("ToUserName") or ""
        query |= {"encrypt_type": "aes", "msg_signature": digest, "openid": openid}
        body = f"<xml><ToUserName><![CDATA[{account}]]></ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
        return query, body

    def open_reply(self, reply: str) -> str:
        """The XML inside an encrypted passive reply, its signature checked."""
        root = ElementTree.fromstring(reply)
        encrypted, stamp, nonce = (root.findtext(k) or "" for k in ("Encrypt", "TimeStamp", "Nonce"))
        digest = hashlib.sha1("".join(sorted([self.token, stamp, nonce, encrypted])).encode()).hexdigest()
        if digest != root.findtext("MsgSignature"):
            raise AssertionError("the reply's MsgSignature does not sign it")
        decryptor = self._cipher().decryptor()
        plain = decryptor.update(base64.b64decode(encrypted)) + decryptor.finalize()
        plain = plain[: -plain[-1]]
        (length,) = struct.unpack(">I", plain[16:20])
        if plain[20 + length :].decode() != self.app_id:
            raise AssertionError("the reply names another AppID")
        return plain[20 : 20 + length].decode()
