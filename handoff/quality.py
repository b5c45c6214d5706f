"""Quality review (质检): supervisors draw random samples of resolved chats and score each against
a checklist they edit; agents read their own finished reviews.

Scoring: each checklist item gets 0 (missed), 1 (partly met), 2 (met) or "na" (does not apply).
A review's total is 100 × Σ weight·score/2 ÷ Σ weight over the items that apply, to one decimal;
an item left N/A counts neither way. Finishing needs every item scored and at least one that applies.

The checklist is versioned: editing it adds a version, and a review keeps the version it was
first saved against, so old reviews read as they were scored. The newest version is the active one.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Literal

from sqlalchemy import Date, Float, ForeignKey, Integer, String, Text, exists, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from bot.store import Message
from core.db import Base, JsonType, UtcDateTime, utcnow
from core.errors import Conflict, Invalid, NotFound, Unprocessable
from handoff.desk import DESK_TZ
from handoff.models import RESOLVED, Agent, Ticket

NA = "na"
MAX_POINTS = 2  # an item's scores: 0 missed, 1 partly met, 2 met (or NA)
Score = Literal[0, 1, 2, "na"]
DRAFT, DONE = "draft", "done"


@dataclass(frozen=True)
class Item:
    """One line of the checklist: a stable key, what it is called in each language, its weight."""

    key: str
    zh: str
    en: str
    weight: int


# The first version, made when the checklist is first read (staff then edit it on /quality).
DEFAULT_ITEMS = (
    Item("greeting", "开场问候", "Greeting", 1),
    Item("accuracy", "答复准确", "Accuracy", 3),
    Item("policy", "遵守流程", "Policy followed", 2),
    Item("tone", "服务态度", "Tone", 2),
    Item("resolution", "问题解决", "Resolution", 2),
)


class QualityChecklist(Base):
    """One version of the checklist; never changed once written."""

    __tablename__ = "quality_checklists"

    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    items: Mapped[list[dict[str, Any]]] = mapped_column(JsonType)  # [{key, zh, en, weight}], in order
    created_by: Mapped[int | None] = mapped_column(ForeignKey("agents.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    def item_list(self) -> list[Item]:
        return [Item(**i) for i in self.items]


class QualitySample(Base):
    """A draw: who drew it, with which filters (dates inclusive, on the desk's calendar), and when."""

    __tablename__ = "quality_samples"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    drawn_by: Mapped[int] = mapped_column(ForeignKey("agents.id"))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"), nullable=True)
    queue: Mapped[str | None] = mapped_column(String(20), nullable=True)
    date_from: Mapped[date] = mapped_column(Date)
    date_to: Mapped[date] = mapped_column(Date)
    size: Mapped[int] = mapped_column(Integer)  # asked for; fewer when fewer matched
    seed: Mapped[int] = mapped_column(Integer)  # the same seed over the same tickets draws the same
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class QualityReview(Base):
    """One sampled ticket's review: scores per checklist item, the weighted total, a comment."""

    __tablename__ = "quality_reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sample_id: Mapped[int] = mapped_column(ForeignKey("quality_samples.id", ondelete="CASCADE"), index=True)
    # One review per ticket, ever: a ticket drawn once is not drawn again (two draws at once collide here).
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), unique=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"), index=True)  # the agent reviewed
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"), nullable=True)  # who saved it last
    # Pinned on the first save; until then the review is shown with the active checklist.
    checklist_version: Mapped[int | None] = mapped_column(ForeignKey("quality_checklists.version"), nullable=True)
    scores: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)  # key -> 0 | 1 | 2 | "na"
    total: Mapped[float | None] = mapped_column(Float, nullable=True)  # 0–100
    comment: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(8), default=DRAFT)  # draft | done
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    done_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


# ---------------------------------------------------------------- scoring (pure)


def weighted_total(items: Sequence[Item], scores: Mapping[str, Score]) -> float | None:
    """100 × Σ weight·score/2 ÷ Σ weight over the scored items that apply; None if none does."""
    applied = [(i.weight, scores[i.key]) for i in items if scores.get(i.key, NA) != NA]
    weight = sum(w for w, _ in applied)
    if not weight:
        return None
    points = sum(w * int(s) for w, s in applied)
    return round(100 * points / (MAX_POINTS * weight), 1)


