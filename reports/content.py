"""What customers asked about, as SQL: topics, the questions the bot could not answer, and the
knowledge-base entries whose answers were followed by a handoff.

- *Top topics*: the customer's messages the NLU read (an outcome recorded) by topic, each on its
  own day; small talk (greeting, thanks, goodbye, affirm, deny, chitchat) and ratings left out.
- *Top unanswered*: the customer's questions the bot fell back on, asked which entry was meant,
  declined or handed over on, as the unanswered-question inbox selects them (learning.inbox:
  not small talk, not a request for a person, not a button, not only numbers), each on its own
  day, whatever staff did with them since. They are grouped as the inbox groups them first: by
  the text once normalised (full/half width, Traditional, case, punctuation, numbers), Chinese
  and English apart; the label is the wording asked most.
- *Entries leading to handoff*: for each handoff, the entry of the bot's last FAQ answer in the
  30 minutes before it, if any; counted on the handoff's day.
- *Handoffs by topic*: each handoff's topic (reports.people.ticket_topic), on the handoff's day.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import aliased

from bot.store import Message
from core.text import normalize
from handoff.models import Ticket
from learning.inbox import NOT_QUESTIONS, UNANSWERED, is_question
from reports.people import ticket_topic
from reports.sql import Rows, local_day, shifted

SMALL_TALK = ("greeting", "goodbye", "thanks", "affirm", "deny", "chitchat", "csat")
ANSWER_LOOKBACK_SECONDS = 30 * 60
KEPT_PER_DAY = 1000  # unanswered groups kept per day (the most asked); the month's top are among them


def unanswered_texts(start: datetime, end: datetime) -> Rows:
    """(day, text, language, messages) of the unanswered questions of [start, end)."""
    day = local_day(Message.created_at)
    return (
        select(day, Message.text, Message.language, func.count())
        .where(
            Message.direction == "in",
            Message.created_at >= start,
            Message.created_at < end,
            Message.outcome.in_(UNANSWERED),
            or_(Message.topic.is_(None), Message.topic.not_in(NOT_QUESTIONS)),
            ~Message.text.startswith("/"),
        )
        .group_by(day, Message.text, Message.language)
    )


def group_texts(rows: Iterable[tuple[str, str | None, int]]) -> list[list[Any]]:
    """[key, label, count] per normalised question, most asked first: `rows` are (text,
    language, count); the label is the group's most asked wording."""
    groups: dict[str, dict[str, int]] = {}
    for text, language, count in rows:
        if not is_question(text):
            continue
        key = ("en:" if language == "en" else "zh:") + normalize(text)
        wordings = groups.setdefault(key, {})
        wording = text.strip()
        wordings[wording] = wordings.get(wording, 0) + int(count)
    ranked = sorted(groups.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))
    return [[key, max(w, key=lambda t: (w[t], t)), sum(w.values())] for key, w in ranked]


def handoff_topics(start: datetime, end: datetime) -> Rows:
    """(day, topic, handoffs) for the tickets opened in [start, end)."""
    topic = ticket_topic(Ticket).label("topic")
    rows = select(local_day(Ticket.created_at).label("day"), topic).where(
        Ticket.created_at >= start, Ticket.created_at < end
    )
    t = rows.subquery("t")
    return select(t.c.day, t.c.topic, func.count()).group_by(t.c.day, t.c.topic)


def last_answer(ticket: Any) -> Any:
    """The entry of the bot's last FAQ answer in the 30 minutes before the ticket's handoff."""
    m = aliased(Message)
    entry = m.custom["faq_id"].as_string()
    return (
        select(entry)
        .where(
            m.conversation_id == ticket.conversation_id,
            m.direction == "out",
            m.author == "bot",
            m.created_at <= ticket.created_at,
            m.created_at >= shifted(ticket.created_at, -ANSWER_LOOKBACK_SECONDS),
            entry.is_not(None),
        )
        .order_by(m.created_at.desc(), m.id.desc())
        .limit(1)
        .correlate(ticket)
        .scalar_subquery()
    )


def handoff_entries(start: datetime, end: datetime) -> Rows:
    """(day, entry, handoffs) for the tickets opened in [start, end); the entry is null for a
    handoff with no FAQ answer before it (left in: filtering on it would look it up twice)."""
    rows = select(local_day(Ticket.created_at).label("day"), last_answer(Ticket).label("entry")).where(
        Ticket.created_at >= start, Ticket.created_at < end
    )
    t = rows.subquery("t")
    return select(t.c.day, t.c.entry, func.count()).group_by(t.c.day, t.c.entry)
