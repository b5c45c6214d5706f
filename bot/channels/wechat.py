"""The WeChat Official Account channel (公众号, developer mode): WeChat's callbacks in, replies out.

WeChat posts each message to `/webhooks/wechat` as XML, signed with the account's Token (plain
mode) or signed and AES-encrypted (安全模式, bot/channels/wechat_crypto.py), and waits 5 seconds
for the answer. A quick turn is answered in that response (a passive reply, one message); a slow
one gets "success" at once and its replies follow through the customer-service API (客服消息,
bot/channels/wechat_api.py), which also carries everything sent later (an agent's reply, the queue
position, the rating survey) through `deliver`.

Several replies of one turn: as many as fit in one message are joined, in order, into the passive
reply; the rest follow through the customer-service API right after it. Buttons become numbered
lines (bot/channels/wechat_text.py) and the customer's "1" is sent on as that button's payload; the
numbers always mean the buttons of the latest message sent. The account itself (what it remembers
in Redis, how it sends) is bot/channels/wechat_account.py. What the channel says on its own (the
welcome, "please type instead") is in triage/responses.yaml, in Chinese unless the customer's
conversation is in English.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping

import anyio
import httpx
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import PlainTextResponse, Response
from starlette.background import BackgroundTask

from bot.channels.contract import AppChannel, DeliveryFailed, language_of, refusal, sender_for
from bot.channels.wechat_account import NAME, WeChat
from bot.channels.wechat_api import HTTP_TIMEOUT, WeChatApi
from bot.channels.wechat_crypto import Forged, Malformed, MessageCrypt, encrypted_reply, text_reply
from bot.channels.wechat_text import Part, passive
from bot.engine import Engine, InboundMessage, InvalidMessage, OutboundMessage
from core.body import read_body
from core.config import ConfigError, Settings
from core.media import MediaRejected, MediaStore, MediaTooLarge
from core.runtime import Runtime

log = logging.getLogger(__name__)

# WeChat's messages are small; 安全模式 wraps one in base64 of AES, 兼容模式 sends both forms.
MAX_XML_BYTES = 64 * 1024


def from_settings(settings: Settings, runtime: Runtime, media: MediaStore) -> AppChannel | None:
    """The Official Account of the settings, or None without TRIAGE_WECHAT_TOKEN."""
    if not settings.wechat_token:
        return None
    app_id, secret = settings.wechat_app_id, settings.wechat_app_secret
    http = httpx.Client(timeout=HTTP_TIMEOUT)
    api = WeChatApi(settings.wechat_api, app_id, secret, runtime, http) if app_id and secret else None
    if api is None:
        log.warning("wechat: no TRIAGE_WECHAT_APP_ID/_APP_SECRET: slow replies and pushes cannot be sent")
    crypt = None
    if settings.wechat_aes_key:
        if not app_id:
            raise ConfigError("TRIAGE_WECHAT_AES_KEY needs TRIAGE_WECHAT_APP_ID (安全模式 checks it)")
        crypt = MessageCrypt(settings.wechat_aes_key, app_id)
    return WeChat(
        settings.wechat_token,
        runtime=runtime,
        media=media,
        api=api,
        crypt=crypt,
        http=http,
        max_media_bytes=settings.media_max_bytes,
    )


# --- the callback routes -------------------------------------------------------------------------

router = APIRouter()


def _channel(request: Request) -> WeChat:
    channel = request.app.state.channels.get(NAME)
    if not isinstance(channel, WeChat):
        raise HTTPException(404, "the WeChat channel is not configured (TRIAGE_WECHAT_TOKEN)")
    return channel


async def _say(request: Request, sender: str, key: str, **values: str) -> str:
    """The channel's own line `key` (triage/responses.yaml): Chinese unless the conversation is English."""
    instance = request.app.state.instance
    known = await anyio.to_thread.run_sync(language_of, instance.db, sender)
    said: str = instance.policy.say(key, "en" if known == "en" else "zh", **values)
    return said


@router.get("/webhooks/wechat")
async def verify_url(request: Request) -> PlainTextResponse:
    """WeChat checks the callback URL: echo its `echostr` if the request is signed with our Token."""
    channel = _channel(request)
    q = request.query_params
    try:
        channel.verify(q.get("signature", ""), q.get("timestamp", ""), q.get("nonce", ""))
    except Forged as exc:
        raise HTTPException(403, f"not signed by WeChat: {exc}") from exc
    return PlainTextResponse(q.get("echostr", ""))