def check_scores(items: Sequence[Item], scores: Mapping[str, Any], *, complete: bool) -> None:
    """Scores name the checklist's items only, each 0, 1, 2 or NA; a finished review scores all."""
    keys = {i.key for i in items}
    unknown = sorted(set(scores) - keys)
    if unknown:
        raise Invalid(f"not on this review's checklist: {', '.join(unknown)}")
    bad = sorted(k for k, v in scores.items() if v not in (0, 1, 2, NA) or isinstance(v, bool))
    if bad:
        raise Invalid(f"scores are 0, 1, 2 or 'na'; not so for {', '.join(bad)}")
    if complete:
        missing = [i.key for i in items if i.key not in scores]
        if missing:
            raise Invalid(f"score every item before finishing; missing: {', '.join(missing)}")
        if weighted_total(items, scores) is None:
            raise Invalid("every item is N/A: nothing to score")


def check_items(items: Sequence[Item]) -> None:
    keys = [i.key for i in items]
    repeated = sorted({k for k in keys if keys.count(k) > 1})
    if repeated:
        raise Invalid(f"each item needs a key of its own; repeated: {', '.join(repeated)}")


def draw(candidates: Sequence[int], size: int, seed: int) -> list[int]:
    """`size` of the candidate ticket ids (all of them if fewer), chosen at random by `seed`."""
    pool = sorted(candidates)
    return sorted(random.Random(seed).sample(pool, min(size, len(pool))))


def week_of(moment: datetime) -> date:
    """The Monday of the desk's week (Asia/Shanghai) that `moment` falls in."""
    day = moment.astimezone(DESK_TZ).date()
    return day - timedelta(days=day.weekday())


def period(date_from: date, date_to: date) -> tuple[datetime, datetime]:
    """The instants from the start of `date_from` to the end of `date_to`, on the desk's calendar."""
    if date_to < date_from:
        raise Invalid("the period ends before it starts")
    start = datetime.combine(date_from, time(0), DESK_TZ)
    return start, datetime.combine(date_to + timedelta(days=1), time(0), DESK_TZ)


# ---------------------------------------------------------------- the checklist


def active_checklist(session: Session) -> QualityChecklist:
    """The newest version; the default one is written on the first read of an empty table."""
    newest = session.scalars(select(QualityChecklist).order_by(QualityChecklist.version.desc()).limit(1)).first()
    if newest is not None:
        return newest
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(
        insert(QualityChecklist)
        .values(version=1, items=[asdict(i) for i in DEFAULT_ITEMS], created_at=utcnow())
        .on_conflict_do_nothing(index_elements=[QualityChecklist.version])
    )
    return session.get_one(QualityChecklist, 1)


def edit_checklist(session: Session, items: Sequence[Item], *, by: int) -> QualityChecklist:
    """A new active version with these items (the same items again change nothing). Two edits at
    once both aim at the next version number: one commits, the other is a conflict."""
    check_items(items)
    current = active_checklist(session)
    if current.item_list() == list(items):
        return current
    row = QualityChecklist(version=current.version + 1, items=[asdict(i) for i in items], created_by=by)
    session.add(row)
    session.flush()
    return row


def checklist_for(session: Session, review: QualityReview) -> QualityChecklist:
    if review.checklist_version is None:
        return active_checklist(session)
    return session.get_one(QualityChecklist, review.checklist_version)


# ---------------------------------------------------------------- samples


def candidates(
    session: Session, *, date_from: date, date_to: date, agent_id: int | None = None, queue: str | None = None
) -> list[int]:
    """Tickets a sample may draw: resolved in the period by a person (an agent owned the ticket and
    some agent wrote in the chat), never reviewed or drawn before, of the agent and queue if given."""
    start, end = period(date_from, date_to)
    query = select(Ticket.id).where(
        Ticket.status == RESOLVED,
        Ticket.agent_id.is_not(None),
        Ticket.closed_at >= start,
        Ticket.closed_at < end,
        exists().where(Message.conversation_id == Ticket.conversation_id, Message.author == "agent"),
        ~exists().where(QualityReview.ticket_id == Ticket.id),
    )
    if agent_id is not None:
        query = query.where(Ticket.agent_id == agent_id)
    if queue is not None:
        query = query.where(Ticket.queue == queue)
    return list(session.scalars(query))


