"""`triage demo-history`: weeks of the service's past, to see the reports, the floor and the
quality review with: customers' conversations with the bot, handoffs, tickets, agents' replies
and ratings, written as the engine and the desk write them.

Each day has its traffic (busier in the evening, quiet at night, weekends their own, China
time); each contact a topic, a language and a path through the bot and, for about three in ten,
the desk (triage/history_bot.py, triage/history_desk.py). Same seed, days, size and end: the
same rows. Rows are written in bulk, a day at a time, in the order they happened (ids follow
time, as the product's own would): SQLite through its driver's executemany, PostgreSQL by COPY.

Generated conversations carry `{"demo": "history"}` in their metadata: a second history is
refused unless `replace`, which deletes the first (and with it its messages, tickets, events
and ratings) in the same transaction.
"""

from __future__ import annotations

import gc
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from random import Random

from sqlalchemy import Connection, delete, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from bot.store import Conversation
from core.db import Database, utcnow
from handoff.agents import DESK_ROLES, hash_password, seed_demo_desk
from handoff.desk import DESK_TZ, load_desk
from handoff.models import Agent
from knowledge_base.store import load_files
from merchant.business_days import load_calendar
from triage.history_bot import CHANNELS, SCRIPTS, TOPICS, Bot
from triage.history_desk import DeskAgent, DeskRun
from triage.history_story import Story, pick
from triage.history_talk import Talk
from triage.history_writer import Pending, Writer

MARK = {"demo": "history"}
# Traffic by China-time hour, relative: evenings busiest, nights quiet; weekends start later.
WEEKDAY_HOURS = (1.6, 0.9, 0.5, 0.3, 0.3, 0.4, 0.9, 2.0, 3.6, 5.6, 6.6, 6.2,
                 4.6, 5.0, 5.9, 6.0, 5.6, 5.0, 4.6, 5.6, 6.9, 7.4, 6.0, 3.9)  # fmt: skip
WEEKEND_HOURS = (2.4, 1.4, 0.8, 0.5, 0.4, 0.4, 0.6, 1.2, 2.4, 4.0, 5.2, 5.6,
                 5.0, 5.2, 5.6, 5.6, 5.4, 5.2, 5.2, 6.0, 7.2, 7.8, 6.6, 4.6)  # fmt: skip
DAY_OF_WEEK = (1.10, 1.04, 1.0, 0.98, 1.01, 0.94, 0.93)  # Monday first: the weekend's questions wait
# COD money (查款) is shippers' business: asked on Mondays after the weekend, little at weekends.
PAYMENTS_BY_DAY = (1.4, 1.1, 1.0, 1.0, 1.0, 0.5, 0.45)
# Desk seats wanted per daily contact: a third are handed over, a chat holds a seat about ten
# minutes, the evening peak and the morning's after-hours messages want room to spare.
SEATS_PER_CONTACT = 0.012
_EXTRA_AGENTS = ("刘洋", "孙丽", "周杰", "吴静", "郑浩", "冯雪", "何伟", "许婷", "马超", "朱琳", "胡斌", "林倩")
_EXTRA_SKILLS = (("tracking", "general"), ("payments", "general"), ("tracking", "general"), ("claims", "general"),
                 ("general",), ("payments", "general"))  # fmt: skip


class HistoryExists(RuntimeError):
    """The database holds a generated history already."""


@dataclass(frozen=True)
class HistorySummary:
    days: int
    conversations: int
    messages: int
    tickets: int
    ticket_events: int
    ratings: int
    agents_added: int
    seconds: float

    @property
    def rows(self) -> int:
        return self.conversations + self.messages + self.tickets + self.ticket_events + self.ratings

    @property
    def conversations_per_second(self) -> float:
        return self.conversations / self.seconds if self.seconds else 0.0


def generate(
    db: Database,
    *,
    days: int = 30,
    per_day: int = 200,
    seed: int = 7,
    end: date | None = None,
    now: datetime | None = None,
    replace: bool = False,
) -> HistorySummary:
    """Write `days` days of history ending with `end` (China time; default today), about
    `per_day` contacts a day, into a migrated database.

    Nothing is written after `now` (default: now): a history ending today stops at this moment,
    with the chats and waits in progress as the desk would hold them. The desk needs agents: the
    demo desk is created if there are none (seed it first, `handoff.agents.seed_demo_desk`, to
    log in as them), and agents who cannot log in are added when the traffic needs more seats.
    """
    if days < 1 or per_day < 0:
        raise ValueError("days must be at least 1 and per_day not negative")
    started = time.perf_counter()
    end = end or datetime.now(DESK_TZ).date()
    first = end - timedelta(days=days - 1)
    midnight = datetime(end.year, end.month, end.day, tzinfo=DESK_TZ) + timedelta(days=1)
    cutoff = min(midnight, now or utcnow()).timestamp()
    rules = load_desk()
    with db.session() as session:
        if not replace and session.scalar(select(Conversation.id).where(_generated()).limit(1)):
            raise HistoryExists("the database holds a generated history already; use --replace to write it anew")
        agents, added = _desk(session, per_day)
        closures = set(load_calendar(session).closures) if rules.closed_on_holidays else set()
    talk = _talk()
    entries = list(talk.entries.values())
    open_hours = [h for h in range(24) if rules.opens.hour <= h < rules.closes.hour]
    mean = sum(WEEKDAY_HOURS[h] for h in open_hours) / len(open_hours)
    load = [min(1.8, max(0.6, w / mean)) for w in WEEKDAY_HOURS]
    desk = DeskRun(rules, agents, {e.id: e.question["zh"] for e in entries}, load, lambda d: d in closures)
    bot = Bot(talk, desk)
    collecting = gc.isenabled()
    gc.disable()  # what is held until written has no cycles: collecting over it again and again costs a fifth
    try:
        with db.engine.begin() as conn:
            if replace:  # in the same transaction: a history that fails leaves the one before
                conn.execute(delete(Conversation).where(_generated()))
            counts = _write(conn, bot, talk, range((end - first).days + 1), first, per_day, seed, cutoff)
    finally:
        if collecting:
            gc.enable()
    return HistorySummary(
        days=days,
        conversations=counts["conversations"],
        messages=counts["messages"],
        tickets=counts["tickets"],
        ticket_events=counts["ticket_events"],
        ratings=counts["ratings"],
        agents_added=added,
        seconds=time.perf_counter() - started,
    )


