"""The generated history (`triage demo-history`): deterministic, in realistic proportions, and
every ticket, event and rating as the desk's rules and code would have written them."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.script import in_script
from bot.store import BOT, HUMAN, PENDING_HANDOFF, Conversation, Message
from core.db import Database
from core.runtime import Runtime
from core.text import to_simplified
from handoff.access import Viewer, covers
from handoff.agents import seed_demo_desk
from handoff.desk import DESK_TZ, GENERAL, NOT_A_SUBJECT, load_desk, next_opening
from handoff.helpdesk import HelpDesk
from handoff.models import ASSIGNED, OFFLINE, QUEUED, RESOLVED, Agent, Rating, Ticket, TicketEvent
from handoff.queue import TicketQueue
from handoff.ratings import rate
from knowledge_base.store import load_files
from merchant.demo.catalogue import catalogue_data
from tests.conftest import on_services
from tests.test_demo_data import postgres  # noqa: F401  (a PostgreSQL schema of the test's own)
from triage.cli import main
from triage.history import HistoryExists, HistorySummary, generate
from triage.history_talk import labelled

END = date(2026, 11, 23)  # a Monday
RULES = load_desk()
TARGET = timedelta(minutes=3)  # every queue's first-response target (handoff/desk.yaml)
_NUMBERS = re.compile(r"YX\d{14}")


def fresh(tmp_path: Path, name: str = "h.db") -> Database:
    db = Database(f"sqlite:///{tmp_path / name}")
    db.migrate()
    with db.session() as session:
        seed_demo_desk(session, "a-long-enough-password")
    return db


@pytest.fixture(scope="module")
def month(tmp_path_factory: pytest.TempPathFactory) -> tuple[Database, HistorySummary]:
    """30 days of 200 contacts a day, the size the reports' demos use."""
    db = fresh(tmp_path_factory.mktemp("history"))
    return db, generate(db, days=30, per_day=200, seed=7, end=END)


@pytest.fixture
def session(month: tuple[Database, HistorySummary]) -> Iterator[Session]:
    with month[0].session() as s:
        yield s


def local(t: datetime) -> datetime:
    return t.astimezone(DESK_TZ)


def count(session: Session, query: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)


def events_of(session: Session) -> dict[int, list[TicketEvent]]:
    found: dict[int, list[TicketEvent]] = defaultdict(list)
    for e in session.scalars(select(TicketEvent).order_by(TicketEvent.id)):
        found[e.ticket_id].append(e)
    return found


def first_topics(session: Session) -> Counter[str]:
    """What each conversation was about: the first of its customer's messages that names a subject
    (past a greeting, a misread question, a request for a person); else what its first one was."""
    topics: dict[str, list[str]] = defaultdict(list)
    rows = session.execute(
        select(Message.conversation_id, Message.topic)
        .where(Message.direction == "in", Message.topic.not_in(("greeting", "csat")))
        .order_by(Message.id)
    )
    for conversation, topic in rows:
        topics[conversation].append(topic)
    return Counter(next((t for t in ts if t not in NOT_A_SUBJECT), ts[0]) for ts in topics.values())


# --- size, speed, determinism ----------------------------------------------------------------


def test_a_month_of_two_hundred_a_day_takes_seconds(month: tuple[Database, HistorySummary]) -> None:
    _, summary = month
    assert 5500 < summary.conversations < 6500
    assert summary.messages > 7 * summary.conversations
    assert summary.seconds < 20, f"{summary.conversations} conversations took {summary.seconds:.1f} s"


def test_the_same_seed_writes_the_same_rows(tmp_path: Path) -> None:
    def rows(db: Database) -> list[Any]:
        with db.session() as s:
            return [
                s.execute(
                    select(Conversation.id, Conversation.sender_id, Conversation.state).order_by(Conversation.id)
                ).all(),
                s.execute(select(Message.id, Message.text, Message.created_at, Message.outcome)).all(),
                s.execute(select(Ticket.id, Ticket.queue, Ticket.created_at, Ticket.closed_at, Ticket.csat)).all(),
                s.execute(select(TicketEvent.ticket_id, TicketEvent.kind, TicketEvent.at)).all(),
                s.execute(select(Rating.ticket_id, Rating.score, Rating.at)).all(),
            ]

    a, b, c = fresh(tmp_path, "a.db"), fresh(tmp_path, "b.db"), fresh(tmp_path, "c.db")
    for db in (a, b):
        generate(db, days=3, per_day=60, seed=11, end=END)
    generate(c, days=3, per_day=60, seed=12, end=END)
    assert rows(a) == rows(b)
    assert rows(a)[1] != rows(c)[1]


