"""Business-day arithmetic over the holiday calendar (statutory holidays and 调休 make-up days).

The calendar itself is data: the `holidays` table, seeded from the `holidays` package's
mainland-China calendar and editable by the merchant. The arithmetic is pure.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

import holidays as holiday_data
from sqlalchemy import select
from sqlalchemy.orm import Session

from merchant.models import Holiday


@dataclass(frozen=True)
class Closure:
    day: date
    name_zh: str
    name_en: str


@dataclass(frozen=True)
class BusinessCalendar:
    """Weekdays are business days, except holidays; weekend days listed as make-up workdays count."""

    closures: dict[date, Closure] = field(default_factory=dict)
    workdays: frozenset[date] = frozenset()

    def is_business_day(self, day: date) -> bool:
        if day in self.workdays:
            return True
        return day.weekday() < 5 and day not in self.closures

    def add_business_days(self, start: date, n: int) -> date:
        """The n-th business day after `start` (T+n; `start` itself never counts)."""
        day = start
        while n > 0:
            day += timedelta(days=1)
            if self.is_business_day(day):
                n -= 1
        return day

    def next_business_day(self, day: date) -> date:
        """`day` if it is a business day, otherwise the first one after it."""
        while not self.is_business_day(day):
            day += timedelta(days=1)
        return day

    def holidays_between(self, start: date, end: date) -> list[Closure]:
        """Statutory holidays strictly after `start` up to and including `end`, in order."""
        return [self.closures[d] for d in sorted(self.closures) if start < d <= end]

    def business_days_between(self, start: date, end: date) -> int:
        """How many business days lie strictly after `start` up to and including `end`."""
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            count += self.is_business_day(day)
        return count

    @classmethod
    def from_rows(cls, rows: Iterable[Holiday]) -> BusinessCalendar:
        closures, workdays = {}, set()
        for row in rows:
            if row.kind == "workday":
                workdays.add(row.day)
            else:
                closures[row.day] = Closure(row.day, row.name_zh, row.name_en)
        return cls(closures, frozenset(workdays))


def load_calendar(session: Session) -> BusinessCalendar:
    return BusinessCalendar.from_rows(session.scalars(select(Holiday)))


def china_holidays(years: Iterable[int]) -> list[Holiday]:
    """Mainland China's statutory holidays and make-up workdays for `years`, in both languages."""
    years = list(years)
    zh = holiday_data.country_holidays("CN", years=years, language="zh_CN")
    en = holiday_data.country_holidays("CN", years=years, language="en_US")
    rows = [Holiday(day=day, kind="holiday", name_zh=zh[day], name_en=en[day]) for day in sorted(zh)]
    for day in sorted(getattr(zh, "weekend_workdays", ())):
        if day.year in years:
            rows.append(Holiday(day=day, kind="workday", name_zh="调休上班", name_en="Make-up working day"))
    return rows


def seed_holidays(session: Session, years: Iterable[int]) -> int:
    """Add the statutory calendar for `years` where the merchant has not set those days already."""
    known = set(session.scalars(select(Holiday.day)))
    added = [row for row in china_holidays(years) if row.day not in known]
    session.add_all(added)
    return len(added)