def _write(
    conn: Connection, bot: Bot, talk: Talk, days: range, first: date, per_day: int, seed: int, cutoff: float
) -> dict[str, int]:
    """Generate the days one by one, writing what happened each day once it is over."""
    writer, pending = Writer(conn), Pending()
    for n in days:
        day = first + timedelta(days=n)
        rng = Random(f"{seed}:{day.isoformat()}")
        topics = _topics(day)
        for start in _starts(rng, day, per_day):
            if start > cutoff:
                break
            story = _story(talk, rng, start, cutoff)
            bot.converse(story, pick(rng, topics))
            pending.add(story, MARK)
        tomorrow = datetime(day.year, day.month, day.day, tzinfo=DESK_TZ) + timedelta(days=1)
        writer.write(pending.take(before=tomorrow.timestamp()))
    writer.write(pending.take(before=float("inf")))
    writer.finish()
    return writer.counts


def _generated() -> ColumnElement[bool]:
    """The conversations a history wrote."""
    return Conversation.meta["demo"].as_string() == MARK["demo"]


@cache
def _talk() -> Talk:
    """The knowledge base's words, read once per process (the bundled files: the same for a seed
    whatever staff have edited since)."""
    return Talk(load_files())


def _desk(session: Session, per_day: int) -> tuple[list[DeskAgent], int]:
    """The desk's members (the demo desk if it has none), with more added if the traffic needs them."""
    unknowable = secrets.token_urlsafe(24)  # nobody logs in as an agent made here
    seed_demo_desk(session, unknowable)
    session.flush()
    rows = list(session.scalars(select(Agent).where(Agent.role.in_(DESK_ROLES)).order_by(Agent.id)))
    seats = sum(a.max_chats for a in rows)
    wanted = per_day * SEATS_PER_CONTACT
    added = 0
    if seats < wanted:
        taken = set(session.scalars(select(Agent.username)))
        hashed = None
        k = 0
        while seats < wanted:
            k += 1
            username = f"agent{k:03d}"
            if username in taken:
                continue
            hashed = hashed or hash_password(unknowable)
            name = _EXTRA_AGENTS[(k - 1) % len(_EXTRA_AGENTS)] + ("" if k <= len(_EXTRA_AGENTS) else str(k))
            agent = Agent(username=username, display_name=name, password_hash=hashed, role="agent",
                          skills=list(_EXTRA_SKILLS[(k - 1) % len(_EXTRA_SKILLS)]), max_chats=3)  # fmt: skip
            session.add(agent)
            rows.append(agent)
            seats += agent.max_chats
            added += 1
        session.flush()
    agents = [DeskAgent(a.id, a.display_name, a.role, frozenset(a.skills or ()), a.max_chats) for a in rows]
    return agents, added


def _starts(rng: Random, day: date, per_day: int) -> list[float]:
    """When the day's contacts begin, in seconds since the epoch."""
    weekday = day.weekday()
    count = round(per_day * DAY_OF_WEEK[weekday] * rng.uniform(0.92, 1.08))
    hours = rng.choices(range(24), WEEKEND_HOURS if weekday >= 5 else WEEKDAY_HOURS, k=count)
    midnight = datetime(day.year, day.month, day.day, tzinfo=DESK_TZ).timestamp()
    return sorted(midnight + h * 3600 + rng.random() * 3600 for h in hours)


def _topics(day: date) -> tuple[tuple[str, float], ...]:
    """What the day's contacts are about: COD money follows the shippers' week."""
    payments = PAYMENTS_BY_DAY[day.weekday()]
    return tuple((t, w * payments if t == "payment_arrival" else w) for t, w in TOPICS)


def _story(talk: Talk, rng: Random, start: float, cutoff: float) -> Story:
    script = pick(rng, SCRIPTS)
    channel = pick(rng, CHANNELS["en" if script == "en" else "zh"])
    if channel == "wechat":
        sender = "wechat:o" + _token(rng, 27)
    elif channel == "telegram":
        sender = f"telegram:{rng.randrange(10**8, 10**10)}"
    else:
        sender = "web-" + _token(rng, 16)
    conversation_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    story = Story(
        talk, rng, conversation_id, sender, channel, script, start, cutoff, lang="en" if script == "en" else "zh"
    )
    if channel == "widget":
        story.meta["last_metadata"] = {"channel": "widget"}
    return story


_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def _token(rng: Random, n: int) -> str:
    return "".join(rng.choices(_ALPHABET, k=n))
