"""Writing the demo data: chunks of rows into the merchant tables, and the checks around it.

PostgreSQL (psycopg) gets COPY; other databases executemany. Ids are set by the generator, so
on PostgreSQL the id sequences are moved past them afterwards.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, text
from sqlalchemy.exc import DBAPIError

import merchant.models  # noqa: F401  (registers the merchant tables)
from core.db import Base
from merchant.demo.rows import COLUMNS, JSON_COLUMNS, Rows


class ChunkWriter:
    """Writes chunks of rows: COPY on PostgreSQL (psycopg), executemany of plain dicts elsewhere."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.copy = conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg"
        self.counts = dict.fromkeys(COLUMNS, 0)

    def write(self, tables: Rows) -> None:
        for name, rows in tables.items():
            if not rows:
                continue
            self.counts[name] += len(rows)
            if self.copy:
                self._copy(name, rows)
            else:
                columns = COLUMNS[name]
                self.conn.execute(
                    insert(Base.metadata.tables[name]), [dict(zip(columns, r, strict=True)) for r in rows]
                )

    def _copy(self, name: str, rows: list[tuple[Any, ...]]) -> None:
        at_json = JSON_COLUMNS.get(name)
        if at_json is not None:  # COPY takes JSON as text
            rows = [(*r[:at_json], json.dumps(r[at_json], ensure_ascii=False), *r[at_json + 1 :]) for r in rows]
        cursor = self.conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        with cursor, cursor.copy(f"COPY {name} ({', '.join(COLUMNS[name])}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


def held_rows(conn: Connection) -> dict[str, int]:
    """How many customers, products and orders the database holds already."""
    return {
        name: conn.scalar(select(func.count()).select_from(Base.metadata.tables[name])) or 0
        for name in ("customers", "products", "orders")
    }


def clear_merchant_tables(conn: Connection) -> None:
    """Empty the merchant tables (conversations, messages, the knowledge base and holidays stay)."""
    names = tuple(reversed(COLUMNS))  # children first
    if conn.dialect.name == "postgresql":
        try:
            with conn.begin_nested():
                conn.execute(text(f"TRUNCATE {', '.join(names)}"))
            return
        except DBAPIError:  # another table refers to these: delete row by row instead
            pass
    for name in names:
        conn.execute(delete(Base.metadata.tables[name]))


def first_ids(conn: Connection) -> dict[str, int]:
    return {name: (conn.scalar(select(func.max(Base.metadata.tables[name].c.id))) or 0) + 1 for name in COLUMNS}


def advance_sequences(conn: Connection, next_ids: dict[str, int]) -> None:
    """PostgreSQL's id sequences know nothing of the ids set here: move them past the last one."""
    for name, next_id in next_ids.items():
        if next_id > 1:
            conn.execute(text("SELECT setval(pg_get_serial_sequence(:t, 'id'), :v)"), {"t": name, "v": next_id - 1})
