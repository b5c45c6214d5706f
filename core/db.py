"""The system of record: one SQLAlchemy engine, SQLite embedded or PostgreSQL in production."""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, MetaData, create_engine, event, text
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

# Column types (in core.sqltypes, which the migrations use too), for the models' imports.
from core.sqltypes import JsonType as JsonType
from core.sqltypes import UtcDateTime as UtcDateTime

_NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


_STARTUP_LOCK = 0x7472696167  # "triag": one advisory-lock key for start-up work


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=_NAMING)


def utcnow() -> datetime:
    return datetime.now(UTC)


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite gets WAL and a busy timeout so threads don't trip over locks."""
    if url.startswith("sqlite"):
        path = url.partition("///")[2].partition("?")[0]  # sqlite:// alone is in memory too
        if path and path != ":memory:":
            _owner_only(Path(path))
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    engine = create_engine(url, pool_size=10, max_overflow=20)
    _ping_after_idle(engine)
    return engine


def _owner_only(path: Path) -> None:
    """The embedded database holds conversations and staff accounts: only its owner may read it
    (SQLite gives the WAL and its index the database's mode), nor list a directory made for it."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.close(os.open(path, os.O_RDONLY | os.O_CREAT, 0o600))
    os.chmod(path, 0o600)  # a database made before this was world-readable


# A pooled connection idle longer than this is tested before use; one used a moment ago is
# not: under load that test was a round trip on every turn (about 8% of a turn's time).
PING_AFTER_IDLE_SECONDS = 1.0


def _ping_after_idle(engine: Engine) -> None:
    """SQLAlchemy's pre-ping, only for connections that sat idle: a database restarted while
    they waited is found before a statement runs, and the pool connects again (raising
    DisconnectionError from `checkout` makes it retry with a fresh connection). A restart
    under load fails the statements in flight instead; SQLAlchemy then invalidates the whole
    pool, so the requests after them get fresh connections."""

    @event.listens_for(engine, "checkin")
    def _idle_from(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
            return  # just connected, or just used
        try:
            engine.dialect.do_ping(dbapi_connection)  # what pool_pre_ping runs
        except Exception as exc:  # any failure: the connection is not to be trusted
            raise DisconnectionError(f"pooled connection failed its ping: {exc}") from exc


class Database:
    """Engine plus session factory; `with db.session() as s:` commits or rolls back."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        # SQLite has one writer at a time, and a transaction that reads and then writes must
        # upgrade its lock: threads doing that at once wait on each other until the busy
        # timeout (under load every message did). The embedded product is one process, so its
        # sessions take turns here instead. Re-entrant: a lookup made inside a turn's session
        # (the holiday calendar, say) opens a second session on the same thread.
        self._turns: threading.RLock | contextlib.nullcontext[None] = (
            threading.RLock() if self.engine.dialect.name == "sqlite" else contextlib.nullcontext()
        )

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._turns:
            session = self._sessions()
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise
            finally:
                session.close()

    @contextmanager
    def startup_lock(self) -> Iterator[None]:
        """Serialise start-up work (migrations, seeding) across instances starting together."""
        if self.engine.dialect.name != "postgresql":
            yield  # SQLite is embedded: one process
            return
        with self.engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _STARTUP_LOCK})
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _STARTUP_LOCK})
                conn.commit()

    def migrate(self) -> None:
        """Bring the schema to the newest Alembic revision."""
        from core.migrations import upgrade

        upgrade(self.engine)
