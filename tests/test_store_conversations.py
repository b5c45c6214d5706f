"""The conversation store (bot/store.py), the same on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import StatementError

from bot.store import (
    PENDING_HANDOFF,
    Conversation,
    Message,
    conversation_dict,
    find,
    get_or_create,
    recent_inbound,
    transcript,
)
from tests.backends import Backend, backend_fixture  # noqa: F401  (the `backend` fixture: each test runs on both)

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _say(b: Backend, sender: str, *lines: tuple[str, str]) -> str:
    """Record (direction, text) lines in the sender's conversation; returns its id."""
    with b.db.session() as s:
        conv = get_or_create(s, sender_id=sender, channel="rest")
        for direction, text in lines:
            author = "customer" if direction == "in" else "bot"
            s.add(Message(conversation_id=conv.id, direction=direction, author=author, text=text))
        return conv.id


def _conversations(b: Backend) -> int:
    with b.db.session() as s:
        return int(s.scalar(select(func.count()).select_from(Conversation)) or 0)


def test_get_or_create_returns_the_first_contacts_conversation_every_time(backend: Backend) -> None:
    with backend.db.session() as s:
        first = get_or_create(s, sender_id="alice", channel="wechat")
        assert first.state == "bot" and first.slots == {} and first.meta == {} and first.fallback_count == 0
    with backend.db.session() as s:
        again = get_or_create(s, sender_id="alice", channel="rest")
        assert again.id == first.id
        assert again.channel == "wechat"  # the channel of first contact stays
    assert _conversations(backend) == 1


