"""The people's figures as SQL: tickets, their waits and handling, resolutions, ratings.

**A ticket** (one handoff) counts on the China-time day of its handoff (`tickets.created_at`),
in the queue it is in now (one that overflowed to general after 2 minutes counts in general,
where it was answered) and for the agent who has it now (after a transfer, the one it went to).

- *Answered* (接通): a person picked it up (claimed, or was given it). *Answered in target*: its
  first reply came by the first-response due time the desk set (desk.yaml's minutes after the
  handoff; after hours, after the desk opens). *Answer rates* are over all handoffs.
- *Waits* are measured from when a person could first answer: the handoff in business hours, the
  desk's next opening for a message left after hours (desk.yaml's hours, as handoff.desk's
  next_opening gives it; a pickup before the opening, by a supervisor, waited 0). *Queue wait*: to the first pickup (its first `claimed` event once a transfer has
  moved `assigned_at`); *first response*: to the first reply. p50/p90 are nearest-rank
  percentiles to the whole second: the smallest value with at least 50% / 90% of the tickets'
  values at or below it.
- *SLA compliance*: answered in target among the tickets whose first reply has been given or is
  due (one still within its target is not judged yet).
- *Handle time*: from the first pickup to the close (resolved or handed back), averaged over the
  tickets closed.
- *Transfers*: transfer events on the period's tickets; with an agent, the ones that agent made.

**A resolution** counts on the China-time day of the resolve (`closed_at`), for the ticket's queue
and the agent who resolved it. *First-contact resolved* (首次解决): the customer did not come back
on the same issue within 72 hours of the resolve (72 hours to the second counts, 73 do not): no
new ticket on the conversation, and no customer message whose topic is the ticket's topic. A ticket's topic is the topic of the
customer's latest message before the handoff (within a day) that names a subject; failing one,
that of their latest message (human_request, complaint …). A transfer within the ticket is still
one contact: it does not stop the ticket being first-contact resolved. Resolutions are counted by
the resolve's day so that a day's figure is final 72 hours after it ends.

**A rating** counts on the day it was given: with a ticket it is the people's (for the rating's
agent and queue), without one the bot's. Low: 1 or 2 out of 5.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.orm import aliased
from sqlalchemy.sql import ColumnElement

from bot.store import Message
from handoff.desk import NOT_A_SUBJECT, Desk
from handoff.models import OPEN_STATES, RESOLVED, Rating, Ticket, TicketEvent
from reports.bot import RATING_TOPIC
from reports.sql import Rows, desk_opening, local_day, seconds_between, shifted

CAME_BACK_SECONDS = 72 * 3600
SUBJECT_LOOKBACK_SECONDS = 24 * 3600
CLOSED = ("resolved", "handed_back")
LOW_SCORE = 2


def ticket_topic(ticket: Any) -> ColumnElement[Any]:
    """The ticket's topic (see the module's docstring), for a ticket row of the enclosing query."""
    m = aliased(Message)
    return (
        select(m.topic)
        .where(
            m.conversation_id == ticket.conversation_id,
            m.direction == "in",
            m.topic.is_not(None),
            m.topic != RATING_TOPIC,
            m.created_at <= ticket.created_at,
            m.created_at >= shifted(ticket.created_at, -SUBJECT_LOOKBACK_SECONDS),
        )
        .order_by(case((m.topic.in_(NOT_A_SUBJECT), 1), else_=0), m.created_at.desc(), m.id.desc())
        .limit(1)
        .correlate(ticket)  # to the ticket however deep this sits (inside an EXISTS, say)
        .scalar_subquery()
    )


def ticket_facts(desk: Desk, start: datetime, end: datetime, now: datetime) -> Rows:
    """One row per ticket opened in [start, end) with what the people's figures count of it."""
    e = aliased(TicketEvent)
    transferred = (
        select(TicketEvent.ticket_id.label("tid"))
        .where(TicketEvent.kind == "transferred", TicketEvent.at >= start)
        .group_by(TicketEvent.ticket_id)
        .subquery("transferred")
    )
    first_claim = (
        select(func.min(e.at)).where(e.ticket_id == Ticket.id, e.kind == "claimed", e.at >= start).scalar_subquery()
    )
    # A transfer moves assigned_at: the first pickup is then the first claim (if the desk recorded one).
    pickup = case(
        (transferred.c.tid.is_not(None), func.coalesce(first_claim, Ticket.assigned_at)), else_=Ticket.assigned_at
    )
    ready = desk_opening(Ticket.created_at, desk.opens, desk.closes)
    closed = and_(Ticket.status.in_(CLOSED), Ticket.closed_at.is_not(None), Ticket.assigned_at.is_not(None))
    return (
        select(
            Ticket.id.label("ticket_id"),
            Ticket.conversation_id,
            Ticket.created_at.label("handed_at"),
            local_day(Ticket.created_at).label("day"),
            Ticket.queue,
            Ticket.agent_id,
            Ticket.reason,
            case((Ticket.assigned_at.is_not(None), 1), else_=0).label("answered"),
            case((Ticket.first_response_at <= Ticket.first_response_due, 1), else_=0).label("in_target"),
            case((or_(Ticket.first_response_at.is_not(None), Ticket.first_response_due <= now), 1), else_=0).label(
                "judged"
            ),
            _not_below_zero(seconds_between(pickup, ready)).label("wait"),
            _not_below_zero(seconds_between(Ticket.first_response_at, ready)).label("first_response"),
            case((closed, _not_below_zero(seconds_between(Ticket.closed_at, pickup)))).label("handle"),
        )
        .outerjoin(transferred, transferred.c.tid == Ticket.id)
        .where(Ticket.created_at >= start, Ticket.created_at < end)
    )


