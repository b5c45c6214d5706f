"""Agent assist: the knowledge base's answers to what the customer just asked, for the agent to
send as they are or edited (the console shows them beside the reply box)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.nlu.parser import NLU
from bot.store import Message
from handoff.context import NOT_SUBSTANTIVE

SUGGESTED = 3  # answers offered at once


def latest_question(messages: Sequence[Message]) -> str | None:
    """The customer's newest message that asks something (not a greeting, 转人工 or a photo alone)."""
    for m in reversed(messages):
        if m.direction == "in" and m.text.strip() and m.topic not in NOT_SUBSTANTIVE:
            return m.text
    return None


def suggestions(nlu: NLU, text: str, lang: str, k: int = SUGGESTED) -> list[dict[str, Any]]:
    """The FAQ entries the matcher ranks first for `text` (above the out-of-scope threshold),
    each with its question and answer in `lang`, best first."""
    parse = nlu.parse(text)
    found = []
    for c in parse.candidates:
        entry = nlu.entries.get(c.label)
        if entry is None or entry.kind != "faq" or c.confidence < nlu.thresholds.oos:
            continue
        found.append(
            {
                "entry_id": entry.id,
                "question": entry.question[lang],
                "answer": entry.answer[lang],
                "confidence": round(c.confidence, 3),
            }
        )
        if len(found) == k:
            break
    return found
