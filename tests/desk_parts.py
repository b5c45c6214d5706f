"""What the desk's unit tests build on: a migrated SQLite, in-process Redis and a Monday 10:00 clock."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from core.db import Database
from core.runtime import Runtime
from handoff.desk import load_desk
from handoff.queue import TicketQueue
from handoff.state import DeskState

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY_10AM = datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)


@contextmanager
def desk_database(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'desk.db'}")
    database.migrate()
    yield database
    database.engine.dispose()


@contextmanager
def desk_state() -> Iterator[DeskState]:
    """The desk's rules over an in-process queue, its clock stopped at Monday 10:00."""
    runtime = Runtime(None)
    rules = load_desk()
    yield DeskState(TicketQueue(runtime.sync, rules), rules, now=lambda: MONDAY_10AM)
    runtime.close()
