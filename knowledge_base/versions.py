"""Staff edits to the knowledge base, each one saved as a numbered version.

Every write goes through here so that no change escapes the history: the entry row holds
the current state, `kb_entry_versions` holds a snapshot of the editable fields for every
version, with who wrote it and why. Entries seeded from the data files have no history
until their first edit, when their state is snapshotted first.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import errors
from core.db import utcnow
from knowledge_base.models import KBEntry, KBEntryVersion

LANGS = ("zh", "en")
# How many phrasings one entry may hold per language, and how long one may be. The
# out-of-scope intent, a catch-all, holds some hundreds; a file past this is a mistake.
MAX_PHRASINGS = 500
MAX_PHRASE_CHARS = 500
# The editable fields in the order a diff shows them (JSONB does not keep key order).
FIELDS = ("kind", "topic", "tags", "question", "answer", "paraphrases", "action", "status")
STATUSES = ("draft", "published", "archived")


class KBEditError(errors.Invalid):
    """A knowledge-base edit that cannot be done; its kind (core.errors) says how."""


class EntryNotFound(errors.NotFound, KBEditError):
    pass


class VersionNotFound(errors.NotFound, KBEditError):
    pass


class EntryExists(errors.Conflict, KBEditError):
    pass


@dataclass(frozen=True)
class Editor:
    """Who makes a change: the history names them."""

    id: int
    username: str


def snapshot(row: KBEntry) -> dict[str, Any]:
    """The editable fields of an entry as plain JSON data."""
    paraphrases = row.paraphrases or {}
    return {
        "kind": row.kind,
        "topic": row.topic,
        "tags": list(row.tags or []),
        "question": {"zh": row.question_zh, "en": row.question_en},
        "answer": {"zh": row.answer_zh, "en": row.answer_en},
        "paraphrases": {lang: list(paraphrases.get(lang, [])) for lang in LANGS},
        "action": row.action,
        "status": row.status,
    }


def _apply(row: KBEntry, content: dict[str, Any]) -> None:
    row.kind = content["kind"]
    row.topic = content["topic"]
    row.tags = list(content["tags"])
    row.question_zh, row.question_en = content["question"]["zh"], content["question"]["en"]
    row.answer_zh, row.answer_en = content["answer"]["zh"], content["answer"]["en"]
    row.paraphrases = {lang: list(content["paraphrases"].get(lang, [])) for lang in LANGS}
    row.action = content["action"]
    row.status = content["status"]


def render(content: dict[str, Any]) -> str:
    """A YAML rendering of a snapshot, one field after another, for people to compare."""
    ordered = {f: content.get(f) for f in FIELDS}
    return yaml.safe_dump(ordered, allow_unicode=True, sort_keys=False, width=10_000)


def changes(before: dict[str, Any] | None, after: dict[str, Any]) -> list[str]:
    """The fields (one level deep, e.g. `answer.en`) that differ between two snapshots."""
    if before is None:
        return []
    changed: list[str] = []
    for f in FIELDS:
        old, new = before.get(f), after.get(f)
        if isinstance(old, dict) and isinstance(new, dict):
            changed.extend(f"{f}.{k}" for k in sorted(old.keys() | new.keys()) if old.get(k) != new.get(k))
        elif old != new:
            changed.append(f)
    return changed


def _load(session: Session, entry_id: str, *, lock: bool = False) -> KBEntry:
    row = session.get(KBEntry, entry_id, with_for_update=lock)
    if row is None:
        raise EntryNotFound(f"no knowledge-base entry {entry_id!r}")
    return row


def get(session: Session, entry_id: str) -> KBEntry:
    return _load(session, entry_id)


def _record(session: Session, row: KBEntry, editor: Editor | None, note: str) -> None:
    session.add(
        KBEntryVersion(
            entry_id=row.id,
            version=row.version,
            content=snapshot(row),
            agent_id=editor.id if editor else None,
            username=editor.username if editor else None,
            note=note,
        )
    )


def _has_history(session: Session, entry_id: str) -> bool:
    return session.scalar(select(KBEntryVersion.id).where(KBEntryVersion.entry_id == entry_id).limit(1)) is not None


def _change(session: Session, entry_id: str, editor: Editor, note: str, content: dict[str, Any]) -> KBEntry:
    """Replace an entry's editable fields and save the result as the next version.

    A change that changes nothing is not a new version. An entry without history (seeded
    from the data files) first gets its current state saved, so it can be rolled back to.
    """
    row = _load(session, entry_id, lock=True)
    before = snapshot(row)
    if content == before:
        return row
    if not _has_history(session, entry_id):
        _record(session, row, None, "before the first staff edit")
    _apply(row, content)
    row.version += 1
    _record(session, row, editor, note)
    session.flush()
    return row


def create(session: Session, entry_id: str, content: dict[str, Any], *, editor: Editor) -> KBEntry:
    if session.get(KBEntry, entry_id) is not None:
        raise EntryExists(f"an entry {entry_id!r} exists already")
    row = KBEntry(id=entry_id, version=1)
    _apply(row, content)
    session.add(row)
    session.flush()
    _record(session, row, editor, "created")
    session.flush()
    return row


def update(session: Session, entry_id: str, content: dict[str, Any], *, editor: Editor) -> KBEntry:
    """Replace the editable fields; the kind stays, and so does the status unless given."""
    current = snapshot(_load(session, entry_id, lock=True))
    merged = {**content, "kind": current["kind"], "status": content.get("status") or current["status"]}
    return _change(session, entry_id, editor, "edited", merged)


def set_status(session: Session, entry_id: str, status: str, *, editor: Editor) -> KBEntry:
    """Publish or archive. Publishing applies the entry's pending draft, if it has one."""
    assert status in STATUSES
    row = _load(session, entry_id, lock=True)
    content = {**snapshot(row), "status": status}
    if status == "published" and row.draft:
        content.update({f: row.draft[f] for f in DRAFT_FIELDS if f in row.draft})
        row.draft = None
    return _change(session, entry_id, editor, status, content)


