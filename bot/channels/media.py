"""Photos and files over HTTP: uploads, and the signed, expiring links that serve what was kept.

`POST /media` keeps a file for a web chat session, a signed channel integration (or, in the demo,
anyone); staff upload through `POST /api/agent/media` (staff/agent_api.py), which shares `keep`.
A file is never public: `GET /media/{id}?exp=…&sig=…` serves it only while its link is good, and
links are made when a transcript is read (`linker`), so none that was stored can go stale.
"""

from __future__ import annotations

import functools
import time
from collections.abc import AsyncGenerator
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from bot.engine import Attachment
from bot.store import Link
from core.body import read_body
from core.config import Settings
from core.media import PDF, LinkSigner, MediaNotFound, MediaStore, MediaTooLarge, signer_for
from core.security import Guard

router = APIRouter(tags=["media"])
MAX_ATTACHMENTS = 10  # a message's files
MULTIPART_SLACK = 64 * 1024  # a multipart body's boundaries and headers around the file
THUMB = "thumb"


class AttachmentRef(BaseModel):
    """A file named in a message: uploaded first (`POST /media`), then sent by its id."""

    model_config = ConfigDict(extra="ignore")

    media_id: str = Field(min_length=1, max_length=64)
    name: str = Field(default="", max_length=200)


@functools.lru_cache(maxsize=16)
def _signer(settings: Settings) -> LinkSigner:
    return signer_for(settings)


def links(settings: Settings, media_id: str, content_type: str) -> dict[str, str | None]:
    """A signed link to the file and, for a picture, to its thumbnail; relative unless
    TRIAGE_PUBLIC_URL is set (chat apps fetch from there)."""
    signer = _signer(settings)
    expires = signer.expiry()
    url = f"{settings.public_url or ''}/media/{media_id}?exp={expires}&sig={signer.sign(media_id, expires)}"
    return {"url": url, "thumbnail_url": f"{url}&size={THUMB}" if content_type.startswith("image/") else None}


def linker(settings: Settings) -> Link:
    """What the transcript serialisers take: an attachment as kept, with its links added."""

    def link(attachment: dict[str, Any]) -> dict[str, Any]:
        media_id = str(attachment.get("media_id", ""))
        return {**attachment, **links(settings, media_id, str(attachment.get("content_type", "")))}

    return link


def store_of(request: Request) -> MediaStore:
    store: MediaStore | None = request.app.state.media
    if store is None:
        raise HTTPException(503, "this deployment keeps no files")
    return store


async def attachments_of(request: Request, refs: list[AttachmentRef]) -> tuple[Attachment, ...]:
    """The files a message names, each kept already (422 naming the first that is not)."""
    if not refs:
        return ()
    store = store_of(request)

    def look() -> tuple[Attachment, ...]:
        found = []
        for i, ref in enumerate(refs):
            try:
                kept = store.info(ref.media_id)
            except MediaNotFound:
                raise HTTPException(
                    422, f"attachments.{i}.media_id: no file {ref.media_id[:40]!r} was uploaded (POST /media first)"
                ) from None
            found.append(Attachment(kept.media_id, kept.content_type, ref.name))
        return tuple(found)

    return await run_in_threadpool(look)


async def read_upload(request: Request) -> bytes:
    """The request's body, up to the file limit and a multipart form's wrapping around it."""
    most = request.app.state.settings.media_max_bytes
    try:
        return await read_body(request, most + MULTIPART_SLACK)
    except HTTPException as exc:
        if exc.status_code == 413:
            raise MediaTooLarge(f"the file is larger than {most / 1_000_000:.1f} MB, the most") from exc
        raise


async def keep(request: Request, raw: bytes) -> dict[str, Any]:
    """Keep the file a request carries: its raw body, or the one file of a multipart form."""
    store = store_of(request)
    data, declared, name = await _file_in(request, raw)
    kept = await run_in_threadpool(store.put, data, declared, name)
    return {
        "media_id": kept.media_id,
        "content_type": kept.content_type,
        "size": kept.size,
        **links(request.app.state.settings, kept.media_id, kept.content_type),
    }


async def _file_in(request: Request, raw: bytes) -> tuple[bytes, str | None, str]:
    declared = request.headers.get("content-type")
    if not (declared or "").lower().startswith("multipart/form-data"):
        return raw, declared, ""

    async def body() -> AsyncGenerator[bytes, None]:
        yield raw

    try:
        form = await MultiPartParser(request.headers, body(), max_files=1, max_fields=10).parse()
    except MultiPartException as exc:
        raise HTTPException(400, f"the multipart form could not be read: {exc.message}") from exc
    try:
        files = [value for _, value in form.multi_items() if isinstance(value, UploadFile)]
        if not files:
            raise HTTPException(400, "the form has no file: send it as a file field (curl -F file=@photo.jpg)")
        upload = files[0]
        return await upload.read(), upload.content_type, upload.filename or ""
    finally:
        await form.close()


@router.post("/media")
async def upload(request: Request) -> dict[str, Any]:
    """Keep a photo (JPEG, PNG, WebP, GIF) or a PDF sent as the body (with its Content-Type) or as
    a multipart form's file; answers its id and signed links. A chat session, a signed
    integration, or anyone in the demo; counted against the message limits."""
    guard: Guard = request.app.state.guard
    raw = await read_upload(request)
    caller = guard.caller(request, raw)
    guard.limit(request, caller.sender_id)
    return await keep(request, raw)


@router.get("/media/{media_id}")
async def media_file(
    request: Request, media_id: str, exp: str = "", sig: str = "", size: str | None = None
) -> Response:
    """A kept file (`size=thumb`: a picture's thumbnail), while its signed link has not expired."""
    signer = _signer(request.app.state.settings)
    if not (exp.isascii() and exp.isdigit() and len(exp) < 16 and signer.valid(media_id, int(exp), sig)):
        raise HTTPException(403, "this link has expired or is not valid: open the conversation again for a new one")
    store = store_of(request)
    data, content_type = await run_in_threadpool(store.thumbnail if size == THUMB else store.get, media_id)
    disposition = "attachment" if content_type == PDF else "inline"  # no viewer of ours runs a PDF's scripts
    return Response(
        data,
        media_type=content_type,
        headers={
            "Cache-Control": f"private, max-age={max(0, int(exp) - int(time.time()))}",
            "X-Content-Type-Options": "nosniff",
            "Content-Disposition": f'{disposition}; filename="{media_id}{_extension(content_type)}"',
        },
    )


def _extension(content_type: str) -> str:
    return {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp", "image/gif": ".gif", PDF: ".pdf"}.get(
        content_type, ""
    )
