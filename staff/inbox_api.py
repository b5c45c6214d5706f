"""The unanswered-question inbox: what the bot could not answer, clustered for staff.

Every agent may read it; editors (kb_editor, supervisor, admin) act on a group: add its
messages to an entry as phrasings (live at once), start a draft entry from them, or dismiss
them. Authentication, errors and the reload announcement are the knowledge-base API's.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from core.body import read_json
from learning import checks, inbox, inbox_edits
from staff.auth import CurrentAgent
from staff.deps import services
from staff.kb_api import MAX_BODY, NewEntry, changed, editor_of, run, write

router = APIRouter(prefix="/api/kb", tags=["knowledge base"])

MAX_IDS = 500
MessageIds = Annotated[list[Annotated[int, Field(ge=1, le=2_147_483_647)]], Field(min_length=1, max_length=MAX_IDS)]


class Messages(BaseModel):
    model_config = ConfigDict(extra="forbid")
    message_ids: MessageIds


class AddToEntry(Messages):
    entry_id: str = Field(min_length=1, max_length=80)


class NewFromMessages(NewEntry):
    """A new entry's fields, checked as POST /api/kb/entries checks them; always a draft."""

    message_ids: MessageIds
    status: Literal["draft"] = "draft"


@router.get("/inbox")
async def list_inbox(
    request: Request, agent: CurrentAgent, days: Annotated[int, Query(ge=1, le=365)] = 30
) -> dict[str, Any]:
    """The unanswered messages of the last `days` days, grouped by question, largest first."""
    nlu = services(request).knowledge.nlu
    selection = await run(request, lambda s: inbox.unanswered(s, days=days, answered_from=nlu.thresholds.answer))
    return await run_in_threadpool(inbox.report, selection, nlu, days=days)


@router.post("/inbox/add")
async def add_to_entry(request: Request, agent: CurrentAgent) -> dict[str, Any]:
    """The messages become phrasings of an entry, live at once; warnings as POST /check gives."""
    editor = editor_of(agent)
    body = await read_json(request, AddToEntry, MAX_BODY)
    added = await run(request, lambda s: inbox_edits.add_to_entry(s, body.message_ids, body.entry_id, editor=editor))
    # Checked against the matcher as it was: the phrasings another entry wins are the news.
    warnings = await run_in_threadpool(checks.conflicts, services(request).knowledge.nlu, body.entry_id, added.content)
    if added.added:
        await changed(request, body.entry_id)
    return {"entry_id": body.entry_id, "added": added.added, "warnings": warnings}


@router.post("/inbox/new", status_code=201)
async def new_entry(request: Request, agent: CurrentAgent) -> dict[str, Any]:
    """A draft entry made from the messages; the answer is the entry, as GET /entries/{id} has it."""
    editor = editor_of(agent)
    body = await read_json(request, NewFromMessages, MAX_BODY)
    content = body.model_dump(exclude={"id", "message_ids"})
    return await write(
        request, body.id, lambda s: inbox_edits.new_entry(s, body.message_ids, body.id, content, editor=editor)
    )


@router.post("/inbox/dismiss")
async def dismiss(request: Request, agent: CurrentAgent) -> dict[str, int]:
    """The messages leave the inbox for good, teaching nothing."""
    editor = editor_of(agent)
    body = await read_json(request, Messages, MAX_BODY)
    return {"dismissed": await run(request, lambda s: inbox_edits.dismiss(s, body.message_ids, editor=editor))}
