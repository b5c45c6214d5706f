"""The staff API for the knowledge base: search, read, edit, publish, archive, history, rollback.

Agents log in through the desk (`/api/agent/login`) and send their token; every agent may
read, editors (kb_editor, supervisor, admin) may write. Each write is one transaction in
knowledge_base.versions and, once committed, `app.state.kb_changed(entry_id)` tells the bot.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy.orm import Session

from core.body import read_json
from handoff.models import Agent
from knowledge_base import versions
from knowledge_base.entry import EntryFields, NewEntry
from knowledge_base.models import KBEntry
from knowledge_base.topics import TOPICS
from learning import checks
from staff.auth import CurrentAgent
from staff.deps import services

R = TypeVar("R")
MAX_BODY = 64 * 1024
EDITOR_ROLES = ("kb_editor", "supervisor", "admin")
log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/kb", tags=["knowledge base"])

EntryId = Annotated[str, PathParam(min_length=1, max_length=80, description="an entry's id")]


class CheckRequest(EntryFields):
    id: str = Field(min_length=1, max_length=80)


class TryRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class Rollback(BaseModel):
    version: int = Field(ge=1, le=2_147_483_647)


def editor_of(agent: Agent) -> versions.Editor:
    if agent.role not in EDITOR_ROLES:
        raise HTTPException(403, "only knowledge-base editors, supervisors and admins change entries")
    return versions.Editor(id=agent.id, username=agent.username)


async def editor_agent(agent: CurrentAgent) -> versions.Editor:
    """The editor making a change, checked before anything else of the request is (403 first)."""
    return editor_of(agent)


CurrentEditor = Annotated[versions.Editor, Depends(editor_agent)]


async def run(request: Request, work: Callable[[Session], R]) -> R:
    """One knowledge-base operation in one transaction (its errors map to statuses in core.http_errors)."""
    db = services(request).db

    def go() -> R:
        with db.session() as s:
            return work(s)

    return await run_in_threadpool(go)


async def changed(request: Request, entry_id: str) -> None:
    """Tell the bot (every instance) to reload; the edit is saved whatever happens here."""
    hook = getattr(request.app.state, "kb_changed", None)
    if hook is None:
        return
    try:
        if inspect.iscoroutinefunction(hook):
            await hook(entry_id)
        else:
            await run_in_threadpool(hook, entry_id)
    except Exception:
        log.exception("saved %s but could not announce the change; the bot reloads on its next start", entry_id)


def summary(row: KBEntry) -> dict[str, Any]:
    return {
        "id": row.id,
        "kind": row.kind,
        "topic": row.topic,
        "tags": list(row.tags or []),
        "question": {"zh": row.question_zh, "en": row.question_en},
        "status": row.status,
        "version": row.version,
        "updated_at": row.updated_at.isoformat(),
        "has_draft": bool(row.draft),
    }


def full(row: KBEntry) -> dict[str, Any]:
    return {**summary(row), **versions.snapshot(row), "draft": row.draft or None}


async def write(request: Request, entry_id: str, work: Callable[[Session], KBEntry]) -> dict[str, Any]:
    """Run one edit; if it made a new version, announce it after the commit."""

    def go(s: Session) -> tuple[dict[str, Any], bool]:
        existing = s.get(KBEntry, entry_id, with_for_update=True)  # locks it for this edit
        before = existing.version if existing is not None else 0
        row = work(s)
        return full(row), row.version != before

    result, was_changed = await run(request, go)
    if was_changed:
        await changed(request, entry_id)
    return result


@router.get("/topics")
async def list_topics(agent: CurrentAgent) -> dict[str, Any]:
    return {"topics": [{"name": name, "description": text} for name, text in TOPICS.items()]}


@router.post("/try")
async def try_message(request: Request, agent: CurrentAgent) -> dict[str, Any]:
    """What the bot would answer a customer who wrote this, with the ranked candidates and why."""
    body = await read_json(request, TryRequest, MAX_BODY)
    parts = services(request)
    return await run_in_threadpool(checks.try_message, parts.knowledge.nlu, parts.policy, body.text)


@router.post("/check")
async def check_entry(request: Request, agent: CurrentAgent) -> dict[str, Any]:
    """Conflict warnings for an entry's phrasings, shown before it is published."""
    body = await read_json(request, CheckRequest, MAX_BODY)
    nlu = services(request).knowledge.nlu
    found = await run_in_threadpool(checks.conflicts, nlu, body.id, body.content())
    return {"id": body.id, "warnings": found}