def _not_below_zero(seconds: ColumnElement[Any]) -> ColumnElement[Any]:
    return case((seconds < 0, 0.0), else_=seconds)


def ticket_cells(facts: Any) -> Rows:
    """The additive figures of `facts` (ticket_facts as a subquery) per (day, queue, agent,
    reason): every view sums the cells it needs."""
    f = facts
    return select(
        f.c.day,
        f.c.queue,
        f.c.agent_id,
        f.c.reason,
        func.count().label("handoffs"),
        func.sum(f.c.answered).label("answered"),
        func.sum(f.c.in_target).label("in_target"),
        func.sum(f.c.judged).label("judged"),
        func.sum(case((f.c.judged == 1, f.c.in_target), else_=0)).label("met"),
        func.count(f.c.handle).label("closed"),
        func.coalesce(func.sum(f.c.handle), 0.0).label("handle_total"),
    ).group_by(f.c.day, f.c.queue, f.c.agent_id, f.c.reason)


def histogram(facts: Any, value: str) -> Rows:
    """(day, queue, whole seconds, tickets) of `facts.c[value]` (wait, first_response): the
    percentiles are read off these (nearest_rank)."""
    f = facts
    seconds = func.round(f.c[value])
    return (
        select(f.c.day, f.c.queue, seconds, func.count())
        .where(f.c[value].is_not(None))
        .group_by(f.c.day, f.c.queue, seconds)
    )


def nearest_rank(counts: Mapping[int, int], share: float) -> int | None:
    """The smallest value with at least `share` of the values at or below it (None if none)."""
    total = sum(counts.values())
    if not total:
        return None
    seen = 0
    for value in sorted(counts):
        seen += counts[value]
        if seen >= share * total:
            return value
    return max(counts)


def open_days(start: datetime, end: datetime) -> Rows:
    """The days of [start, end) with a ticket still open: their tickets' figures can still move."""
    day = local_day(Ticket.created_at)
    return (
        select(day)
        .where(Ticket.status.in_(OPEN_STATES), Ticket.created_at >= start, Ticket.created_at < end)
        .group_by(day)
    )


def transfer_cells(start: datetime, end: datetime) -> Rows:
    """(day of the ticket's handoff, the ticket's queue, the agent who transferred, transfers)."""
    day = local_day(Ticket.created_at)
    return (
        select(day, Ticket.queue, TicketEvent.agent_id, func.count())
        .join(Ticket, Ticket.id == TicketEvent.ticket_id)
        .where(
            TicketEvent.kind == "transferred",
            TicketEvent.at >= start,
            Ticket.created_at >= start,
            Ticket.created_at < end,
        )
        .group_by(day, Ticket.queue, TicketEvent.agent_id)
    )


def resolutions(start: datetime, end: datetime) -> Rows:
    """One row per ticket resolved in [start, end): day of the resolve, queue, agent, fcr (1/0)."""
    later, m = aliased(Ticket), aliased(Message)
    came_back = or_(
        exists().where(
            later.conversation_id == Ticket.conversation_id,
            later.created_at > Ticket.closed_at,
            later.created_at <= shifted(Ticket.closed_at, CAME_BACK_SECONDS),
        ),
        exists().where(
            m.conversation_id == Ticket.conversation_id,
            m.direction == "in",
            m.created_at > Ticket.closed_at,
            m.created_at <= shifted(Ticket.closed_at, CAME_BACK_SECONDS),
            m.topic == ticket_topic(Ticket),
        ),
    )
    return select(
        Ticket.id.label("ticket_id"),
        Ticket.conversation_id,
        Ticket.closed_at,
        local_day(Ticket.closed_at).label("day"),
        Ticket.queue,
        Ticket.agent_id,
        case((came_back, 0), else_=1).label("fcr"),
    ).where(Ticket.status == RESOLVED, Ticket.closed_at >= start, Ticket.closed_at < end)


def resolution_cells(start: datetime, end: datetime) -> Rows:
    """(day, queue, agent, resolved, first-contact resolved)."""
    r = resolutions(start, end).subquery("r")
    return select(r.c.day, r.c.queue, r.c.agent_id, func.count(), func.sum(r.c.fcr)).group_by(
        r.c.day, r.c.queue, r.c.agent_id
    )


def rating_cells(start: datetime, end: datetime) -> Rows:
    """(day, people's or not, queue, agent, ratings, score total, low ratings) given in [start, end)."""
    day = local_day(Rating.at)
    human = case((or_(Rating.ticket_id.is_not(None), Rating.agent_id.is_not(None)), 1), else_=0)
    return (
        select(
            day,
            human,
            Rating.queue,
            Rating.agent_id,
            func.count(),
            func.sum(Rating.score),
            func.sum(case((Rating.score <= LOW_SCORE, 1), else_=0)),
        )
        .where(Rating.at >= start, Rating.at < end)
        .group_by(day, human, Rating.queue, Rating.agent_id)
    )
