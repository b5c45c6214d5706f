"""The quality-review API (质检, handoff/quality.py): supervisors and admins edit the checklist,
draw samples of resolved chats and score them; every desk member reads their own finished reviews.

Routes authenticate first (401, then 403 for the wrong role) and run one transaction each; the
domain's errors become statuses in core.http_errors.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import date, timedelta
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.channels.media import linker
from bot.store import message_dict, transcript
from core.body import read_json
from handoff import quality
from handoff.models import Agent, Ticket
from staff.auth import CurrentAgent, DeskAgent
from staff.deps import services

R = TypeVar("R")
MAX_BODY = 32 * 1024
SUPERVISOR_ROLES = ("supervisor", "admin")
SAMPLES_SHOWN = 30  # the newest samples GET /samples lists
DEFAULT_WEEKS = 12  # /scores without a period: the last twelve weeks

router = APIRouter(prefix="/api/quality", tags=["quality review"])

ReviewId = Annotated[int, PathParam(ge=1, le=2_147_483_647, description="a review's id")]
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]


async def supervisor(agent: CurrentAgent) -> Agent:
    if agent.role not in SUPERVISOR_ROLES:
        raise HTTPException(403, "only supervisors and admins review quality")
    return agent


Supervisor = Annotated[Agent, Depends(supervisor)]


class ItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str = Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")
    zh: Label
    en: Label
    weight: int = Field(ge=1, le=10)


class ChecklistIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    items: list[ItemIn] = Field(min_length=1, max_length=20)


class SampleIn(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    agent_id: int | None = Field(default=None, ge=1, le=2_147_483_647)
    queue: str | None = Field(default=None, min_length=1, max_length=20)
    date_from: date = Field(alias="from")
    date_to: date = Field(alias="to")
    size: int = Field(ge=1, le=50)
    seed: int | None = Field(default=None, ge=0, le=2_147_483_647)  # tests pin it; otherwise random


class ReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    scores: dict[Annotated[str, StringConstraints(max_length=32)], quality.Score] = Field(max_length=20)
    comment: str = Field(default="", max_length=2000)
    done: bool = False
    checklist_version: int | None = Field(default=None, ge=1, le=2_147_483_647)  # the one scored on


async def run(request: Request, work: Callable[[Session], R]) -> R:
    """One piece of work in one transaction, off the event loop."""
    db = services(request).db

    def go() -> R:
        with db.session() as s:
            return work(s)

    return await run_in_threadpool(go)


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def checklist_dict(row: quality.QualityChecklist) -> dict[str, Any]:
    return {"version": row.version, "items": row.items, "created_at": _iso(row.created_at)}


def review_dict(r: quality.QualityReview, t: Ticket, names: dict[int, str]) -> dict[str, Any]:
    return {
        "id": r.id,
        "sample_id": r.sample_id,
        "ticket_id": r.ticket_id,
        "agent_id": r.agent_id,
        "agent_name": names.get(r.agent_id, ""),
        "reviewer_id": r.reviewer_id,
        "reviewer_name": names.get(r.reviewer_id, "") if r.reviewer_id is not None else None,
        "queue": t.queue,
        "reason": t.reason,
        "summary": t.summary,
        "closed_at": _iso(t.closed_at),
        "checklist_version": r.checklist_version,
        "scores": r.scores or {},
        "total": r.total,
        "comment": r.comment,
        "status": r.status,
        "updated_at": _iso(r.updated_at),
        "done_at": _iso(r.done_at),
    }


def samples_dicts(s: Session, samples: list[quality.QualitySample]) -> list[dict[str, Any]]:
    reviews = quality.reviews_of(s, [x.id for x in samples])
    people = {x.drawn_by for x in samples} | {x.agent_id for x in samples}
    people |= {r.agent_id for r, _ in reviews} | {r.reviewer_id for r, _ in reviews}
    names = quality.names_of(s, people)
    by_sample: dict[int, list[dict[str, Any]]] = {}
    for r, t in reviews:
        by_sample.setdefault(r.sample_id, []).append(review_dict(r, t, names))
    return [
        {
            "id": x.id,
            "drawn_by": x.drawn_by,
            "drawn_by_name": names.get(x.drawn_by, ""),
            "agent_id": x.agent_id,
            "agent_name": names.get(x.agent_id) if x.agent_id is not None else None,
            "queue": x.queue,
            "from": x.date_from.isoformat(),
            "to": x.date_to.isoformat(),
            "size": x.size,
            "seed": x.seed,
            "created_at": _iso(x.created_at),
            "reviews": by_sample.get(x.id, []),
        }
        for x in samples
    ]


@router.get("/checklist")
async def get_checklist(request: Request, agent: Supervisor) -> dict[str, Any]:
    return await run(request, lambda s: checklist_dict(quality.active_checklist(s)))


@router.put("/checklist")
async def put_checklist(request: Request, agent: Supervisor) -> dict[str, Any]:
    """A new version of the checklist; reviews saved already keep theirs."""
    body = await read_json(request, ChecklistIn, MAX_BODY)
    items = [quality.Item(**i.model_dump()) for i in body.items]
    return await run(request, lambda s: checklist_dict(quality.edit_checklist(s, items, by=agent.id)))


@router.post("/samples", status_code=201)
async def post_sample(request: Request, agent: Supervisor) -> dict[str, Any]:
    """Draw `size` resolved chats of the period at random (of an agent and a queue if given)."""
    body = await read_json(request, SampleIn, MAX_BODY)
    if body.queue is not None and body.queue not in services(request).desk.desk.queues:
        raise HTTPException(422, f"queue: unknown queue {body.queue!r}")
    seed = body.seed if body.seed is not None else secrets.randbelow(2**31)

    def work(s: Session) -> dict[str, Any]:
        if body.agent_id is not None and s.get(Agent, body.agent_id) is None:
            raise HTTPException(422, f"agent_id: no agent {body.agent_id}")
        sample = quality.draw_sample(
            s,
            drawn_by=agent.id,
            agent_id=body.agent_id,
            queue=body.queue,
            date_from=body.date_from,
            date_to=body.date_to,
            size=body.size,
            seed=seed,
        )
        return samples_dicts(s, [sample])[0]

    return await run(request, work)


@router.get("/samples")
async def get_samples(request: Request, agent: Supervisor) -> dict[str, Any]:
    """The newest samples, each with its tickets and how far their reviews are."""

    def work(s: Session) -> dict[str, Any]:
        newest = select(quality.QualitySample).order_by(quality.QualitySample.id.desc()).limit(SAMPLES_SHOWN)
        return {"samples": samples_dicts(s, list(s.scalars(newest)))}

    return await run(request, work)


@router.get("/reviews/{review_id}")
async def get_review(request: Request, review_id: ReviewId, agent: Supervisor) -> dict[str, Any]:
    """A review with the checklist it is scored against and the chat's whole transcript."""
    link = linker(request.app.state.settings)

    def work(s: Session) -> dict[str, Any]:
        r = quality.review(s, review_id)
        t = s.get_one(Ticket, r.ticket_id)
        names = quality.names_of(s, {r.agent_id, r.reviewer_id})
        messages = transcript(s, conversation_id=t.conversation_id)
        return {
            **review_dict(r, t, names),
            "checklist": checklist_dict(quality.checklist_for(s, r)),
            "messages": [message_dict(m, link) for m in messages],
        }

    return await run(request, work)