# What a draft holds: the editable content, not the kind or the status.
DRAFT_FIELDS = ("topic", "tags", "question", "answer", "paraphrases", "action")


def save_draft(session: Session, entry_id: str, content: dict[str, Any], *, editor: Editor) -> KBEntry:
    """Keep edits without publishing them: the bot goes on answering the published content
    until `set_status(..., "published")` applies the draft as a new version."""
    row = _load(session, entry_id, lock=True)
    draft = {f: content[f] for f in DRAFT_FIELDS if f in content}
    current = snapshot(row)
    if all(draft.get(f) == current[f] for f in draft):
        row.draft = None  # the draft says what is live already: nothing is pending
    else:
        row.draft = {**draft, "by": editor.username, "at": utcnow().isoformat()}
    session.flush()
    return row


def discard_draft(session: Session, entry_id: str) -> KBEntry:
    row = _load(session, entry_id, lock=True)
    row.draft = None
    session.flush()
    return row


def rollback(session: Session, entry_id: str, version: int, *, editor: Editor) -> KBEntry:
    """Bring back version `version`'s content as a new version; the status stays as it is
    (publishing and archiving are their own, deliberate steps)."""
    current = snapshot(_load(session, entry_id, lock=True))
    old = _version(session, entry_id, version).content
    content = {**{f: old.get(f) for f in FIELDS}, "status": current["status"]}
    return _change(session, entry_id, editor, f"rolled back to version {version}", content)


def _version(session: Session, entry_id: str, version: int) -> KBEntryVersion:
    _load(session, entry_id)
    found = session.scalars(
        select(KBEntryVersion).where(KBEntryVersion.entry_id == entry_id, KBEntryVersion.version == version)
    ).first()
    if found is None:
        raise VersionNotFound(f"entry {entry_id!r} has no version {version}")
    return found


def history(session: Session, entry_id: str) -> list[dict[str, Any]]:
    """Every saved version, oldest first, with what it changed from the one before."""
    row = _load(session, entry_id)
    versions = list(
        session.scalars(
            select(KBEntryVersion).where(KBEntryVersion.entry_id == entry_id).order_by(KBEntryVersion.version)
        )
    )
    if not versions:  # never edited: the current state is the only version there is
        return [{"version": row.version, "who": None, "when": None, "note": "not edited yet", "changed": []}]
    out: list[dict[str, Any]] = []
    previous: dict[str, Any] | None = None
    for v in versions:
        out.append(
            {
                "version": v.version,
                "who": v.username,
                "when": v.created_at.isoformat(),
                "note": v.note,
                "changed": changes(previous, v.content),
            }
        )
        previous = v.content
    return out


def diff(session: Session, entry_id: str, old: int, new: int) -> str:
    """A unified diff between two versions' renderings."""
    a, b = _version(session, entry_id, old), _version(session, entry_id, new)
    lines = difflib.unified_diff(
        render(a.content).splitlines(keepends=True),
        render(b.content).splitlines(keepends=True),
        fromfile=f"{entry_id} version {old}",
        tofile=f"{entry_id} version {new}",
    )
    return "".join(lines)


def _texts(row: KBEntry, langs: tuple[str, ...]) -> list[str]:
    texts: list[str] = []
    for lang in langs:
        texts += [getattr(row, f"question_{lang}"), getattr(row, f"answer_{lang}")]
        texts += (row.paraphrases or {}).get(lang, [])
    return texts


def search(
    session: Session,
    *,
    q: str | None = None,
    topic: str | None = None,
    tag: str | None = None,
    lang: str | None = None,
    status: str | None = None,
) -> list[KBEntry]:
    """Entries matching every filter given; `q` is a case-insensitive substring of a question,
    answer or paraphrase (in `lang` only, when given). Archived entries show only when asked for.

    The text filters run in Python: the knowledge base is hundreds of entries, and JSON
    search differs between SQLite and PostgreSQL.
    """
    query = select(KBEntry).order_by(KBEntry.id)
    if topic:
        query = query.where(KBEntry.topic == topic)
    query = query.where(KBEntry.status == status) if status else query.where(KBEntry.status != "archived")
    rows = list(session.scalars(query))
    if tag:
        rows = [r for r in rows if tag in (r.tags or [])]
    if q and q.strip():
        needle = q.strip().casefold()
        langs = (lang,) if lang in LANGS else LANGS
        rows = [r for r in rows if any(needle in t.casefold() for t in _texts(r, langs))]
    return rows
