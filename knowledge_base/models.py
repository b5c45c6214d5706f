"""Knowledge-base entries as stored in the system of record."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, JsonType, UtcDateTime, utcnow

KINDS = ("faq", "intent")


class KBEntry(Base):
    """One question the desk answers: an FAQ entry, or a built-in conversational intent."""

    __tablename__ = "kb_entries"

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), default="faq")
    topic: Mapped[str] = mapped_column(String(40), index=True)
    tags: Mapped[list[str]] = mapped_column(JsonType, default=list)
    question_zh: Mapped[str] = mapped_column(Text)
    question_en: Mapped[str] = mapped_column(Text)
    answer_zh: Mapped[str] = mapped_column(Text)
    answer_en: Mapped[str] = mapped_column(Text)
    paraphrases: Mapped[dict[str, list[str]]] = mapped_column(JsonType, default=dict)
    action: Mapped[str | None] = mapped_column(String(80), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="published")
    # Edits saved but not published yet; the bot answers from the columns above meanwhile.
    draft: Mapped[dict[str, Any] | None] = mapped_column(JsonType, nullable=True, default=None)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class KBEntryVersion(Base):
    """One saved state of an entry's editable fields: who wrote it, when, and why."""

    __tablename__ = "kb_entry_versions"
    __table_args__ = (UniqueConstraint("entry_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    entry_id: Mapped[str] = mapped_column(ForeignKey("kb_entries.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    content: Mapped[dict[str, Any]] = mapped_column(JsonType)
    # No foreign key to agents: the history keeps the editor's name even after the account goes.
    agent_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    username: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    note: Mapped[str] = mapped_column(Text, default="")


class KBInboxMark(Base):
    """What staff did with an unanswered customer message: added it to an entry, made a new
    entry of it, or dismissed it. A marked message leaves the inbox for good."""

    __tablename__ = "kb_inbox_marks"

    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True)
    action: Mapped[str] = mapped_column(String(16))  # added | new | dismissed
    entry_id: Mapped[str | None] = mapped_column(ForeignKey("kb_entries.id", ondelete="SET NULL"), nullable=True)
    username: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


@dataclass(frozen=True)
class Entry:
    """A plain, immutable copy of an entry: what NLU and policy work with."""

    id: str
    kind: str
    topic: str
    question: dict[str, str]
    answer: dict[str, str]
    paraphrases: dict[str, list[str]]
    tags: list[str] = field(default_factory=list)
    action: str | None = None

    def examples(self) -> list[str]:
        """Every phrasing the matcher learns this entry from."""
        texts = [self.question.get("zh", ""), self.question.get("en", "")]
        for lang in ("zh", "en"):
            texts.extend(self.paraphrases.get(lang, []))
        return [t for t in dict.fromkeys(str(t) for t in texts) if t.strip()]

    @classmethod
    def from_row(cls, row: KBEntry) -> Entry:
        return cls(
            id=row.id,
            kind=row.kind,
            topic=row.topic,
            question={"zh": row.question_zh, "en": row.question_en},
            answer={"zh": row.answer_zh, "en": row.answer_en},
            paraphrases={k: list(v) for k, v in (row.paraphrases or {}).items()},
            tags=list(row.tags or []),
            action=row.action,
        )

    @classmethod
    def from_data(cls, data: dict[str, Any], kind: str) -> Entry:
        return cls(
            id=str(data["id"]),
            kind=kind,
            topic=str(data["topic"]),
            question={k: str(v) for k, v in data["question"].items()},
            answer={k: str(v) for k, v in data["answer"].items()},
            paraphrases={k: [str(p) for p in v] for k, v in data.get("paraphrases", {}).items()},
            tags=[str(t) for t in data.get("tags", [])],
            action=data.get("action"),
        )
