"""The conversation store: every conversation and every message, in the system of record."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Integer, String, Text, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.db import Base, JsonType, UtcDateTime, utcnow

# Conversation states. `pending_handoff`: waiting for a person; `human`: a person owns it.
BOT, PENDING_HANDOFF, HUMAN, CLOSED = "bot", "pending_handoff", "human", "closed"


class Conversation(Base):
    __tablename__ = "conversations"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=lambda: str(uuid.uuid4()))
    sender_id: Mapped[str] = mapped_column(String(128), unique=True, index=True)
    channel: Mapped[str] = mapped_column(String(32), default="rest")
    language: Mapped[str] = mapped_column(String(8), default="zh")
    state: Mapped[str] = mapped_column(String(24), default=BOT, index=True)
    fallback_count: Mapped[int] = mapped_column(Integer, default=0)
    slots: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    handoff_reason: Mapped[str | None] = mapped_column(String(40), nullable=True)
    handoff_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", JsonType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class Message(Base):
    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    direction: Mapped[str] = mapped_column(String(3))  # "in" from the customer, "out" to them
    author: Mapped[str] = mapped_column(String(16))  # customer | bot | agent | system
    text: Mapped[str] = mapped_column(Text)
    buttons: Mapped[list[dict[str, str]] | None] = mapped_column(JsonType, nullable=True)
    custom: Mapped[dict[str, Any] | None] = mapped_column(JsonType, nullable=True)
    parse: Mapped[dict[str, Any] | None] = mapped_column(JsonType, nullable=True)
    topic: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)
    confidence: Mapped[float | None] = mapped_column(Float, nullable=True)
    language: Mapped[str | None] = mapped_column(String(8), nullable=True)
    # What the bot made of an inbound customer message: the decision's kind (answer, clarify,
    # fallback, handoff, action, silent, queued), or out_of_scope for a fallback on a message
    # the knowledge base knows nothing about. The unanswered-question inbox reads it.
    outcome: Mapped[str | None] = mapped_column(String(16), nullable=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)


def get_or_create(session: Session, *, sender_id: str, channel: str) -> Conversation:
    """The sender's conversation, created on first contact (row-locked where the database can).

    Created with INSERT … ON CONFLICT DO NOTHING: of sessions meeting a new sender at once,
    one inserts and the others wait for it and then read its row. (A plain INSERT failed
    theirs on the unique sender on PostgreSQL; SQLite's sessions take turns, so never did.)"""
    mine = select(Conversation).where(Conversation.sender_id == sender_id).with_for_update()
    conv = session.scalars(mine).first()
    if conv is None:
        insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
        session.execute(
            insert(Conversation)
            .values(sender_id=sender_id, channel=channel, slots={}, meta={})
            .on_conflict_do_nothing(index_elements=[Conversation.sender_id])
        )
        conv = session.scalars(mine).one()
    return conv


def find(session: Session, *, sender_id: str) -> Conversation | None:
    return session.scalars(select(Conversation).where(Conversation.sender_id == sender_id)).first()


def transcript(session: Session, *, conversation_id: str, limit: int | None = None) -> list[Message]:
    """Messages oldest first; with `limit`, only the newest `limit` of them."""
    query = select(Message).where(Message.conversation_id == conversation_id)
    if limit is None:
        return list(session.scalars(query.order_by(Message.id)))
    newest = list(session.scalars(query.order_by(Message.id.desc()).limit(limit)))
    return newest[::-1]


def recent_inbound(session: Session, *, conversation_id: str, within: int) -> list[str]:
    """The customer's texts among the conversation's newest `within` messages, oldest first:
    the history the NLU reads (repeated asks, anger building up), without loading whole rows."""
    newest = session.execute(
        select(Message.direction, Message.text)
        .where(Message.conversation_id == conversation_id)
        .order_by(Message.id.desc())
        .limit(within)
    ).all()
    return [text for direction, text in reversed(newest) if direction == "in"]


def unanswered_while_human(session: Session, *, conversation_id: str) -> Message | None:
    """The customer's latest message if it came while a person had the chat (recorded `silent`)
    and no person answered it since: what the bot takes up when the chat is handed back."""
    latest = session.scalars(
        select(Message)
        .where(Message.conversation_id == conversation_id, Message.direction == "in")
        .order_by(Message.id.desc())
        .limit(1)
    ).first()
    if latest is None or latest.outcome != "silent" or not latest.text:
        return None
    answered = session.scalars(
        select(Message.id)
        .where(Message.conversation_id == conversation_id, Message.id > latest.id, Message.author == "agent")
        .limit(1)
    ).first()
    return None if answered is not None else latest


# Adds what a reader needs to open a file a message carries (its signed, expiring links), given
# the file as kept: {"media_id", "content_type", "name"}. The web layer makes it (bot/channels/media.py).
Link = Callable[[dict[str, Any]], dict[str, Any]]


def message_dict(m: Message, link: Link | None = None) -> dict[str, Any]:
    """A message as plain data; with `link`, each of its files in `custom["attachments"]` with
    its links, made now (they expire, so none is stored)."""
    custom = m.custom
    if link is not None and custom and custom.get("attachments"):
        custom = {**custom, "attachments": [link(a) for a in custom["attachments"]]}
    return {
        "id": m.id,
        "direction": m.direction,
        "author": m.author,
        "text": m.text,
        "buttons": m.buttons,
        "custom": custom,
        "topic": m.topic,
        "confidence": m.confidence,
        "language": m.language,
        "outcome": m.outcome,
        "parse": m.parse,
        "created_at": m.created_at.isoformat() if m.created_at else None,
    }


def conversation_dict(conv: Conversation, messages: list[Message], link: Link | None = None) -> dict[str, Any]:
    return {
        "sender_id": conv.sender_id,
        "conversation_id": conv.id,
        "channel": conv.channel,
        "state": conv.state,
        "language": conv.language,
        "handoff_reason": conv.handoff_reason,
        "handoff_at": conv.handoff_at.isoformat() if conv.handoff_at else None,
        "slots": conv.slots,
        "created_at": conv.created_at.isoformat() if conv.created_at else None,
        "messages": [message_dict(m, link) for m in messages],
    }
