"""The human desk as one object for the app and the staff API: a thin composition of its parts.

Opening tickets (handoff/tickets.py), agents' operations (handoff/operations.py), what an agent
may see (handoff/visibility.py) and the sweep (handoff/sweep.py) share one `DeskState`; the
clock, rules and holiday check set here are theirs too.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from core.db import utcnow
from handoff import seats, visibility
from handoff.desk import Desk
from handoff.operations import Operations
from handoff.queue import TicketQueue
from handoff.state import DeskState
from handoff.sweep import Sweeper
from handoff.tickets import Tickets


class HelpDesk:
    """The desk's parts, wired over one shared state, and the operations callers use."""

    def __init__(
        self,
        queue: TicketQueue,
        desk: Desk,
        entry_questions: dict[str, str] | None = None,
        now: Callable[[], datetime] = utcnow,
        is_holiday: Callable[[date], bool] = lambda _: False,
    ) -> None:
        self.state = DeskState(queue, desk, entry_questions or {}, now, is_holiday)
        self.operations = Operations(self.state)
        self.tickets = Tickets(self.state, self.operations)
        self.sweeper = Sweeper(self.state)
        # opening tickets (the bot's port, handoff/escalation.py)
        self.open_ticket = self.tickets.open
        self.upset_while_waiting = self.tickets.upset_while_waiting
        self.subject_while_waiting = self.tickets.subject_while_waiting
        # an agent's work (the staff API)
        self.claim = self.operations.claim
        self.reply = self.operations.reply
        self.note = self.operations.note
        self.transfer = self.operations.transfer
        self.resolve = self.operations.resolve
        self.hand_back = self.operations.hand_back
        self.load = visibility.load
        self.load_for = visibility.load_for
        self.visible_conversations = visibility.visible_conversations
        self.open_chats = seats.open_chats
        # housekeeping (the app's sweeper, start-up)
        self.sweep = self.sweeper.sweep
        self.reconcile = self.sweeper.reconcile

    # The shared state, read and set through the desk (a demo or a test moves the clock here).

    @property
    def queue(self) -> TicketQueue:
        return self.state.queue

    @property
    def desk(self) -> Desk:
        """The desk's rules (handoff/desk.yaml)."""
        return self.state.rules

    @desk.setter
    def desk(self, rules: Desk) -> None:
        self.state.rules = rules

    @property
    def now(self) -> Callable[[], datetime]:
        return self.state.now

    @now.setter
    def now(self, clock: Callable[[], datetime]) -> None:
        self.state.now = clock

    @property
    def is_holiday(self) -> Callable[[date], bool]:
        return self.state.is_holiday

    @is_holiday.setter
    def is_holiday(self, check: Callable[[date], bool]) -> None:
        self.state.is_holiday = check
