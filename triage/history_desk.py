"""The human desk in the generated history: each handoff's ticket from the moment the bot gave up
until a person is done, by the desk's rules (handoff/desk.yaml) and as its code records it.

A ticket is routed by `handoff.desk.route`, due by the queue's first-response target (after
hours: from the next opening, when the sweep queues it and, its overflow time long past, moves
it to `general`), overflows to `general` when nobody of its own queue took it in time, and is
claimed by an agent whose queues cover it (`handoff.access.covers`) and who has a free seat:
`Seats` books each agent's chats, so nobody ever holds more than `max_chats` at once. A first
reply after the due time breaches the target (the sweep's `sla_breached` event, the ticket's
flag); chats end resolved (a survey, often answered, worse after a long wait) or handed back to
the bot, and a few are transferred on the way.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from random import Random
from typing import Any

from bot.store import BOT, HUMAN, PENDING_HANDOFF
from handoff.access import SEES_ALL, covers
from handoff.context import anger_history, summary, ticket_context
from handoff.desk import (
    DESK_TZ,
    GENERAL,
    SUPERVISOR,
    Case,
    Desk,
    estimated_wait,
    first_response_due,
    is_open,
    next_opening,
    route,
)
from handoff.models import ASSIGNED, HANDED_BACK, OFFLINE, QUEUED, RESOLVED
from triage.history_chat import chat, first_words, leave_message, says_what_about
from triage.history_seats import DeskAgent, Seats
from triage.history_story import CsatButtons, PastCutoff, Ref, Story, pick, stamp
from triage.history_talk import NOTES, WHISPERS

SWEEP = 5.0  # seconds between the desk's sweeps (triage/app.py)
WORK_ON = 15 * 60.0  # agents still claim what waits this long after closing, then leave it for the morning
# Minutes from claim to close, the median per queue (a chat, with the customer's replies).
HANDLE_MINUTES = {"tracking": 7.0, "payments": 9.0, "claims": 12.0, GENERAL: 6.0, SUPERVISOR: 15.0}
# How a chat ends: resolved (a survey follows), handed back to the bot, or passed on first.
ENDINGS: tuple[tuple[str, float], ...] = (("resolve", 85), ("hand_back", 8), ("transfer", 7))
# CSAT 1..5: the usual spread, after a long wait (past the target), and for an angry complaint.
SCORES: dict[str, tuple[tuple[int, float], ...]] = {
    "usual": ((1, 4), (2, 3), (3, 8), (4, 22), (5, 63)),
    "late": ((1, 12), (2, 8), (3, 15), (4, 27), (5, 38)),
    "upset": ((1, 16), (2, 10), (3, 17), (4, 24), (5, 33)),
}
RATED = 0.55  # of surveys answered
NOTED, WHISPERED = 0.06, 0.03  # chats with a note for colleagues, with a supervisor's whisper
TAKEN_OVER, TAKEN_OVER_UPSET = 0.01, 0.08  # chats a supervisor takes over: an angry customer's more often


@dataclass
class Handover:
    """What the bot hands over: why, what routing needs, and what it says as it does."""

    reason: str
    case: Case
    context: dict[str, Any]
    replies: list[tuple[str, list[dict[str, str]] | None, dict[str, Any] | None]]
    entry_id: str | None = None  # the knowledge-base entry the customer's matter is about, if known
    order_no: str | None = None


@dataclass
class DeskRun:
    """The desk through the whole history: its rules, agents, their seats and what it knows."""

    rules: Desk
    agents: Sequence[DeskAgent]
    entry_questions: dict[str, str]
    hourly_load: Sequence[float]  # each China-time hour's share of the day's traffic, relative to the open hours'
    is_holiday: Callable[[date], bool] = lambda _: False
    seats: Seats = field(init=False)
    _open: dict[int, bool] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.seats = Seats(self.agents)

    # --- time --------------------------------------------------------------------------------

    def open_at(self, t: float) -> bool:
        """Is the desk open at `t`? Asked of the minute (hours are whole minutes), kept once known."""
        minute = int(t // 60)
        known = self._open.get(minute)
        if known is None:
            moment = stamp(minute * 60.0)
            known = self._open[minute] = is_open(self.rules, moment, self.is_holiday(moment.astimezone(DESK_TZ).date()))
        return known

    def opening(self, t: float, rng: Random) -> float:
        """When the sweep first finds the desk open, at or after `t`."""
        at = t
        while not self.open_at(at):
            at = next_opening(self.rules, stamp(at)).timestamp()
            if not self.open_at(at):
                at += 1.0  # a holiday: the next day's opening
        return at + _jitter(rng) if at > t else at

    def working(self, t: float) -> bool:
        return self.open_at(t) or self.open_at(t - WORK_ON)

    # --- the handoff ---------------------------------------------------------------------------

    def hand_over(self, story: Story, h: Handover) -> None:
        """Open the ticket (handoff/tickets.py) and live it out: waiting, claim, chat, the end."""
        rng, rules, created = story.rng, self.rules, story.t
        story.forget_question()  # a person takes it from here (bot/policy.py handoff)
        messages = story.transcript()
        decided = route(rules, replace(h.case, anger_history=anger_history(messages)))
        moment = stamp(created)
        open_now = self.open_at(created)
        ref = Ref()
        handed_at = len(messages) - 1  # the message that handed over: what came after, the summary adds
        queue = decided.queue
        ticket: dict[str, Any] = {
            "ref": ref,
            "conversation_id": story.conversation_id,
            "status": QUEUED if open_now else OFFLINE,
            "reason": h.reason,
            "queue": queue,
            "priority": decided.priority,
            "created_at": created,
            "first_response_due": first_response_due(
                rules, queue, moment if open_now else next_opening(rules, moment)
            ).timestamp(),
            "overflow_at": created + rules.overflow_after.total_seconds() if queue != GENERAL else None,
            "agent_id": None,
            "assigned_at": None,
            "first_response_at": None,
            "sla_breached": False,
            "closed_at": None,
            "summary": summary(messages, h.reason, story.slots, self.entry_questions, handed_at),
            "context": {
                **ticket_context(
                    messages,
                    reason=h.reason,
                    channel=story.channel,
                    slots=story.slots,
                    handoff_context=h.context,
                    customer=None,
                ),
                "handed_at": story.mark(),
            },
            "handed_at": handed_at,
            "labels": list(decided.labels),
            "offered_to": None,
            "csat": None,
        }
        story.tickets.append(ticket)
        story.event(ref, "queued" if open_now else "offline", data={"labels": list(decided.labels)})
        story.state, story.handoff_reason, story.handoff_at = PENDING_HANDOFF, h.reason, created
        story.meta["handoff_context"] = h.context
        for text, buttons, custom in h.replies:
            story.bot(text, buttons, custom)
        if open_now:
            position = 1 + min(8, int(rng.expovariate(1.0) * self._load(created)))
            per_ticket = [HANDLE_MINUTES.get(queue, 6.0)]
            minutes = max(1, round(estimated_wait(rules, position, per_ticket, len(self.agents))))
            name = rules.queues[queue].name_zh if story.lang == "zh" else rules.queues[queue].name_en
            key, ahead = ("queued_next", 0) if position <= 1 else ("queued", position - 1)
            text = story.talk.desk(key, story.lang, queue=name, ahead=ahead, minutes=minutes)
            story.bot(text, None, {"queue": queue, "position": position, "system": True})
            ticket["offered_to"] = self._least_loaded(queue, created)
        else:
            opens = next_opening(rules, moment)
            text = story.talk.desk(
                "offline", story.lang, opens=rules.opens.strftime("%H:%M"), closes=rules.closes.strftime("%H:%M"),
                next=opens.astimezone(DESK_TZ).strftime("%m-%d %H:%M"),
            )  # fmt: skip
            story.bot(text, None, {"system": True})
            story.slots["left_message"] = True
        with contextlib.suppress(PastCutoff):  # the ticket stays as the cut-off found it
            self._life(story, ticket, h)

    def _life(self, story: Story, ticket: dict[str, Any], h: Handover) -> None:
        rng, ref = story.rng, ticket["ref"]
        if ticket["status"] == OFFLINE:
            ready = self.opening(ticket["created_at"], rng)
            self._leave_message(story, ticket, ready)
            story.at(ready)
            ticket["status"] = QUEUED
            ticket["first_response_due"] = first_response_due(self.rules, ticket["queue"], stamp(ready)).timestamp()
            story.event(ref, "queued", data={"after_hours": True}, at=ready)
            if ticket["overflow_at"] is not None and ticket["overflow_at"] <= ready:  # the same sweep overflows it
                self._overflow(story, ticket, ready)
            desired = ready + rng.lognormvariate(math.log(40.0), 0.8)  # the morning starts with them
        else:
            ready = ticket["created_at"]
            self._while_waiting(story, ticket, h)
            desired = max(story.t, ready + rng.lognormvariate(math.log(45.0), 0.85) * self._load(ready))
        if self.rules.auto_assign:
            desired = story.t
        self._serve(story, ticket, h, desired)

    def _serve(self, story: Story, ticket: dict[str, Any], h: Handover, desired: float) -> None:
        """Claim, chat and close; a transfer to a queue serves the ticket again from there."""
        rng, ref = story.rng, ticket["ref"]
        reply_delay = rng.uniform(12.0, 80.0)
        handle = max(90.0, rng.lognormvariate(math.log(60 * HANDLE_MINUTES.get(ticket["queue"], 6.0)), 0.55))
        ending = "resolve" if ticket.get("transferred") else pick(rng, ENDINGS)  # passed on once at most
        hold = reply_delay + (rng.uniform(60.0, 240.0) if ending == "transfer" else handle)
        waits_to_overflow = ticket["overflow_at"] is not None and ticket["queue"] != GENERAL  # handoff/sweep.py
        overflow = ticket["overflow_at"] + _jitter(rng) if waits_to_overflow else None
        claim = self._claim(story, ticket, desired, hold, overflow)
        if overflow is not None and overflow <= (claim[0] if claim else story.cutoff):
            self._overflow(story, ticket, overflow)
        if claim is None:
            self._late(story, ticket, story.cutoff)
            raise PastCutoff
        at, agent = claim
        self._late(story, ticket, at + reply_delay)
        story.at(at)
        ticket.update(status=ASSIGNED, agent_id=agent.id, assigned_at=at)
        story.state = HUMAN
        story.slots.pop("left_message", None)
        story.event(ref, "claimed", agent.id)
        story.agent(agent.id, agent.name, story.talk.desk("joined", story.lang, agent=agent.name))
        self.seats.book(agent, at, at + hold)
        story.at(at + reply_delay)
        if ticket["first_response_at"] is None:
            ticket["first_response_at"] = story.t
            ticket["sla_breached"] = ticket["sla_breached"] or story.t > ticket["first_response_due"]
        words = first_words(story, ticket["queue"], h.entry_id)
        story.agent(agent.id, agent.name, words)
        if ending == "transfer":
            self._transfer(story, ticket, h, agent, at + hold)
            return
        holder = self._overseen(story, ticket, agent, at + hold)
        chat(story, holder, h.entry_id, h.order_no, at + hold, after=words)
        self._close(story, ticket, holder, ending, at + hold)

    def _overseen(self, story: Story, ticket: dict[str, Any], agent: DeskAgent, until: float) -> DeskAgent:
        """Now and then the agent notes something for colleagues, or a supervisor whispers advice or
        takes the chat over (handoff/operations.py note, whisper, take_over). Who serves it now."""
        rng, ref = story.rng, ticket["ref"]
        at = min(until - 5.0, story.t + rng.uniform(20.0, 120.0))
        if rng.random() < NOTED:
            story.event(ref, "note", agent.id, {"text": rng.choice(NOTES)}, at=at)
        seniors = [a for a in self.agents if a.role in SEES_ALL and a.id != agent.id]
        if agent.role in SEES_ALL or not seniors:
            return agent
        upset = ticket["reason"] in ("complaint", "anger")
        chance = rng.random()
        senior = rng.choice(seniors)
        if chance < (TAKEN_OVER_UPSET if upset else TAKEN_OVER) and self.seats.free(senior, at, until):
            story.at(at)
            story.event(ref, "taken_over", senior.id, {"from_agent": agent.id})
            ticket.update(agent_id=senior.id, assigned_at=at)
            story.agent(senior.id, senior.name, story.talk.desk("joined", story.lang, agent=senior.name))
            self.seats.book(senior, at, until)
            return senior
        if chance < (TAKEN_OVER_UPSET if upset else TAKEN_OVER) + WHISPERED:
            story.event(ref, "whisper", senior.id, {"text": rng.choice(WHISPERS), "to_agent_id": agent.id}, at=at)
        return agent

    def _close(self, story: Story, ticket: dict[str, Any], agent: DeskAgent, ending: str, at: float) -> None:
        """The chat ends: handed back to the bot, or resolved with a survey many answer."""
        rng, ref = story.rng, ticket["ref"]
        story.at(at)
        ticket.update(status=HANDED_BACK if ending == "hand_back" else RESOLVED, closed_at=story.t)
        self._release(story)
        if ending == "hand_back":
            story.event(ref, "handed_back", agent.id)
            story.system(story.talk.desk("handed_back", story.lang))
            return
        story.event(ref, "resolved", agent.id)
        story.system(story.talk.desk("csat", story.lang, agent=agent.name), CsatButtons(story.lang, ref))
        if rng.random() < RATED:
            story.at(story.t + rng.uniform(4.0, 90.0))
            score = self._score(rng, ticket)
            ticket["csat"] = score
            story.rates(score, ref, agent.id, ticket["queue"])

    def _claim(
        self, story: Story, ticket: dict[str, Any], desired: float, hold: float, overflow: float | None
    ) -> tuple[float, DeskAgent] | None:
        """The first moment from `desired` an agent who may take the ticket has a seat for it; from
        `overflow` on, anyone serving `general` may. Its own queue's people first."""
        rng, t = story.rng, desired
        order = {q: self._claimers(rng, q) for q in dict.fromkeys((ticket["queue"], GENERAL))}
        while t <= story.cutoff:
            if not self.working(t):
                t = self.opening(t, rng) + rng.uniform(5.0, 240.0)
                continue
            claimers = order[GENERAL if overflow is not None and t >= overflow else ticket["queue"]]
            for agent in claimers:
                if self.seats.free(agent, t, t + hold):
                    return t, agent
            # everyone is busy: the next try when someone's chat ends, and they look at the queue
            t = max(t + 1.0, self.seats.next_free(claimers, t)) + rng.uniform(3.0, 40.0)
        return None

    def _claimers(self, rng: Random, queue: str) -> list[DeskAgent]:
        """Who may claim from `queue`, in the order they would: agents with it among their skills,
        then supervisors with it, then whoever else sees it (a supervisor sees every queue)."""
        groups: list[list[DeskAgent]] = [[], [], []]
        for a in self.agents:
            if queue in a.skills:
                groups[1 if a.role in SEES_ALL else 0].append(a)
            elif covers(a.viewer, queue):
                groups[2].append(a)
        for group in groups:
            rng.shuffle(group)
        return [a for group in groups for a in group]

    def _overflow(self, story: Story, ticket: dict[str, Any], at: float) -> None:
        story.event(ticket["ref"], "overflow", data={"from": ticket["queue"]}, at=at)
        ticket["labels"] = [*ticket["labels"], f"from_{ticket['queue']}"]
        ticket["queue"], ticket["overflow_at"] = GENERAL, None

    def _late(self, story: Story, ticket: dict[str, Any], first_response: float) -> None:
        """The sweep records a first response not given by its due time (once per ticket)."""
        if ticket["sla_breached"] or ticket["first_response_at"] is not None:
            return
        swept = ticket["first_response_due"] + _jitter(story.rng)
        if first_response > swept and swept <= story.cutoff:
            ticket["sla_breached"] = True
            due = stamp(ticket["first_response_due"]).isoformat()
            story.event(ticket["ref"], "sla_breached", data={"due": due}, at=swept)

    def _transfer(self, story: Story, ticket: dict[str, Any], h: Handover, agent: DeskAgent, at: float) -> None:
        """Pass the chat on: to a colleague with a free seat, or back to a queue (handoff/operations.py)."""
        rng, ref = story.rng, ticket["ref"]
        story.at(at)
        ticket["transferred"] = True
        target = self.rules.queue_by_topic.get(h.case.topic or "", GENERAL)
        seniors = [a for a in self.agents if a.id != agent.id and a.role in SEES_ALL]
        if (ticket["queue"] in (GENERAL, SUPERVISOR) and target not in (GENERAL, ticket["queue"])) or not seniors:
            story.event(ref, "transferred", agent.id, {"to_queue": target})
            ticket.update(status=QUEUED, agent_id=None, queue=target)
            story.state = PENDING_HANDOFF
            if ticket["overflow_at"] is not None and target != GENERAL:
                self._overflow(story, ticket, at + _jitter(rng))
            self._serve(story, ticket, h, at + rng.lognormvariate(math.log(60.0), 0.7))
            return
        senior = rng.choice(seniors)
        handle = max(90.0, rng.lognormvariate(math.log(60 * HANDLE_MINUTES[SUPERVISOR]), 0.5))
        if not self.seats.free(senior, at, at + handle):
            story.event(ref, "transferred", agent.id, {"to_queue": GENERAL})
            ticket.update(status=QUEUED, agent_id=None, queue=GENERAL)
            story.state = PENDING_HANDOFF
            self._serve(story, ticket, h, at + rng.lognormvariate(math.log(60.0), 0.7))
            return
        story.event(ref, "transferred", agent.id, {"to_agent": senior.id})
        ticket.update(agent_id=senior.id, assigned_at=at)
        self.seats.book(senior, at, at + handle)
        chat(story, senior, h.entry_id, h.order_no, at + handle)
        self._close(story, ticket, senior, "resolve", at + handle)

    def _leave_message(self, story: Story, ticket: dict[str, Any], opening: float) -> None:
        if leave_message(story, opening):
            self._added(story, ticket)

    def _while_waiting(self, story: Story, ticket: dict[str, Any], h: Handover) -> None:
        """Waiting in hours: a customer whose ticket is in `general` often says what it is about, and
        the ticket moves to that desk's queue (handoff/tickets.py subject_while_waiting)."""
        topic = h.case.topic
        target = self.rules.queue_by_topic.get(topic or "")
        if ticket["queue"] == GENERAL and target and h.entry_id and story.rng.random() < 0.7:
            says_what_about(story, h.entry_id, h.order_no)
            self._added(story, ticket)
            ticket["queue"] = target
            story.event(ticket["ref"], "rerouted", data={"from_queue": GENERAL, "topic": topic})

    def _added(self, story: Story, ticket: dict[str, Any]) -> None:
        """The waiting customer said more: the ticket's summary adds it (handoff/tickets.py)."""
        messages = story.transcript()
        ticket["summary"] = summary(messages, ticket["reason"], story.slots, self.entry_questions, ticket["handed_at"])

    # --- helpers ------------------------------------------------------------------------------

    def _release(self, story: Story) -> None:
        """The conversation is the bot's again (handoff/operations.py `_release`)."""
        story.state, story.fallback_count = BOT, 0
        story.forget_question()
        story.slots.pop("left_message", None)

    def _load(self, t: float) -> float:
        return self.hourly_load[int((t + 8 * 3600) // 3600) % 24]

    def _least_loaded(self, queue: str, t: float) -> int | None:
        """The agent the desk offers the ticket to: of those with the queue among their skills and a
        free seat, the one with the most free (handoff/seats.py `least_loaded`)."""
        candidates = [(self.seats.busy(a, t), a) for a in self.agents if queue in a.skills]
        free = [(busy / max(a.max_chats, 1), busy, a.id) for busy, a in candidates if busy < a.max_chats]
        return min(free)[2] if free else None

    def _score(self, rng: Random, ticket: dict[str, Any]) -> int:
        upset = ticket["reason"] in ("complaint", "anger")
        spread = SCORES["upset" if upset else "late" if ticket["sla_breached"] else "usual"]
        return pick(rng, spread)


def _jitter(rng: Random) -> float:
    """When within its 5-second period the sweep came round."""
    return rng.random() * SWEEP