@router.post("/webhooks/wechat")
async def receive(request: Request) -> Response:
    """One message or event from WeChat: the passive reply, or "success" (nothing, or later)."""
    channel = _channel(request)
    raw = await read_body(request, MAX_XML_BYTES)
    try:
        fields, encrypted = channel.read(raw, request.query_params)
    except Forged as exc:
        raise HTTPException(403, f"not signed by WeChat: {exc}") from exc
    except Malformed as exc:
        raise HTTPException(400, str(exc)) from exc
    openid, account = fields.get("FromUserName", ""), fields.get("ToUserName", "")
    if not openid or not account or len(sender_for(NAME, openid)) > 128:
        raise HTTPException(400, "a WeChat message needs its FromUserName and ToUserName")
    parts = await _answer(request, channel, fields)
    content, rest = passive(parts)
    background = BackgroundTask(channel.send_retrying, openid, rest) if rest else None
    if content is None:
        return PlainTextResponse("success", background=background)
    now = int(channel.clock())
    reply = text_reply(openid, account, content, now)
    if encrypted and channel.crypt is not None:
        reply = encrypted_reply(channel.token, channel.crypt, reply, now)
    return Response(reply, media_type="application/xml", background=background)


async def _answer(request: Request, channel: WeChat, fields: dict[str, str]) -> list[Part]:
    """What to answer in the response (the rest of a slow turn follows through the API)."""
    openid, kind = fields["FromUserName"], fields.get("MsgType", "")
    key = fields.get("MsgId") or f"{openid}:{fields.get('CreateTime', '')}:{fields.get('Event', '')}"
    if not channel.first_time(key):
        return []  # WeChat asking again: the first delivery answers (or has answered)
    sender = sender_for(NAME, openid)
    if kind == "event":
        subscribed = fields.get("Event", "").lower() == "subscribe"
        return [Part(text=await _say(request, sender, "wechat_welcome"))] if subscribed else []
    text = {"text": fields.get("Content", ""), "voice": fields.get("Recognition", "")}.get(kind, "")
    if kind == "voice" and not text:  # WeChat recognises the speech only where the account turned it on
        return [Part(text=await _say(request, sender, "voice_unheard"))]
    if kind not in ("text", "voice", "image"):
        return [Part(text=await _say(request, sender, "only_text_and_pictures"))]
    if text:
        text = channel.button_payload(openid, text) or text
    metadata = {"msg_type": kind, "msg_id": fields.get("MsgId", "")}
    turn = asyncio.create_task(_turn(request, channel, fields, InboundMessage(sender, text, NAME, metadata)))
    try:
        # asyncio.wait never cancels the turn: one that outlives the window goes on, and is sent later.
        done, _ = await asyncio.wait({turn}, timeout=channel.reply_window)
    except asyncio.CancelledError:  # WeChat hung up first; its retry will be told "success"
        channel.send_later(openid, turn)
        raise
    if not done:
        channel.send_later(openid, turn)
        return []
    try:
        replies = turn.result()
    except InvalidMessage as exc:
        log.info("wechat: the message from %s was refused: %s", openid, exc)
        line, values = refusal(text, request.app.state.settings.max_message_chars)
        return [Part(text=await _say(request, sender, line, **values))]
    except BaseException:
        channel.forget(key)  # Redis or the database failed: WeChat's retry tries again
        raise
    return channel.prepare(openid, replies)


async def _turn(
    request: Request, channel: WeChat, fields: Mapping[str, str], inbound: InboundMessage
) -> list[OutboundMessage]:
    """The turn of one message, a picture fetched and kept first."""
    if fields.get("MsgType") == "image":
        try:
            attachment = await anyio.to_thread.run_sync(channel.picture, fields)
        except DeliveryFailed as exc:
            log.warning("wechat: the picture of %s was not fetched: %s", inbound.sender_id, exc)
            return [OutboundMessage(inbound.sender_id, await _say(request, inbound.sender_id, "picture_lost"))]
        except MediaTooLarge:
            return [OutboundMessage(inbound.sender_id, await _say(request, inbound.sender_id, "picture_too_large"))]
        except MediaRejected:
            return [OutboundMessage(inbound.sender_id, await _say(request, inbound.sender_id, "picture_unreadable"))]
        inbound = InboundMessage(inbound.sender_id, "", NAME, inbound.metadata, attachments=(attachment,))
    engine: Engine = request.app.state.engine
    replies: list[OutboundMessage] = await request.app.state.turns.run(engine.handle, inbound)
    return replies
