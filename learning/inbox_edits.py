"""What staff do with a group of unanswered messages: teach them to an entry, start a draft
entry from them, or dismiss them. Each marks the messages, and marked messages never come
back to the inbox. Every function is one transaction's work in the caller's session.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.nlu.language import detect_language
from bot.store import Message
from core import errors
from core.db import utcnow
from core.text import normalize
from knowledge_base import versions
from knowledge_base.models import KBEntry, KBInboxMark

MAX_PHRASE_CHARS = versions.MAX_PHRASE_CHARS
MAX_PHRASINGS = versions.MAX_PHRASINGS
LANGS = versions.LANGS


class UnknownMessages(errors.Unprocessable, versions.KBEditError):
    pass


class TooManyPhrasings(errors.Unprocessable, versions.KBEditError):
    pass


class EntryArchived(errors.Conflict, versions.KBEditError):
    pass


@dataclass(frozen=True)
class Added:
    content: dict[str, Any]  # the entry's editable fields as saved
    added: int  # phrasings it did not have yet


def phrasings(texts: Iterable[str], known: Iterable[str]) -> dict[str, list[str]]:
    """Customer texts as new phrasings by language (mixed counts as Chinese), each once and
    none the entry has already (compared normalised)."""
    seen = {normalize(t) for t in known}
    out: dict[str, list[str]] = {lang: [] for lang in LANGS}
    for text in (t.strip() for t in texts):
        norm = normalize(text)
        if not norm or norm in seen or len(text) > MAX_PHRASE_CHARS:
            continue
        seen.add(norm)
        out["en" if detect_language(text) == "en" else "zh"].append(text)
    return out


def _known(content: dict[str, Any]) -> list[str]:
    return [*content["question"].values(), *(t for lang in LANGS for t in content["paraphrases"].get(lang, []))]


def _with(paraphrases: dict[str, list[str]], new: dict[str, list[str]]) -> dict[str, list[str]]:
    merged = {lang: [*paraphrases.get(lang, []), *new[lang]] for lang in LANGS}
    for lang, texts in merged.items():
        if len(texts) > MAX_PHRASINGS:
            raise TooManyPhrasings(f"the entry would have {len(texts)} {lang} phrasings; at most {MAX_PHRASINGS}")
    return merged


def _messages(session: Session, ids: Sequence[int]) -> list[Message]:
    wanted = set(ids)
    found = list(
        session.scalars(
            select(Message).where(Message.id.in_(wanted), Message.direction == "in", Message.author == "customer")
        )
    )
    missing = sorted(wanted - {m.id for m in found})
    if missing:
        raise UnknownMessages(f"no customer message with id {', '.join(str(i) for i in missing[:10])}")
    return sorted(found, key=lambda m: m.id)


def _mark(
    session: Session, messages: list[Message], action: str, editor: versions.Editor, entry_id: str | None
) -> None:
    ids = [m.id for m in messages]
    marks = {k.message_id: k for k in session.scalars(select(KBInboxMark).where(KBInboxMark.message_id.in_(ids)))}
    for message_id in ids:
        mark = marks.get(message_id) or KBInboxMark(message_id=message_id)
        mark.action, mark.entry_id, mark.username, mark.created_at = action, entry_id, editor.username, utcnow()
        session.add(mark)


def add_to_entry(session: Session, ids: Sequence[int], entry_id: str, *, editor: versions.Editor) -> Added:
    """Teach an entry the messages as phrasings and mark them added: live at once on a
    published entry (a draft stays one). A pending draft of the entry gets them too, so
    publishing it later does not take them away again."""
    messages = _messages(session, ids)
    row = session.get(KBEntry, entry_id, with_for_update=True)
    if row is None:
        raise versions.EntryNotFound(f"no knowledge-base entry {entry_id!r}")
    if row.status == "archived":
        raise EntryArchived(f"entry {entry_id!r} is archived; publish it again before adding phrasings")
    content = versions.snapshot(row)
    texts = [m.text for m in messages]
    new = phrasings(texts, _known(content))
    if any(new.values()):
        merged = _with(content["paraphrases"], new)
        row = versions.update(session, entry_id, {**content, "paraphrases": merged}, editor=editor)
        if row.draft and "paraphrases" in row.draft:
            draft = row.draft
            extra = phrasings(texts, _known({**content, **draft}))
            row.draft = {**draft, "paraphrases": _with(draft["paraphrases"], extra)}
    _mark(session, messages, "added", editor, entry_id)
    return Added(versions.snapshot(row), sum(len(v) for v in new.values()))


def new_entry(
    session: Session, ids: Sequence[int], entry_id: str, content: dict[str, Any], *, editor: versions.Editor
) -> KBEntry:
    """A draft entry whose phrasings are the messages (and any given), marked new."""
    messages = _messages(session, ids)
    given = content.get("paraphrases") or {}
    new = phrasings((m.text for m in messages), _known({**content, "paraphrases": given}))
    draft = {**content, "paraphrases": _with(given, new), "status": "draft"}
    row = versions.create(session, entry_id, draft, editor=editor)
    _mark(session, messages, "new", editor, entry_id)
    return row


def dismiss(session: Session, ids: Sequence[int], *, editor: versions.Editor) -> int:
    messages = _messages(session, ids)
    _mark(session, messages, "dismissed", editor, None)
    return len(messages)
