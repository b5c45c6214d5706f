"""A stand-in for Telegram's Bot API server, on a local port: the methods the Telegram channel calls.

It answers as https://core.telegram.org/bots/api documents: `{"ok": true, "result": ...}` with the
documented result objects (Message, File, WebhookInfo, True), or `{"ok": false, "error_code": ...,
"description": ...}` with the same HTTP status, `parameters.retry_after` on a 429. Parameters come as
JSON, a URL-encoded form or multipart (uploads), as Telegram accepts them. It records every call, keeps
the files it is given to serve from `/file/bot<token>/<file_path>`, and fails the next call on request.
"""

from __future__ import annotations

import base64
import email.parser
import email.policy
import itertools
import json
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from tests.servers import serve_in_thread

# A small real JPEG (4x3 pixels): what a phone's photo is to the channel, only smaller.
JPEG = base64.b64decode(
    "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDABALDA4MChAODQ4SERATGCgaGBYWGDEjJR0oOjM9PDkzODdASFxOQERXRTc4UG1RV19iZ2hnPk1x"
    "eXBkeFxlZ2P/2wBDARESEhgVGC8aGi9jQjhCY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2P/wAAR"
    "CAADAAQDASIAAhEBAxEB/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcICQoL/8QAtRAAAgEDAwIEAwUFBAQAAAF9AQIDAAQRBRIhMUEG"
    "E1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkKFhcYGRolJicoKSo0NTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWG"
    "h4iJipKTlJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi4+Tl5ufo6erx8vP09fb3+Pn6/8QAHwEAAwEBAQEB"
    "AQEBAQAAAAAAAAECAwQFBgcICQoL/8QAtREAAgECBAQDBAcFBAQAAQJ3AAECAxEEBSExBhJBUQdhcRMiMoEIFEKRobHBCSMzUvAVYnLRChYk"
    "NOEl8RcYGRomJygpKjU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6goOEhYaHiImKkpOUlZaXmJmaoqOkpaanqKmqsrO0"
    "tba3uLm6wsPExcbHyMnK0tPU1dbX2Nna4uPk5ebn6Onq8vP09fb3+Pn6/9oADAMBAAIRAxEAPwCSiiivGPWP/9k="
)
# The same picture with a comment segment after its start marker: other bytes, still a JPEG.
THUMBNAIL = JPEG[:2] + b"\xff\xfe\x00\x07thumb" + JPEG[2:]

BOT_USER = {"id": 5000000001, "is_bot": True, "first_name": "小优", "username": "triage_test_bot"}
CALLBACK_DATA_BYTES = 64
TEXT_CHARS = 4096


@dataclass(frozen=True)
class Call:
    """One Bot API request as the fake received it."""

    method: str
    params: dict[str, Any]
    files: dict[str, tuple[str, str, bytes]] = field(default_factory=dict)  # field -> (name, type, data)


