"""The desk side of the bot's port (`bot.escalation.Desk`): tickets, keywords and ratings.

`QueueDesk` marks the conversation as waiting for a person and opens a ticket in the right
queue of the `HelpDesk`, which tells the customer their place in it.
"""

from __future__ import annotations

import time

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.escalation import HandoffRequest, Notice, RatingPrompt
from bot.store import PENDING_HANDOFF, Conversation
from core.db import utcnow
from handoff.helpdesk import HelpDesk
from handoff.lines import line
from handoff.models import EscalationKeyword
from handoff.ratings import rate, rating_buttons

KEYWORDS_TTL = 30.0  # seconds a staff keyword list is kept before it is read again


class QueueDesk:
    """The bot's `Desk`: every handoff becomes a ticket in a queue of `desk`."""

    def __init__(self, desk: HelpDesk) -> None:
        self.desk = desk
        self._keywords: tuple[float, list[tuple[str, str]]] = (float("-inf"), [])

    def escalate(self, session: Session, conversation: Conversation, request: HandoffRequest) -> list[Notice]:
        conversation.state = PENDING_HANDOFF
        conversation.handoff_reason = request.reason
        conversation.handoff_at = utcnow()
        conversation.meta = {**(conversation.meta or {}), "handoff_context": request.context}
        _, notices = self.desk.open_ticket(session, conversation, request.reason, request.context)
        return notices

    def upset_while_waiting(self, session: Session, conversation: Conversation, major: str | None) -> list[Notice]:
        return self.desk.upset_while_waiting(session, conversation, major=major)

    def subject_while_waiting(self, session: Session, conversation: Conversation, topic: str | None) -> list[Notice]:
        return self.desk.subject_while_waiting(session, conversation, topic)

    def keyword_queue(self, session: Session, text: str) -> tuple[str, str] | None:
        """A staff escalation keyword in `text`, with its queue (the list is re-read every 30 s)."""
        loaded_at, keywords = self._keywords
        if time.monotonic() - loaded_at > KEYWORDS_TTL:
            rows = session.execute(select(EscalationKeyword.keyword, EscalationKeyword.queue))
            keywords = [(k.lower(), q) for k, q in rows]
            self._keywords = (time.monotonic(), keywords)
        lowered = text.lower()
        return next(((k, q) for k, q in keywords if k and k in lowered), None)

    def rating_prompt(self, lang: str) -> RatingPrompt:
        return RatingPrompt(line("csat_bot", lang), rating_buttons(lang, None))

    def rate(self, session: Session, conversation: Conversation, score: int, ticket_id: int | None) -> str:
        return rate(session, conversation, score, ticket_id)
