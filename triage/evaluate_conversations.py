"""Conversation-level evaluation: play short customer conversations through the whole bot and
score what happened by the end of each against what should have.

    triage nlu conversations knowledge_base/eval/conversations.yaml [more.yaml …] [--show-misses]

Each file is a YAML list of conversations::

    - id: a01
      turns: ["我的货款怎么还没到", "YX20261110000005", "6604"]
      outcome: handoff          # answered | asks_order | handoff | declined
      queue: payments           # for a handoff: tracking | payments | claims | general | supervisor
      note: "held COD money goes to the payments desk"

Every conversation runs in a fresh embedded instance of the instance (SQLite, the in-process Redis
stand-in, the demo merchant data dated to the evaluation day, the clock frozen at 10:00 China
time so the desk is open). What happened by the end of the last turn is read from the record,
as the desk would see it:

- `handoff`: a ticket was opened (and its queue is scored too);
- `asks_order`: the bot is waiting for an order number, or for the last four digits of the phone
  on it (the two things it needs before it shows an order; a mismatch is asked again);
- `answered`: the last turn was answered (an FAQ answer or a lookup's result);
- `declined`: the last turn was surely not ours (another business's affairs, everyday life) and
  the bot said so politely;
- `unresolved`: anything else: a fallback on a message the bot could not read, a "did you mean",
  a question still open.

Compatibility: files written before `declined` existed (blind rounds up to 10) say `answered` for
a polite decline. The report gives two figures: strict (the outcome as written) and compatible,
where an expected `answered` is also met by `declined`, never the other way round.
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select

from bot.engine import InboundMessage
from bot.store import BOT, Message, find
from core.config import Settings
from triage.wiring import Instance

OUTCOMES = ("answered", "asks_order", "handoff", "declined")
QUEUES = ("tracking", "payments", "claims", "general", "supervisor")
ANSWERED_KINDS = ("answer", "action")
DECLINED = "declined"  # the outcome the engine records for a message declined as surely not ours


@dataclass(frozen=True)
class Case:
    id: str
    turns: tuple[str, ...]
    outcome: str
    queue: str | None
    note: str = ""


@dataclass(frozen=True)
class Result:
    case: Case
    outcome: str
    queue: str | None
    replies: tuple[str, ...]  # the bot's replies to the last turn

    @property
    def outcome_right(self) -> bool:
        return self.outcome == self.case.outcome

    @property
    def outcome_compatible(self) -> bool:
        """The right outcome, an expected `answered` also met by `declined` (the compatibility rule)."""
        return self.outcome_right or (self.case.outcome == "answered" and self.outcome == "declined")

    @property
    def right(self) -> bool:
        """The right outcome and, for a handoff, the right queue."""
        return self.outcome_right and (self.case.outcome != "handoff" or self.queue == self.case.queue)

    @property
    def right_compatible(self) -> bool:
        return self.outcome_compatible and (self.case.outcome != "handoff" or self.queue == self.case.queue)


def read_cases(paths: Iterable[Path]) -> list[Case]:
    """The conversations in `paths`; a malformed one raises ValueError naming it."""
    cases: list[Case] = []
    for path in paths:
        for i, raw in enumerate(yaml.safe_load(path.read_text(encoding="utf-8")) or []):
            where = f"{path.name}[{i}]"
            turns = raw.get("turns") or []
            outcome, queue = raw.get("outcome"), raw.get("queue")
            if not turns or not all(isinstance(t, str) and t.strip() for t in turns):
                raise ValueError(f"{where}: turns must be a list of customer messages")
            if outcome not in OUTCOMES:
                raise ValueError(f"{where}: outcome must be one of {', '.join(OUTCOMES)}")
            if (outcome == "handoff") != (queue is not None) or (queue is not None and queue not in QUEUES):
                raise ValueError(f"{where}: a handoff names one of {', '.join(QUEUES)}; other outcomes none")
            cases.append(Case(str(raw.get("id") or where), tuple(turns), outcome, queue, str(raw.get("note") or "")))
    return cases


def evaluation_settings(data_dir: Path, today: date) -> Settings:
    """An embedded instance whose clock stands at 10:00 China time on `today` (the desk is open)."""
    from merchant.store import MERCHANT_TZ

    moment = datetime.combine(today, time(10, 0), tzinfo=MERCHANT_TZ)
    env = {"TRIAGE_FROZEN_NOW": moment.isoformat(), "TRIAGE_RATE_PER_SENDER": "0", "TRIAGE_RATE_PER_IP": "0"}
    return Settings.from_env(env, data_dir=str(data_dir))


def build(data_dir: Path, today: date, model_cache: Path | None = None) -> Instance:
    """A fresh embedded instance over demo data dated `today`."""
    from core.db import Database
    from merchant.demo import generate
    from triage import wiring

    settings = evaluation_settings(data_dir, today)
    if model_cache is not None:
        settings = dataclasses.replace(settings, model_cache=model_cache)
    db = Database(settings.database_url)
    db.migrate()
    generate(db, orders=60, today=today)
    db.engine.dispose()
    return wiring.build(settings)


def outcome_of(instance: Instance, sender_id: str) -> tuple[str, str | None]:
    """What the desk would see at the end of this conversation: the outcome and the ticket's queue."""
    from handoff.models import Ticket

    with instance.db.session() as session:
        conv = find(session, sender_id=sender_id)
        if conv is None:
            return "unresolved", None
        ticket = session.scalars(
            select(Ticket).where(Ticket.conversation_id == conv.id).order_by(Ticket.id.desc())
        ).first()
        if conv.state != BOT or ticket is not None:
            return "handoff", ticket.queue if ticket is not None else None
        if (conv.slots or {}).get("requested_slot") in ("order_id", "phone_last4"):
            return "asks_order", None
        last = session.scalars(
            select(Message)
            .where(Message.conversation_id == conv.id, Message.direction == "in")
            .order_by(Message.id.desc())
        ).first()
        if last is not None and not (conv.slots or {}).get("requested_slot"):
            if last.outcome in ANSWERED_KINDS:
                return "answered", None
            if last.outcome == DECLINED:
                return "declined", None
        return "unresolved", None


