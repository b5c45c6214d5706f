"""The conversations behind a figure (the drill-down), by the very SQL that counts it.

Each metric names rows of a figure's own query: conversations contained or not
(bot.conversation_outcomes), with a fallback (the customer's messages the bot fell back on),
handed over, answered, missed (not answered yet), past their first-response target
(people.ticket_facts), resolved at first contact or not (people.resolutions), rated 1 or 2
(ratings). Newest first, a page at a time; the queue and agent filters apply to the people's.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Integer, and_, case, cast, func, literal, null, select
from sqlalchemy.orm import Session, aliased

from bot.store import Conversation, Message
from core.errors import Unprocessable
from handoff.desk import NOT_A_SUBJECT, Desk
from handoff.models import Agent, Rating, Ticket
from reports import bot, people
from reports.bot import RATING_TOPIC
from reports.daycache import DayCache
from reports.gather import Figures, Sessions
from reports.period import Period
from reports.sql import Rows

METRICS = (
    "contained",
    "not_contained",
    "fallback",
    "handoff",
    "answered",
    "missed",
    "sla_missed",
    "fcr",
    "not_fcr",
    "low_csat",
)
NO_TICKET = cast(null(), Integer).label("ticket_id")  # typed: PostgreSQL joins it to tickets.id


class UnknownMetric(Unprocessable):
    def details(self) -> dict[str, Any]:
        return {"field": "metric"}


def rows_of(desk: Desk, period: Period, metric: str, now: datetime) -> Rows:
    """(conversation_id, ticket_id, at) of `metric` over `period`: what the list shows, newest first."""
    if metric not in METRICS:
        raise UnknownMetric(f"unknown metric {metric!r}; metrics: {', '.join(METRICS)}")
    start, end = period.start, period.end
    if metric in ("contained", "not_contained"):
        o = bot.conversation_outcomes(start, end).subquery("o")
        wanted = 1 if metric == "contained" else 0
        return select(o.c.conversation_id, NO_TICKET, o.c.started_at.label("at")).where(o.c.contained == wanted)
    if metric == "fallback":
        return (
            select(Message.conversation_id, NO_TICKET, func.max(Message.created_at).label("at"))
            .where(
                bot.customer_messages(),
                Message.outcome.in_(bot.FALLBACKS),
                Message.created_at >= start,
                Message.created_at < end,
            )
            .group_by(Message.conversation_id)
        )
    if metric in ("handoff", "answered", "missed", "sla_missed"):
        f = people.ticket_facts(desk, start, end, now).where(*_narrowed(period, Ticket.queue, Ticket.agent_id))
        facts = f.subquery("f")
        which = {
            "handoff": literal(True),
            "answered": facts.c.answered == 1,
            "missed": facts.c.answered == 0,
            "sla_missed": and_(facts.c.judged == 1, facts.c.in_target == 0),
        }[metric]
        return select(facts.c.conversation_id, facts.c.ticket_id, facts.c.handed_at.label("at")).where(which)
    if metric in ("fcr", "not_fcr"):
        r = people.resolutions(start, end).where(*_narrowed(period, Ticket.queue, Ticket.agent_id)).subquery("r")
        return select(r.c.conversation_id, r.c.ticket_id, r.c.closed_at.label("at")).where(
            r.c.fcr == (1 if metric == "fcr" else 0)
        )
    return select(Rating.conversation_id, Rating.ticket_id, Rating.at).where(
        Rating.at >= start,
        Rating.at < end,
        Rating.score <= people.LOW_SCORE,
        *_narrowed(period, Rating.queue, Rating.agent_id),
    )


def _narrowed(period: Period, queue: Any, agent: Any) -> list[Any]:
    out = []
    if period.queue is not None:
        out.append(queue == period.queue)
    if period.agent_id is not None:
        out.append(agent == period.agent_id)
    return out


def conversations(
    sessions: Sessions,
    desk: Desk,
    cache: DayCache,
    period: Period,
    metric: str,
    now: datetime,
    *,
    limit: int,
    offset: int,
) -> dict[str, Any]:
    """A page of the conversations behind `metric`, and how many there are in all."""
    if metric in ("contained", "not_contained"):
        return _day_by_day(sessions, desk, cache, period, metric, now, limit=limit, offset=offset)
    rows = rows_of(desk, period, metric, now)
    with sessions() as s:
        total = s.scalar(select(func.count()).select_from(rows.subquery("rows"))) or 0
        return {"total": int(total), "conversations": _page(s, rows, metric, limit=limit, offset=offset)}


def _day_by_day(
    sessions: Sessions,
    desk: Desk,
    cache: DayCache,
    period: Period,
    metric: str,
    now: datetime,
    *,
    limit: int,
    offset: int,
) -> dict[str, Any]:
    """Containment's lists, newest day first: its count per day is the kept figure's, so a page
    needs only the days it shows (a month's conversations are judged one day at a time)."""
    per_day = Figures(sessions, desk, cache, now, period).containment
    wanted = {
        d: (contained if metric == "contained" else total - contained) for d, (total, contained) in per_day.items()
    }
    listed: list[dict[str, Any]] = []
    before = 0  # of the metric's conversations, how many are on days after this one
    for day in sorted(wanted, reverse=True):
        count = wanted[day]
        if count and before + count > offset and len(listed) < limit:
            skip = max(offset - before, 0)
            rows = rows_of(desk, period.of(day, day), metric, now)
            with sessions() as s:
                listed += _page(s, rows, metric, limit=limit - len(listed), offset=skip)
        before += count
    return {"total": sum(wanted.values()), "conversations": listed}


def _page(session: Session, query: Rows, metric: str, *, limit: int, offset: int) -> list[dict[str, Any]]:
    """The rows of `query` (conversation_id, ticket_id, at), newest first, as the list shows them."""
    rows = query.subquery("rows")
    handed = aliased(Ticket)
    # A conversation not contained shows the ticket it was handed over with, if any.
    first_ticket = (
        select(handed.id)
        .where(handed.conversation_id == Conversation.id, handed.created_at >= Conversation.created_at)
        .order_by(handed.created_at, handed.id)
        .limit(1)
        .correlate(Conversation)
        .scalar_subquery()
    )
    ticket_id = func.coalesce(rows.c.ticket_id, first_ticket) if metric == "not_contained" else rows.c.ticket_id
    page = (
        select(
            Conversation.id,
            Conversation.sender_id,
            Conversation.created_at,
            Conversation.state,
            ticket_id.label("ticket_id"),
            rows.c.at,
        )
        .join(Conversation, Conversation.id == rows.c.conversation_id)
        .order_by(rows.c.at.desc(), Conversation.id)
        .limit(limit)
        .offset(offset)
        .subquery("page")
    )
    listed = session.execute(
        select(
            page,
            Ticket.queue,
            Agent.display_name,
            case((Ticket.id.is_not(None), people.ticket_topic(Ticket)), else_=_topic_of(page.c.id)).label("topic"),
        )
        .outerjoin(Ticket, Ticket.id == page.c.ticket_id)
        .outerjoin(Agent, Agent.id == Ticket.agent_id)
        .order_by(page.c.at.desc(), page.c.id)
    ).all()
    return [
        {
            "conversation_id": r.id,
            "sender_id": r.sender_id,
            "started_at": r.created_at.isoformat() if r.created_at else None,
            "state": r.state,
            "topic": r.topic,
            "ticket_id": r.ticket_id,
            "queue": r.queue,
            "agent": r.display_name,
        }
        for r in listed
    ]


def _topic_of(conversation_id: Any) -> Any:
    """What a conversation was about: its first customer message naming a subject, else its first."""
    m = aliased(Message)
    return (
        select(m.topic)
        .where(
            m.conversation_id == conversation_id,
            m.direction == "in",
            m.topic.is_not(None),
            m.topic != RATING_TOPIC,
        )
        .order_by(case((m.topic.in_(NOT_A_SUBJECT), 1), else_=0), m.created_at, m.id)
        .limit(1)
        .scalar_subquery()
    )
