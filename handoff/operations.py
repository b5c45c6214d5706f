"""What an agent does with a ticket: claim it, reply, note, transfer, resolve, hand back; and what
a supervisor does with a colleague's: whisper to them, take it over.

Every agent's operation checks that the agent may see the ticket (handoff/visibility.py) and, but
for a note, that it is theirs; a supervisor's, that they are one. Messages for customers and
consoles are returned as `Notice`s and published by the caller after the commit, so nobody hears
of a change that was rolled back.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.escalation import Notice
from bot.policy import QUESTION_SLOTS
from bot.store import BOT, HUMAN, PENDING_HANDOFF, Conversation, Link, Message
from handoff import seats
from handoff.access import Viewer, queues_for, sees_all
from handoff.desk import GENERAL
from handoff.errors import Conflict, DeskError, NotFound
from handoff.events import desk_event
from handoff.lines import line
from handoff.models import ASSIGNED, HANDED_BACK, OFFLINE, QUEUED, RESOLVED, Agent, Ticket, TicketEvent
from handoff.queue import ELSEWHERE, GONE, TAKEN
from handoff.queue import OFFLINE as OFFLINE_QUEUE
from handoff.ratings import rating_buttons
from handoff.state import DeskState
from handoff.visibility import load, load_for, may_work
from handoff.waiting import positions


class Operations:
    """An agent's work on the desk's tickets, over SQL and the Redis queue of `state`."""

    def __init__(self, state: DeskState) -> None:
        self.state = state

    def claim(self, session: Session, ticket_id: int, agent: Agent) -> list[Notice]:
        """Give the ticket to `agent`: exactly one of any number of simultaneous claims wins.

        Redis decides first: one atomic removal from the queues the agent may see (handoff/
        access.py), so losers are turned away without touching SQL. A ticket waiting in another
        queue is looked up (the agent may have owned it) and is not found if not theirs; one
        waiting nowhere is a conflict whoever asks, which tells nothing of it. The winner's SQL
        update is conditional on the ticket still waiting in a queue the agent may see, so a
        stale or rebuilt Redis can never hand one ticket to two people, or to the wrong one."""
        viewer = Viewer.of(agent)
        visible = queues_for(viewer, self.state.rules.queues)
        found = self.state.queue.take_from(ticket_id, [*visible, OFFLINE_QUEUE] if sees_all(viewer) else visible)
        if found == GONE:
            raise Conflict(f"ticket {ticket_id} is no longer waiting")
        if found != TAKEN:  # waiting in a queue not the agent's (or after hours), or Redis lost its queues
            row = session.execute(
                select(Ticket.queue, Ticket.status, Ticket.agent_id).where(Ticket.id == ticket_id)
            ).first()
            if row is None or row.status not in (QUEUED, OFFLINE):
                raise Conflict(f"ticket {ticket_id} is no longer waiting")
            if not may_work(session, agent, ticket_id, row.queue, row.agent_id):
                raise NotFound(f"no ticket {ticket_id}")
            if found == ELSEWHERE and not self.state.queue.take(ticket_id):
                raise Conflict(f"ticket {ticket_id} is no longer waiting")
            visible = [row.queue]
        seats.lock_seats(session, agent.id)
        busy = seats.open_chats(session, agent.id)
        if busy >= agent.max_chats:
            self._requeue(session, ticket_id)
            raise Conflict(f"{agent.display_name} already has {busy} chats open (the most is {agent.max_chats})")
        claimed = session.execute(
            update(Ticket)
            .where(Ticket.id == ticket_id, Ticket.status.in_((QUEUED, OFFLINE)), Ticket.queue.in_(visible))
            .values(status=ASSIGNED, agent_id=agent.id, assigned_at=self.state.now())
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            self._requeue(session, ticket_id)  # Redis had it in another queue than SQL: it waits in SQL's
            raise Conflict(f"ticket {ticket_id} is no longer waiting")
        ticket, conv = load(session, ticket_id)
        conv.state = HUMAN
        conv.slots = {k: v for k, v in (conv.slots or {}).items() if k != "left_message"}
        session.add(TicketEvent(ticket_id=ticket.id, kind="claimed", agent_id=agent.id))
        text = line("joined", conv.language or "zh", agent=agent.display_name)
        _agent_message(session, conv, agent, text)
        notices = [
            Notice(conv.sender_id, text, custom={**as_agent(agent.display_name, conv.language), "handoff": "joined"}),
            Notice(desk_event=desk_event(session, ticket, "ticket_claimed", agent_id=agent.id)),
        ]
        return notices + positions(self.state, session, ticket.queue)

    def reply(
        self,
        session: Session,
        ticket_id: int,
        agent: Agent,
        text: str,
        attachments: Sequence[dict[str, Any]] = (),
        link: Link | None = None,
    ) -> list[Notice]:
        """The agent writes to the customer, with text, files (kept already: media_id, content_type,
        name) or both; the first reply settles the first-response SLA. `link` adds to each file
        what the customer's channel needs to show it (its signed links)."""
        if not text.strip() and not attachments:
            raise DeskError("a reply needs a text or a file")
        ticket, conv = _owned(session, ticket_id, agent)
        now = self.state.now()
        if ticket.first_response_at is None:
            ticket.first_response_at = now
            if now > ticket.first_response_due:
                ticket.sla_breached = True
        files = [dict(a) for a in attachments]
        message = _agent_message(session, conv, agent, text, files)
        custom: dict[str, Any] = as_agent(agent.display_name, conv.language)
        if files:
            custom["attachments"] = [link(a) for a in files] if link is not None else files
        return [
            Notice(conv.sender_id, text, custom=custom),
            Notice(desk_event=desk_event(session, ticket, "agent_message", message_id=message.id)),
        ]

    def note(self, session: Session, ticket_id: int, agent: Agent, text: str) -> list[Notice]:
        """A note for colleagues on a ticket the agent may see (the customer never sees it)."""
        ticket, _ = load_for(session, ticket_id, agent)
        session.add(TicketEvent(ticket_id=ticket.id, kind="note", agent_id=agent.id, data={"text": text}))
        return [Notice(desk_event=desk_event(session, ticket, "note"))]

    def transfer(
        self, session: Session, ticket_id: int, agent: Agent, *, queue: str | None = None, to_agent: Agent | None = None
    ) -> list[Notice]:
        """Pass the chat to an online colleague with a free seat, or back to a queue (general by
        default); the customer is told not to repeat themselves."""
        if to_agent is not None:
            seats.lock_seats(session, to_agent.id)  # the agent's row before the ticket's, as a claim does
        ticket, conv = _owned(session, ticket_id, agent)
        lang = conv.language or "zh"
        notices = [Notice(conv.sender_id, line("transferred", lang), custom={"system": True, "handoff": True})]
        if to_agent is not None:
            if to_agent.id == agent.id:
                raise DeskError("the chat is already yours")
            if to_agent.presence != "online":
                raise Conflict(f"{to_agent.display_name} is {to_agent.presence}, not online")
            if seats.open_chats(session, to_agent.id) >= to_agent.max_chats:
                raise Conflict(f"{to_agent.display_name} has no free seat")
            ticket.agent_id, ticket.assigned_at = to_agent.id, self.state.now()
            session.add(
                TicketEvent(ticket_id=ticket.id, kind="transferred", agent_id=agent.id, data={"to_agent": to_agent.id})
            )
        else:
            target = queue or GENERAL
            if target not in self.state.rules.queues:
                raise DeskError(f"unknown queue {target!r}; queues: {', '.join(self.state.rules.queues)}")
            ticket.status, ticket.agent_id, ticket.queue = QUEUED, None, target
            conv.state = PENDING_HANDOFF
            self.state.queue.push(ticket.id, target, ticket.priority, ticket.created_at)
            session.add(
                TicketEvent(ticket_id=ticket.id, kind="transferred", agent_id=agent.id, data={"to_queue": target})
            )
        notices.append(Notice(desk_event=desk_event(session, ticket, "ticket_transferred")))
        return notices

    def resolve(self, session: Session, ticket_id: int, agent: Agent) -> list[Notice]:
        """Close the chat as done: the bot takes over and the customer is asked to rate the agent."""
        ticket, conv = _owned(session, ticket_id, agent)
        ticket.status, ticket.closed_at = RESOLVED, self.state.now()
        _release(conv)
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
            Notice(desk_event=desk_event(session, ticket, "ticket_resolved")),
        ]

    def hand_back(self, session: Session, ticket_id: int, agent: Agent) -> list[Notice]:
        """The bot takes over again; no survey (the customer is not done)."""
        ticket, conv = _owned(session, ticket_id, agent)
        ticket.status, ticket.closed_at = HANDED_BACK, self.state.now()
        _release(conv)
        session.add(TicketEvent(ticket_id=ticket.id, kind="handed_back", agent_id=agent.id))
        lang = conv.language or "zh"
        text = line("handed_back", lang)
        session.add(Message(conversation_id=conv.id, direction="out", author="system", text=text, language=lang))
        return [
            Notice(conv.sender_id, text, custom={"system": True, "state": "bot"}),
            Notice(desk_event=desk_event(session, ticket, "ticket_handed_back")),
        ]

    def whisper(self, session: Session, ticket_id: int, supervisor: Agent, text: str) -> list[Notice]:
        """A supervisor's private word to the agent serving the ticket (悄悄话): kept on the ticket and
        announced to the desk only, so that agent's console (and the supervisors') shows it. The
        customer never hears of it: no message, nothing for their channel."""
        if not sees_all(Viewer.of(supervisor)):
            raise DeskError("only supervisors and admins whisper to an agent")
        if not text.strip():
            raise DeskError("a whisper needs a text")
        ticket, _ = load(session, ticket_id, lock=True)  # to the agent serving it as of now
        if ticket.status != ASSIGNED or ticket.agent_id is None:
            raise Conflict(f"nobody is serving ticket {ticket_id}: add a note for whoever takes it")
        if ticket.agent_id == supervisor.id:
            raise DeskError("the chat is yours: write to the customer, or add a note")
        to_agent = ticket.agent_id
        session.add(
            TicketEvent(
                ticket_id=ticket.id,
                kind="whisper",
                agent_id=supervisor.id,
                data={"text": text, "to_agent_id": to_agent},
            )
        )
        event = desk_event(session, ticket, "whisper", from_agent_id=supervisor.id, to_agent_id=to_agent)
        return [Notice(desk_event=event)]  # the text stays in SQL: consoles fetch it if they may read it

    def take_over(self, session: Session, ticket_id: int, supervisor: Agent) -> list[Notice]:
        """A supervisor takes a chat from the agent serving it: it is the supervisor's from now on,
        whatever their seats say (stepping in is the point). The customer is greeted by the new
        person's name; the agent's console hears of it (they owned it, so they may still read it)."""
        if not sees_all(Viewer.of(supervisor)):
            raise DeskError("only supervisors and admins take over a chat")
        # Their row before the ticket's, as a claim holds them: a claim of theirs racing this counts it.
        seats.lock_seats(session, supervisor.id)
        ticket, conv = load(session, ticket_id, lock=True)
        if ticket.status != ASSIGNED or ticket.agent_id is None:
            raise Conflict(f"nobody is serving ticket {ticket_id}: claim it from the queue")
        if ticket.agent_id == supervisor.id:
            raise DeskError("the chat is already yours")
        previous = ticket.agent_id
        ticket.agent_id, ticket.assigned_at = supervisor.id, self.state.now()
        session.add(
            TicketEvent(ticket_id=ticket.id, kind="taken_over", agent_id=supervisor.id, data={"from_agent": previous})
        )
        text = line("joined", conv.language or "zh", agent=supervisor.display_name)
        _agent_message(session, conv, supervisor, text)
        return [
            Notice(
                conv.sender_id, text, custom={**as_agent(supervisor.display_name, conv.language), "handoff": "joined"}
            ),
            Notice(
                desk_event=desk_event(
                    session, ticket, "ticket_taken_over", agent_id=supervisor.id, from_agent_id=previous
                )
            ),
        ]

    def _requeue(self, session: Session, ticket_id: int) -> None:
        """Put back in Redis a ticket taken out for a claim that failed, if it is still waiting."""
        row = session.execute(
            select(Ticket.queue, Ticket.priority, Ticket.created_at, Ticket.status).where(
                Ticket.id == ticket_id, Ticket.status.in_((QUEUED, OFFLINE))
            )
        ).first()
        if row is not None:
            self.state.queue.push(
                ticket_id, OFFLINE_QUEUE if row.status == OFFLINE else row.queue, int(row.priority), row.created_at
            )


