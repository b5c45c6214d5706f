"""Telegram's Bot API as the Telegram channel calls it: plain JSON over HTTPS, one connection pool.

The pydantic models read the parts of Telegram's objects the channel uses (an Update, its Message or
CallbackQuery, a File), ignoring the rest. A failed call raises `BotApiError`, a `DeliveryFailed`
that says whether trying again can help (429 and 5xx, or no answer at all) and how long Telegram
asked us to wait. The bot's token is part of every URL; core/logs.py masks it in every log line.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field

from bot.channels.contract import DeliveryFailed

ALLOWED_UPDATES = ("message", "callback_query")  # what the webhook asks Telegram for (setWebhook)
TIMEOUT = httpx.Timeout(10.0, connect=5.0)  # a file moves in one request: 30 s for those
FILE_TIMEOUT = httpx.Timeout(30.0, connect=5.0)


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class User(_Model):
    id: int
    username: str | None = None
    language_code: str | None = None


class Chat(_Model):
    id: int
    type: str = "private"


class PhotoSize(_Model):
    file_id: str
    width: int = 0
    height: int = 0
    file_size: int | None = None


class Document(_Model):
    file_id: str
    file_name: str | None = None
    mime_type: str | None = None


class Message(_Model):
    message_id: int
    chat: Chat
    from_: User | None = Field(None, alias="from")
    text: str | None = None
    caption: str | None = None
    photo: list[PhotoSize] | None = None
    document: Document | None = None


class CallbackQuery(_Model):
    id: str
    from_: User = Field(alias="from")
    message: Message | None = None
    data: str | None = None


class Update(_Model):
    update_id: int
    message: Message | None = None
    callback_query: CallbackQuery | None = None


class File(_Model):
    file_id: str
    file_path: str | None = None
    file_size: int | None = None


class BotApiError(DeliveryFailed):
    """Telegram answered `ok: false` (or not at all: `code` None); retrying helps on 429 and 5xx only."""

    def __init__(self, message: str, code: int | None, retry_after: float | None = None) -> None:
        super().__init__(message, retry=code is None or code == 429 or code >= 500, after=retry_after)
        self.code = code
        self.retry_after = retry_after


class BotApi:
    """The Bot API methods we use, over one connection pool; failures raise BotApiError."""

    def __init__(self, base_url: str, token: str) -> None:
        self.token = token
        self.client = httpx.Client(base_url=base_url, timeout=TIMEOUT)

    def call(self, method: str, params: dict[str, Any], files: dict[str, Any] | None = None) -> Any:
        """`method`'s result; with `files`, the parameters go as a multipart form (an upload)."""
        return self.answer(method, params, files).get("result")

    def answer(self, method: str, params: dict[str, Any], files: dict[str, Any] | None = None) -> dict[str, Any]:
        """Telegram's whole answer to `method` when it is `ok` (result, and a description for some)."""
        url = f"/bot{self.token}/{method}"
        try:
            if files:
                form = {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
                response = self.client.post(url, data=form, files=files, timeout=FILE_TIMEOUT)
            else:
                response = self.client.post(url, json=params)
        except httpx.TransportError as exc:
            raise BotApiError(f"Telegram {method}: {type(exc).__name__}: {exc}", None) from exc
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and body.get("ok") is True:
            return body
        body = body if isinstance(body, dict) else {}
        code = body.get("error_code", response.status_code)
        retry_after = (body.get("parameters") or {}).get("retry_after")
        description = body.get("description") or response.reason_phrase
        raise BotApiError(f"Telegram {method}: {code} {description}", int(code), retry_after)

    def download(self, file_path: str) -> bytes:
        try:
            response = self.client.get(f"/file/bot{self.token}/{file_path}", timeout=FILE_TIMEOUT)
        except httpx.TransportError as exc:
            raise BotApiError(f"Telegram file download: {type(exc).__name__}: {exc}", None) from exc
        if response.status_code != 200:
            raise BotApiError(f"Telegram file download: {response.status_code}", response.status_code)
        return response.content

    def close(self) -> None:
        self.client.close()
