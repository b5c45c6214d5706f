"""The web chat page, its session and its push socket: replies that arrive later (agents) come over here."""

from __future__ import annotations

import asyncio
import contextlib
from importlib import resources

from fastapi import APIRouter, HTTPException, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field

from core.body import parse_body, read_body
from core.runtime import RESYNC, customer_channel
from core.security import CHAT_TOKEN_DAYS, Guard, new_sender_id

router = APIRouter()
STATIC_DIR = str(resources.files("bot") / "channels" / "static")
MAX_SESSION_BODY = 4096


class SessionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str | None = Field(default=None, max_length=512)  # renew this session (same sender)
    sender: str | None = Field(default=None, min_length=1, max_length=128)  # signed callers only


@router.get("/", include_in_schema=False)
async def chat_page() -> FileResponse:
    return FileResponse(f"{STATIC_DIR}/index.html", media_type="text/html; charset=utf-8")


@router.post("/chat/session")
async def chat_session(request: Request) -> dict[str, object]:
    """A chat session token: a new sender, the same sender again (an unexpired token), or, for a
    signed channel integration, a token for the sender it names."""
    guard: Guard = request.app.state.guard
    guard.limit(request)
    raw = await read_body(request, MAX_SESSION_BODY)
    body = parse_body(raw or b"{}", SessionRequest)
    if body.sender is not None:
        if guard.caller(request, raw).kind != "signed":
            raise HTTPException(403, "only a signed channel integration may name the sender")
        sender = body.sender
    elif body.token is not None:
        found = guard.tokens.sender_of(body.token)
        if found is None:
            raise HTTPException(401, "the session token is unknown or expired: start a new session")
        sender = found
    else:
        sender = new_sender_id()
    return {"sender_id": sender, "token": guard.tokens.issue(sender), "expires_in": CHAT_TOKEN_DAYS * 86400}


@router.websocket("/ws/chat/{sender_id}")
async def chat_socket(websocket: WebSocket, sender_id: str) -> None:
    """Forward everything published for this customer until the page goes away."""
    guard: Guard = websocket.app.state.guard
    token = websocket.query_params.get("token")
    owner = guard.tokens.sender_of(token) if token else None
    if (token or guard.production) and owner != sender_id:
        await websocket.close(code=4401)  # no (or another sender's) session: the page starts a new one
        return
    await websocket.accept()
    runtime = websocket.app.state.runtime

    async def forward() -> None:
        async for message in runtime.subscribe(customer_channel(sender_id)):
            if message == RESYNC:
                # Redis was away and pushes may be lost: the page reconnects and re-reads its history.
                await websocket.close(code=1012)
                return
            await websocket.send_json(message)

    pump = asyncio.create_task(forward())
    try:
        while True:  # the page sends nothing we need; receiving notices the disconnect
            await websocket.receive_text()
    except (WebSocketDisconnect, RuntimeError):  # RuntimeError: we closed it (resync)
        pass
    finally:
        pump.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await pump