def _owned(session: Session, ticket_id: int, agent: Agent) -> tuple[Ticket, Conversation]:
    """The ticket, locked, if it is `agent`'s chat now."""
    ticket, conv = load_for(session, ticket_id, agent, lock=True)
    if ticket.status != ASSIGNED or ticket.agent_id != agent.id:
        raise Conflict(f"ticket {ticket_id} is not yours")
    return ticket, conv


def _release(conv: Conversation) -> None:
    """The conversation is the bot's again, with none of its questions half asked."""
    conv.state = BOT
    conv.fallback_count = 0
    dropped = (*QUESTION_SLOTS, "left_message")
    conv.slots = {k: v for k, v in (conv.slots or {}).items() if k not in dropped}


def as_agent(name: str, language: str | None) -> dict[str, Any]:
    """Who a person's message is from, as the customer's page labels it: their name, and what
    they are ("人工客服", "Agent") in the customer's language."""
    return {"author": "agent", "agent_name": name, "agent_label": line("agent_label", language or "zh")}


def _agent_message(
    session: Session, conv: Conversation, agent: Agent, text: str, files: list[dict[str, Any]] | None = None
) -> Message:
    custom: dict[str, Any] = {**as_agent(agent.display_name, conv.language), "agent_id": agent.id}
    if files:
        custom["attachments"] = files  # as kept: their links are made whenever the transcript is read
    message = Message(
        conversation_id=conv.id,
        direction="out",
        author="agent",
        text=text,
        custom=custom,
        language=conv.language,
    )
    session.add(message)
    session.flush()
    return message
