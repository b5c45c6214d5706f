"""The desk's operations over SQL and the Redis queue: open a ticket, claim, reply, transfer,
resolve, hand back, rate, and the periodic sweep (overflow, missed first responses, queue repair).

Functions take the caller's session and change nothing outside it except Redis ordering;
messages for customers and consoles are returned as `Notice`s and published by the caller
after the commit, so nobody hears of a change that was rolled back.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date, datetime
from functools import cache
from importlib import resources
from typing import Any

import yaml
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bot.escalation import Notice
from bot.policy import QUESTION_SLOTS
from bot.store import BOT, HUMAN, PENDING_HANDOFF, Conversation, Message, transcript
from core import errors, metrics
from core.db import utcnow
from core.text import normalize
from handoff.access import OWNING_EVENTS, Viewer, covers, owners, queues_for, sees_all
from handoff.agents import DESK_ROLES
from handoff.context import anger_history, summary, ticket_context
from handoff.desk import (
    DESK_TZ,
    GENERAL,
    NOT_A_SUBJECT,
    SUPERVISOR,
    Case,
    Desk,
    estimated_wait,
    first_response_due,
    is_open,
    next_opening,
    route,
)
from handoff.models import (
    ASSIGNED,
    HANDED_BACK,
    OFFLINE,
    OPEN_STATES,
    QUEUED,
    RESOLVED,
    Agent,
    Rating,
    Ticket,
    TicketEvent,
)
from handoff.queue import ELSEWHERE, GONE, TAKEN, TicketQueue
from handoff.queue import OFFLINE as OFFLINE_QUEUE
from merchant.models import Customer, Order

POSITION_UPDATES = 10  # how many of those waiting hear their new place when the queue moves


# What is left of an answer to the bot's question (an order number, the phone's last digits).
_ANSWER_ONLY = re.compile(r"qorderq|qwaybillq|qphoneq|qnumq|[0-9\s]|单号|订单号|order|no")


def _bare_answer(text: str) -> bool:
    """The message only answers a question the bot asked: it says nothing of what it is about."""
    return not _ANSWER_ONLY.sub("", normalize(text))


class DeskError(errors.Invalid):
    """A desk operation that cannot be done as asked."""


class NotFound(errors.NotFound, DeskError):
    pass


class Conflict(errors.Conflict, DeskError):
    """Someone else got there first, or the agent has no free seat."""


@cache
def _lines() -> dict[str, dict[str, str]]:
    raw = (resources.files("handoff") / "lines.yaml").read_text(encoding="utf-8")
    return dict(yaml.safe_load(raw))


def ticket_summary(t: Ticket, position: int | None = None) -> dict[str, Any]:
    """A ticket as queues and events show it (its full context is fetched on opening)."""
    return {
        "id": t.id,
        "conversation_id": t.conversation_id,
        "status": t.status,
        "reason": t.reason,
        "queue": t.queue,
        "priority": t.priority,
        "labels": t.labels or [],
        "created_at": t.created_at.isoformat(),
        "first_response_due": t.first_response_due.isoformat(),
        "first_response_at": t.first_response_at.isoformat() if t.first_response_at else None,
        "sla_breached": t.sla_breached,
        "agent_id": t.agent_id,
        "summary": t.summary,
        "position": position,
        "csat": t.csat,
        "offered_to": t.offered_to,
    }


def line(key: str, lang: str, **values: Any) -> str:
    """A desk line (handoff/lines.yaml) in the customer's language."""
    return _lines()[key]["zh" if lang == "zh" else "en"].format(**values)


def rating_buttons(lang: str, ticket_id: int | None) -> list[dict[str, str]]:
    labels = ["1 非常不满意", "2 不满意", "3 一般", "4 满意", "5 非常满意"]
    if lang != "zh":
        labels = ["1 very poor", "2 poor", "3 okay", "4 good", "5 excellent"]
    out = []
    for score, label in enumerate(labels, start=1):
        data: dict[str, int] = {"score": score}
        if ticket_id is not None:
            data["ticket"] = ticket_id
        out.append({"title": label, "payload": "/csat" + json.dumps(data, separators=(",", ":"))})
    return out


