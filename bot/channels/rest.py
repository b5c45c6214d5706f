"""Rasa's REST channel: POST /webhooks/rest/webhook answers a list of bot messages.

Callers prove who they are (core/security.py): a signed request from a channel integration, or
the web chat page's session token, which may speak for its own sender only. A message may carry
files uploaded first (`POST /media`, bot/channels/media.py), named by id in `attachments`; its
text may then be empty."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field

from bot.channels.contract import address_of
from bot.channels.media import MAX_ATTACHMENTS, AttachmentRef, attachments_of
from bot.engine import InboundMessage
from core.body import parse_body, read_body
from core.security import Caller, Guard

router = APIRouter()


class RestMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")

    sender: str = Field(min_length=1, max_length=128)
    message: str = ""
    metadata: dict[str, Any] | None = None
    attachments: list[AttachmentRef] = Field(default_factory=list, max_length=MAX_ATTACHMENTS)


# Where a message came from, for the conversation, its logs and the metrics' labels. The route and the
# caller say it, never the customer: a web chat session is "web", anyone else on this route "rest",
# and a signed integration (a chat-app bridge, the merchant's site) may name its own from this list.
CHANNELS = ("rest", "web", "widget", "wechat", "telegram", "app")
APP_CHANNELS = ("wechat", "telegram")  # customers reached through the app's own API (bot/channels/contract.py)


def channel_of(caller: Caller, metadata: dict[str, Any]) -> str:
    """The channel a message arrived on; 422 when a signed integration names one we do not know."""
    if caller.kind == "chat":  # the chat page, on its own or in the shop's widget
        return "widget" if metadata.get("channel") == "widget" else "web"
    named = metadata.get("channel")
    if caller.kind != "signed" or named is None:
        return "rest"
    if named not in CHANNELS:
        raise HTTPException(422, f"metadata.channel: must be one of {', '.join(CHANNELS)}")
    return str(named)


def authorised(request: Request, caller: Caller, sender_id: str) -> None:
    """403 when a chat token speaks for another sender, or anyone but a signed integration for a
    chat app's customer (their sender ids route the agents' replies to that app); counts the
    request against the limits."""
    if not caller.may_act_as(sender_id):
        raise HTTPException(403, "this chat session belongs to another sender")
    app_sender = address_of(sender_id)
    if app_sender is not None and app_sender[0] in APP_CHANNELS and caller.kind != "signed":
        raise HTTPException(403, f"sender ids starting {app_sender[0]}: belong to that chat app's customers")
    guard: Guard = request.app.state.guard
    guard.limit(request, sender_id)


@router.get("/webhooks/rest/")
async def rest_health() -> dict[str, str]:
    return {"status": "ok"}


@router.post("/webhooks/rest/webhook")
async def webhook(request: Request) -> list[dict[str, Any]]:
    engine = request.app.state.engine
    raw = await read_body(request, request.app.state.settings.max_body_bytes)
    caller = request.app.state.guard.caller(request, raw)
    body = parse_body(raw, RestMessage)
    authorised(request, caller, body.sender)
    metadata = body.metadata or {}
    files = await attachments_of(request, body.attachments)
    inbound = InboundMessage(body.sender, body.message, channel_of(caller, metadata), metadata, files)
    replies = await request.app.state.turns.run(engine.handle, inbound)
    return [r.as_rasa() for r in replies]
