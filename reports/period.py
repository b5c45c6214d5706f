"""What a report covers: a run of the merchant's days (China time), and whose work (queue, agent).

A day runs from 00:00 to 24:00 in Asia/Shanghai; the period is both ends inclusive.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from core.errors import Unprocessable

ZONE = ZoneInfo("Asia/Shanghai")
MAX_DAYS = 366
EARLIEST, LATEST = date(2000, 1, 1), date(2999, 12, 31)  # past them, day arithmetic leaves the calendar


class BadPeriod(Unprocessable):
    """A period or filter that cannot be reported on; names the field at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field

    def details(self) -> dict[str, Any]:
        return {"field": self.field}


def day_start(day: date) -> datetime:
    """The UTC moment `day` begins in China time."""
    return datetime.combine(day, time(0), ZONE).astimezone(UTC)


def day_of(moment: datetime) -> date:
    """The China-time day of a moment."""
    return moment.astimezone(ZONE).date()


@dataclass(frozen=True)
class Period:
    """Days `first` to `last` (inclusive); `queue` and `agent_id` narrow the people's figures."""

    first: date
    last: date
    queue: str | None = None
    agent_id: int | None = None

    @classmethod
    def checked(
        cls, first: date, last: date, queue: str | None = None, agent_id: int | None = None, queues: Any = None
    ) -> Period:
        """A period as asked, or BadPeriod naming the field: `to` before `from`, more than
        MAX_DAYS days, or a queue the desk does not have (`queues`: the desk's names)."""
        for field, day in (("from", first), ("to", last)):
            if not EARLIEST <= day <= LATEST:
                raise BadPeriod(field, f"{day} is outside the years the desk can have records of")
        if last < first:
            raise BadPeriod("to", f"'to' ({last}) is before 'from' ({first})")
        if (last - first).days + 1 > MAX_DAYS:
            raise BadPeriod("to", f"a report covers at most {MAX_DAYS} days; {first} to {last} is more")
        if queue is not None and queues is not None and queue not in queues:
            raise BadPeriod("queue", f"unknown queue {queue!r}; queues: {', '.join(queues)}")
        return cls(first, last, queue, agent_id)

    @property
    def start(self) -> datetime:
        return day_start(self.first)

    @property
    def end(self) -> datetime:
        """The moment after the period (exclusive)."""
        return day_start(self.last + timedelta(days=1))

    def days(self) -> Iterator[date]:
        day = self.first
        while day <= self.last:
            yield day
            day += timedelta(days=1)

    def of(self, first: date, last: date) -> Period:
        """The same filters over other days."""
        return Period(first, last, self.queue, self.agent_id)
