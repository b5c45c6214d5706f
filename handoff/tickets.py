"""Opening a ticket for a handoff, and moving up a customer who gets upset while waiting.

Opening: find what the customer needs now (the subject), who they are, route the case to a
queue (handoff/desk.py), record the ticket with its summary and context, then either queue it
(offered to, or given at once to, the agent with the most free seats) or, after hours, take a
message. The customer hears of it in the reply to the message that asked for a person.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.cues import gives_last4, moves_on
from bot.escalation import Notice
from bot.store import Conversation, Message, transcript
from core.text import normalize
from handoff import seats
from handoff.context import anger_history, summary, ticket_context
from handoff.desk import GENERAL, NOT_A_SUBJECT, SUPERVISOR, Case, first_response_due, next_opening, route
from handoff.events import desk_event, ticket_summary
from handoff.lines import line
from handoff.models import OFFLINE, OPEN_STATES, QUEUED, Ticket, TicketEvent
from handoff.operations import Operations
from handoff.queue import OFFLINE as OFFLINE_QUEUE
from handoff.state import DeskState
from handoff.waiting import queued_notice
from merchant.models import Customer, Order

# What is left of an answer to the bot's question (an order number, the phone's last digits).
_ANSWER_ONLY = re.compile(r"qorderq|qwaybillq|qphoneq|qnumq|[0-9\s]|单号|订单号|order|no")


class Tickets:
    """Opens the tickets of `state`'s desk; `operations` gives one to an agent when the desk assigns."""

    def __init__(self, state: DeskState, operations: Operations) -> None:
        self.state = state
        self.operations = operations

    def open(
        self, session: Session, conv: Conversation, reason: str, handoff_context: dict[str, Any]
    ) -> tuple[Ticket | None, list[Notice]]:
        """A ticket for this handoff, unless the conversation already has one open (no loops)."""
        existing = session.scalars(
            select(Ticket).where(Ticket.conversation_id == conv.id, Ticket.status.in_(OPEN_STATES))
        ).first()
        if existing is not None:
            return existing, []
        now = self.state.now()
        ticket = self._record(session, conv, reason, handoff_context, now)
        if ticket.status == OFFLINE:
            return ticket, [self._take_a_message(session, conv, ticket, now)]
        return ticket, self._queue(session, conv, ticket, now)

    def _record(
        self, session: Session, conv: Conversation, reason: str, handoff_context: dict[str, Any], now: datetime
    ) -> Ticket:
        """Route the handoff and store its ticket: waiting now, or (after hours) for the desk to open."""
        rules = self.state.rules
        messages = transcript(session, conversation_id=conv.id)
        slots = dict(conv.slots or {})
        customer, order_total = customer_of(session, slots)
        case = Case(
            reason=reason,
            topic=subject(messages, handoff_context.get("subject") or handoff_context.get("topic")),
            anger=float(handoff_context.get("anger") or 0.0),
            anger_history=anger_history(messages),
            text=str(handoff_context.get("last_message") or ""),
            customer_tier=(customer or {}).get("tier"),
            order_total=order_total,
            keyword_queue=handoff_context.get("keyword_queue"),
            last_action=slots.get("last_action"),
            major=handoff_context.get("major"),
        )
        decided = route(rules, case)
        open_now = self.state.open_at(now)
        ticket = Ticket(
            conversation_id=conv.id,
            status=QUEUED if open_now else OFFLINE,
            reason=reason,
            queue=decided.queue,
            priority=decided.priority,
            created_at=now,
            first_response_due=first_response_due(rules, decided.queue, now if open_now else next_opening(rules, now)),
            overflow_at=now + rules.overflow_after if decided.queue != GENERAL else None,
            summary=summary(messages, reason, slots, self.state.entry_questions, _last_id(messages)),
            context={
                **ticket_context(
                    messages,
                    reason=reason,
                    channel=conv.channel,
                    slots=slots,
                    handoff_context=handoff_context,
                    customer=customer,
                ),
                "handed_at": _last_id(messages),  # what the customer says after this, the summary adds
            },
            labels=list(decided.labels),
        )
        session.add(ticket)
        session.flush()
        kind = "queued" if open_now else "offline"
        session.add(TicketEvent(ticket_id=ticket.id, kind=kind, data={"labels": list(decided.labels)}))
        return ticket

    def _take_a_message(self, session: Session, conv: Conversation, ticket: Ticket, now: datetime) -> Notice:
        """After hours: the ticket waits for the desk to open, and the customer is asked to leave a
        message and a phone number."""
        rules = self.state.rules
        event = desk_event(session, ticket, "ticket_offline", ticket=ticket_summary(ticket))
        text = line(
            "offline",
            conv.language or "zh",
            opens=rules.opens.strftime("%H:%M"),
            closes=rules.closes.strftime("%H:%M"),
            next=next_opening(rules, now).strftime("%m-%d %H:%M"),
        )
        conv.slots = {**(conv.slots or {}), "left_message": True}
        self.state.queue.push(ticket.id, OFFLINE_QUEUE, ticket.priority, now)
        return Notice(text=text, desk_event=event)

    def _queue(self, session: Session, conv: Conversation, ticket: Ticket, now: datetime) -> list[Notice]:
        """In hours: the ticket joins its queue and goes to (or is offered to) the agent with the
        most free seats; otherwise the customer hears their place and the wait."""
        self.state.queue.push(ticket.id, ticket.queue, ticket.priority, now)
        chosen = seats.least_loaded(session, ticket.queue)
        if chosen is not None and self.state.rules.auto_assign:
            notices = self.operations.claim(session, ticket.id, chosen)
            # the customer hears of it in this very reply; the desk after the commit
            return [Notice(text=n.text, custom=n.custom) if n.sender_id else n for n in notices]
        if chosen is not None:
            ticket.offered_to = chosen.id
        event = desk_event(session, ticket, "ticket_queued", ticket=ticket_summary(ticket))
        return [queued_notice(self.state, session, ticket, conv.language or "zh", event)]

    def upset_while_waiting(self, session: Session, conv: Conversation, major: str | None = None) -> list[Notice]:
        """A waiting customer got angry: their ticket moves up (once) and says why; one who threatens
        to take it outside (`major`) is re-routed to a supervisor, first in line."""
        ticket = session.scalars(
            select(Ticket).where(Ticket.conversation_id == conv.id, Ticket.status == QUEUED)
        ).first()
        if ticket is None:
            return []
        label = "major_complaint" if major else "anger"
        if label in (ticket.labels or []):
            return []
        ticket.labels = [*(ticket.labels or []), label]
        ticket.priority += self.state.rules.priority.get(label, 0)
        data: dict[str, Any] = {"label": label}
        if major and ticket.queue != SUPERVISOR:
            data["from_queue"], ticket.queue = ticket.queue, SUPERVISOR
            ticket.first_response_due = min(
                ticket.first_response_due, first_response_due(self.state.rules, SUPERVISOR, self.state.now())
            )
        self.state.queue.move(ticket.id, ticket.queue, ticket.priority, ticket.created_at)
        session.add(TicketEvent(ticket_id=ticket.id, kind="escalated", data=data))
        return [Notice(desk_event=desk_event(session, ticket, "ticket_escalated", ticket=ticket_summary(ticket)))]

    def _resummarise(self, session: Session, conv: Conversation) -> None:
        """The waiting ticket's summary again, with what the customer has added since the handoff."""
        ticket = session.scalars(
            select(Ticket).where(Ticket.conversation_id == conv.id, Ticket.status.in_((QUEUED, OFFLINE)))
        ).first()
        if ticket is None:
            return
        messages = transcript(session, conversation_id=conv.id)
        handed_at = (ticket.context or {}).get("handed_at")
        slots = dict(conv.slots or {})
        ticket.summary = summary(messages, ticket.reason, slots, self.state.entry_questions, handed_at)

    def subject_while_waiting(self, session: Session, conv: Conversation, topic: str | None) -> list[Notice]:
        """A customer waiting says more: the ticket's summary adds it; and a customer waiting in the
        general queue who says what it is about (the parcel, the money, a claim) moves to that
        desk's queue, keeping their priority and their age."""
        self._resummarise(session, conv)
        queue = self.state.rules.queue_by_topic.get(topic or "") if topic not in NOT_A_SUBJECT else None
        if queue is None:
            return []
        ticket = session.scalars(
            select(Ticket).where(Ticket.conversation_id == conv.id, Ticket.status == QUEUED)
        ).first()
        if ticket is None or ticket.queue != GENERAL:
            return []  # already with a desk of its own (or a supervisor): a person sorts it from there
        ticket.queue = queue
        self.state.queue.move(ticket.id, queue, ticket.priority, ticket.created_at)
        session.add(TicketEvent(ticket_id=ticket.id, kind="rerouted", data={"from_queue": GENERAL, "topic": topic}))
        return [Notice(desk_event=desk_event(session, ticket, "ticket_rerouted", ticket=ticket_summary(ticket)))]


