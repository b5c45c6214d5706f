"""The desk's rules as data (handoff/desk.yaml) and the pure decisions made with them:
which queue a handoff goes to, how urgent it is, when it is due, whether the desk is open.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from functools import cache
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

import yaml

DESK_TZ = ZoneInfo("Asia/Shanghai")
GENERAL, SUPERVISOR = "general", "supervisor"


@dataclass(frozen=True)
class Queue:
    name: str
    name_zh: str
    name_en: str
    first_response: timedelta


@dataclass(frozen=True)
class Desk:
    queues: dict[str, Queue]
    overflow_after: timedelta
    queue_by_reason: dict[str, str]
    queue_by_action: dict[str, str]
    queue_by_topic: dict[str, str]
    priority: dict[str, int]
    high_value_total: float
    major_words: tuple[str, ...]
    trend_window: int
    trend_rise: float
    opens: time
    closes: time
    closed_on_holidays: bool
    minutes_per_ticket: float
    auto_assign: bool = False

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any]) -> Desk:
        hours = raw["business_hours"]
        return cls(
            queues={
                name: Queue(name, q["name_zh"], q["name_en"], timedelta(minutes=float(q["first_response_minutes"])))
                for name, q in raw["queues"].items()
            },
            overflow_after=timedelta(minutes=float(raw["overflow_after_minutes"])),
            queue_by_reason=dict(raw.get("queue_by_reason") or {}),
            queue_by_action=dict(raw.get("queue_by_action") or {}),
            queue_by_topic=dict(raw.get("queue_by_topic") or {}),
            priority={k: int(v) for k, v in raw["priority"].items()},
            high_value_total=float(raw["high_value_order_total"]),
            major_words=tuple(str(w).lower() for w in raw["major_complaint_words"]),
            trend_window=int(raw["anger_trend_window"]),
            trend_rise=float(raw["anger_trend_rise"]),
            opens=time.fromisoformat(hours["open"]),
            closes=time.fromisoformat(hours["close"]),
            closed_on_holidays=bool(hours.get("closed_on_public_holidays", False)),
            minutes_per_ticket=float(raw["default_minutes_per_ticket"]),
            auto_assign=str(raw.get("assignment", "offer")) == "auto",
        )


def clock_from(start: datetime) -> Callable[[], datetime]:
    """A clock that reads `start` now and runs on from there (demos and tests at desk hours)."""
    began = datetime.now(UTC)
    return lambda: start.astimezone(UTC) + (datetime.now(UTC) - began)


@cache
def load_desk() -> Desk:
    raw = (resources.files("handoff") / "desk.yaml").read_text(encoding="utf-8")
    return Desk.from_mapping(yaml.safe_load(raw))


@dataclass(frozen=True)
class Case:
    """What routing needs to know about a handoff."""

    reason: str
    topic: str | None = None
    anger: float = 0.0
    anger_history: Sequence[float] = ()
    text: str = ""
    customer_tier: str | None = None
    order_total: float | None = None
    keyword_queue: str | None = None  # a staff keyword matched: its queue
    last_action: str | None = None  # the lookup the conversation was in the middle of
    major: str | None = None  # the NLU heard a threat to take it outside, or abuse (bot/nlu/severity.py)


@dataclass(frozen=True)
class Route:
    queue: str
    priority: int
    labels: tuple[str, ...] = field(default=())


def anger_rising(desk: Desk, history: Sequence[float]) -> bool:
    """The customer is getting angrier: the last scores climbed by `trend_rise` or more."""
    recent = list(history)[-desk.trend_window :]
    return len(recent) >= 2 and recent[-1] - min(recent[:-1]) >= desk.trend_rise


# Topics that say nothing of what the customer needs: the queue follows the latest other one.
NOT_A_SUBJECT = frozenset(
    {"human_request", "complaint", "greeting", "goodbye", "thanks", "affirm", "deny", "chitchat", "out_of_scope"}
)


def route(desk: Desk, case: Case) -> Route:
    labels: list[str] = []
    text = case.text.lower()
    # Major: a threat to go outside or abuse, in any words (the NLU), or a word staff listed. How angry
    # the words sound is not it: an annoyed customer keeps the topic's queue, with anger's priority.
    major = case.major is not None or (
        case.reason in ("complaint", "anger") and any(w in text for w in desk.major_words)
    )
    if major:
        labels.append("major_complaint")
        queue = SUPERVISOR
    elif case.keyword_queue:
        labels.append("keyword")
        queue = case.keyword_queue
    else:
        # What the customer needs now: the latest subject they raised (its desk, or general), before
        # the lookup the conversation last ran, which may belong to an earlier subject.
        subject = case.topic if case.topic and case.topic not in NOT_A_SUBJECT else None
        queue = (
            desk.queue_by_reason.get(case.reason)
            or (desk.queue_by_topic.get(subject, GENERAL) if subject else None)
            or desk.queue_by_action.get(case.last_action or "")
            or GENERAL
        )
    if case.reason == "anger" or case.anger >= 0.5 or anger_rising(desk, case.anger_history):
        labels.append("anger")
    if case.reason == "complaint":
        labels.append("complaint")
    if queue == "claims":
        labels.append("claim")
    if case.customer_tier == "vip":
        labels.append("vip")
    if case.order_total is not None and case.order_total >= desk.high_value_total:
        labels.append("high_value")
    priority = sum(desk.priority.get(label, 0) for label in labels)
    return Route(queue if queue in desk.queues else GENERAL, priority, tuple(labels))


def first_response_due(desk: Desk, queue: str, handed_over: datetime) -> datetime:
    return handed_over + desk.queues.get(queue, desk.queues[GENERAL]).first_response


def is_open(desk: Desk, moment: datetime, public_holiday: bool = False) -> bool:
    """Are people at their desks at `moment`?"""
    if public_holiday and desk.closed_on_holidays:
        return False
    local = moment.astimezone(DESK_TZ).time()
    return desk.opens <= local < desk.closes


def next_opening(desk: Desk, moment: datetime) -> datetime:
    local = moment.astimezone(DESK_TZ)
    opening = local.replace(hour=desk.opens.hour, minute=desk.opens.minute, second=0, microsecond=0)
    return opening if local < opening else opening + timedelta(days=1)


def estimated_wait(desk: Desk, position: int, recent_handle_minutes: Sequence[float], agents_online: int) -> float:
    """Minutes until a person picks up for someone `position` places from the front (1 = next).

    Each agent frees a seat once per handling time: the median of the desk's recent chats
    (pickup to close) when there is history, else the configured pace."""
    if recent_handle_minutes:
        ordered = sorted(recent_handle_minutes)
        per_ticket = max(ordered[len(ordered) // 2], 0.5)
    else:
        per_ticket = desk.minutes_per_ticket
    return per_ticket * position / max(agents_online, 1)