class HelpDesk:
    def __init__(
        self,
        queue: TicketQueue,
        desk: Desk,
        entry_questions: dict[str, str] | None = None,
        now: Callable[[], datetime] = utcnow,
        is_holiday: Callable[[date], bool] = lambda _: False,
    ) -> None:
        self.queue = queue
        self.desk = desk
        self.entry_questions = entry_questions or {}
        self.now = now
        self.is_holiday = is_holiday
        self._suspects: set[int] = set()  # ids in Redis that SQL did not know at the last sweep

    # --- opening tickets ------------------------------------------------------------------

    def open_ticket(
        self, session: Session, conv: Conversation, reason: str, handoff_context: dict[str, Any]
    ) -> tuple[Ticket | None, list[Notice]]:
        """A ticket for this handoff, unless the conversation already has one open (no loops)."""
        existing = session.scalars(
            select(Ticket).where(Ticket.conversation_id == conv.id, Ticket.status.in_(OPEN_STATES))
        ).first()
        if existing is not None:
            return existing, []
        now = self.now()
        messages = transcript(session, conversation_id=conv.id)
        slots = dict(conv.slots or {})
        customer, order_total = self._customer(session, slots)
        keyword_queue = handoff_context.get("keyword_queue")
        case = Case(
            reason=reason,
            topic=self._subject(messages, handoff_context.get("topic")),
            anger=float(handoff_context.get("anger") or 0.0),
            anger_history=anger_history(messages),
            text=str(handoff_context.get("last_message") or ""),
            customer_tier=(customer or {}).get("tier"),
            order_total=order_total,
            keyword_queue=keyword_queue,
            last_action=slots.get("last_action"),
            major=handoff_context.get("major"),
        )
        decided = route(self.desk, case)
        open_now = self.open_at(now)
        ticket = Ticket(
            conversation_id=conv.id,
            status=QUEUED if open_now else OFFLINE,
            reason=reason,
            queue=decided.queue,
            priority=decided.priority,
            created_at=now,
            first_response_due=first_response_due(
                self.desk, decided.queue, now if open_now else next_opening(self.desk, now)
            ),
            overflow_at=now + self.desk.overflow_after if decided.queue != GENERAL else None,
            summary=summary(messages, reason, slots, self.entry_questions),
            context=ticket_context(
                messages,
                reason=reason,
                channel=conv.channel,
                slots=slots,
                handoff_context=handoff_context,
                customer=customer,
            ),
            labels=list(decided.labels),
        )
        session.add(ticket)
        session.flush()
        session.add(
            TicketEvent(
                ticket_id=ticket.id, kind="queued" if open_now else "offline", data={"labels": list(decided.labels)}
            )
        )
        lang = conv.language or "zh"
        q = self.desk.queues[decided.queue]
        queue_name = q.name_zh if lang == "zh" else q.name_en
        event = self._event(session, ticket, "ticket_queued", ticket=ticket_summary(ticket))
        if not open_now:
            text = line(
                "offline",
                lang,
                opens=self.desk.opens.strftime("%H:%M"),
                closes=self.desk.closes.strftime("%H:%M"),
                next=next_opening(self.desk, now).strftime("%m-%d %H:%M"),
            )
            conv.slots = {**(conv.slots or {}), "left_message": True}
            self.queue.push(ticket.id, OFFLINE_QUEUE, ticket.priority, now)
            return ticket, [Notice(text=text, desk_event={**event, "type": "ticket_offline"})]
        self.queue.push(ticket.id, ticket.queue, ticket.priority, now)
        chosen = self.least_loaded(session, ticket.queue)
        if chosen is not None and self.desk.auto_assign:
            notices = self.claim(session, ticket.id, chosen)
            # the customer hears of it in this very reply; the desk after the commit
            return ticket, [Notice(text=n.text, custom=n.custom) if n.sender_id else n for n in notices]
        if chosen is not None:
            ticket.offered_to = chosen.id
            event = {**event, "ticket": ticket_summary(ticket)}
        position = self.queue.position(ticket.id, ticket.queue) or 1
        minutes = self.wait_minutes(session, ticket.queue, position)
        if position <= 1:
            text = line("queued_next", lang, queue=queue_name)
        else:
            text = line("queued", lang, queue=queue_name, ahead=position - 1, minutes=minutes)
        return ticket, [Notice(text=text, custom={"queue": ticket.queue, "position": position}, desk_event=event)]

    def _subject(self, messages: list[Message], topic: str | None) -> str | None:
        """What the customer needs now: "转人工" says nothing, so look back for the latest customer
        turn about something (查货, 查款, a refund …), not the conversation's first topic."""
        if topic and topic not in NOT_A_SUBJECT:
            return topic
        for m in reversed(messages):
            if m.direction == "in" and m.topic and m.topic not in NOT_A_SUBJECT and not _bare_answer(m.text):
                return m.topic
        return topic

    def _customer(self, session: Session, slots: dict[str, Any]) -> tuple[dict[str, Any] | None, float | None]:
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

    def open_at(self, moment: datetime) -> bool:
        return is_open(self.desk, moment, public_holiday=self.is_holiday(moment.astimezone(DESK_TZ).date()))

    def least_loaded(self, session: Session, queue: str) -> Agent | None:
        """The online agent serving `queue` with the most free seats (fewest chats open)."""
        load = dict(
            session.execute(
                select(Ticket.agent_id, func.count()).where(Ticket.status == ASSIGNED).group_by(Ticket.agent_id)
            ).all()
        )
        candidates = [
            a
            for a in session.scalars(
                select(Agent).where(Agent.presence == "online", Agent.role.in_(DESK_ROLES)).order_by(Agent.id)
            )
            if queue in (a.skills or []) and load.get(a.id, 0) < a.max_chats
        ]
        return min(candidates, key=lambda a: (load.get(a.id, 0) / max(a.max_chats, 1), load.get(a.id, 0)), default=None)

    def wait_minutes(self, session: Session, queue: str, position: int) -> int:
        agents = (
            session.scalar(
                select(func.count()).select_from(Agent).where(Agent.presence == "online", Agent.role.in_(DESK_ROLES))
            )
            or 0
        )
        recent = session.execute(
            select(Ticket.assigned_at, Ticket.closed_at)
            .where(Ticket.queue == queue, Ticket.closed_at.is_not(None), Ticket.assigned_at.is_not(None))
            .order_by(Ticket.closed_at.desc())
            .limit(50)
        ).all()
        handle = [(c - a).total_seconds() / 60 for a, c in recent if a and c]
        return max(1, round(estimated_wait(self.desk, position, handle, int(agents))))

    # --- the agent's side -----------------------------------------------------------------

    def load(self, session: Session, ticket_id: int, *, lock: bool = False) -> tuple[Ticket, Conversation]:
        query = select(Ticket).where(Ticket.id == ticket_id)
        ticket = session.scalars(query.with_for_update() if lock else query).first()
        if ticket is None:
            raise NotFound(f"no ticket {ticket_id}")
        conv = session.get_one(Conversation, ticket.conversation_id)
        return ticket, conv

    def load_for(
        self, session: Session, ticket_id: int, agent: Agent, *, lock: bool = False
    ) -> tuple[Ticket, Conversation]:
        """The ticket and its conversation, if `agent` may see them (handoff/access.py); one they
        may not see is not found, as a ticket that does not exist."""
        ticket, conv = self.load(session, ticket_id, lock=lock)
        if not self.may_work(session, agent, ticket.id, ticket.queue, ticket.agent_id):
            raise NotFound(f"no ticket {ticket_id}")
        return ticket, conv

    def may_work(self, session: Session, agent: Agent, ticket_id: int, queue: str, current: int | None) -> bool:
        """The access rule for one ticket; its history is read only when its queue is not the agent's."""
        viewer = Viewer.of(agent)
        return covers(viewer, queue) or viewer.id in self.owners_of(session, ticket_id, current)

    def owners_of(self, session: Session, ticket_id: int, current: int | None) -> list[int]:
        """Who owns or owned the ticket: `current` (its agent now), then its claims and transfers."""
        history = session.execute(
            select(TicketEvent.kind, TicketEvent.agent_id, TicketEvent.data)
            .where(TicketEvent.ticket_id == ticket_id, TicketEvent.kind.in_(OWNING_EVENTS))
            .order_by(TicketEvent.id)
        ).all()
        return owners(current, [(k, a, d) for k, a, d in history])

    def visible_conversations(self, session: Session, agent: Agent) -> set[str]:
        """The conversations of the open tickets `agent` may see: whose messages their console
        hears. Two queries, however many tickets wait."""
        viewer = Viewer.of(agent)
        rows = session.execute(
            select(Ticket.id, Ticket.conversation_id, Ticket.queue, Ticket.agent_id).where(
                Ticket.status.in_(OPEN_STATES)
            )
        ).all()
        seen = {c for _, c, q, _ in rows if covers(viewer, q)}
        others = {i: (c, a) for i, c, q, a in rows if c not in seen}
        if not others:
            return seen
        history: dict[int, list[tuple[str, int | None, dict[str, Any] | None]]] = {i: [] for i in others}
        for ticket_id, kind, agent_id, data in session.execute(
            select(TicketEvent.ticket_id, TicketEvent.kind, TicketEvent.agent_id, TicketEvent.data)
            .join(Ticket, Ticket.id == TicketEvent.ticket_id)
            .where(Ticket.status.in_(OPEN_STATES), TicketEvent.kind.in_(OWNING_EVENTS))
            .order_by(TicketEvent.id)
        ):
            if ticket_id in history:
                history[ticket_id].append((kind, agent_id, data))
        return seen | {c for i, (c, a) in others.items() if viewer.id in owners(a, history[i])}

    def _event(self, session: Session, about: Ticket, kind: str, **extra: Any) -> dict[str, Any]:
        """A desk event about a ticket, with what consoles are filtered by (handoff/access.py)."""
        return {
            "type": kind,
            "ticket_id": about.id,
            "conversation_id": about.conversation_id,
            "queue": about.queue,
            "owners": self.owners_of(session, about.id, about.agent_id),
            **extra,
        }

    def claim(self, session: Session, ticket_id: int, agent: Agent) -> list[Notice]:
        """Give the ticket to `agent`: exactly one of any number of simultaneous claims wins.

        Redis decides first: one atomic removal from the queues the agent may see (handoff/
        access.py), so losers are turned away without touching SQL. A ticket waiting in another
        queue is looked up (the agent may have owned it) and is not found if not theirs; one
        waiting nowhere is a conflict whoever asks, which tells nothing of it. The winner's SQL
        update is conditional on the ticket still waiting in a queue the agent may see, so a
        stale or rebuilt Redis can never hand one ticket to two people, or to the wrong one."""
        viewer = Viewer.of(agent)
        visible = queues_for(viewer, self.desk.queues)
        found = self.queue.take_from(ticket_id, [*visible, OFFLINE_QUEUE] if sees_all(viewer) else visible)
        if found == GONE:
            raise Conflict(f"ticket {ticket_id} is no longer waiting")
        if found != TAKEN:  # waiting in a queue not the agent's (or after hours), or Redis lost its queues
            row = session.execute(
                select(Ticket.queue, Ticket.status, Ticket.agent_id).where(Ticket.id == ticket_id)
            ).first()
            if row is None or row.status not in (QUEUED, OFFLINE):
                raise Conflict(f"ticket {ticket_id} is no longer waiting")
            if not self.may_work(session, agent, ticket_id, row.queue, row.agent_id):
                raise NotFound(f"no ticket {ticket_id}")
            if found == ELSEWHERE and not self.queue.take(ticket_id):
                raise Conflict(f"ticket {ticket_id} is no longer waiting")
            visible = [row.queue]
        self._lock_seats(session, agent.id)
        busy = self.open_chats(session, agent.id)
        if busy >= agent.max_chats:
            self._requeue(session, ticket_id)
            raise Conflict(f"{agent.display_name} already has {busy} chats open (the most is {agent.max_chats})")
        now = self.now()
        claimed = session.execute(
            update(Ticket)
            .where(Ticket.id == ticket_id, Ticket.status.in_((QUEUED, OFFLINE)), Ticket.queue.in_(visible))
            .values(status=ASSIGNED, agent_id=agent.id, assigned_at=now)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            self._requeue(session, ticket_id)  # Redis had it in another queue than SQL: it waits in SQL's
            raise Conflict(f"ticket {ticket_id} is no longer waiting")
        ticket, conv = self.load(session, ticket_id)
        conv.state = HUMAN
        conv.slots = {k: v for k, v in (conv.slots or {}).items() if k != "left_message"}
        session.add(TicketEvent(ticket_id=ticket.id, kind="claimed", agent_id=agent.id))
        text = line("joined", conv.language or "zh", agent=agent.display_name)
        self._agent_message(session, conv, agent, text)
        notices = [
            Notice(
                conv.sender_id, text, custom={"author": "agent", "agent_name": agent.display_name, "handoff": "joined"}
            ),
            Notice(desk_event=self._event(session, ticket, "ticket_claimed", agent_id=agent.id)),
        ]
        return notices + self.positions(session, ticket.queue)

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
        ticket.priority += self.desk.priority.get(label, 0)
        data: dict[str, Any] = {"label": label}
        if major and ticket.queue != SUPERVISOR:
            data["from_queue"], ticket.queue = ticket.queue, SUPERVISOR
            ticket.first_response_due = min(
                ticket.first_response_due, first_response_due(self.desk, SUPERVISOR, self.now())
            )
        self.queue.move(ticket.id, ticket.queue, ticket.priority, ticket.created_at)
        session.add(TicketEvent(ticket_id=ticket.id, kind="escalated", data=data))
        return [Notice(desk_event=self._event(session, ticket, "ticket_escalated", ticket=ticket_summary(ticket)))]

    def _lock_seats(self, session: Session, agent_id: int) -> None:
        """Hold the agent's row until the commit: their open chats are counted and a chat is given
        to them one claim at a time, through whichever instance the claims come (`max_chats`)."""
        if session.get_bind().dialect.name == "postgresql":
            session.execute(select(Agent.id).where(Agent.id == agent_id).with_for_update())
        else:
            # SQLite locks the whole database, and only from a transaction's first write: writing
            # first puts the count that follows inside the write, where no other writer gets in.
            session.execute(
                update(Agent)
                .where(Agent.id == agent_id)
                .values(max_chats=Agent.max_chats)
                .execution_options(synchronize_session=False)
            )

    def open_chats(self, session: Session, agent_id: int) -> int:
        """How many chats the agent owns right now (their seats taken)."""
        query = select(func.count()).select_from(Ticket).where(Ticket.agent_id == agent_id, Ticket.status == ASSIGNED)
        return int(session.scalar(query) or 0)

    def _requeue(self, session: Session, ticket_id: int) -> None:
        """Put back in Redis a ticket taken out for a claim that failed, if it is still waiting."""
        row = session.execute(
            select(Ticket.queue, Ticket.priority, Ticket.created_at, Ticket.status).where(
                Ticket.id == ticket_id, Ticket.status.in_((QUEUED, OFFLINE))
            )
        ).first()
        if row is not None:
            self.queue.push(
                ticket_id, OFFLINE_QUEUE if row.status == OFFLINE else row.queue, int(row.priority), row.created_at
            )

    def positions(self, session: Session, queue: str) -> list[Notice]:
        """Tell the first few still waiting in `queue` where they are now (further back, the
        quoted wait barely moves; they hear again as they come forward)."""
        front = [t for _, t in self.queue.waiting([queue])[:POSITION_UPDATES]]
        if not front:
            return []
        rows = session.execute(
            select(Ticket.id, Conversation.sender_id, Conversation.language)
            .join(Conversation, Ticket.conversation_id == Conversation.id)
            .where(Ticket.id.in_(front), Ticket.status == QUEUED)
        ).all()
        who = {int(t): (sender, lang or "zh") for t, sender, lang in rows}
        per_place = self.wait_minutes(session, queue, 1)
        notices = []
        for position, ticket_id in enumerate(front, start=1):
            if ticket_id not in who:
                continue
            sender, lang = who[ticket_id]
            if position <= 1:
                text = line("position_next", lang)
            else:
                text = line("position", lang, ahead=position - 1, minutes=per_place * position)
            notices.append(Notice(sender, text, custom={"queue": queue, "position": position, "system": True}))
        return notices

    def owned(self, session: Session, ticket_id: int, agent: Agent) -> tuple[Ticket, Conversation]:
        ticket, conv = self.load_for(session, ticket_id, agent, lock=True)
        if ticket.status != ASSIGNED or ticket.agent_id != agent.id:
            raise Conflict(f"ticket {ticket_id} is not yours")
        return ticket, conv

    def reply(self, session: Session, ticket_id: int, agent: Agent, text: str) -> list[Notice]:
        ticket, conv = self.owned(session, ticket_id, agent)
        now = self.now()
        if ticket.first_response_at is None:
            ticket.first_response_at = now
            if now > ticket.first_response_due:
                ticket.sla_breached = True
        message = self._agent_message(session, conv, agent, text)
        return [
            Notice(conv.sender_id, text, custom={"author": "agent", "agent_name": agent.display_name}),
            Notice(desk_event=self._event(session, ticket, "agent_message", message_id=message.id)),
        ]

    def note(self, session: Session, ticket_id: int, agent: Agent, text: str) -> list[Notice]:
        ticket, _ = self.load_for(session, ticket_id, agent)
        session.add(TicketEvent(ticket_id=ticket.id, kind="note", agent_id=agent.id, data={"text": text}))
        return [Notice(desk_event=self._event(session, ticket, "note"))]

    def transfer(
        self, session: Session, ticket_id: int, agent: Agent, *, queue: str | None = None, to_agent: Agent | None = None
    ) -> list[Notice]:
        if to_agent is not None:
            self._lock_seats(session, to_agent.id)  # the agent's row before the ticket's, as a claim does
        ticket, conv = self.owned(session, ticket_id, agent)
        lang = conv.language or "zh"
        notices = [Notice(conv.sender_id, line("transferred", lang), custom={"system": True, "handoff": True})]
        if to_agent is not None:
            if to_agent.id == agent.id:
                raise DeskError("the chat is already yours")
            if to_agent.presence != "online":
                raise Conflict(f"{to_agent.display_name} is {to_agent.presence}, not online")
            if self.open_chats(session, to_agent.id) >= to_agent.max_chats:
                raise Conflict(f"{to_agent.display_name} has no free seat")
            ticket.agent_id, ticket.assigned_at = to_agent.id, self.now()
            session.add(
                TicketEvent(ticket_id=ticket.id, kind="transferred", agent_id=agent.id, data={"to_agent": to_agent.id})
            )
        else:
            target = queue or GENERAL
            if target not in self.desk.queues:
                raise DeskError(f"unknown queue {target!r}; queues: {', '.join(self.desk.queues)}")
            ticket.status, ticket.agent_id, ticket.queue = QUEUED, None, target
            conv.state = PENDING_HANDOFF
            self.queue.push(ticket.id, target, ticket.priority, ticket.created_at)
            session.add(
                TicketEvent(ticket_id=ticket.id, kind="transferred", agent_id=agent.id, data={"to_queue": target})
            )
        notices.append(Notice(desk_event=self._event(session, ticket, "ticket_transferred")))
        return notices

    def resolve(self, session: Session, ticket_id: int, agent: Agent) -> list[Notice]:
        ticket, conv = self.owned(session, ticket_id, agent)
        ticket.status, ticket.closed_at = RESOLVED, self.now()
        self._release(conv)
        session.add(TicketEvent(ticket_id=ticket.id, kind="resolved", agent_id=agent.id))
        lang = conv.language or "zh"
        text = line("csat", lang, agent=agent.display_name)
        buttons = rating_buttons(lang, ticket.id)
        session.add(
            Message(
                conversation_id=conv.id, direction="out", author="system", text=text, buttons=buttons, language=lang
            )
        )
        return [
            Notice(conv.sender_id, text, buttons, custom={"system": True, "csat": ticket.id, "state": "bot"}),
            Notice(desk_event=self._event(session, ticket, "ticket_resolved")),
        ]

    def hand_back(self, session: Session, ticket_id: int, agent: Agent) -> list[Notice]:
        """The bot takes over again; no survey (the customer is not done)."""
        ticket, conv = self.owned(session, ticket_id, agent)
        ticket.status, ticket.closed_at = HANDED_BACK, self.now()
        self._release(conv)
        session.add(TicketEvent(ticket_id=ticket.id, kind="handed_back", agent_id=agent.id))
        lang = conv.language or "zh"
        text = line("handed_back", lang)
        session.add(Message(conversation_id=conv.id, direction="out", author="system", text=text, language=lang))
        return [
            Notice(conv.sender_id, text, custom={"system": True, "state": "bot"}),
            Notice(desk_event=self._event(session, ticket, "ticket_handed_back")),
        ]

    def _release(self, conv: Conversation) -> None:
        conv.state = BOT
        conv.fallback_count = 0
        dropped = (*QUESTION_SLOTS, "left_message")
        conv.slots = {k: v for k, v in (conv.slots or {}).items() if k not in dropped}

    def _agent_message(self, session: Session, conv: Conversation, agent: Agent, text: str) -> Message:
        message = Message(
            conversation_id=conv.id,
            direction="out",
            author="agent",
            text=text,
            custom={"author": "agent", "agent_name": agent.display_name, "agent_id": agent.id},
            language=conv.language,
        )
        session.add(message)
        session.flush()
        return message

    # --- housekeeping ---------------------------------------------------------------------

    def sweep(self, session: Session, now: datetime | None = None) -> list[Notice]:
        """Overflow long waits to general, record missed first responses, repair Redis."""
        now = now or self.now()
        notices: list[Notice] = []
        if self.open_at(now):
            for t in session.scalars(select(Ticket).where(Ticket.status == OFFLINE)).all():
                t.status = QUEUED
                t.first_response_due = first_response_due(self.desk, t.queue, now)
                self.queue.move(t.id, t.queue, t.priority, t.created_at)
                session.add(TicketEvent(ticket_id=t.id, kind="queued", data={"after_hours": True}))
                notices.append(Notice(desk_event=self._event(session, t, "ticket_queued")))
        overdue = select(Ticket).where(
            Ticket.status == QUEUED, Ticket.overflow_at.is_not(None), Ticket.overflow_at <= now, Ticket.queue != GENERAL
        )
        for t in session.scalars(overdue).all():
            session.add(TicketEvent(ticket_id=t.id, kind="overflow", data={"from": t.queue}))
            t.labels = [*(t.labels or []), f"from_{t.queue}"]
            t.queue, t.overflow_at = GENERAL, None
            self.queue.move(t.id, GENERAL, t.priority, t.created_at)
            notices.append(Notice(desk_event=self._event(session, t, "ticket_overflow")))
        late = session.scalars(
            select(Ticket).where(
                Ticket.status.in_((QUEUED, ASSIGNED)),
                Ticket.first_response_at.is_(None),
                Ticket.sla_breached.is_(False),
                Ticket.first_response_due < now,
            )
        ).all()
        for t in late:
            t.sla_breached = True
            session.add(
                TicketEvent(ticket_id=t.id, kind="sla_breached", data={"due": t.first_response_due.isoformat()})
            )
            notices.append(Notice(desk_event=self._event(session, t, "sla_breached")))
            metrics.SLA_BREACHES.inc()
        self.reconcile(session)
        for queue in self.desk.queues:
            metrics.QUEUE_LENGTH.labels(queue).set(self.queue.length(queue))
        return notices

    def reconcile(self, session: Session) -> int:
        """Make Redis hold what SQL says is waiting (after a flush, a crash, a lost push).

        A flushed Redis is rebuilt whole. Otherwise only differences are mended: tickets SQL has
        waiting are added, tickets SQL has closed are dropped, and an id SQL has never heard of
        is dropped only if it is still unknown one sweep later (it may belong to a handoff whose
        transaction has not committed yet). Returns how many entries changed."""
        rows = [
            (int(i), OFFLINE_QUEUE if status == OFFLINE else q, int(p), c)
            for i, q, p, c, status in session.execute(
                select(Ticket.id, Ticket.queue, Ticket.priority, Ticket.created_at, Ticket.status).where(
                    Ticket.status.in_((QUEUED, OFFLINE))
                )
            )
        ]
        if not self.queue.is_built():
            self._suspects = set()
            return self.queue.rebuild(rows)
        have = {t: q for q, t in self.queue.waiting([*self.desk.queues, OFFLINE_QUEUE])}
        changed = 0
        for ticket_id, queue, priority, created_at in rows:
            if have.get(ticket_id) != queue:
                self.queue.move(ticket_id, queue, priority, created_at)
                changed += 1
        waiting = {i for i, _, _, _ in rows}
        extra = [t for t in have if t not in waiting]
        found = session.execute(select(Ticket.id, Ticket.status).where(Ticket.id.in_(extra))).all() if extra else []
        status = {int(i): str(st) for i, st in found}
        suspects = self._suspects
        for ticket_id in extra:
            closed = status.get(ticket_id) not in (None, QUEUED, OFFLINE)
            if closed or (ticket_id not in status and ticket_id in suspects):
                self.queue.take(ticket_id)
                changed += 1
        self._suspects = {t for t in extra if t not in status and t not in suspects}
        return changed


def rate(session: Session, conv: Conversation, score: int, ticket_id: int | None) -> str:
    """Store a 1–5 rating, one per survey: a resolved ticket's (for its agent and queue) or,
    without one, the bot's (asked once per conversation). The first rating counts; a later one
    (the same button pressed again, another score) is thanked and changes nothing."""
    ticket = session.get(Ticket, ticket_id) if ticket_id is not None else None
    if ticket is not None and (ticket.conversation_id != conv.id or ticket.status != RESOLVED):
        ticket = None  # someone else's, or not finished: rate this conversation only
    lang = conv.language or "zh"
    if ticket is not None:
        rated = ticket.csat is not None
    else:
        rated = (
            session.scalar(
                select(Rating.id).where(Rating.conversation_id == conv.id, Rating.ticket_id.is_(None)).limit(1)
            )
            is not None
        )
    if rated:
        return line("already_rated", lang)
    if ticket is not None:
        ticket.csat = score
    session.add(
        Rating(
            conversation_id=conv.id,
            ticket_id=ticket.id if ticket else None,
            agent_id=ticket.agent_id if ticket else None,
            queue=ticket.queue if ticket else None,
            score=score,
        )
    )
    return line("thanks_rating", lang)