@router.get("/entries")
async def list_entries(
    request: Request,
    agent: CurrentAgent,
    q: Annotated[str | None, Query(max_length=200)] = None,
    topic: Annotated[str | None, Query(max_length=40)] = None,
    tag: Annotated[str | None, Query(max_length=40)] = None,
    lang: Annotated[Literal["zh", "en"] | None, Query()] = None,
    status: Annotated[Literal["draft", "published", "archived"] | None, Query()] = None,
) -> dict[str, Any]:
    def work(s: Session) -> list[dict[str, Any]]:
        rows = versions.search(s, q=q, topic=topic, tag=tag, lang=lang, status=status)
        return [summary(r) for r in rows]

    entries = await run(request, work)
    return {"entries": entries, "total": len(entries)}


@router.get("/entries/{entry_id}")
async def get_entry(request: Request, entry_id: EntryId, agent: CurrentAgent) -> dict[str, Any]:
    return await run(request, lambda s: full(versions.get(s, entry_id)))


@router.post("/entries", status_code=201)
async def create_entry(request: Request, agent: CurrentAgent) -> dict[str, Any]:
    editor = editor_of(agent)
    body = await read_json(request, NewEntry, MAX_BODY)
    return await write(request, body.id, lambda s: versions.create(s, body.id, body.content(), editor=editor))


@router.put("/entries/{entry_id}")
async def replace_entry(request: Request, entry_id: EntryId, agent: CurrentAgent) -> dict[str, Any]:
    editor = editor_of(agent)
    body = await read_json(request, EntryFields, MAX_BODY)
    return await write(request, entry_id, lambda s: versions.update(s, entry_id, body.content(), editor=editor))


@router.put("/entries/{entry_id}/draft")
async def save_draft(request: Request, entry_id: EntryId, agent: CurrentAgent) -> dict[str, Any]:
    """Keep edits without publishing: the bot goes on answering the published content."""
    editor = editor_of(agent)
    body = await read_json(request, EntryFields, MAX_BODY)
    return await write(request, entry_id, lambda s: versions.save_draft(s, entry_id, body.content(), editor=editor))


@router.delete("/entries/{entry_id}/draft")
async def discard_draft(request: Request, entry_id: EntryId, agent: CurrentAgent) -> dict[str, Any]:
    editor_of(agent)
    return await write(request, entry_id, lambda s: versions.discard_draft(s, entry_id))


@router.post("/entries/{entry_id}/publish")
async def publish_entry(request: Request, entry_id: EntryId, agent: CurrentAgent) -> dict[str, Any]:
    editor = editor_of(agent)
    return await write(request, entry_id, lambda s: versions.set_status(s, entry_id, "published", editor=editor))


@router.delete("/entries/{entry_id}")
async def archive_entry(request: Request, entry_id: EntryId, agent: CurrentAgent) -> dict[str, Any]:
    """Archive, never delete: the bot stops answering it, the history stays."""
    editor = editor_of(agent)
    return await write(request, entry_id, lambda s: versions.set_status(s, entry_id, "archived", editor=editor))


@router.get("/entries/{entry_id}/history")
async def entry_history(request: Request, entry_id: EntryId, agent: CurrentAgent) -> dict[str, Any]:
    found = await run(request, lambda s: versions.history(s, entry_id))
    return {"id": entry_id, "versions": found}


@router.get("/entries/{entry_id}/diff")
async def entry_diff(
    request: Request,
    entry_id: EntryId,
    agent: CurrentAgent,
    old: Annotated[int, Query(alias="from", ge=1, le=2_147_483_647)],
    new: Annotated[int, Query(alias="to", ge=1, le=2_147_483_647)],
) -> dict[str, Any]:
    text = await run(request, lambda s: versions.diff(s, entry_id, old, new))
    return {"id": entry_id, "from": old, "to": new, "diff": text}


@router.post("/entries/{entry_id}/rollback")
async def rollback_entry(request: Request, entry_id: EntryId, agent: CurrentAgent) -> dict[str, Any]:
    editor = editor_of(agent)
    body = await read_json(request, Rollback, MAX_BODY)
    return await write(request, entry_id, lambda s: versions.rollback(s, entry_id, body.version, editor=editor))