def test_a_second_history_is_refused_unless_it_replaces_the_first(tmp_path: Path) -> None:
    db = fresh(tmp_path)
    first = generate(db, days=1, per_day=30, seed=3, end=END)
    with pytest.raises(HistoryExists):
        generate(db, days=1, per_day=30, seed=4, end=END)
    again = generate(db, days=1, per_day=30, seed=3, end=END, replace=True)
    assert again.conversations == first.conversations
    with db.session() as s:
        assert count(s, select(Conversation.id)) == first.conversations
        assert count(s, select(Ticket.id)) == first.tickets


# --- proportions ----------------------------------------------------------------------------


def test_about_a_third_of_conversations_reach_a_person(session: Session) -> None:
    conversations = count(session, select(Conversation.id))
    handed = count(session, select(Ticket.conversation_id).distinct())
    assert 0.22 < handed / conversations < 0.38
    reasons = Counter(dict(session.execute(select(Ticket.reason, func.count()).group_by(Ticket.reason)).all()))
    assert reasons.most_common(1)[0][0] == "human_request"
    for reason in (
        "complaint",
        "anger",
        "fallback",
        "claim",
        "tracking_stuck",
        "lookup_unavailable",
        "order_not_found",
    ):
        assert reasons[reason] > 0, reason
    assert {q for (q,) in session.execute(select(Ticket.queue).distinct())} == set(RULES.queues)


def test_tracking_is_asked_most_then_cod_money(session: Session) -> None:
    topics = first_topics(session)
    ranked = [t for t, _ in topics.most_common()]
    assert ranked[:2] == ["order_status", "payment_arrival"]
    total = sum(topics.values())
    assert 0.22 < topics["order_status"] / total < 0.38
    for topic in ("refund", "claim", "stock", "shipping_speed", "complaint", "out_of_scope"):
        assert 0.005 < topics[topic] / total < 0.15, topic


def test_the_bot_answers_clarifies_falls_back_and_declines(session: Session) -> None:
    outcomes = Counter(
        dict(
            session.execute(
                select(Message.outcome, func.count()).where(Message.direction == "in").group_by(Message.outcome)
            ).all()
        )
    )
    assert outcomes["answer"] > outcomes["out_of_scope"] > 0 and outcomes["answer"] > outcomes["clarify"] > 0
    decided = sum(
        outcomes[o] for o in ("answer", "action", "clarify", "fallback", "out_of_scope", "declined", "handoff")
    )
    assert 0.02 < outcomes["out_of_scope"] / decided < 0.1  # the unanswered-question inbox has questions to show
    for outcome in ("action", "handoff", "declined", "silent", "queued"):
        assert outcomes[outcome] > 0, outcome
    inbox = session.scalars(select(Message.topic).where(Message.outcome.in_(("out_of_scope", "declined")))).all()
    assert set(inbox) == {"out_of_scope"}


def test_customers_write_chinese_mostly_some_english_and_traditional(session: Session) -> None:
    languages = Counter(
        dict(session.execute(select(Conversation.language, func.count()).group_by(Conversation.language)).all())
    )
    total = sum(languages.values())
    assert 0.8 < languages["zh"] / total < 0.97
    assert languages["en"] / total > 0.04
    texts = session.scalars(select(Message.text).where(Message.direction == "in", Message.language == "zh")).all()
    traditional = sum(1 for t in texts if to_simplified(t) != t)
    assert 0.02 < traditional / len(texts) < 0.2
    assert count(session, select(Message.id).where(Message.language == "mixed")) > 0


