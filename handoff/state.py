"""What every part of the desk shares: the Redis queue, the rules, the clock, the holiday check
and the bot's entry questions.

One object owns them so that opening tickets, agents' work and the sweep see the same clock and
rules (a test or a demo that moves the clock moves it for all of them).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from core.db import utcnow
from handoff.desk import DESK_TZ, Desk, is_open
from handoff.queue import TicketQueue


def _no_holidays(_: date) -> bool:
    return False


@dataclass
class DeskState:
    """The desk's shared parts; set a field here and every part of the desk sees the change."""

    queue: TicketQueue
    rules: Desk
    entry_questions: dict[str, str] = field(default_factory=dict)
    now: Callable[[], datetime] = utcnow
    is_holiday: Callable[[date], bool] = _no_holidays

    def open_at(self, moment: datetime) -> bool:
        """Are people at their desks at `moment` (hours, and holidays if the desk closes on them)?"""
        return is_open(self.rules, moment, public_holiday=self.is_holiday(moment.astimezone(DESK_TZ).date()))
