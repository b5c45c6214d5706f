"""The report API (服务数据, the page at /reports): the service's numbers for a period as JSON, the
conversations behind a figure, and spreadsheets. Supervisors and admins only.

Every route takes the period as `from` and `to` (China-time days, both included, at most 366
days); `queue` and `agent` narrow the people's figures. What each figure means is in reports/
(bot.py, people.py, content.py); the queries run off the event loop, several at once, with past
days' figures kept in Redis (reports/daycache.py).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from handoff.access import SEES_ALL
from handoff.models import Agent
from reports import drill, export
from reports.daycache import DayCache
from reports.metrics import Reports
from reports.period import BadPeriod, Period
from staff.auth import CurrentAgent
from staff.deps import services

R = TypeVar("R")
router = APIRouter(prefix="/api/reports", tags=["reports"])


async def supervisor(agent: CurrentAgent) -> Agent:
    if agent.role not in SEES_ALL:
        raise HTTPException(403, "only supervisors and admins read the service's numbers")
    return agent


Supervisor = Annotated[Agent, Depends(supervisor)]
From = Annotated[date, Query(alias="from", description="first day (China time), YYYY-MM-DD")]
To = Annotated[date, Query(alias="to", description="last day (China time), YYYY-MM-DD, at most 366 days after from")]
QueueName = Annotated[str | None, Query(max_length=20, description="only this queue's people's figures")]
AgentId = Annotated[int | None, Query(ge=1, le=2_147_483_647, description="only this agent's figures")]


def period_of(request: Request, first: date, last: date, queue: str | None = None, agent: int | None = None) -> Period:
    return Period.checked(first, last, queue or None, agent, queues=services(request).desk.desk.queues)


async def run(request: Request, work: Callable[[Reports], R]) -> R:
    """Read the figures off the event loop, on the desk's clock."""
    parts = services(request)
    reports = Reports(parts.db.session, parts.desk.desk, DayCache(parts.runtime.sync), parts.desk.now())
    return await run_in_threadpool(work, reports)


@router.get("/summary")
async def summary(
    request: Request, who: Supervisor, first: From, last: To, queue: QueueName = None, agent: AgentId = None
) -> dict[str, Any]:
    """The bot's, the people's and the content's figures for the period."""
    period = period_of(request, first, last, queue, agent)
    return await run(request, lambda r: r.summary(period))


@router.get("/daily")
async def daily(
    request: Request, who: Supervisor, first: From, last: To, queue: QueueName = None, agent: AgentId = None
) -> dict[str, Any]:
    """A row per day: conversations, containment, handoffs, answer, FCR and SLA rates, both CSATs."""
    period = period_of(request, first, last, queue, agent)
    return await run(request, lambda r: r.daily(period))


@router.get("/queues")
async def queues(request: Request, who: Supervisor, first: From, last: To) -> dict[str, Any]:
    """A row per queue: tickets, answer and SLA rates, the median wait, handle time, CSAT."""
    period = period_of(request, first, last)
    return await run(request, lambda r: r.queues(period))


@router.get("/agents")
async def agents(request: Request, who: Supervisor, first: From, last: To) -> dict[str, Any]:
    """A row per agent with work in the period: tickets, handle time, transfers out, FCR, CSAT."""
    period = period_of(request, first, last)
    return await run(request, lambda r: r.agents(period))


@router.get("/conversations")
async def conversations(
    request: Request,
    who: Supervisor,
    metric: Annotated[str, Query(max_length=20, description="the figure: " + ", ".join(drill.METRICS))],
    first: From,
    last: To,
    queue: QueueName = None,
    agent: AgentId = None,
    day: Annotated[date | None, Query(description="only this day of the period")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> dict[str, Any]:
    """The conversations behind a figure, newest first: a page of them and how many in all."""
    period = period_of(request, first, last, queue, agent)
    if day is not None:
        if not period.first <= day <= period.last:
            raise BadPeriod("day", f"{day} is not in the period {period.first} to {period.last}")
        period = period.of(day, day)
    return await run(
        request,
        lambda r: drill.conversations(r.sessions, r.desk, r.cache, period, metric, r.now, limit=limit, offset=offset),
    )


@router.get("/export")
async def export_view(
    request: Request,
    who: Supervisor,
    view: Annotated[Literal["daily", "queues", "agents"], Query()],
    first: From,
    last: To,
    format: Annotated[Literal["csv", "xlsx"], Query()] = "csv",
    queue: QueueName = None,
    agent: AgentId = None,
) -> Response:
    """The daily, queue or agent view as CSV (UTF-8 with a BOM, for Excel) or XLSX."""
    period = period_of(request, first, last, queue if view == "daily" else None, agent if view == "daily" else None)
    data = await run(request, lambda r: getattr(r, view)(period))
    name = f"reports-{view}-{period.first.isoformat()}-{period.last.isoformat()}.{format}"
    if format == "csv":
        body, media = export.to_csv(view, data), "text/csv; charset=utf-8"
    else:
        body = await run_in_threadpool(export.to_xlsx, view, data, view)
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})