def test_evenings_are_busy_and_nights_quiet_in_china_time(session: Session) -> None:
    hours = Counter(local(t).hour for t in session.scalars(select(Conversation.created_at)))
    evening = hours[20] + hours[21]
    night = hours[3] + hours[4]
    morning = hours[10] + hours[11]
    assert evening > morning > 4 * night
    weekdays = Counter(local(t).weekday() for t in session.scalars(select(Conversation.created_at)))
    assert weekdays[0] > weekdays[6]  # Mondays bring the weekend's questions


def test_most_first_responses_are_within_target_and_some_are_late(session: Session) -> None:
    answered = session.execute(select(Ticket.sla_breached).where(Ticket.first_response_at.is_not(None))).scalars().all()
    late = sum(answered) / len(answered)
    assert 0.04 < late < 0.3


def test_ratings_are_mostly_good_and_worse_after_a_late_answer(session: Session) -> None:
    scores = Counter(session.scalars(select(Rating.score)))
    assert scores[5] > scores[4] > scores[1] > 0
    on_time = session.scalars(select(Ticket.csat).where(Ticket.csat.is_not(None), Ticket.sla_breached.is_(False))).all()
    late = session.scalars(select(Ticket.csat).where(Ticket.csat.is_not(None), Ticket.sla_breached.is_(True))).all()
    assert sum(late) / len(late) < sum(on_time) / len(on_time)
    assert count(session, select(Rating.id).where(Rating.ticket_id.is_(None))) > 0  # the bot is rated too


def test_some_come_back_after_a_person_and_some_after_the_bot(session: Session) -> None:
    """First-contact resolution and containment have something to count: customers back on the
    same conversation within 72 hours of a resolved ticket, or within a day of the bot."""
    resolved = dict(
        session.execute(
            select(Ticket.conversation_id, func.min(Ticket.closed_at))
            .where(Ticket.status == RESOLVED)
            .group_by(Ticket.conversation_id)
        ).all()
    )
    later: dict[str, list[datetime]] = defaultdict(list)
    for conversation, at in session.execute(
        select(Message.conversation_id, Message.created_at).where(Message.direction == "in", Message.topic != "csat")
    ):
        later[conversation].append(at)
    back_after_person = sum(
        1
        for c, closed in resolved.items()
        if any(closed + timedelta(minutes=30) < at <= closed + timedelta(hours=72) for at in later[c])
    )
    assert back_after_person / len(resolved) > 0.04
    gaps = [
        max(b - a for a, b in zip(sorted(ts), sorted(ts)[1:], strict=False))
        for c, ts in later.items()
        if c not in resolved and len(ts) > 1
    ]
    back_after_bot = sum(1 for gap in gaps if timedelta(hours=1) <= gap <= timedelta(hours=24))
    assert back_after_bot > 20


# --- the desk's rules ---------------------------------------------------------------------------


def test_every_tickets_times_are_in_order(session: Session) -> None:
    """created <= assigned <= first response <= closed; a transfer or a supervisor's take-over
    assigns the ticket again (handoff/operations.py), so then the first claim is what precedes the
    first response."""
    events = events_of(session)
    transferred = 0
    for t in session.scalars(select(Ticket)):
        claimed = next((e.at for e in events[t.id] if e.kind == "claimed"), None)
        if any(e.kind in ("transferred", "taken_over") for e in events[t.id]):
            transferred += 1
            times = [t.created_at, claimed, t.first_response_at, t.closed_at]
            assert t.assigned_at is not None and t.closed_at is not None and t.assigned_at <= t.closed_at
        else:
            times = [t.created_at, t.assigned_at, t.first_response_at, t.closed_at]
            assert claimed == t.assigned_at
        known = [x for x in times if x is not None]
        assert known == sorted(known), t.id
        assert (t.assigned_at is None) == (claimed is None)
        assert (t.first_response_at is None) <= (t.status != RESOLVED)
        assert (t.closed_at is not None) == (t.status not in (QUEUED, ASSIGNED, OFFLINE)), t.id
        assert [e.at for e in events[t.id]] == sorted(e.at for e in events[t.id])
    assert transferred > 0


