"""The desk's periodic housekeeping: open the after-hours tickets when the desk opens, overflow
long waits to general, record missed first responses, and make Redis's queues match SQL.

One instance runs it every few seconds (triage/app.py, under a Redis lock).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.escalation import Notice
from core import metrics
from handoff.desk import GENERAL, first_response_due
from handoff.events import desk_event
from handoff.models import ASSIGNED, OFFLINE, QUEUED, Ticket, TicketEvent
from handoff.queue import OFFLINE as OFFLINE_QUEUE
from handoff.state import DeskState


class Sweeper:
    """Sweeps the desk of `state`; remembers, between sweeps, the ids Redis held that SQL did not know."""

    def __init__(self, state: DeskState) -> None:
        self.state = state
        self._suspects: set[int] = set()  # ids in Redis that SQL did not know at the last sweep

    def sweep(self, session: Session, now: datetime | None = None) -> list[Notice]:
        """Overflow long waits to general, record missed first responses, repair Redis."""
        now = now or self.state.now()
        notices = self._open_after_hours(session, now) + self._overflow(session, now) + self._late(session, now)
        self.reconcile(session)
        for queue in self.state.rules.queues:
            metrics.QUEUE_LENGTH.labels(queue).set(self.state.queue.length(queue))
        return notices

    def _open_after_hours(self, session: Session, now: datetime) -> list[Notice]:
        """Once the desk is open, the messages left after hours wait in their queues, due from now."""
        if not self.state.open_at(now):
            return []
        notices = []
        for t in session.scalars(select(Ticket).where(Ticket.status == OFFLINE)).all():
            t.status = QUEUED
            t.first_response_due = first_response_due(self.state.rules, t.queue, now)
            self.state.queue.move(t.id, t.queue, t.priority, t.created_at)
            session.add(TicketEvent(ticket_id=t.id, kind="queued", data={"after_hours": True}))
            notices.append(Notice(desk_event=desk_event(session, t, "ticket_queued")))
        return notices

    def _overflow(self, session: Session, now: datetime) -> list[Notice]:
        """A ticket that waited too long in a specialist queue moves to general (everyone serves it)."""
        overdue = select(Ticket).where(
            Ticket.status == QUEUED, Ticket.overflow_at.is_not(None), Ticket.overflow_at <= now, Ticket.queue != GENERAL
        )
        notices = []
        for t in session.scalars(overdue).all():
            session.add(TicketEvent(ticket_id=t.id, kind="overflow", data={"from": t.queue}))
            t.labels = [*(t.labels or []), f"from_{t.queue}"]
            t.queue, t.overflow_at = GENERAL, None
            self.state.queue.move(t.id, GENERAL, t.priority, t.created_at)
            notices.append(Notice(desk_event=desk_event(session, t, "ticket_overflow")))
        return notices

    def _late(self, session: Session, now: datetime) -> list[Notice]:
        """Record, once per ticket, a first response not given by its due time."""
        late = session.scalars(
            select(Ticket).where(
                Ticket.status.in_((QUEUED, ASSIGNED)),
                Ticket.first_response_at.is_(None),
                Ticket.sla_breached.is_(False),
                Ticket.first_response_due < now,
            )
        ).all()
        notices = []
        for t in late:
            t.sla_breached = True
            session.add(
                TicketEvent(ticket_id=t.id, kind="sla_breached", data={"due": t.first_response_due.isoformat()})
            )
            notices.append(Notice(desk_event=desk_event(session, t, "sla_breached")))
            metrics.SLA_BREACHES.inc()
        return notices

    def reconcile(self, session: Session) -> int:
        """Make Redis hold what SQL says is waiting (after a flush, a crash, a lost push).

        A flushed Redis is rebuilt whole. Otherwise only differences are mended: tickets SQL has
        waiting are added, tickets SQL has closed are dropped, and an id SQL has never heard of
        is dropped only if it is still unknown one sweep later (it may belong to a handoff whose
        transaction has not committed yet). Returns how many entries changed."""
        queue = self.state.queue
        rows = [
            (int(i), OFFLINE_QUEUE if status == OFFLINE else q, int(p), c)
            for i, q, p, c, status in session.execute(
                select(Ticket.id, Ticket.queue, Ticket.priority, Ticket.created_at, Ticket.status).where(
                    Ticket.status.in_((QUEUED, OFFLINE))
                )
            )
        ]
        if not queue.is_built():
            self._suspects = set()
            return queue.rebuild(rows)
        have = {t: q for q, t in queue.waiting([*self.state.rules.queues, OFFLINE_QUEUE])}
        changed = 0
        for ticket_id, queue_name, priority, created_at in rows:
            if have.get(ticket_id) != queue_name:
                queue.move(ticket_id, queue_name, priority, created_at)
                changed += 1
        waiting = {i for i, _, _, _ in rows}
        extra = [t for t in have if t not in waiting]
        found = session.execute(select(Ticket.id, Ticket.status).where(Ticket.id.in_(extra))).all() if extra else []
        status = {int(i): str(st) for i, st in found}
        suspects = self._suspects
        for ticket_id in extra:
            closed = status.get(ticket_id) not in (None, QUEUED, OFFLINE)
            if closed or (ticket_id not in status and ticket_id in suspects):
                queue.take(ticket_id)
                changed += 1
        self._suspects = {t for t in extra if t not in status and t not in suspects}
        return changed
