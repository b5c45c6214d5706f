"""The agent API and the live console's socket.

Routes are thin: authenticate, run one desk operation in a transaction, then (after the
commit) push what the customer must hear to their channel and announce the change to every
console over Redis pub/sub.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, HTTPException, Request, WebSocket, WebSocketDisconnect
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field, model_validator
from sqlalchemy import select
from sqlalchemy.orm import Session, defer

from bot.channels.media import MAX_ATTACHMENTS, AttachmentRef, attachments_of, keep, linker, read_upload
from bot.escalation import DESK_CHANNEL, Notice
from bot.store import message_dict, transcript
from core.body import read_json
from core.runtime import EVENTS_CHANNEL, RESYNC
from handoff import agents as accounts
from handoff.access import Feed, Viewer, queues_for
from handoff.errors import DeskError
from handoff.events import ticket_summary
from handoff.floor import hears_whisper
from handoff.models import ASSIGNED, PRESENCE, Agent, CannedReply, EscalationKeyword, Ticket, TicketEvent
from staff.auth import CurrentAgent, DeskAgent, token_of
from staff.deps import services

R = TypeVar("R")
MAX_BODY = 16 * 1024
STATIC_DIR = Path(__file__).parents[1] / "staff" / "static" / "console"  # staff/ owns the staff pages
CONSOLE_PAGE = STATIC_DIR / "console.html"
QUEUE_SHOWN = 200  # the front of the queue a console lists; the total comes alongside

router = APIRouter(tags=["agents"])


TicketId = Annotated[int, PathParam(ge=1, le=2_147_483_647, description="a ticket's id")]


class Login(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=200)


class Text(BaseModel):
    text: str = Field(min_length=1, max_length=2000)


class Reply(BaseModel):
    """What an agent sends the customer: a text, files uploaded first (`POST /api/agent/media`), or both."""

    text: str = Field(default="", max_length=2000)
    attachments: list[AttachmentRef] = Field(default_factory=list, max_length=MAX_ATTACHMENTS)

    @model_validator(mode="after")
    def _says_something(self) -> Reply:
        if not self.text.strip() and not self.attachments:
            raise ValueError("write a text or attach a file")
        return self


class Presence(BaseModel):
    presence: str = Field(pattern="^(online|away|offline)$")


class Transfer(BaseModel):
    queue: str | None = None
    agent_id: int | None = None


class Keyword(BaseModel):
    keyword: str = Field(min_length=1, max_length=60)
    queue: str = "general"


async def run(request: Request, work: Callable[[Session], tuple[R, list[Notice]]]) -> R:
    """One desk operation in one transaction; customers and consoles hear of it after the commit."""
    parts = services(request)

    def go() -> tuple[R, list[Notice]]:
        with parts.db.session() as s:
            return work(s)

    result, notices = await run_in_threadpool(go)
    await run_in_threadpool(parts.engine.deliver, notices)
    return result


def agent_dict(a: Agent) -> dict[str, Any]:
    return {
        "id": a.id,
        "username": a.username,
        "display_name": a.display_name,
        "role": a.role,
        "skills": a.skills,
        "max_chats": a.max_chats,
        "presence": a.presence,
    }


@router.get("/console", include_in_schema=False)
async def console() -> FileResponse:
    return FileResponse(CONSOLE_PAGE)


@router.post("/api/agent/login")
async def login(request: Request) -> dict[str, Any]:
    body = await read_json(request, Login, MAX_BODY)
    request.app.state.guard.limit_logins(request, body.username)  # ten tries a minute per address and per account

    def work(s: Session) -> tuple[dict[str, Any] | None, list[Notice]]:
        found = accounts.login(s, username=body.username, password=body.password)
        if found is None:
            return None, []
        agent, token = found
        event = {"type": "presence", "agent_id": agent.id, "presence": "online"}
        return {"token": token, "agent": agent_dict(agent)}, [Notice(desk_event=event)]

    result = await run(request, work)
    if result is None:
        raise HTTPException(401, "wrong username or password")
    return result


@router.post("/api/agent/logout")
async def logout(request: Request, agent: CurrentAgent) -> dict[str, str]:
    token = token_of(request)

    def work(s: Session) -> tuple[dict[str, str], list[Notice]]:
        accounts.logout(s, token)
        s.get_one(Agent, agent.id).presence = "offline"
        return {"status": "logged out"}, [
            Notice(desk_event={"type": "presence", "agent_id": agent.id, "presence": "offline"})
        ]

    return await run(request, work)


@router.get("/api/agent/me")
async def me(agent: CurrentAgent) -> dict[str, Any]:
    return agent_dict(agent)


@router.post("/api/agent/presence")
async def presence(request: Request, agent: DeskAgent) -> dict[str, Any]:
    body = await read_json(request, Presence, MAX_BODY)
    assert body.presence in PRESENCE

    def work(s: Session) -> tuple[dict[str, Any], list[Notice]]:
        row = s.get_one(Agent, agent.id)
        row.presence = body.presence
        return agent_dict(row), [
            Notice(desk_event={"type": "presence", "agent_id": agent.id, "presence": body.presence})
        ]

    return await run(request, work)


@router.get("/api/agent/queue")
async def queue(request: Request, agent: DeskAgent) -> dict[str, Any]:
    """What this agent may pick up (handoff/access.py: their skills' queues and general; every
    queue for supervisors and admins), in the order it is served."""
    desk = services(request).desk

    def work(s: Session) -> tuple[dict[str, Any], list[Notice]]:
        order = desk.queue.waiting(queues_for(Viewer.of(agent), desk.desk.queues))
        positions: dict[str, int] = {}
        ranked = []
        for q, ticket_id in order:
            positions[q] = positions.get(q, 0) + 1
            ranked.append((ticket_id, positions[q]))
        front = ranked[:QUEUE_SHOWN]
        query = select(Ticket).options(defer(Ticket.context)).where(Ticket.id.in_([i for i, _ in front]))
        tickets = {t.id: t for t in s.scalars(query)}
        waiting = [
            ticket_summary(tickets[i], position)
            for i, position in front
            if i in tickets and tickets[i].status == "queued"
        ]
        mine = s.scalars(
            select(Ticket).where(Ticket.agent_id == agent.id, Ticket.status == ASSIGNED).order_by(Ticket.assigned_at)
        )
        return {"waiting": waiting, "waiting_total": len(ranked), "mine": [ticket_summary(t) for t in mine]}, []

    return await run(request, work)


@router.get("/api/agent/tickets/{ticket_id}")
async def ticket(request: Request, ticket_id: TicketId, agent: DeskAgent) -> dict[str, Any]:
    """The ticket with its context, transcript and events (notes; a supervisor's whisper for the
    agent it was written to and the supervisors only). Supervisors read any ticket this way,
    without claiming it (the live floor's read-only view); agents, the tickets of their queues."""
    desk = services(request).desk
    link = linker(request.app.state.settings)  # the transcript's photos, with links made for this read

    def work(s: Session) -> tuple[dict[str, Any], list[Notice]]:
        t, conv = desk.load_for(s, ticket_id, agent)
        events = s.scalars(select(TicketEvent).where(TicketEvent.ticket_id == t.id).order_by(TicketEvent.id))
        viewer = Viewer.of(agent)
        return {
            **ticket_summary(t),
            "context": t.context,
            "sender_id": conv.sender_id,
            "language": conv.language,
            "state": conv.state,
            "messages": [message_dict(m, link) for m in transcript(s, conversation_id=conv.id)],
            "events": [
                {"kind": e.kind, "agent_id": e.agent_id, "data": e.data, "at": e.at.isoformat()}
                for e in events
                if e.kind != "whisper" or hears_whisper(viewer, e.agent_id, e.data)
            ],
        }, []

    return await run(request, work)


@router.post("/api/agent/tickets/{ticket_id}/claim")
async def claim(request: Request, ticket_id: TicketId, agent: DeskAgent) -> dict[str, Any]:
    desk = services(request).desk

    def work(s: Session) -> tuple[dict[str, Any], list[Notice]]:
        notices = desk.claim(s, ticket_id, s.get_one(Agent, agent.id))
        return ticket_summary(desk.load(s, ticket_id)[0]), notices

    return await run(request, work)


def _action(name: str) -> None:
    async def act(request: Request, ticket_id: TicketId, agent: DeskAgent) -> dict[str, Any]:
        desk = services(request).desk
        reply = await read_json(request, Reply, MAX_BODY) if name == "reply" else None
        note = await read_json(request, Text, MAX_BODY) if name == "notes" else None
        files = [a.as_dict() for a in await attachments_of(request, reply.attachments)] if reply else []

        def work(s: Session) -> tuple[dict[str, Any], list[Notice]]:
            me = s.get_one(Agent, agent.id)
            if reply is not None:
                link = linker(request.app.state.settings)
                notices = desk.reply(s, ticket_id, me, reply.text, files, link)
            elif note is not None:
                notices = desk.note(s, ticket_id, me, note.text)
            elif name == "resolve":
                notices = desk.resolve(s, ticket_id, me)
            else:
                notices = desk.hand_back(s, ticket_id, me)
            return ticket_summary(desk.load(s, ticket_id)[0]), notices

        done = await run(request, work)
        if name == "handback":
            # The bot has the chat again: a question the customer asked meanwhile is answered now.
            engine = services(request).engine
            await request.app.state.turns.run(engine.take_up, str(done["conversation_id"]))
        return done

    router.add_api_route(f"/api/agent/tickets/{{ticket_id}}/{name}", act, methods=["POST"], name=f"ticket_{name}")


for _name in ("reply", "notes", "resolve", "handback"):
    _action(_name)


@router.post("/api/agent/media")
async def upload(request: Request, agent: DeskAgent) -> dict[str, Any]:
    """Keep a photo or PDF for a reply (sent as the body with its Content-Type, or as a multipart
    form's file): its id and signed links, as `POST /media` answers a customer."""
    raw = await read_upload(request)
    request.app.state.guard.limit(request)
    return await keep(request, raw)


@router.post("/api/agent/tickets/{ticket_id}/transfer")
async def transfer(request: Request, ticket_id: TicketId, agent: DeskAgent) -> dict[str, Any]:
    desk = services(request).desk
    body = await read_json(request, Transfer, MAX_BODY)

    def work(s: Session) -> tuple[dict[str, Any], list[Notice]]:
        to_agent = s.get(Agent, body.agent_id) if body.agent_id is not None else None
        if body.agent_id is not None and to_agent is None:
            raise DeskError(f"no agent {body.agent_id}")
        notices = desk.transfer(s, ticket_id, s.get_one(Agent, agent.id), queue=body.queue, to_agent=to_agent)
        return ticket_summary(desk.load(s, ticket_id)[0]), notices

    return await run(request, work)


@router.get("/api/agent/canned")
async def canned(request: Request, agent: DeskAgent) -> list[dict[str, Any]]:
    def work(s: Session) -> tuple[list[dict[str, Any]], list[Notice]]:
        rows = s.scalars(select(CannedReply).order_by(CannedReply.id))
        return [{"id": c.id, "title": c.title, "zh": c.text_zh, "en": c.text_en, "queue": c.queue} for c in rows], []

    return await run(request, work)


@router.get("/api/agent/agents")
async def colleagues(request: Request, agent: DeskAgent) -> list[dict[str, Any]]:
    def work(s: Session) -> tuple[list[dict[str, Any]], list[Notice]]:
        return [agent_dict(a) for a in s.scalars(select(Agent).order_by(Agent.id))], []

    return await run(request, work)


@router.get("/api/agent/keywords")
async def keywords(request: Request, agent: DeskAgent) -> list[dict[str, Any]]:
    def work(s: Session) -> tuple[list[dict[str, Any]], list[Notice]]:
        rows = s.scalars(select(EscalationKeyword).order_by(EscalationKeyword.id))
        return [{"id": k.id, "keyword": k.keyword, "queue": k.queue} for k in rows], []

    return await run(request, work)


@router.post("/api/agent/keywords")
async def add_keyword(request: Request, agent: DeskAgent) -> dict[str, Any]:
    if agent.role not in ("supervisor", "admin"):
        raise HTTPException(403, "only supervisors and admins change escalation keywords")
    body = await read_json(request, Keyword, MAX_BODY)
    desk = services(request).desk
    if body.queue not in desk.desk.queues:
        raise HTTPException(422, f"queue: unknown queue {body.queue!r}")

    def work(s: Session) -> tuple[dict[str, Any], list[Notice]]:
        row = s.scalars(select(EscalationKeyword).where(EscalationKeyword.keyword == body.keyword)).first()
        if row is None:
            row = EscalationKeyword(keyword=body.keyword, queue=body.queue)
            s.add(row)
        row.queue = body.queue
        s.flush()
        return {"id": row.id, "keyword": row.keyword, "queue": row.queue}, []

    return await run(request, work)


@router.websocket("/ws/agent")
async def agent_socket(socket: WebSocket) -> None:
    """The desk's changes and the customers' messages this agent may see (handoff/access.py),
    live; the console refetches what it shows."""
    token = socket.query_params.get("token", "")
    parts = services(socket)

    def find() -> Agent | None:
        with parts.db.session() as s:
            agent = accounts.agent_for_token(s, token)
            if agent is None or agent.role not in accounts.DESK_ROLES:
                return None
            s.expunge(agent)
            return agent

    agent = await run_in_threadpool(find)
    if agent is None:
        await socket.close(code=4401)
        return
    await socket.accept()
    feed = Feed(Viewer.of(agent))  # the agent's skills as they were on connecting

    async def pump(channel: str, ready: asyncio.Event) -> None:
        async for event in parts.runtime.subscribe(channel, ready):
            if event == RESYNC:
                # Redis was away: events may be lost. The console reconnects and refetches on hello.
                await socket.close(code=1012)
                return
            admitted = feed.admit(event)
            if admitted is not None:
                await socket.send_json({"channel": channel, **admitted})

    def seen_already() -> set[str]:
        with parts.db.session() as s:
            return parts.desk.visible_conversations(s, agent)

    readiness = [asyncio.Event(), asyncio.Event()]
    tasks = [
        asyncio.create_task(pump(DESK_CHANNEL, readiness[0])),
        asyncio.create_task(pump(EVENTS_CHANNEL, readiness[1])),
    ]
    try:
        # "hello" means: listening on both channels; the console catches up on anything older.
        await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readiness)), timeout=10)
        feed.conversations |= await run_in_threadpool(seen_already)  # the open tickets' conversations
        await socket.send_json({"type": "hello"})
        while True:
            await socket.receive_text()  # pings; the server only talks
    except (WebSocketDisconnect, RuntimeError):  # RuntimeError: we closed it (resync)
        pass
    finally:
        for t in tasks:
            t.cancel()
        for t in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await t


@router.get("/api/agent/desk")
async def desk_info(request: Request, agent: DeskAgent) -> dict[str, Any]:
    """The desk's clock, hours and queues as staff configured them: the console counts SLAs on
    the server's clock (frozen in demos and tests) and names queues without a copy in code."""
    desk = services(request).desk
    return {
        "now": desk.now().isoformat(),
        "opens": desk.desk.opens.strftime("%H:%M"),
        "closes": desk.desk.closes.strftime("%H:%M"),
        "queues": [
            {
                "id": q.name,
                "name_zh": q.name_zh,
                "name_en": q.name_en,
                "first_response_minutes": q.first_response.total_seconds() / 60,
            }
            for q in desk.desk.queues.values()
        ],
    }