def test_first_responses_are_due_by_the_desks_rule_after_hours_too(session: Session) -> None:
    """Due three minutes after the handoff; after hours, three minutes after the sweep queues the
    message at opening (handoff/sweep.py), which then overflows it to general."""
    events = events_of(session)
    after_hours = 0
    for t in session.scalars(select(Ticket)):
        kinds = [e.kind for e in events[t.id]]
        assert kinds[0] in ("queued", "offline")
        local_created = local(t.created_at)
        in_hours = RULES.opens <= local_created.time() < RULES.closes
        assert (kinds[0] == "queued") == in_hours, t.id
        if in_hours:
            assert t.first_response_due == t.created_at + TARGET
            continue
        if t.status == OFFLINE:
            assert t.first_response_due == next_opening(RULES, t.created_at) + TARGET
            continue
        after_hours += 1
        opened = next(e for e in events[t.id] if e.kind == "queued")
        assert opened.data == {"after_hours": True}
        assert local(opened.at).time() >= RULES.opens and opened.at - next_opening(RULES, t.created_at) < timedelta(
            seconds=5
        )
        assert t.first_response_due == opened.at + TARGET
    assert after_hours > 50


def test_breaches_are_flagged_as_the_sweep_and_the_reply_would(session: Session) -> None:
    events = events_of(session)
    for t in session.scalars(select(Ticket)):
        swept = [e for e in events[t.id] if e.kind == "sla_breached"]
        if t.first_response_at is not None:
            assert t.sla_breached == (t.first_response_at > t.first_response_due), t.id
        assert len(swept) <= 1
        if swept:
            assert t.sla_breached and swept[0].at >= t.first_response_due
            assert swept[0].data == {"due": t.first_response_due.isoformat()}


def test_tickets_overflow_to_general_only_after_waiting_two_minutes(session: Session) -> None:
    events = events_of(session)
    overflowed = 0
    for t in session.scalars(select(Ticket)):
        for e in events[t.id]:
            if e.kind == "overflow":
                overflowed += 1
                assert e.data["from"] != GENERAL and f"from_{e.data['from']}" in t.labels
                assert e.at - t.created_at >= RULES.overflow_after
                claims = [c.at for c in events[t.id] if c.kind == "claimed"]
                assert all(c >= e.at for c in claims[:1])
    assert overflowed > 0


def test_agents_claim_only_what_their_queues_cover_and_never_exceed_their_seats(session: Session) -> None:
    agents = {a.id: a for a in session.scalars(select(Agent))}
    tickets = {t.id: t for t in session.scalars(select(Ticket))}
    held: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    checked = 0
    for ticket_id, events in events_of(session).items():
        ticket = tickets[ticket_id]
        queue: str | None = ticket.queue  # walked back from where it ended: None once unknown
        for e in reversed(events):
            if e.kind == "overflow":
                queue = e.data["from"]
            elif e.kind == "rerouted":
                queue = e.data["from_queue"]
            elif e.kind == "transferred" and "to_queue" in e.data:
                queue = None
            elif e.kind == "claimed" and queue is not None:  # a take-over is a supervisor's, who sees all
                assert covers(Viewer.of(agents[e.agent_id]), queue), (ticket_id, e.agent_id, queue)
                checked += 1
        owner, since = None, None
        for e in events:
            if (
                e.kind in ("claimed", "transferred", "taken_over", "resolved", "handed_back")
                and owner is not None
                and since is not None
            ):
                held[owner].append((since, e.at))
                owner = None
            if e.kind == "claimed":
                owner, since = e.agent_id, e.at
            elif e.kind == "transferred" and "to_agent" in e.data:
                owner, since = e.data["to_agent"], e.at
            elif e.kind == "taken_over":
                owner, since = e.agent_id, e.at
    assert checked > 1000
    for agent_id, chats in held.items():
        edges = sorted([(a, 1) for a, _ in chats] + [(b, -1) for _, b in chats])
        running = peak = 0
        for _, step in edges:
            running += step
            peak = max(peak, running)
        assert peak <= agents[agent_id].max_chats, agents[agent_id].username


def test_ratings_belong_to_resolved_tickets_and_their_agents(session: Session) -> None:
    tickets = {t.id: t for t in session.scalars(select(Ticket))}
    for r in session.scalars(select(Rating)):
        assert 1 <= r.score <= 5
        if r.ticket_id is None:
            assert r.agent_id is None and r.queue is None
            continue
        t = tickets[r.ticket_id]
        assert t.status == RESOLVED and t.conversation_id == r.conversation_id
        assert (r.agent_id, r.queue, r.score) == (t.agent_id, t.queue, t.csat)
        assert t.closed_at is not None and r.at > t.closed_at
    assert count(session, select(Ticket.id).where(Ticket.csat.is_not(None))) == count(
        session, select(Rating.id).where(Rating.ticket_id.is_not(None))
    )


