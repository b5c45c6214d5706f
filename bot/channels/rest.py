"""Rasa's REST channel: POST /webhooks/rest/webhook answers a list of bot messages."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from bot.channels.body import read_json
from bot.engine import InboundMessage

router = APIRouter()


class RestMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")

    sender: str = Field(min_length=1, max_length=128)
    message: str
    metadata: dict[str, Any] | None = None


@router.get("/webhooks/rest/")
async def rest_health() -> dict[str, str]:
    return {"status": "ok"}


@router.post("/webhooks/rest/webhook")
async def webhook(request: Request) -> list[dict[str, Any]]:
    engine = request.app.state.engine
    body = await read_json(request, RestMessage, request.app.state.settings.max_body_bytes)
    metadata = body.metadata or {}
    channel = str(metadata.get("channel") or "rest")[:32]
    inbound = InboundMessage(body.sender, body.message, channel, metadata)
    replies = await run_in_threadpool(engine.handle, inbound)
    return [r.as_rasa() for r in replies]
