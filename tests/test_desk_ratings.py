"""Ratings (handoff/ratings.py), without a server: a migrated SQLite."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.store import Conversation
from core.db import Database
from handoff.models import ASSIGNED, RESOLVED, Agent, Rating, Ticket
from handoff.ratings import rate, rating_buttons
from tests.desk_parts import MONDAY_10AM, desk_database


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    with desk_database(tmp_path) as database:
        yield database


def conversation(db: Database, sender: str, language: str = "zh") -> str:
    with db.session() as s:
        conv = Conversation(sender_id=sender, channel="rest", language=language, slots={}, meta={})
        s.add(conv)
        s.flush()
        return conv.id


def closed_ticket(db: Database, conv_id: str, status: str = RESOLVED) -> tuple[int, int]:
    """A ticket of `conv_id` that an agent worked, in `status`; (ticket id, agent id)."""
    with db.session() as s:
        wang = Agent(username=f"wang-{conv_id[:8]}", display_name="王芳", password_hash="-", skills=["payments"])
        s.add(wang)
        s.flush()
        ticket = Ticket(
            conversation_id=conv_id,
            status=status,
            reason="human_request",
            queue="payments",
            agent_id=wang.id,
            created_at=MONDAY_10AM,
            first_response_due=MONDAY_10AM + timedelta(minutes=3),
        )
        s.add(ticket)
        s.flush()
        return ticket.id, wang.id


def rate_as(db: Database, conv_id: str, score: int, ticket_id: int | None) -> str:
    with db.session() as s:
        return rate(s, s.get_one(Conversation, conv_id), score, ticket_id)


def ratings(db: Database) -> list[tuple[int | None, int | None, str | None, int]]:
    with db.session() as s:
        rows = s.scalars(select(Rating).order_by(Rating.id))
        return [(r.ticket_id, r.agent_id, r.queue, r.score) for r in rows]


def test_a_resolved_tickets_first_rating_counts_and_a_second_is_not_counted(db: Database) -> None:
    conv = conversation(db, "rater")
    ticket_id, agent_id = closed_ticket(db, conv)
    assert rate_as(db, conv, 4, ticket_id) == "感谢您的评价！"
    assert rate_as(db, conv, 1, ticket_id) == "您已经评过分了，感谢！"
    assert ratings(db) == [(ticket_id, agent_id, "payments", 4)]
    with db.session() as s:
        assert s.get_one(Ticket, ticket_id).csat == 4


def test_the_bot_is_rated_once_per_conversation(db: Database) -> None:
    conv = conversation(db, "bot-rater", language="en")
    assert rate_as(db, conv, 5, None) == "Thanks for the rating!"
    assert rate_as(db, conv, 2, None) == "You've rated this already. Thank you!"
    assert ratings(db) == [(None, None, None, 5)]


def test_a_ticket_not_resolved_or_someone_elses_is_not_rated_the_conversation_is(db: Database) -> None:
    mine, theirs = conversation(db, "mine"), conversation(db, "theirs")
    open_ticket, _ = closed_ticket(db, mine, status=ASSIGNED)
    their_ticket, _ = closed_ticket(db, theirs)
    rate_as(db, mine, 1, open_ticket)
    rate_as(db, mine, 1, their_ticket)  # the conversation's rating is given already
    assert ratings(db) == [(None, None, None, 1)]
    with db.session() as s:
        assert s.get_one(Ticket, open_ticket).csat is None and s.get_one(Ticket, their_ticket).csat is None


def test_the_survey_has_five_buttons_in_the_customers_language_carrying_score_and_ticket() -> None:
    zh, en = rating_buttons("zh", 7), rating_buttons("en", None)
    assert [b["title"] for b in zh][::4] == ["1 非常不满意", "5 非常满意"]
    assert [b["title"] for b in en][::4] == ["1 very poor", "5 excellent"]
    assert json.loads(zh[2]["payload"].removeprefix("/csat")) == {"score": 3, "ticket": 7}
    assert en[2]["payload"] == '/csat{"score":3}'