class ApiError(Exception):
    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code, self.description, self.retry_after = code, description, retry_after

    def response(self) -> JSONResponse:
        body: dict[str, Any] = {"ok": False, "error_code": self.code, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return JSONResponse(body, status_code=self.code)


TOO_MANY = ApiError(429, "Too Many Requests: retry after 1", retry_after=1)
BLOCKED = ApiError(403, "Forbidden: bot was blocked by the user")
BAD_REQUEST = ApiError(400, "Bad Request: chat not found")
SERVER_ERROR = ApiError(500, "Internal Server Error")


class FakeTelegram:
    """The Bot API for one bot token. `serve()` runs it; `calls` is what the channel asked for."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.calls: list[Call] = []
        self.downloads: list[str] = []
        self.webhook: dict[str, Any] = {}
        self.url = ""
        self._files: dict[str, tuple[str, bytes]] = {}  # file_id -> (file_path, data)
        self._failures: deque[ApiError] = deque()
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.app = self._build()

    # What a test arranges and reads.

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self.downloads.clear()
            self._failures.clear()
            self.webhook = {}

    def fail_next(self, *errors: ApiError) -> None:
        """The next calls (one per error, in order) fail so; the ones after succeed again."""
        with self._lock:
            self._failures.extend(errors)

    def photo(self, *sizes: bytes) -> list[dict[str, Any]]:
        """Keep `sizes` (smallest first, as Telegram lists them) as files; their PhotoSize objects."""
        shown = []
        for n, data in enumerate(sizes, start=1):
            file_id = f"AgACAgIAAxkBAAI{next(self._ids):05d}"
            self._files[file_id] = (f"photos/file_{len(self._files)}.jpg", data)
            shown.append(
                {
                    "file_id": file_id,
                    "file_unique_id": f"AQAD{file_id[-5:]}",
                    "width": 90 * n,
                    "height": 67 * n,
                    "file_size": len(data),
                }
            )
        return shown

    def sent(self, method: str, chat_id: str | int | None = None) -> list[Call]:
        with self._lock:
            calls = list(self.calls)
        return [
            c for c in calls if c.method == method and (chat_id is None or str(c.params["chat_id"]) == str(chat_id))
        ]

    def wait_for(self, method: str, count: int = 1, timeout: float = 5.0, **params: Any) -> list[Call]:
        """The calls of `method` whose params include `params`, once there are `count` of them."""
        deadline = time.monotonic() + timeout
        while True:
            found = [c for c in self.sent(method) if all(str(c.params.get(k)) == str(v) for k, v in params.items())]
            if len(found) >= count or time.monotonic() > deadline:
                return found
            time.sleep(0.02)

    @contextmanager
    def serve(self) -> Iterator[str]:
        """Run on a free local port; yields the base URL (TRIAGE_TELEGRAM_API), also kept as `url`."""
        with serve_in_thread(self.app) as base:
            self.url = base
            yield base

    # The server.

    def _build(self) -> FastAPI:
        app = FastAPI()

        @app.get("/health")
        async def health() -> dict[str, str]:
            return {"status": "ok"}

        @app.api_route("/bot{token}/{method}", methods=["GET", "POST"])
        async def method(request: Request, token: str, method: str) -> Response:
            if token != self.token:
                return ApiError(401, "Unauthorized").response()
            params, files = await _params(request)
            with self._lock:
                self.calls.append(Call(method, params, files))
                failure = self._failures.popleft() if self._failures else None
            if failure is not None:
                return failure.response()
            handler = getattr(self, f"_{method}", None)
            if handler is None:
                return ApiError(404, "Not Found").response()
            try:
                answer = {"ok": True, "result": handler(params, files)}
                if method == "setWebhook":
                    answer["description"] = "Webhook was set"
                return JSONResponse(answer)
            except ApiError as exc:
                return exc.response()

        @app.get("/file/bot{token}/{path:path}")
        async def download(token: str, path: str) -> Response:
            found = next((data for p, data in self._files.values() if p == path), None)
            if token != self.token or found is None:
                return Response(status_code=404)
            self.downloads.append(path)
            return Response(found, media_type="image/jpeg")

        return app

    def _message(self, chat_id: Any, **content: Any) -> dict[str, Any]:
        chat = {"id": int(chat_id) if str(chat_id).lstrip("-").isdigit() else chat_id, "type": "private"}
        return {"message_id": next(self._ids), "from": BOT_USER, "chat": chat, "date": int(time.time()), **content}

    # The methods, named as the Bot API names them.

    def _sendMessage(self, params: dict[str, Any], _: Any) -> dict[str, Any]:
        text = str(params.get("text") or "")
        if not params.get("chat_id"):
            raise ApiError(400, "Bad Request: chat_id is empty")
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if len(text) > TEXT_CHARS:
            raise ApiError(400, "Bad Request: message is too long")
        markup = params.get("reply_markup")
        for row in (markup or {}).get("inline_keyboard", []):
            for button in row:
                if len(str(button.get("callback_data", "")).encode()) > CALLBACK_DATA_BYTES:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
        extra = {"reply_markup": markup} if markup else {}
        return self._message(params["chat_id"], text=text, **extra)

    def _sendPhoto(self, params: dict[str, Any], files: dict[str, Any]) -> dict[str, Any]:
        if "photo" not in files and not params.get("photo"):
            raise ApiError(400, "Bad Request: there is no photo in the request")
        size = len(files["photo"][2]) if "photo" in files else 0
        photo = [{"file_id": "AgAD-sent", "file_unique_id": "AQAD-sent", "width": 4, "height": 3, "file_size": size}]
        return self._message(params["chat_id"], photo=photo)

    def _sendDocument(self, params: dict[str, Any], files: dict[str, Any]) -> dict[str, Any]:
        if "document" not in files:
            raise ApiError(400, "Bad Request: there is no document in the request")
        name, content_type, data = files["document"]
        document = {"file_id": "BQAD-sent", "file_unique_id": "AgAD-doc", "file_name": name, "mime_type": content_type}
        return self._message(params["chat_id"], document={**document, "file_size": len(data)})

    def _answerCallbackQuery(self, params: dict[str, Any], _: Any) -> bool:
        if not params.get("callback_query_id"):
            raise ApiError(400, "Bad Request: query is too old and response timeout expired or query ID is invalid")
        return True

    def _getFile(self, params: dict[str, Any], _: Any) -> dict[str, Any]:
        file_id = str(params.get("file_id", ""))
        if file_id not in self._files:
            raise ApiError(400, "Bad Request: invalid file_id")
        path, data = self._files[file_id]
        return {"file_id": file_id, "file_unique_id": f"AQAD{file_id[-5:]}", "file_size": len(data), "file_path": path}

    def _setWebhook(self, params: dict[str, Any], _: Any) -> bool:
        allowed = params.get("allowed_updates")
        self.webhook = {
            "url": str(params.get("url", "")),
            "secret_token": params.get("secret_token"),
            "allowed_updates": json.loads(allowed) if isinstance(allowed, str) else allowed,
        }
        return True

    def _getWebhookInfo(self, params: dict[str, Any], _: Any) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": self.webhook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": 0,
            "max_connections": 40,
        }
        if self.webhook.get("allowed_updates"):
            info["allowed_updates"] = self.webhook["allowed_updates"]
        return info


async def _params(request: Request) -> tuple[dict[str, Any], dict[str, tuple[str, str, bytes]]]:
    """A method's parameters from the query string and the body, however it was encoded."""
    params: dict[str, Any] = dict(request.query_params)
    files: dict[str, tuple[str, str, bytes]] = {}
    body = await request.body()
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/json") and body:
        params.update(json.loads(body))
    elif content_type.startswith("application/x-www-form-urlencoded"):
        params.update(parse_qsl(body.decode()))
    elif content_type.startswith("multipart/form-data"):
        head = f"Content-Type: {content_type}\r\n\r\n".encode()
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            data = part.get_payload(decode=True) or b""
            filename = part.get_filename()
            if filename is None:
                params[str(name)] = data.decode()
            else:
                files[str(name)] = (filename, part.get_content_type(), data)
    if isinstance(params.get("reply_markup"), str):  # a form sends objects JSON-serialised
        params["reply_markup"] = json.loads(params["reply_markup"])
    return params, files
