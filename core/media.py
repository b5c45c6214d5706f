"""Photos and files customers and agents send: a storage contract and its two implementations.

SKELETON: the media helper replaces this module (see the issue-18 plan in the session)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from core import errors
from core.config import Settings


class MediaRejected(errors.Invalid):
    """Not a file we keep (an unknown or disallowed type, an unreadable image)."""


class MediaTooLarge(errors.TooLarge):
    """Over TRIAGE_MEDIA_MAX_BYTES."""


class MediaNotFound(errors.NotFound):
    """No stored file has this id."""


@dataclass(frozen=True)
class Stored:
    media_id: str
    content_type: str
    size: int


class MediaStore(Protocol):
    def put(self, data: bytes, declared_type: str | None = None, name: str = "") -> Stored: ...

    def get(self, media_id: str) -> tuple[bytes, str]: ...


class _Memory:
    def __init__(self) -> None:
        self._files: dict[str, tuple[bytes, str]] = {}

    def put(self, data: bytes, declared_type: str | None = None, name: str = "") -> Stored:
        media_id = str(len(self._files))
        self._files[media_id] = (data, declared_type or "application/octet-stream")
        return Stored(media_id, declared_type or "application/octet-stream", len(data))

    def get(self, media_id: str) -> tuple[bytes, str]:
        if media_id not in self._files:
            raise MediaNotFound(media_id)
        return self._files[media_id]


def store_for(settings: Settings) -> MediaStore:
    return _Memory()
