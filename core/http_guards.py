"""Two ASGI middlewares every request passes: control characters in a path or query are refused
(400) before any route sees them, and every response carries the headers that keep the pages
out of other sites' frames and foreign scripts off them."""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# C0 controls but tab, and DEL: no id, name or search holds one, PostgreSQL text cannot hold NUL,
# and logs and terminals act on the rest.
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")

# The pages load their own scripts and styles only (no inline ones: tests/test_bad_input.py
# checks the HTML); the chat page shows images from https links in replies; the chat page and
# the console talk to their sockets (ws: or wss: for a page behind TLS).
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: https:",
        "connect-src 'self' ws: wss:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
# Swagger UI (its files served by the app: fastapi-offline) starts with an inline script.
WITHOUT_POLICY = ("/docs",)


def control_character_in(scope: Scope) -> str | None:
    """Where a control character is: 'path' or "query parameter 'name'"; None if nowhere."""
    if _CONTROL.search(scope["path"]):
        return "path"
    query = scope.get("query_string", b"").decode("latin-1")
    if not query:
        return None
    for name, value in parse_qsl(query, keep_blank_values=True, errors="replace"):
        if _CONTROL.search(name) or _CONTROL.search(value):
            shown = _CONTROL.sub("?", name)
            return f"query parameter {shown!r}"
    return None


class RefuseControlCharacters:
    """400 for a control character in the path or query, naming where; a socket is closed (1008)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        where = control_character_in(scope) if scope["type"] in ("http", "websocket") else None
        if where is None:
            await self.app(scope, receive, send)
        elif scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008, "reason": f"control character in the {where}"})
        else:
            body = json.dumps({"detail": f"the {where} contains a control character"}).encode()
            headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
            await send({"type": "http.response.start", "status": 400, "headers": headers})
            await send({"type": "http.response.body", "body": body})


class SecurityHeaders:
    """Content-Security-Policy, X-Frame-Options and X-Content-Type-Options on every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        added = [(b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY")]
        if not scope["path"].startswith(WITHOUT_POLICY):
            added.append((b"content-security-policy", CONTENT_SECURITY_POLICY.encode()))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(name, value) for name, value in added if name not in present]
                if b"content-security-policy" in present:
                    # A route with a policy of its own (the chat page framed by the merchant's
                    # shop: frame-ancestors names its origins) says who may frame it.
                    extra = [(name, value) for name, value in extra if name != b"x-frame-options"]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)
