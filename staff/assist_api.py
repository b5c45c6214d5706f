"""Agent assist over HTTP: the knowledge base's answers to the customer's latest question, in the
customer's language, for the console's reply box (handoff/assist.py)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool

from bot.store import transcript
from handoff.assist import latest_question, suggestions
from staff.agent_api import TicketId
from staff.auth import DeskAgent
from staff.deps import services

router = APIRouter(tags=["agents"])


@router.get("/api/agent/tickets/{ticket_id}/suggestions")
async def suggested_answers(request: Request, ticket_id: TicketId, agent: DeskAgent) -> dict[str, Any]:
    """Up to three answers for what the customer asked last; none when they asked nothing yet."""
    parts = services(request)

    def read() -> tuple[str | None, str]:
        with parts.db.session() as s:
            _, conv = parts.desk.load_for(s, ticket_id, agent)
            return latest_question(transcript(s, conversation_id=conv.id)), conv.language or "zh"

    question, lang = await run_in_threadpool(read)
    found = await request.app.state.turns.run(suggestions, parts.knowledge.nlu, question, lang) if question else []
    return {"question": question, "language": lang, "suggestions": found}
