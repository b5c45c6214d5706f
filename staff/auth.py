"""Who is calling the staff routes: a bearer token looked up once per request, and the role checks."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool

from core.security import bearer
from handoff import agents as accounts
from handoff.models import Agent
from staff.deps import services


def token_of(request: Request) -> str:
    token = bearer(request)
    if token is None:
        raise HTTPException(401, "log in first: send 'Authorization: Bearer <token>'", {"WWW-Authenticate": "Bearer"})
    return token


async def current_agent(request: Request) -> Agent:
    token = token_of(request)
    db = services(request).db

    def find() -> Agent | None:
        with db.session() as s:
            agent = accounts.agent_for_token(s, token)
            if agent is not None:
                s.expunge(agent)
            return agent

    agent = await run_in_threadpool(find)
    if agent is None:
        raise HTTPException(401, "session expired or unknown: log in again", {"WWW-Authenticate": "Bearer"})
    return agent


CurrentAgent = Annotated[Agent, Depends(current_agent)]


async def desk_agent(agent: CurrentAgent) -> Agent:
    """A member of the desk (agent, supervisor, admin): a kb_editor has no chats to work."""
    if agent.role not in accounts.DESK_ROLES:
        raise HTTPException(403, "only desk agents, supervisors and admins work the queue")
    return agent


DeskAgent = Annotated[Agent, Depends(desk_agent)]
