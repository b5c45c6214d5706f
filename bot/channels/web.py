"""The web chat page and its push socket: replies that arrive later (agents) come over here."""

from __future__ import annotations

import asyncio
import contextlib
from importlib import resources

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from fastapi.responses import FileResponse

from bot.runtime import RESYNC, customer_channel

router = APIRouter()
STATIC_DIR = str(resources.files("bot") / "channels" / "static")


@router.get("/", include_in_schema=False)
async def chat_page() -> FileResponse:
    return FileResponse(f"{STATIC_DIR}/index.html", media_type="text/html; charset=utf-8")


@router.websocket("/ws/chat/{sender_id}")
async def chat_socket(websocket: WebSocket, sender_id: str) -> None:
    """Forward everything published for this customer until the page goes away."""
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