@router.put("/reviews/{review_id}")
async def put_review(request: Request, review_id: ReviewId, agent: Supervisor) -> dict[str, Any]:
    """Save scores and comment; `done` finishes the review, which its agent then sees."""
    body = await read_json(request, ReviewIn, MAX_BODY)

    def work(s: Session) -> dict[str, Any]:
        r = quality.save_review(
            s,
            review_id,
            reviewer_id=agent.id,
            scores=body.scores,
            comment=body.comment.strip(),
            done=body.done,
            version=body.checklist_version,
        )
        t = s.get_one(Ticket, r.ticket_id)
        return review_dict(r, t, quality.names_of(s, {r.agent_id, r.reviewer_id}))

    return await run(request, work)


@router.get("/mine")
async def mine(request: Request, agent: DeskAgent) -> dict[str, Any]:
    """The caller's own finished reviews, newest first, each with the checklist it was scored on."""

    def work(s: Session) -> dict[str, Any]:
        found = quality.finished_for(s, agent.id)
        people: set[int | None] = {agent.id, *(r.reviewer_id for r, _ in found)}
        names = quality.names_of(s, people)
        versions = {r.checklist_version for r, _ in found}
        lists = {v: checklist_dict(s.get_one(quality.QualityChecklist, v)) for v in versions if v is not None}
        return {
            "reviews": [
                {**review_dict(r, t, names), "checklist": lists.get(r.checklist_version or 0)} for r, t in found
            ]
        }

    return await run(request, work)


@router.get("/scores")
async def scores(
    request: Request,
    agent: Supervisor,
    date_from: Annotated[date | None, Query(alias="from")] = None,
    date_to: Annotated[date | None, Query(alias="to")] = None,
) -> dict[str, Any]:
    """Average review total per agent per week (Monday, desk time) of the chats' resolution;
    without a period, the twelve weeks up to today."""
    for name, given in (("from", date_from), ("to", date_to)):
        if given is not None and not 2000 <= given.year <= 2999:
            raise HTTPException(422, f"{name}: a date between 2000 and 2999")
    today = services(request).desk.now().astimezone(quality.DESK_TZ).date()
    end = date_to or today
    start = date_from or end - timedelta(weeks=DEFAULT_WEEKS)
    agents = await run(request, lambda s: quality.weekly_scores(s, date_from=start, date_to=end))
    return {"from": start.isoformat(), "to": end.isoformat(), "agents": agents}