def _first_contacts(b: Backend, sender: str, racers: int) -> tuple[list[str], list[BaseException]]:
    """`racers` threads meeting a new sender at the same moment: the ids they got, what they raised."""
    start = threading.Barrier(racers)
    ids: list[str] = []
    errors: list[BaseException] = []

    def first_contact() -> None:
        start.wait()
        try:
            with b.db.session() as s:
                ids.append(get_or_create(s, sender_id=sender, channel="rest").id)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=first_contact) for _ in range(racers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return ids, errors


def test_threads_racing_for_one_new_sender_end_with_one_conversation(backend: Backend) -> None:
    """First contact from two instances at once (or a turn whose Redis lease ran out): every
    one of them gets the same conversation, and none fails on the unique sender."""
    racers = 6
    for conn in [backend.db.engine.connect() for _ in range(racers)]:
        conn.close()  # connections made beforehand, so the threads meet at the INSERT
    for round_ in range(3):
        ids, errors = _first_contacts(backend, f"racer-{round_}", racers)
        assert errors == []
        assert len(ids) == racers and len(set(ids)) == 1
    assert _conversations(backend) == 3


def test_transcript_is_in_the_order_written_and_a_limit_keeps_the_newest(backend: Backend) -> None:
    lines = [("in", "我的订单到哪了"), ("out", "请提供订单号"), ("in", "YX20261120000001"), ("out", "已到南京")]
    conv_id = _say(backend, "alice", *lines)
    _say(backend, "bob", ("in", "hello"))  # another conversation's messages stay out
    with backend.db.session() as s:
        assert [(m.direction, m.text) for m in transcript(s, conversation_id=conv_id)] == lines
        assert [m.text for m in transcript(s, conversation_id=conv_id, limit=2)] == ["YX20261120000001", "已到南京"]
        assert len(transcript(s, conversation_id=conv_id, limit=10)) == 4


def test_transcript_order_is_the_order_written_not_the_timestamps(backend: Backend) -> None:
    """A message stamped earlier (a clock step, a late write) still comes where it was written."""
    conv_id = _say(backend, "alice")
    now = datetime.now(UTC)
    with backend.db.session() as s:
        for text, at in (("first", now), ("second", now - timedelta(minutes=5))):
            s.add(Message(conversation_id=conv_id, direction="in", author="customer", text=text, created_at=at))
    with backend.db.session() as s:
        assert [m.text for m in transcript(s, conversation_id=conv_id)] == ["first", "second"]


def test_recent_inbound_is_the_customers_texts_among_the_newest_messages_oldest_first(backend: Backend) -> None:
    conv_id = _say(
        backend,
        "alice",
        ("in", "一"),
        ("out", "bot 1"),
        ("in", "二"),
        ("out", "bot 2"),
        ("in", "三"),
    )
    with backend.db.session() as s:
        assert recent_inbound(s, conversation_id=conv_id, within=12) == ["一", "二", "三"]
        assert recent_inbound(s, conversation_id=conv_id, within=3) == ["二", "三"]
        assert recent_inbound(s, conversation_id=conv_id, within=1) == ["三"]
        assert recent_inbound(s, conversation_id="no-such-conversation", within=12) == []


def test_find_returns_the_senders_conversation_and_none_for_a_stranger(backend: Backend) -> None:
    conv_id = _say(backend, "alice")
    with backend.db.session() as s:
        found = find(s, sender_id="alice")
        assert found is not None and found.id == conv_id
        assert find(s, sender_id="stranger") is None
    assert _conversations(backend) == 1  # looking does not create


def test_conversation_dict_carries_state_slots_and_every_message_as_plain_data(backend: Backend) -> None:
    handed_over = datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)
    with backend.db.session() as s:
        conv = get_or_create(s, sender_id="alice", channel="rest")
        conv.state, conv.handoff_reason, conv.handoff_at = PENDING_HANDOFF, "human_request", handed_over
        conv.language = "en"
        conv.slots = {"requested_slot": "order_id", "attempts": 1, "order": {"no": "YX1", "items": ["卫衣", None]}}
        s.add(Message(conversation_id=conv.id, direction="in", author="customer", text="where is it", topic="tracking"))
        s.add(
            Message(
                conversation_id=conv.id,
                direction="out",
                author="bot",
                text="Your order number?",
                buttons=[{"title": "转人工", "payload": "/human_request"}],
                custom={"handoff": False},
                confidence=0.875,
                language="en",
            )
        )
    with backend.db.session() as s:
        found = find(s, sender_id="alice")
        assert found is not None
        data = conversation_dict(found, transcript(s, conversation_id=found.id))
    assert set(data) == {
        "sender_id",
        "conversation_id",
        "channel",
        "state",
        "language",
        "handoff_reason",
        "handoff_at",
        "slots",
        "created_at",
        "messages",
    }
    assert (data["sender_id"], data["channel"], data["state"], data["language"]) == (
        "alice",
        "rest",
        "pending_handoff",
        "en",
    )
    assert data["handoff_reason"] == "human_request"
    assert datetime.fromisoformat(data["handoff_at"]) == handed_over
    assert datetime.fromisoformat(data["handoff_at"]).utcoffset() == timedelta(0)  # read back as UTC
    assert data["slots"] == {
        "requested_slot": "order_id",
        "attempts": 1,
        "order": {"no": "YX1", "items": ["卫衣", None]},
    }
    asked, answered = data["messages"]
    assert set(asked) == {
        "id",
        "direction",
        "author",
        "text",
        "buttons",
        "custom",
        "topic",
        "confidence",
        "language",
        "outcome",
        "parse",
        "created_at",
    }
    # JSON columns left unset are SQL NULL on both databases, not the JSON value null.
    assert (asked["buttons"], asked["custom"], asked["parse"], asked["confidence"]) == (None, None, None, None)
    assert asked["topic"] == "tracking" and asked["id"] < answered["id"]
    assert answered["buttons"] == [{"title": "转人工", "payload": "/human_request"}]
    assert answered["custom"] == {"handoff": False} and answered["confidence"] == 0.875
    assert datetime.fromisoformat(answered["created_at"]).tzinfo is not None


def test_datetimes_come_back_aware_in_utc_whatever_zone_they_went_in_with(backend: Backend) -> None:
    local = datetime(2026, 1, 1, 7, 59, 58, 123456, tzinfo=SHANGHAI)  # still 2025 in UTC
    with backend.db.session() as s:
        conv = get_or_create(s, sender_id="alice", channel="rest")
        conv.handoff_at = local
    with backend.db.session() as s:
        read = find(s, sender_id="alice")
        assert read is not None and read.handoff_at is not None
        assert read.handoff_at == local  # the same instant, to the microsecond
        assert read.handoff_at.utcoffset() == timedelta(0)
        assert read.handoff_at.replace(tzinfo=None) == datetime(2025, 12, 31, 23, 59, 58, 123456)
        assert read.created_at.tzinfo is not None and read.updated_at.tzinfo is not None
        # Compared in SQL too, an instant given in another zone finds the row on both databases.
        just_before = local.astimezone(ZoneInfo("America/New_York")) - timedelta(microseconds=1)
        assert s.scalars(select(Conversation.id).where(Conversation.handoff_at > just_before)).all() == [read.id]


def test_a_naive_datetime_is_refused_rather_than_guessed(backend: Backend) -> None:
    with pytest.raises(StatementError, match="naive datetime"), backend.db.session() as s:
        conv = get_or_create(s, sender_id="alice", channel="rest")
        conv.handoff_at = datetime(2026, 11, 23, 10, 0)
        s.flush()
    assert _conversations(backend) == 0  # the session rolled back
