"""An agent's seats (`max_chats`): how many chats they hold, who has the most free, and the
lock that makes a claim's count of them exact across instances.
"""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from handoff.agents import DESK_ROLES
from handoff.models import ASSIGNED, Agent, Ticket


def open_chats(session: Session, agent_id: int) -> int:
    """How many chats the agent owns right now (their seats taken)."""
    query = select(func.count()).select_from(Ticket).where(Ticket.agent_id == agent_id, Ticket.status == ASSIGNED)
    return int(session.scalar(query) or 0)


def lock_seats(session: Session, agent_id: int) -> None:
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


def least_loaded(session: Session, queue: str) -> Agent | None:
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
