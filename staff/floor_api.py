"""The live floor's API (现场管理, the page at /floor): the snapshot, and what a supervisor does to a
colleague's chat (whisper, take over). Supervisors and admins only.

Live updates come over the console's socket (`/ws/agent`), which already carries every ticket's
events and everyone's presence to a supervisor; the page refetches the snapshot on them. A
ticket's transcript is read, without claiming it, at `GET /api/agent/tickets/{id}`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from sqlalchemy.orm import Session

from bot.escalation import Notice
from core.body import read_json
from handoff import floor
from handoff.access import SEES_ALL
from handoff.events import ticket_summary
from handoff.models import Agent
from staff.agent_api import MAX_BODY, Text, TicketId, run
from staff.auth import CurrentAgent
from staff.deps import services

router = APIRouter(prefix="/api/floor", tags=["floor"])


async def supervisor(agent: CurrentAgent) -> Agent:
    if agent.role not in SEES_ALL:
        raise HTTPException(403, "only supervisors and admins watch the floor")
    return agent


Supervisor = Annotated[Agent, Depends(supervisor)]


@router.get("")
async def snapshot(
    request: Request,
    who: Supervisor,
    at_risk_minutes: Annotated[
        float, Query(gt=0, le=60, description="a first response due this soon counts as about to be missed")
    ] = floor.AT_RISK.total_seconds() / 60,
) -> dict[str, Any]:
    """Every desk member's presence and open chats, each queue's waiting, oldest wait and first
    responses due soon or missed, and the open tickets, on the desk's clock."""
    state = services(request).desk.state
    within = timedelta(minutes=at_risk_minutes)
    return await run(request, lambda s: (floor.snapshot(s, state, within=within), []))


@router.post("/tickets/{ticket_id}/whisper")
async def whisper(request: Request, ticket_id: TicketId, who: Supervisor) -> dict[str, Any]:
    """A private word to the agent serving the ticket: their console shows it, the customer never."""
    body = await read_json(request, Text, MAX_BODY)
    operations = services(request).desk.operations

    def work(s: Session) -> tuple[dict[str, Any], list[Notice]]:
        notices = operations.whisper(s, ticket_id, s.get_one(Agent, who.id), body.text)
        heard_by = (notices[0].desk_event or {}).get("to_agent_id")
        return {"ticket_id": ticket_id, "to_agent_id": heard_by, "text": body.text}, notices

    return await run(request, work)


@router.post("/tickets/{ticket_id}/take-over")
async def take_over(request: Request, ticket_id: TicketId, who: Supervisor) -> dict[str, Any]:
    """The chat becomes the supervisor's; its agent's console and the customer are told."""
    desk = services(request).desk

    def work(s: Session) -> tuple[dict[str, Any], list[Notice]]:
        notices = desk.operations.take_over(s, ticket_id, s.get_one(Agent, who.id))
        return ticket_summary(desk.load(s, ticket_id)[0]), notices

    return await run(request, work)
