"""The few SQL expressions SQLite and PostgreSQL spell differently, written once for both.

Days are the merchant's: China time (Asia/Shanghai, UTC+8 all year, no daylight saving since
1991), so SQLite's fixed '+8 hours' and PostgreSQL's time zone give the same day. Timestamps are
stored as UTC (core.sqltypes.UtcDateTime): on SQLite as 'YYYY-MM-DD HH:MM:SS.ffffff' text, which
sorts as time does; a moment computed here is written the same way so the two compare.
"""

from __future__ import annotations

from datetime import time
from typing import Any, TypeAlias

from sqlalchemy import Float, Integer, Select, String, literal_column
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from core.sqltypes import UtcDateTime

TIME_ZONE = "Asia/Shanghai"
Rows: TypeAlias = Select[*tuple[Any, ...]]  # a query, whatever its columns

_SQLITE_MOMENT = "strftime('%Y-%m-%d %H:%M:%f', {}) || '000'"  # as SQLAlchemy writes a DateTime


class local_day(FunctionElement[str]):
    """The China-time calendar day of a UTC timestamp, as 'YYYY-MM-DD'."""

    type = String()
    inherit_cache = True
    name = "local_day"


@compiles(local_day, "postgresql")
def _local_day_pg(element: local_day, compiler: Any, **kw: Any) -> str:
    return f"to_char(({compiler.process(element.clauses, **kw)}) AT TIME ZONE '{TIME_ZONE}', 'YYYY-MM-DD')"


@compiles(local_day, "sqlite")
def _local_day_sqlite(element: local_day, compiler: Any, **kw: Any) -> str:
    return f"date({compiler.process(element.clauses, **kw)}, '+8 hours')"


class seconds_between(FunctionElement[float]):
    """`later` minus `earlier`, in seconds."""

    type = Float()
    inherit_cache = True
    name = "seconds_between"


@compiles(seconds_between, "postgresql")
def _seconds_pg(element: seconds_between, compiler: Any, **kw: Any) -> str:
    later, earlier = (compiler.process(c, **kw) for c in element.clauses)
    return f"EXTRACT(EPOCH FROM ({later}) - ({earlier}))"


@compiles(seconds_between, "sqlite")
def _seconds_sqlite(element: seconds_between, compiler: Any, **kw: Any) -> str:
    later, earlier = (compiler.process(c, **kw) for c in element.clauses)
    return f"((julianday({later}) - julianday({earlier})) * 86400.0)"


class shifted(FunctionElement[Any]):
    """A timestamp moved by a whole number of seconds (negative: earlier); compares with columns."""

    type = UtcDateTime()
    inherit_cache = True
    name = "shifted"

    def __init__(self, moment: Any, seconds: int) -> None:
        super().__init__(moment, literal_column(str(int(seconds)), Integer()))


@compiles(shifted, "postgresql")
def _shifted_pg(element: shifted, compiler: Any, **kw: Any) -> str:
    moment, seconds = (compiler.process(c, **kw) for c in element.clauses)
    return f"(({moment}) + make_interval(secs => {seconds}))"


@compiles(shifted, "sqlite")
def _shifted_sqlite(element: shifted, compiler: Any, **kw: Any) -> str:
    moment, seconds = (compiler.process(c, **kw) for c in element.clauses)
    return _SQLITE_MOMENT.format(f"{moment}, ({seconds}) || ' seconds'")


class desk_opening(FunctionElement[Any]):
    """When the desk could first answer a handoff made at `moment`: that moment in business
    hours; else the next opening (China time), as handoff.desk.next_opening gives it."""

    type = UtcDateTime()
    inherit_cache = True
    name = "desk_opening"

    def __init__(self, moment: Any, opens: time, closes: time) -> None:
        super().__init__(
            moment,
            literal_column(f"'{opens.strftime('%H:%M:%S')}'", String()),
            literal_column(f"'{closes.strftime('%H:%M:%S')}'", String()),
        )


@compiles(desk_opening, "postgresql")
def _opening_pg(element: desk_opening, compiler: Any, **kw: Any) -> str:
    moment, opens, closes = (compiler.process(c, **kw) for c in element.clauses)
    local = f"(({moment}) AT TIME ZONE '{TIME_ZONE}')"
    return (
        f"(CASE WHEN {local}::time < ({opens})::time "
        f"THEN ({local}::date + ({opens})::time) AT TIME ZONE '{TIME_ZONE}' "
        f"WHEN {local}::time >= ({closes})::time "
        f"THEN ({local}::date + 1 + ({opens})::time) AT TIME ZONE '{TIME_ZONE}' "
        f"ELSE ({moment}) END)"
    )


@compiles(desk_opening, "sqlite")
def _opening_sqlite(element: desk_opening, compiler: Any, **kw: Any) -> str:
    moment, opens, closes = (compiler.process(c, **kw) for c in element.clauses)
    local_time = f"time({moment}, '+8 hours')"
    local_date = f"date({moment}, '+8 hours')"
    today = _SQLITE_MOMENT.format(f"{local_date} || ' ' || {opens}, '-8 hours'")
    tomorrow = _SQLITE_MOMENT.format(f"{local_date} || ' ' || {opens}, '-8 hours', '+1 day'")
    return f"(CASE WHEN {local_time} < {opens} THEN {today} WHEN {local_time} >= {closes} THEN {tomorrow} ELSE {moment} END)"