def _last_id(messages: list[Message]) -> int | None:
    return max((m.id for m in messages if m.id is not None), default=None)


def subject(messages: list[Message], topic: str | None) -> str | None:
    """What the customer needs now: "转人工" says nothing, so look back for the latest customer
    turn about something (查货, 查款, a refund …), not the conversation's first topic. A request
    for a person or a complaint that named its subject ("货款没到 转人工") counts as about it."""
    if topic and topic not in NOT_A_SUBJECT:
        return topic
    latest = next((m for m in reversed(messages) if m.direction == "in"), None)
    if latest is not None and moves_on(latest.text) and not (latest.parse or {}).get("subject"):
        return topic  # "另外我想投诉那个快递员": another matter than the lookups before it, and not named
    for m in reversed(messages):
        if m.direction != "in" or _bare_answer(m.text):
            continue
        about = m.topic if m.topic not in NOT_A_SUBJECT else (m.parse or {}).get("subject")
        if about and about not in NOT_A_SUBJECT:
            return str(about)
    return topic


def _bare_answer(text: str) -> bool:
    """The message only answers a question the bot asked: it says nothing of what it is about
    ("phone ends 7606" is no address change, whatever the matcher made of "phone")."""
    return not _ANSWER_ONLY.sub("", normalize(text)) or gives_last4(text)


def customer_of(session: Session, slots: dict[str, Any]) -> tuple[dict[str, Any] | None, float | None]:
    """The verified customer (phone masked) and the total of the order in question, if known."""
    customer = None
    if slots.get("verified_customer"):
        row = session.scalars(select(Customer).where(Customer.external_id == slots["verified_customer"])).first()
        if row is not None:
            customer = {
                "external_id": row.external_id,
                "name": row.name,
                "kind": row.kind,
                "tier": row.tier,
                "phone": row.phone[:3] + "****" + row.phone[-4:],
            }
    order_total = None
    if slots.get("order_id"):
        total = session.scalar(select(Order.total).where(Order.order_no == slots["order_id"]))
        order_total = float(total) if total is not None else None
    return customer, order_total
