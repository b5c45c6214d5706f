"""Business days over mainland China's calendar: weekends, statutory holidays, 调休 make-up days."""

from __future__ import annotations

from datetime import date

from merchant.business_days import BusinessCalendar, china_holidays

CALENDAR = BusinessCalendar.from_rows(china_holidays([2026]))


def test_plain_weeks_skip_the_weekend() -> None:
    assert CALENDAR.add_business_days(date(2026, 11, 20), 3) == date(2026, 11, 25)  # Fri + 3 = Wed


def test_national_day_pushes_t_plus_3_and_the_make_up_saturday_counts() -> None:
    # Signed Tue 9/29: 9/30 is a business day, 10/1–10/7 are off, Sat 10/10 is worked in exchange.
    assert CALENDAR.add_business_days(date(2026, 9, 29), 3) == date(2026, 10, 9)
    assert CALENDAR.is_business_day(date(2026, 10, 10))
    assert not CALENDAR.is_business_day(date(2026, 10, 5))


def test_holidays_between_names_them_in_both_languages() -> None:
    names = {c.name_zh for c in CALENDAR.holidays_between(date(2026, 9, 29), date(2026, 10, 9))}
    assert "国庆节" in names
    assert all(c.name_en for c in CALENDAR.holidays_between(date(2026, 9, 29), date(2026, 10, 9)))


def test_next_business_day_and_counting() -> None:
    assert CALENDAR.next_business_day(date(2026, 10, 3)) == date(2026, 10, 8)
    assert CALENDAR.business_days_between(date(2026, 11, 20), date(2026, 11, 25)) == 3


def test_an_empty_calendar_knows_only_weekends() -> None:
    assert BusinessCalendar().add_business_days(date(2026, 9, 29), 3) == date(2026, 10, 2)
