"""Who may talk to the channels, and how often.

Three kinds of caller reach the customer-facing routes (the REST webhook, `/model/parse`,
`GET /conversations/{sender}` and the chat socket):

- A channel integration on a server (a chat-app bridge, the merchant's site backend) signs each
  request with the shared `TRIAGE_WEBHOOK_SECRET`: `X-Triage-Timestamp: <unix seconds>`,
  `X-Triage-Nonce: <16-64 random letters, digits, - or _>` (optional, recommended) and
  `X-Triage-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>\\n<nonce>\\n<METHOD>\\n<path>\\n" + body)>`
  (without a nonce, `"<timestamp>\\n<METHOD>\\n<path>\\n" + body`). Each signature is accepted
  once: it is remembered in Redis for as long as its timestamp would pass (five minutes old at
  most, 30 s ahead at most), so a captured request cannot be replayed, to this instance or
  another. Two identical requests in one second need a nonce to tell them apart; a retry is
  signed afresh. While Redis cannot remember a signature, signed requests get 503.
- The web chat page holds a session token for its own sender id (`POST /chat/session`), signed
  with `TRIAGE_SECRET` (itsdangerous). It may speak and read as that sender only.
- Staff logged in to the console or the knowledge-base page (`Authorization: Bearer <token>`)
  may parse and read conversations.

In production every one of these routes needs one of the three; the embedded demo also lets
anonymous callers in, so `curl` works out of the box. Rate limits (per sender and per client
address; logins per address and per account) use the `limits` library: counters in Redis when
REDIS_URL is set, so every instance counts together; in memory in the embedded mode. While Redis
is down the message limits let requests through (the turn itself answers 503), but logins are
counted in this instance's memory, so guessing passwords stays slow.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

import fakeredis
import redis
from fastapi import HTTPException, Request
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from limits import RateLimitItemPerMinute
from limits.storage import storage_from_string
from limits.strategies import SlidingWindowCounterRateLimiter

from core.config import Settings
from core.runtime import ServiceUnavailable

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "x-triage-signature"
TIMESTAMP_HEADER = "x-triage-timestamp"
NONCE_HEADER = "x-triage-nonce"
REPLAY_WINDOW_S = 300
CLOCK_SKEW_S = 30  # how far ahead of this server's clock an integration's may run
NONCE = re.compile(r"[A-Za-z0-9_-]{16,64}")  # never a method: the signed string reads one way only
CHAT_TOKEN_DAYS = 30  # a returning customer keeps their conversation for a month of visits


def signature(secret: str, timestamp: str, method: str, path: str, body: bytes, nonce: str = "") -> str:
    """The signature a channel integration sends for one request (its nonce, when it sends one, signed too)."""
    head = f"{timestamp}\n{nonce}\n" if nonce else f"{timestamp}\n"
    signed = f"{head}{method.upper()}\n{path}\n".encode() + body
    return "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def signed_headers(secret: str, method: str, path: str, body: bytes = b"") -> dict[str, str]:
    """Headers that authenticate one request, once (for integrations, the load benchmark and tests)."""
    timestamp = str(int(time.time()))
    nonce = secrets.token_urlsafe(16)
    return {
        "X-Triage-Timestamp": timestamp,
        "X-Triage-Nonce": nonce,
        "X-Triage-Signature": signature(secret, timestamp, method, path, body, nonce),
    }


@dataclass(frozen=True)
class Caller:
    kind: str  # signed | chat | staff | anonymous
    sender_id: str | None = None  # a chat token's own sender

    def may_act_as(self, sender_id: str) -> bool:
        return self.kind != "chat" or self.sender_id == sender_id


class ChatTokens:
    """Session tokens for the web chat page: the sender id, signed and dated."""

    def __init__(self, secret: str) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt="triage-chat-session")

    def issue(self, sender_id: str) -> str:
        return self._serializer.dumps(sender_id)

    def sender_of(self, token: str) -> str | None:
        try:
            sender = self._serializer.loads(token, max_age=CHAT_TOKEN_DAYS * 86400)
        except (SignatureExpired, BadSignature):
            return None
        return sender if isinstance(sender, str) else None


def new_sender_id() -> str:
    return "web-" + secrets.token_urlsafe(12)


class Guard:
    """Authentication of channel callers and rate limits, for one app."""

    def __init__(self, settings: Settings, secret: str, seen: redis.Redis | None = None) -> None:
        self.production = settings.production
        self.webhook_secret = settings.webhook_secret
        self.tokens = ChatTokens(secret)
        # Signatures already used, shared by every instance: REDIS_URL's Redis, or one in process.
        self.seen = seen if seen is not None else replay_store(settings)
        self.per_sender = RateLimitItemPerMinute(settings.rate_per_sender) if settings.rate_per_sender else None
        self.per_ip = RateLimitItemPerMinute(settings.rate_per_ip) if settings.rate_per_ip else None
        self.logins = RateLimitItemPerMinute(10)  # from one address, and at one account
        storage = storage_from_string(settings.redis_url) if settings.redis_url else storage_from_string("memory://")
        self.limiter = SlidingWindowCounterRateLimiter(storage)
        # Where logins are counted while the shared store is down: per instance, but still limited.
        self.fallback = SlidingWindowCounterRateLimiter(storage_from_string("memory://"))

    def caller(self, request: Request, body: bytes = b"", *, is_staff: Callable[[str], bool] | None = None) -> Caller:
        """Who sent this request; raises 401 where production needs a caller and none is proven.

        `is_staff` tells whether a bearer token is a logged-in member of staff's, on the routes
        staff may use."""
        if request.headers.get(SIGNATURE_HEADER):
            self._check_signature(request, body)
            return Caller("signed")
        token = bearer(request)
        if token:
            sender = self.tokens.sender_of(token)
            if sender is not None:
                return Caller("chat", sender)
            if is_staff is not None and is_staff(token):
                return Caller("staff")
            raise HTTPException(401, "the session token is unknown or expired", {"WWW-Authenticate": "Bearer"})
        if self.production:
            raise HTTPException(
                401,
                "authenticate: a chat session token (POST /chat/session) or a signed request (X-Triage-Signature)",
                {"WWW-Authenticate": "Bearer"},
            )
        return Caller("anonymous")

    def _check_signature(self, request: Request, body: bytes) -> None:
        if not self.webhook_secret:
            raise HTTPException(401, "signed requests are not accepted here: TRIAGE_WEBHOOK_SECRET is not set")
        timestamp = request.headers.get(TIMESTAMP_HEADER, "")
        if not timestamp.isdigit():
            raise HTTPException(401, "X-Triage-Timestamp missing: the time the request was signed, in unix seconds")
        age = time.time() - int(timestamp)
        if age > REPLAY_WINDOW_S:
            raise HTTPException(
                401, f"X-Triage-Timestamp is more than {REPLAY_WINDOW_S} s old: sign each request as it is sent"
            )
        if age < -CLOCK_SKEW_S:
            raise HTTPException(
                401,
                f"X-Triage-Timestamp is more than {CLOCK_SKEW_S} s ahead of this server's clock: check the sender's clock",
            )
        nonce = request.headers.get(NONCE_HEADER, "")
        if nonce and not NONCE.fullmatch(nonce):
            raise HTTPException(401, "X-Triage-Nonce must be 16 to 64 letters, digits, - or _")
        given = request.headers.get(SIGNATURE_HEADER, "")
        expected = signature(self.webhook_secret, timestamp, request.method, request.url.path, body, nonce)
        if not hmac.compare_digest(expected, given):
            raise HTTPException(401, "X-Triage-Signature does not match the request")
        self._first_use(given)

    def _first_use(self, given: str) -> None:
        """Remember a proven signature for as long as its timestamp would pass; 401 if it was seen."""
        try:
            first = self.seen.set(f"sig:{given.removeprefix('sha256=')}", 1, nx=True, ex=REPLAY_WINDOW_S + CLOCK_SKEW_S)
        except redis.RedisError as exc:
            raise ServiceUnavailable("signed requests cannot be checked for replays: Redis is unavailable") from exc
        if not first:
            raise HTTPException(
                401,
                "this signed request was received already: sign every request, retries too, afresh"
                " (a new X-Triage-Nonce, or X-Triage-Timestamp)",
            )

    def limit(self, request: Request, sender_id: str | None = None) -> None:
        """429 when this client address or sender has sent too much in the last minute."""
        checks = [(self.per_ip, "ip", client_address(request))]
        if sender_id is not None:
            checks.append((self.per_sender, "sender", sender_id))
        for item, kind, key in checks:
            if item is not None:
                self._hit(item, kind, key)

    def limit_logins(self, request: Request, username: str) -> None:
        """429 after ten tries a minute from one address, or at one account from any number of them."""
        self._hit(self.logins, "login", client_address(request), fail_open=False)
        account = hashlib.sha256(username.casefold().encode()).hexdigest()  # no usernames in Redis
        self._hit(self.logins, "account", account, fail_open=False)

    def _hit(self, item: RateLimitItemPerMinute, kind: str, key: str, *, fail_open: bool = True) -> None:
        try:
            allowed = self.limiter.hit(item, kind, key)
        except Exception:
            if fail_open:  # the limiter's store is down: let the request through, the turn itself will 503
                log.warning("rate limit not checked: its store is unavailable", exc_info=True)
                return
            log.warning("%s limit counted in this instance only: its store is unavailable", kind, exc_info=True)
            allowed = self.fallback.hit(item, kind, key)
        if not allowed:
            raise HTTPException(429, f"{_TOO_MANY[kind]}: at most {item.amount} a minute", {"Retry-After": "60"})


_TOO_MANY = {
    "ip": "too many requests from this address",
    "sender": "too many requests from this sender",
    "login": "too many logins from this address",
    "account": "too many logins to this account",
}


def replay_store(settings: Settings) -> redis.Redis:
    """Where used signatures are remembered: REDIS_URL's Redis, or an in-process stand-in (embedded)."""
    if settings.redis_url:
        return redis.Redis.from_url(settings.redis_url, socket_timeout=5, socket_connect_timeout=5)
    return fakeredis.FakeRedis()


def bearer(request: Request) -> str | None:
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    return credentials.strip() or None if scheme.lower() == "bearer" else None


def client_address(request: Request) -> str:
    """The client's address (uvicorn puts the proxy's X-Forwarded-For here for trusted proxies)."""
    return request.client.host if request.client else "unknown"