def test_agents_replies_are_by_the_agents_who_held_the_chats(session: Session) -> None:
    owners: dict[str, set[int]] = defaultdict(set)
    for conversation, agent_id in session.execute(
        select(Ticket.conversation_id, TicketEvent.agent_id)
        .join(TicketEvent, TicketEvent.ticket_id == Ticket.id)
        .where(TicketEvent.kind == "claimed")
    ):
        owners[conversation].add(agent_id)
    for conversation, agent_id in session.execute(
        select(Ticket.conversation_id, TicketEvent.agent_id)
        .join(TicketEvent, TicketEvent.ticket_id == Ticket.id)
        .where(TicketEvent.kind == "taken_over")
    ):
        owners[conversation].add(agent_id)
    for conversation, to_agent in session.execute(
        select(Ticket.conversation_id, TicketEvent.data)
        .join(TicketEvent, TicketEvent.ticket_id == Ticket.id)
        .where(TicketEvent.kind == "transferred")
    ):
        if "to_agent" in to_agent:
            owners[conversation].add(to_agent["to_agent"])
    names = {a.id: a.display_name for a in session.scalars(select(Agent))}
    replies = session.execute(select(Message.conversation_id, Message.custom).where(Message.author == "agent")).all()
    assert len(replies) > 3 * count(session, select(Ticket.id).where(Ticket.status == RESOLVED))
    for conversation, custom in replies:
        assert custom["agent_id"] in owners[conversation]
        assert custom["agent_name"] == names[custom["agent_id"]] and custom["author"] == "agent"


def test_conversations_are_left_in_the_state_their_tickets_say(session: Session) -> None:
    open_ticket = dict(
        session.execute(
            select(Ticket.conversation_id, Ticket.status).where(Ticket.status.in_((QUEUED, OFFLINE, ASSIGNED)))
        ).all()
    )
    for conversation in session.scalars(select(Conversation)):
        status = open_ticket.get(conversation.id)
        expected = BOT if status is None else HUMAN if status == ASSIGNED else PENDING_HANDOFF
        assert conversation.state == expected, conversation.id
        assert conversation.meta["demo"] == "history"
        if conversation.handoff_reason:
            assert conversation.handoff_at is not None and "handoff_context" in conversation.meta


# --- the words ------------------------------------------------------------------------------------


def test_customers_say_what_the_knowledge_base_says_they_say(session: Session) -> None:
    entries = load_files()
    phrasings = {_NUMBERS.sub("#", p) for e in entries for p in e.examples()}
    phrasings |= {text for text, _ in labelled()}  # the team's labelled messages: questions the bot misread
    products = {p[k] for p in catalogue_data()["products"] for k in ("zh", "en")}
    answers = {e.id: e.answer for e in entries}
    said = session.execute(select(Message.text, Message.topic).where(Message.direction == "in")).all()
    unknown = [
        text
        for text, topic in said
        if _NUMBERS.sub("#", text) not in phrasings
        and text not in products
        and not text.startswith("/")  # a button pressed
        and not re.fullmatch(r"[1-5]/5|#|\d{4}|1\d{10}|YX\d{14}", _NUMBERS.sub("#", text))  # a rating, numbers
        and topic != "greeting"
    ]
    assert len(unknown) < 0.01 * len(said), unknown[:20]
    chinese = [t for t, _ in said if re.search(r"[\u4e00-\u9fff]", t)]
    assert len(chinese) > 0.5 * len(said)
    for custom, text, lang in session.execute(
        select(Message.custom, Message.text, Message.language).where(
            Message.author == "bot", Message.custom.is_not(None)
        )
    ):
        if custom.get("faq_id"):
            answer = answers[custom["faq_id"]][lang]
            assert text in (answer, in_script(answer, "hant_hk"), in_script(answer, "hant_tw"))  # the customer's script


