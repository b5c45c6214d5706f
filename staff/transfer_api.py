"""Staff import and export of the knowledge base (YAML, CSV, Excel; Rasa nlu.yml export).

The file is the raw request body. Editors import; any agent exports. With
`Accept: application/x-ndjson` an import answers with progress lines as it goes (a big file
takes seconds), the last line saying how it ended; otherwise with one JSON report.

An import runs in a thread of its own, off the event loop and outside the customer turns'
thread limit (`app.state.turns`); it reads and checks the file before it opens a database
session, so on SQLite, where sessions take turns, customers wait only for the short write.
"""

from __future__ import annotations

import asyncio
import json
import logging
import queue
import threading
from collections.abc import Callable, Iterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response, StreamingResponse
from sqlalchemy.exc import IntegrityError

from core.db import utcnow
from knowledge_base import transfer
from knowledge_base.versions import Editor
from staff import kb_api as api
from staff.auth import CurrentAgent
from staff.deps import services

MAX_IMPORT_BYTES = 50 * 1024 * 1024
# The whole file, however slowly it comes (the JSON routes give 10 s): 50 MB at 7 Mbit/s.
READ_TIMEOUT_S = 60.0
NDJSON = "application/x-ndjson"
CONFLICT = "entries were changed at the same moment by someone else; nothing was imported, try again"
log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/kb", tags=["knowledge base"])

MEDIA = {
    "yaml": ("application/yaml", "yaml"),
    "csv": ("text/csv; charset=utf-8", "csv"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "nlu": ("application/yaml", "nlu.yml"),
}


async def read_body(request: Request, max_bytes: int) -> bytes:
    """The raw body, refused with 413 as soon as it is known to be too large, 408 if it has not
    all come within READ_TIMEOUT_S (core.body's limits are for small JSON bodies)."""
    too_large = HTTPException(413, f"the file is larger than {max_bytes // (1024 * 1024)} MB")
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise too_large
    chunks: list[bytes] = []

    async def receive() -> None:
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > max_bytes:
                raise too_large
            chunks.append(chunk)

    try:
        await asyncio.wait_for(receive(), READ_TIMEOUT_S)
    except TimeoutError as exc:
        raise HTTPException(408, f"the file was not received within {READ_TIMEOUT_S:.0f} s") from exc
    return b"".join(chunks)


# An import from the file to its report; it opens its own session, and only to write.
Job = Callable[[transfer.Progress], transfer.Report]


def _importer(request: Request, data: bytes, fmt: str, *, name: str, editor: Editor, dry_run: bool) -> Job:
    db = services(request).db

    def job(progress: transfer.Progress) -> transfer.Report:
        entries = transfer.prepare(data, fmt, progress)
        with db.session() as s:
            return transfer.apply(s, entries, name=name, editor=editor, dry_run=dry_run, progress=progress)

    return job


def _failure(message: str) -> dict[str, Any]:
    return {"ok": False, "errors": [{"line": None, "field": None, "id": None, "message": message}], "more_errors": 0}


def _stream(request: Request, job: Job) -> Iterator[bytes]:
    """Run the import in its own thread and pass on its progress as JSON lines.

    The thread, not the response, tells the bot about the change: the import is committed
    whether or not the client stays to read the end of the stream.
    """
    loop = asyncio.get_running_loop()
    events: queue.Queue[dict[str, Any] | None] = queue.Queue()

    def progress(phase: str, done: int, total: int) -> None:
        events.put({"phase": phase, "done": done, "total": total})

    def work() -> None:
        try:
            report = job(progress)
            if report.changed and not report.dry_run:
                asyncio.run_coroutine_threadsafe(api.changed(request, "*"), loop).result(timeout=60)
            events.put({"ok": True, "report": report.as_dict()})
        except transfer.ImportRejected as exc:
            events.put({"ok": False, **exc.details()})
        except IntegrityError:
            events.put(_failure(CONFLICT))
        except Exception:
            log.exception("knowledge-base import failed")
            events.put(_failure("the import failed on the server; nothing was imported"))
        finally:
            events.put(None)

    def lines() -> Iterator[bytes]:
        threading.Thread(target=work, name="kb-import", daemon=True).start()
        while (event := events.get()) is not None:
            yield json.dumps(event, ensure_ascii=False).encode("utf-8") + b"\n"

    return lines()  # Starlette iterates it in a worker thread, off the event loop


@router.post("/import")
async def import_entries(
    request: Request,
    editor: api.CurrentEditor,
    format: Annotated[Literal["yaml", "csv", "xlsx"], Query(description="the file's format")],
    dry_run: Annotated[bool, Query(description="report what would change, write nothing")] = False,
    filename: Annotated[str, Query(min_length=1, max_length=200)] = "upload",
) -> Any:
    """Import a file of entries: all of it, or nothing if anything in it is wrong."""
    data = await read_body(request, MAX_IMPORT_BYTES)
    job = _importer(request, data, format, name=filename, editor=editor, dry_run=dry_run)
    if NDJSON in request.headers.get("accept", ""):
        return StreamingResponse(_stream(request, job), media_type=NDJSON)
    report = await run_in_threadpool(job, transfer.quiet)  # anyio's own threads, not a customer turn's
    if report.changed and not dry_run:
        await api.changed(request, "*")
    return report.as_dict()


@router.get("/export")
async def export_entries(
    request: Request,
    agent: CurrentAgent,
    format: Annotated[Literal["yaml", "csv", "xlsx", "nlu"], Query(description="the file's format")],
) -> Response:
    """Every entry as a file to download; `nlu` is Rasa training data of what the bot answers."""
    body = await api.run(request, lambda s: transfer.export(s, format))
    media, suffix = MEDIA[format]
    name = f"knowledge-base-{utcnow():%Y%m%d}.{suffix}"
    return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})