def draw_sample(
    session: Session,
    *,
    drawn_by: int,
    date_from: date,
    date_to: date,
    size: int,
    seed: int,
    agent_id: int | None = None,
    queue: str | None = None,
) -> QualitySample:
    """Draw and record a sample, one draft review per ticket drawn."""
    found = candidates(session, date_from=date_from, date_to=date_to, agent_id=agent_id, queue=queue)
    if not found:
        raise Unprocessable("no resolved chat handled by a person matches these filters that is not drawn already")
    sample = QualitySample(
        drawn_by=drawn_by, agent_id=agent_id, queue=queue, date_from=date_from, date_to=date_to, size=size, seed=seed
    )
    session.add(sample)
    session.flush()
    chosen = draw(found, size, seed)
    owners = dict(session.execute(select(Ticket.id, Ticket.agent_id).where(Ticket.id.in_(chosen))).all())
    for ticket_id in chosen:
        session.add(QualityReview(sample_id=sample.id, ticket_id=ticket_id, agent_id=owners[ticket_id], scores={}))
    session.flush()
    return sample


def reviews_of(session: Session, sample_ids: Sequence[int]) -> list[tuple[QualityReview, Ticket]]:
    query = (
        select(QualityReview, Ticket)
        .join(Ticket, Ticket.id == QualityReview.ticket_id)
        .where(QualityReview.sample_id.in_(sample_ids))
        .order_by(QualityReview.ticket_id)
    )
    return [(r, t) for r, t in session.execute(query)]


# ---------------------------------------------------------------- reviews


def review(session: Session, review_id: int, *, lock: bool = False) -> QualityReview:
    found = session.get(QualityReview, review_id, with_for_update=lock)
    if found is None:
        raise NotFound(f"no review {review_id}")
    return found


def save_review(
    session: Session,
    review_id: int,
    *,
    reviewer_id: int,
    scores: Mapping[str, Score],
    comment: str,
    done: bool,
    version: int | None = None,
) -> QualityReview:
    """Save scores and comment, as a draft or done (done is what the agent sees); the first save
    pins the active checklist version. `version`, if given, is the one the reviewer scored on: a
    checklist edited since they opened the review is a conflict, not scores read against another."""
    row = review(session, review_id, lock=True)
    checklist = checklist_for(session, row)
    if version is not None and version != checklist.version:
        raise Conflict(f"the checklist is now version {checklist.version}, not {version}: open the review again")
    items = checklist.item_list()
    check_scores(items, scores, complete=done)
    now = utcnow()
    row.checklist_version = checklist.version
    row.scores = dict(scores)
    row.total = weighted_total(items, scores)
    row.comment = comment
    row.reviewer_id = reviewer_id
    row.updated_at = now
    if done and row.status != DONE:
        row.done_at = now
    row.status = DONE if done else DRAFT
    if not done:
        row.done_at = None
    session.flush()
    return row


def finished_for(session: Session, agent_id: int) -> list[tuple[QualityReview, Ticket]]:
    """The agent's own finished reviews, newest first; drafts and colleagues' never."""
    query = (
        select(QualityReview, Ticket)
        .join(Ticket, Ticket.id == QualityReview.ticket_id)
        .where(QualityReview.agent_id == agent_id, QualityReview.status == DONE)
        .order_by(QualityReview.done_at.desc(), QualityReview.id.desc())
    )
    return [(r, t) for r, t in session.execute(query)]


def weekly_scores(session: Session, *, date_from: date, date_to: date) -> list[dict[str, Any]]:
    """Finished reviews' average total per reviewed agent per week of the chat's resolution."""
    start, end = period(date_from, date_to)
    rows = session.execute(
        select(QualityReview.agent_id, Agent.display_name, Ticket.closed_at, QualityReview.total)
        .join(Ticket, Ticket.id == QualityReview.ticket_id)
        .join(Agent, Agent.id == QualityReview.agent_id)
        .where(QualityReview.status == DONE, Ticket.closed_at >= start, Ticket.closed_at < end)
    )
    names: dict[int, str] = {}
    totals: dict[int, dict[date, list[float]]] = {}
    for agent_id, name, closed_at, total in rows:
        if closed_at is None or total is None:
            continue
        names[agent_id] = name
        totals.setdefault(agent_id, {}).setdefault(week_of(closed_at), []).append(total)
    return [
        {
            "agent_id": agent_id,
            "display_name": names[agent_id],
            "weeks": [
                {"week": week.isoformat(), "average": round(sum(v) / len(v), 1), "count": len(v)}
                for week, v in sorted(totals[agent_id].items())
            ],
        }
        for agent_id in sorted(totals, key=lambda a: (names[a], a))
    ]


def names_of(session: Session, agent_ids: set[int | None]) -> dict[int, str]:
    wanted = [a for a in agent_ids if a is not None]
    if not wanted:
        return {}
    return dict(session.execute(select(Agent.id, Agent.display_name).where(Agent.id.in_(wanted))).all())