# --- the cut-off, the command, PostgreSQL ------------------------------------------------------------


def test_nothing_is_written_after_now_and_open_chats_stay_open(tmp_path: Path) -> None:
    db = fresh(tmp_path)
    now = datetime(2026, 11, 23, 21, 0, tzinfo=DESK_TZ)
    generate(db, days=2, per_day=400, seed=5, end=END, now=now)
    with db.session() as s:
        latest = max(
            s.scalar(select(func.max(Message.created_at))),
            s.scalar(select(func.max(TicketEvent.at))),
            s.scalar(select(func.max(Conversation.updated_at))),
        )
        assert latest <= now
        states = Counter(s.scalars(select(Ticket.status)))
        assert states[ASSIGNED] + states[QUEUED] > 0


def test_the_command_writes_a_history_into_a_data_dir(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)
    args = ["demo-history", "--data-dir", str(tmp_path), "--days", "2", "--per-day", "40", "--end", "2026-11-23"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "conversations" in out and "tickets" in out and "conversations/s" in out
    assert main(args) == 2
    assert "--replace" in capsys.readouterr().err
    assert main([*args, "--replace"]) == 0
    db = Database(f"sqlite:///{tmp_path / 'triage.db'}")
    with db.session() as s:
        assert {a.username for a in s.scalars(select(Agent))} >= {"wangfang", "lijun", "zhaomin", "chenlei"}
        assert count(s, select(Ticket.id)) > 0
    assert (tmp_path / "desk-password").exists()  # the demo desk `triage serve` prints the password of


@on_services
def test_postgresql_gets_the_same_rows_as_sqlite(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    pg: Database = request.getfixturevalue("postgres")  # tests/test_demo_data.py's schema of its own
    with pg.session() as s:
        seed_demo_desk(s, "a-long-enough-password")
    lite = fresh(tmp_path)
    summaries = [generate(db, days=2, per_day=50, seed=9, end=END) for db in (pg, lite)]
    assert summaries[0].rows == summaries[1].rows

    def rows(db: Database) -> list[Any]:
        with db.session() as s:
            return [
                s.execute(
                    select(Message.id, Message.text, Message.created_at, Message.parse, Message.buttons).order_by(
                        Message.id
                    )
                ).all(),
                s.execute(
                    select(Ticket.id, Ticket.queue, Ticket.first_response_due, Ticket.context).order_by(Ticket.id)
                ).all(),
                s.execute(select(TicketEvent.kind, TicketEvent.data, TicketEvent.at).order_by(TicketEvent.id)).all(),
            ]

    assert rows(pg) == rows(lite)
    with pg.session() as s:  # the ids given past the sequences: the product's next rows follow them
        conv = s.scalars(select(Conversation)).first()
        assert conv is not None
        s.add(Message(conversation_id=conv.id, direction="in", author="customer", text="在吗"))
        s.flush()


# --- the same shapes as the real desk's ------------------------------------------------------------


def real_desk_rows(tmp_path: Path) -> dict[str, Any]:
    """What the real desk writes for three handoffs: one claimed, answered late, resolved and rated;
    one that overflowed, was transferred to a queue, claimed again and handed back; one noted,
    whispered about and taken over by a supervisor."""
    db = fresh(tmp_path, "real.db")
    runtime = Runtime(None)
    clock = [datetime(2026, 11, 23, 10, 0, tzinfo=DESK_TZ)]
    desk = HelpDesk(TicketQueue(runtime.sync, RULES), RULES, now=lambda: clock[0])
    with db.session() as s:
        for a in s.scalars(select(Agent)):
            a.presence = "online"
        wangfang, lijun = (s.scalars(select(Agent).where(Agent.username == u)).one() for u in ("wangfang", "lijun"))
        ids = []
        chenlei = s.scalars(select(Agent).where(Agent.username == "chenlei")).one()
        for n, text in enumerate(("我的快递到哪了", "货款怎么还没到", "你们太慢了")):
            conv = Conversation(sender_id=f"web-real{n}", channel="web", state=PENDING_HANDOFF, slots={}, meta={})
            s.add(conv)
            s.flush()
            s.add(Message(conversation_id=conv.id, direction="in", author="customer", text=text, topic="order_status"))
            s.flush()
            ticket, _ = desk.open_ticket(s, conv, "human_request", {"topic": "human_request", "last_message": text})
            assert ticket is not None
            ids.append((ticket.id, conv))
    (first, conv1), (second, _), (third, _) = ids
    steps = [
        (timedelta(minutes=2, seconds=30), lambda s: desk.sweep(s)),  # both overflow to general
        (timedelta(minutes=3, seconds=10), lambda s: desk.sweep(s)),  # both late
        (timedelta(minutes=4), lambda s: desk.claim(s, first, wangfang)),
        (timedelta(minutes=5), lambda s: desk.reply(s, first, wangfang, "我帮您查询一下")),
        (timedelta(minutes=6), lambda s: desk.resolve(s, first, wangfang)),
        (timedelta(minutes=7), lambda s: rate(s, s.get_one(Conversation, conv1.id), 4, first)),
        (timedelta(minutes=8), lambda s: desk.claim(s, second, wangfang)),
        (timedelta(minutes=9), lambda s: desk.transfer(s, second, wangfang, queue="payments")),
        (timedelta(minutes=10), lambda s: desk.claim(s, second, lijun)),
        (timedelta(minutes=11), lambda s: desk.reply(s, second, lijun, "好的")),
        (timedelta(minutes=12), lambda s: desk.hand_back(s, second, lijun)),
        (timedelta(minutes=13), lambda s: desk.claim(s, third, wangfang)),
        (timedelta(minutes=14), lambda s: desk.note(s, third, wangfang, "客户情绪激动，注意安抚")),
        (timedelta(minutes=15), lambda s: desk.operations.whisper(s, third, chenlei, "先安抚客户情绪")),
        (timedelta(minutes=16), lambda s: desk.operations.take_over(s, third, chenlei)),
        (timedelta(minutes=17), lambda s: desk.resolve(s, third, chenlei)),
    ]
    for after, step in steps:
        clock[0] = datetime(2026, 11, 23, 10, 0, tzinfo=DESK_TZ) + after
        with db.session() as s:
            step(s)
    with db.session() as s:
        rows = {
            "events": {(e.kind, tuple(sorted(e.data))) for e in s.scalars(select(TicketEvent))},
            "agent_custom": {
                tuple(sorted(m.custom)) for m in s.scalars(select(Message).where(Message.author == "agent"))
            },
            "system": {
                (m.text[:4], bool(m.buttons)) for m in s.scalars(select(Message).where(Message.author == "system"))
            },
            "context": {tuple(sorted(t.context)) for t in s.scalars(select(Ticket))},
            "labels": {tuple(t.labels) for t in s.scalars(select(Ticket))},
            "survey": [
                m.buttons
                for m in s.scalars(select(Message).where(Message.author == "system", Message.buttons.is_not(None)))
            ],
        }
    runtime.close()
    return rows


def test_the_rows_have_the_shapes_the_real_desk_writes(session: Session, tmp_path: Path) -> None:
    real = real_desk_rows(tmp_path)
    made = {(e.kind, tuple(sorted(e.data))) for e in session.scalars(select(TicketEvent))}
    assert real["events"] <= made
    assert {kind for kind, _ in made} <= {kind for kind, _ in real["events"]} | {"offline", "rerouted", "sla_breached"}
    agent_custom = {tuple(sorted(m.custom)) for m in session.scalars(select(Message).where(Message.author == "agent"))}
    assert agent_custom == real["agent_custom"]
    system = {(m.text[:4], bool(m.buttons)) for m in session.scalars(select(Message).where(Message.author == "system"))}
    assert real["system"] <= system
    contexts = {tuple(sorted(t.context)) for t in session.scalars(select(Ticket))}
    assert contexts == real["context"]
    assert {("from_tracking",), ("from_payments",)} & real["labels"]
    buttons = real["survey"][0]
    survey = session.execute(
        select(Message.text, Message.buttons).where(Message.author == "system", Message.buttons.is_not(None))
    ).first()
    assert survey is not None and [b["title"] for b in survey.buttons] == [b["title"] for b in buttons]
    assert all(re.fullmatch(r'/csat\{"score":[1-5],"ticket":\d+\}', b["payload"]) for b in survey.buttons)
