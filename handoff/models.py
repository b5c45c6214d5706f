"""The human desk's records: agents, their sessions, tickets and everything done on them.

SQL is the system of record; Redis only orders the waiting tickets (handoff/queue.py) and
can be rebuilt from here at any time.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, JsonType, UtcDateTime, utcnow

# Ticket states: waiting in a queue, owned by an agent, or finished one way or another.
QUEUED, ASSIGNED, RESOLVED, HANDED_BACK, OFFLINE = "queued", "assigned", "resolved", "handed_back", "offline"
OPEN_STATES = (QUEUED, ASSIGNED, OFFLINE)
PRESENCE = ("online", "away", "offline")


class Agent(Base):
    __tablename__ = "agents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16), default="agent")  # agent | supervisor | kb_editor | admin
    skills: Mapped[list[str]] = mapped_column(JsonType, default=list)  # queues this agent serves
    max_chats: Mapped[int] = mapped_column(Integer, default=3)
    presence: Mapped[str] = mapped_column(String(10), default="offline")
    last_seen: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class AgentSession(Base):
    __tablename__ = "agent_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), index=True)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Ticket(Base):
    """One handoff of one conversation: from the moment the bot gave up until a person is done."""

    __tablename__ = "tickets"
    __table_args__ = (Index("ix_tickets_status_queue", "status", "queue"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=QUEUED)
    reason: Mapped[str] = mapped_column(String(40))
    queue: Mapped[str] = mapped_column(String(20))
    priority: Mapped[int] = mapped_column(Integer, default=0)  # higher first
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    first_response_due: Mapped[datetime] = mapped_column(UtcDateTime)
    overflow_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"), nullable=True, index=True)
    assigned_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    first_response_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    sla_breached: Mapped[bool] = mapped_column(Boolean, default=False)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    summary: Mapped[str] = mapped_column(Text, default="")
    context: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    labels: Mapped[list[str]] = mapped_column(JsonType, default=list)  # why it is urgent: anger, vip…
    offered_to: Mapped[int | None] = mapped_column(Integer, nullable=True)  # least-loaded agent suggested
    csat: Mapped[int | None] = mapped_column(Integer, nullable=True)


class TicketEvent(Base):
    """What happened to a ticket, in order: queued, claimed, notes, transfers, resolved…"""

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"), nullable=True)
    data: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class CannedReply(Base):
    __tablename__ = "canned_replies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(String(80))
    text_zh: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str] = mapped_column(Text)
    queue: Mapped[str | None] = mapped_column(String(20), nullable=True)  # None: every queue


class EscalationKeyword(Base):
    """Words staff decided always need a person (e.g. 律师, 媒体, a product recall)."""

    __tablename__ = "escalation_keywords"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    keyword: Mapped[str] = mapped_column(String(60), unique=True)
    queue: Mapped[str] = mapped_column(String(20), default="general")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Rating(Base):
    """A customer's 1–5 satisfaction rating (CSAT) of a conversation: a person's or the bot's."""

    __tablename__ = "ratings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"), nullable=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"), nullable=True, index=True)
    queue: Mapped[str | None] = mapped_column(String(20), nullable=True, index=True)
    score: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