def play(instance: Instance, case: Case, n: int) -> Result:
    sender = f"eval-{n}-{case.id}"
    replies: list[str] = []
    for text in case.turns:
        replies = [r.text for r in instance.engine.handle(InboundMessage(sender, text, "rest"))]
    outcome, queue = outcome_of(instance, sender)
    return Result(case, outcome, queue, tuple(replies))


def run(cases: Sequence[Case], instance: Instance) -> list[Result]:
    """Each case on its own sender (the instance is shared; conversations never meet)."""
    return [play(instance, case, n) for n, case in enumerate(cases)]


def report(results: Sequence[Result], show_misses: bool = False) -> str:
    total = len(results)
    lines = [f"conversations: {total}"]
    if not total:
        return lines[0]
    right = sum(r.right for r in results)
    outcome_right = sum(r.outcome_right for r in results)
    compatible, right_compatible = sum(r.outcome_compatible for r in results), sum(r.right_compatible for r in results)
    handoffs = [r for r in results if r.case.outcome == "handoff"]
    queued_right = sum(r.queue == r.case.queue for r in handoffs if r.outcome == "handoff")
    lines.append(f"right outcome:             {outcome_right}/{total} = {outcome_right / total:.1%}")
    lines.append(f"right outcome and queue:   {right}/{total} = {right / total:.1%}")
    lines.append("with an expected 'answered' met by 'declined' (compatibility rule):")
    lines.append(f"  right outcome:           {compatible}/{total} = {compatible / total:.1%}")
    lines.append(f"  right outcome and queue: {right_compatible}/{total} = {right_compatible / total:.1%}")
    if handoffs:
        lines.append(f"handoffs in the right queue: {queued_right}/{len(handoffs)}")
    confusion = Counter((r.case.outcome, r.outcome) for r in results)
    lines.append("expected -> got: " + ", ".join(f"{e}->{g} {n}" for (e, g), n in sorted(confusion.items())))
    if show_misses:
        for r in results:
            if not r.right:
                got = r.outcome + (f"/{r.queue}" if r.queue else "")
                want = r.case.outcome + (f"/{r.case.queue}" if r.case.queue else "")
                tag = "COMPAT" if r.right_compatible else "MISS"  # right only by the compatibility rule
                lines.append(f"  {tag} {r.case.id}: want {want}, got {got}: {' | '.join(r.case.turns)}")
                lines.append(f"       bot: {' / '.join(r.replies)[:300]}")
    return "\n".join(lines)


def evaluate(cases: Sequence[Case], data_dir: Path, today: date, model_cache: Path | None = None) -> list[Result]:
    """`cases` played on an instance built in `data_dir` for `today`, closed afterwards."""
    instance = build(data_dir, today, model_cache)
    try:
        return run(cases, instance)
    finally:
        instance.close()


def main(args: argparse.Namespace) -> int:
    cases = read_cases(Path(p) for p in args.files)
    today = date.fromisoformat(args.today) if args.today else date.today()
    with tempfile.TemporaryDirectory(prefix="triage-conv-eval-") as tmp:
        results = evaluate(cases, Path(tmp), today, Path(args.model_cache) if args.model_cache else None)
    print(report(results, args.show_misses))
    return 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", help="YAML files of conversations")
    parser.add_argument("--today", help="the evaluation day (YYYY-MM-DD; default today)")
    parser.add_argument("--model-cache", help="where trained models are kept between runs")
    parser.add_argument("--show-misses", action="store_true", help="print each conversation that went wrong")


def summary(results: Sequence[Result]) -> dict[str, Any]:
    """The figures as data (tests and the README's table)."""
    total = len(results) or 1
    handoffs = [r for r in results if r.case.outcome == "handoff"]
    return {
        "conversations": len(results),
        "outcome": sum(r.outcome_right for r in results) / total,
        "right": sum(r.right for r in results) / total,
        "outcome_compatible": sum(r.outcome_compatible for r in results) / total,
        "right_compatible": sum(r.right_compatible for r in results) / total,
        "queues": (sum(r.outcome == "handoff" and r.queue == r.case.queue for r in handoffs), len(handoffs)),
    }
