"""The bot's figures as SQL: which conversations it contained, and what it made of messages.

**A conversation** counts on the China-time day it started (its first message,
`conversations.created_at`). A customer keeps one conversation for good, so the bot's part of it
is its *first visit*: the customer's messages up to the first pause of 30 minutes or more
between two of them (the bot answers within a second; a chat left for 30 minutes is over, and
that is when the bot closed it).

**Contained**: no ticket was opened during the first visit (no person, nor a message left for one
after hours) and the customer did not come back within 24 hours of it: the first pause of 30
minutes or more, if any, lasted 24 hours or more. Coming back after 23 hours reopens the
conversation (not contained); after 25 hours it is a new matter (the first stays contained).
Ratings ("4/5", topic `csat`) are not coming back. A conversation's messages are read for 26
hours from its start (a first visit of up to two hours, and the day after it), so a day's
containment is final 26 hours after the day ends. A conversation started after hours is judged
alike: leaving a message for a person is a ticket.

**Messages the bot decided on**: the customer's messages with an outcome the bot chose (answer,
action, clarify, fallback, out_of_scope, declined, handoff); those written while a person owns the
chat (`silent`) or while waiting for one (`queued`) are the desk's, not the bot's. Each counts on
its own day. *Fallback rate*: fallback or out_of_scope among them; *did-you-mean rate*: clarify
(the bot offered the entries it thought were meant) among them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, case, func, literal, or_, select
from sqlalchemy.sql import ColumnElement

from bot.store import Conversation, Message
from core.sqltypes import UtcDateTime
from handoff.models import Ticket
from reports.sql import Rows, local_day, seconds_between, shifted

QUIET_SECONDS = 30 * 60  # a pause this long ends a visit: the bot has closed the chat
REOPEN_SECONDS = 24 * 3600  # coming back sooner than this after a visit reopens it
LOOK_SECONDS = 26 * 3600  # a conversation's messages read: a first visit of up to 2 hours and a day after

BOT_DECISIONS = ("answer", "action", "clarify", "fallback", "out_of_scope", "declined", "handoff")
FALLBACKS = ("fallback", "out_of_scope")
DID_YOU_MEAN = ("clarify",)
RATING_TOPIC = "csat"


def customer_messages() -> ColumnElement[bool]:
    """The customer's own messages: every inbound one (the bot's, a person's and the system's
    lines go out)."""
    return Message.direction == "in"


def conversation_outcomes(start: datetime, end: datetime) -> Rows:
    """One row per conversation started in [start, end): its id, start, day and contained (1/0)."""
    conv = (  # read once (it is used twice); `k` numbers them: sorting by it is cheaper than by id
        select(Conversation.id, Conversation.created_at, func.row_number().over().label("k"))
        .where(Conversation.created_at >= start, Conversation.created_at < end)
        .cte("conv")
    )
    visits = (
        select(
            conv.c.k,
            Message.created_at.label("at"),
            # ties need no order: two messages at one moment have no pause between them either way
            func.lag(Message.created_at).over(partition_by=conv.c.k, order_by=Message.created_at).label("prev"),
        )
        .join(conv, conv.c.id == Message.conversation_id)
        .where(
            customer_messages(),
            or_(Message.topic.is_(None), Message.topic != RATING_TOPIC),
            Message.created_at >= start,
            Message.created_at < shifted(literal(end, UtcDateTime()), LOOK_SECONDS),
            Message.created_at < shifted(conv.c.created_at, LOOK_SECONDS),
        )
        .subquery("visits")
    )
    gap = seconds_between(visits.c.at, visits.c.prev)
    returns = (
        select(
            visits.c.k,
            # the first short return, and the first long one: reopened if the short one came first
            func.min(case((and_(gap >= QUIET_SECONDS, gap < REOPEN_SECONDS), visits.c.at))).label("short"),
            func.min(case((gap >= REOPEN_SECONDS, visits.c.at))).label("long"),
        )
        .group_by(visits.c.k)
        .subquery("returns")
    )
    first_ticket = (
        select(Ticket.conversation_id.label("cid"), func.min(Ticket.created_at).label("at"))
        .where(Ticket.created_at >= start, Ticket.created_at < shifted(literal(end, UtcDateTime()), LOOK_SECONDS))
        .group_by(Ticket.conversation_id)
        .subquery("first_ticket")
    )
    short, long = returns.c.short, returns.c.long
    # The customer's first return (the next visit's start); tickets before it were the first visit's.
    first_return = case((short.is_(None), long), (long.is_(None), short), (short < long, short), else_=long)
    first_visit_end = func.coalesce(first_return, shifted(conv.c.created_at, LOOK_SECONDS))
    reopened = and_(short.is_not(None), or_(long.is_(None), short < long))
    handed = and_(first_ticket.c.at.is_not(None), first_ticket.c.at < first_visit_end)
    return (
        select(
            conv.c.id.label("conversation_id"),
            conv.c.created_at.label("started_at"),
            local_day(conv.c.created_at).label("day"),
            case((or_(reopened, handed), 0), else_=1).label("contained"),
        )
        .select_from(conv)
        .outerjoin(returns, returns.c.k == conv.c.k)
        .outerjoin(first_ticket, first_ticket.c.cid == conv.c.id)
    )


def containment_by_day(start: datetime, end: datetime) -> Rows:
    """(day, conversations, contained) for the conversations started in [start, end)."""
    rows = conversation_outcomes(start, end).subquery("outcomes")
    return select(rows.c.day, func.count(), func.sum(rows.c.contained)).group_by(rows.c.day)


def conversations_by_day(start: datetime, end: datetime) -> Rows:
    """(day, conversations started) over [start, end)."""
    day = local_day(Conversation.created_at)
    return (
        select(day, func.count()).where(Conversation.created_at >= start, Conversation.created_at < end).group_by(day)
    )


def messages_by_day(start: datetime, end: datetime) -> Rows:
    """(day, outcome, topic, messages) over the customer's messages of [start, end) that the NLU
    read (an outcome recorded): the bot's decisions and top topics are both read off it."""
    day = local_day(Message.created_at)
    return (
        select(day, Message.outcome, Message.topic, func.count())
        .where(
            customer_messages(),
            Message.outcome.is_not(None),
            Message.created_at >= start,
            Message.created_at < end,
        )
        .group_by(day, Message.outcome, Message.topic)
    )
