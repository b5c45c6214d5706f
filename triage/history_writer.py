"""Writing the generated history: rows held until the day they happen has been generated, then
written in bulk in the order they happened, so ids follow time as the product's own do.

SQLite gets its driver's executemany with the values as SQLAlchemy would store them (UTC times
as text, JSON as text); PostgreSQL (psycopg) gets COPY; any other database SQLAlchemy's
executemany. Ticket ids are given here, in the tickets' creation order; the events, ratings
and survey buttons that name a ticket get its id as they are written.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import JSON, Boolean, Connection, func, insert, select

from bot.store import Message
from core.db import Base, UtcDateTime
from handoff.models import Ticket
from merchant.demo.writer import advance_sequences
from triage.history_story import AT, MESSAGE_COLUMNS, CsatButtons, Ref, Story

COLUMNS: dict[str, tuple[str, ...]] = {  # in the order they are written: parents first
    "conversations": ("id", "sender_id", "channel", "language", "state", "fallback_count", "slots", "handoff_reason",
                      "handoff_at", "metadata", "created_at", "updated_at"),
    "tickets": ("id", "conversation_id", "status", "reason", "queue", "priority", "created_at", "first_response_due",
                "overflow_at", "agent_id", "assigned_at", "first_response_at", "sla_breached", "closed_at", "summary",
                "context", "labels", "offered_to", "csat"),
    "ticket_events": ("ticket_id", "kind", "agent_id", "data", "at"),
    "ratings": ("conversation_id", "ticket_id", "agent_id", "queue", "score", "at"),
    "messages": ("id", *MESSAGE_COLUMNS),
}  # fmt: skip
_WHEN = {"conversations": 10, "tickets": 6, "ticket_events": 4, "ratings": 5, "messages": AT + 1}
_TICKET_REFS = {"ticket_events": 0, "ratings": 1}
_EPOCH = datetime(1970, 1, 1)
Rows = dict[str, list[tuple[Any, ...]]]


class Pending:
    """Rows generated but not written yet: a story runs ahead of the day being generated (a
    ticket closed the next morning, a customer back two days later)."""

    def __init__(self) -> None:
        self.rows: Rows = {name: [] for name in COLUMNS}

    def add(self, story: Story, mark: dict[str, Any]) -> None:
        rows = self.rows
        rows["conversations"].append(
            (story.conversation_id, story.sender_id, story.channel, story.lang, story.state, story.fallback_count,
             story.slots, story.handoff_reason, story.handoff_at, {**story.meta, **mark}, story.created_at,
             story.updated_at)
        )  # fmt: skip
        rows["tickets"].extend((*(t[c] for c in COLUMNS["tickets"][1:]), t["ref"]) for t in story.tickets)
        rows["ticket_events"].extend(story.events)
        rows["ratings"].extend((story.conversation_id, *r) for r in story.ratings)
        rows["messages"].extend(story.messages)

    def take(self, before: float) -> Rows:
        """The rows of what happened before `before`, oldest first; the rest wait."""
        taken: Rows = {}
        for name, rows in self.rows.items():
            at = _WHEN[name] - 1 if name in ("tickets", "messages") else _WHEN[name]  # held without their ids
            now = [r for r in rows if r[at] < before]
            self.rows[name] = [r for r in rows if r[at] >= before] if len(now) < len(rows) else []
            now.sort(key=lambda r: r[at])
            taken[name] = now
        return taken


class Writer:
    """Writes batches of rows on one connection, within its transaction."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        dialect = conn.dialect
        self.mode = "sqlite" if dialect.name == "sqlite" else "copy" if dialect.driver == "psycopg" else "sqlalchemy"
        self.next_id = {
            "tickets": int(conn.scalar(select(func.max(Ticket.id))) or 0) + 1,
            "messages": int(conn.scalar(select(func.max(Message.id))) or 0) + 1,
        }
        self.counts = dict.fromkeys(COLUMNS, 0)
        self._row = {name: self._row_maker(name) for name in COLUMNS}

    def write(self, batch: Rows) -> None:
        for name in ("tickets", "messages"):  # held as their columns and a Ref: ids in the order written
            first = self.next_id[name]
            rows = batch[name]
            for n, row in enumerate(rows, start=first):
                if row[-1] is not None:
                    row[-1].id = n
            batch[name] = [(n, *r[:-1]) for n, r in enumerate(rows, start=first)]
            self.next_id[name] = first + len(rows)
        for name in COLUMNS:
            rows = batch[name]
            if not rows:
                continue
            self.counts[name] += len(rows)
            self._insert(name, list(map(self._row[name], rows)))

    def finish(self) -> None:
        """PostgreSQL's id sequences know nothing of the ids given here: move them past."""
        if self.conn.dialect.name == "postgresql":
            advance_sequences(self.conn, self.next_id)

    def _insert(self, name: str, rows: list[list[Any]]) -> None:
        columns = COLUMNS[name]
        if self.mode == "sqlite":
            sql = f"INSERT INTO {name} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
            self.conn.connection.driver_connection.executemany(sql, rows)  # type: ignore[union-attr]
        elif self.mode == "copy":
            cursor = self.conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
            with cursor, cursor.copy(f"COPY {name} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            self.conn.execute(insert(Base.metadata.tables[name]), [dict(zip(columns, r, strict=True)) for r in rows])

    def _row_maker(self, name: str) -> Callable[[tuple[Any, ...]], list[Any]]:
        """A function from a held row to the values the driver takes: times, JSON, flags and
        ticket refs converted, the rest as they are."""
        table = Base.metadata.tables[name]
        convert: list[tuple[int, Callable[[Any], Any]]] = []
        for i, column in enumerate(COLUMNS[name]):
            kind = table.c[column].type
            if _TICKET_REFS.get(name) == i:
                convert.append((i, _ticket_id))
            elif isinstance(kind, UtcDateTime):
                convert.append((i, _sqlite_time if self.mode == "sqlite" else _aware))
            elif isinstance(kind, JSON):
                convert.append((i, _json_text if self.mode != "sqlalchemy" else _json_value))
            elif isinstance(kind, Boolean) and self.mode == "sqlite":
                convert.append((i, int))

        def row(held: tuple[Any, ...]) -> list[Any]:
            values = list(held)
            for i, change in convert:
                values[i] = change(values[i])
            return values

        return row


def _ticket_id(ref: Ref | None) -> int | None:
    return ref.id if ref is not None else None


def _sqlite_time(t: float | None) -> str | None:
    """UTC as SQLAlchemy keeps it in SQLite (`UtcDateTime`): 2026-11-23 02:00:00.000000."""
    return None if t is None else (_EPOCH + timedelta(seconds=t)).isoformat(" ", "microseconds")


def _aware(t: float | None) -> datetime | None:
    return None if t is None else datetime.fromtimestamp(t, UTC)


def _resolved(value: Any) -> Any:
    """What a value known only at writing is: a ticket's or message's id, the survey's buttons."""
    if isinstance(value, Ref):
        return value.id
    if isinstance(value, CsatButtons):
        return value.value()
    raise TypeError(f"{type(value).__name__} is not JSON")


_ENCODER = json.JSONEncoder(default=_resolved)  # json.dumps's defaults, made once


def _json_text(value: Any) -> str | None:
    """JSON as SQLAlchemy serialises it (json.dumps), NULL for None (`JsonType` none_as_null)."""
    return None if value is None else _ENCODER.encode(value)


def _json_value(value: Any) -> Any:
    return None if value is None else json.loads(json.dumps(value, default=_resolved))
