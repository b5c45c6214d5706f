"""Import and export of the knowledge base: check, compare and write an import; export (the
formats themselves are read and written in knowledge_base.files).

An import is all or nothing. The file is read and every entry checked against the same limits
as the staff API, collecting every problem with its line and field (`prepare`: no database, the
slow part); then the entries are compared with the database, and only if nothing is wrong are
the differences written, in the caller's one transaction, each as a new version naming the
editor and the file (`apply`: short, so a session held for it keeps no one waiting long).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import ValidationError
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from core.db import utcnow
from knowledge_base import files, versions
from knowledge_base.entry import NewEntry
from knowledge_base.files import (
    COLUMNS,
    FORMATS_IN,
    FORMATS_OUT,
    LANGS,
    MAX_ENTRIES,
    ImportRejected,
    Problem,
    Problems,
    Row,
    TooManyEntries,
    read,
    render,
)
from knowledge_base.models import KBEntry, KBEntryVersion
from knowledge_base.store import published

CHUNK = 1000  # rows per statement and per progress line while writing

# (phase, done, total): "parse", "validate" or "write".
Progress = Callable[[str, int, int], None]


class ImportedEntry(NewEntry):
    """One entry of an import file: the API's limits, plus the kind and any status.

    A status or kind left out keeps the entry's own (a new entry is a draft FAQ, as in the API).
    """

    kind: Literal["faq", "intent"] | None = None  # type: ignore[assignment]
    status: Literal["draft", "published", "archived"] | None = None  # type: ignore[assignment]


@dataclass(frozen=True)
class Report:
    """What an import did (or, in a dry run, would do): the contract's REPORT."""

    dry_run: bool
    created: list[str]
    updated: list[tuple[str, list[str]]]
    unchanged: int

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)

    def as_dict(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "created": self.created,
            "updated": [{"id": i, "changed": c} for i, c in self.updated],
            "unchanged": self.unchanged,
            "total": len(self.created) + len(self.updated) + self.unchanged,
        }


def quiet(_phase: str, _done: int, _total: int) -> None:
    """A progress callback that ignores progress."""
    return None


def _ticks(progress: Progress, phase: str, total: int) -> Callable[[int], None]:
    """A progress reporter that speaks about a hundred times per phase, always at the end."""
    step = max(1, total // 100)

    def tick(done: int) -> None:
        if done == total or done % step == 0:
            progress(phase, done, total)

    return tick


# Checking and comparing ----------------------------------------------------------------------


def _message(error: Any) -> str:
    text = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        return "unknown field"
    index = next((p for p in error["loc"] if isinstance(p, int)), None)
    return f"item {index + 1}: {text}" if index is not None else text


def check(rows: Sequence[Row], progress: Progress = quiet) -> list[tuple[Row, ImportedEntry]]:
    """Every row checked against the API's limits, ids unique; all problems (the first
    MAX_PROBLEMS listed), or none."""
    problems = Problems()
    good: list[tuple[Row, ImportedEntry]] = []
    first_line: dict[str, int] = {}
    tick = _ticks(progress, "validate", len(rows))
    for n, row in enumerate(rows, 1):
        if row.problem is not None:
            problems.add(Problem(row.line, None, row.id, row.problem))
        elif not isinstance(row.data, dict):
            problems.add(Problem(row.line, None, None, "an entry must be a mapping of fields"))
        else:
            try:
                good.append((row, ImportedEntry.model_validate(row.data)))
            except ValidationError as exc:
                for err in exc.errors():
                    path = [p for p in err["loc"] if isinstance(p, str)]
                    where = row.line_of(err["loc"])
                    problems.add(Problem(where, ".".join(path) or None, row.id, _message(err)))
        if row.id is not None:
            if row.id in first_line:
                line = row.line_of(["id"])
                problems.add(Problem(line, "id", row.id, f"duplicate id: also on line {first_line[row.id]}"))
            else:
                first_line[row.id] = row.line_of(["id"])
        tick(n)
    problems.reject_if_any()
    return good


@dataclass(frozen=True)
class Change:
    """What one entry of the file does to the database."""

    id: str
    content: dict[str, Any]  # the whole entry afterwards, as versions.snapshot has it
    before: dict[str, Any] | None  # None: a new entry
    version: int  # the entry's version now (0 for a new one)
    changed: list[str]


NEW: dict[str, Any] = {
    "kind": "faq",
    "tags": [],
    "paraphrases": {"zh": [], "en": []},
    "action": None,
    "status": "draft",
}


def _target(base: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """`base` with what the file gives; a status or kind given as nothing keeps the base's."""
    content = {**base, **{k: v for k, v in given.items() if k != "paraphrases"}}
    for key in ("status", "kind"):
        if content[key] is None:
            content[key] = base[key]
    content["paraphrases"] = {lang: list(base["paraphrases"].get(lang, [])) for lang in LANGS}
    content["paraphrases"].update(given.get("paraphrases", {}))
    return content


def _chunks(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), 500):
        yield items[start : start + 500]


def compare(
    session: Session, entries: Sequence[tuple[Row, ImportedEntry]], *, lock: bool = False
) -> tuple[list[Change], int]:
    """The changes the entries make, and how many change nothing; `lock` holds the rows until commit."""
    ids = [e.id for _, e in entries]
    rows: dict[str, KBEntry] = {}
    for chunk in _chunks(ids):
        query = select(KBEntry).where(KBEntry.id.in_(chunk))
        rows.update((r.id, r) for r in session.scalars(query.with_for_update() if lock else query))
    changes: list[Change] = []
    unchanged, problems = 0, Problems()
    for row, entry in entries:
        given = entry.model_dump(exclude={"id"}, exclude_unset=True)
        existing = rows.get(entry.id)
        if existing is None:
            content = _target(NEW, given)
            changes.append(Change(entry.id, content, None, 0, []))
            continue
        before = versions.snapshot(existing)
        if entry.kind is not None and entry.kind != existing.kind:
            message = f"the entry is {existing.kind!r}; an entry's kind cannot change"
            problems.add(Problem(row.line_of(["kind"]), "kind", entry.id, message))
        after = _target(before, given)
        changed = versions.changes(before, after)
        if changed:
            changes.append(Change(entry.id, after, before, existing.version, changed))
        else:
            unchanged += 1
    problems.reject_if_any()
    return changes, unchanged


def _columns(content: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": content["kind"],
        "topic": content["topic"],
        "tags": list(content["tags"]),
        "question_zh": content["question"]["zh"],
        "question_en": content["question"]["en"],
        "answer_zh": content["answer"]["zh"],
        "answer_en": content["answer"]["en"],
        "paraphrases": {lang: list(content["paraphrases"][lang]) for lang in LANGS},
        "action": content["action"],
        "status": content["status"],
    }


def write(
    session: Session,
    changes: Sequence[Change],
    *,
    editor: versions.Editor | None,
    note: str,
    progress: Progress = quiet,
) -> None:
    """Write the changes as versions, a statement per thousand entries instead of several per entry.

    The rules are those of versions.create and versions.update: each change is the next
    version, recorded with its editor and note, and an entry with no history yet (seeded from
    the data files) first gets its old state saved, so the import can be rolled back.
    """
    now = utcnow()
    who = {"agent_id": editor.id if editor else None, "username": editor.username if editor else None}
    updated = [c.id for c in changes if c.before is not None]
    with_history: set[str] = set()
    for chunk in _chunks(updated):
        query = select(KBEntryVersion.entry_id).where(KBEntryVersion.entry_id.in_(chunk)).distinct()
        with_history.update(session.scalars(query))
    tick = _ticks(progress, "write", len(changes))
    for start in range(0, len(changes), CHUNK):
        part = changes[start : start + CHUNK]
        new = [c for c in part if c.before is None]
        old = [c for c in part if c.before is not None]
        if new:
            session.execute(
                insert(KBEntry),
                [{"id": c.id, **_columns(c.content), "version": 1, "draft": None, "updated_at": now} for c in new],
            )
        if old:
            session.execute(
                update(KBEntry),
                [{"id": c.id, **_columns(c.content), "version": c.version + 1, "updated_at": now} for c in old],
            )
        records = [
            {"entry_id": c.id, "version": c.version, "content": c.before, "agent_id": None, "username": None,
             "note": "before the first staff edit", "created_at": now}
            for c in old if c.id not in with_history
        ]  # fmt: skip
        records += [
            {"entry_id": c.id, "version": c.version + 1, "content": c.content, **who, "note": note, "created_at": now}
            for c in part
        ]
        session.execute(insert(KBEntryVersion), records)
        tick(start + len(part))
    session.flush()


def prepare(data: bytes, fmt: str, progress: Progress = quiet) -> list[tuple[Row, ImportedEntry]]:
    """Read and check a file: the slow part of an import, and it needs no database session."""
    rows = read(data, fmt)
    progress("parse", len(rows), len(rows))
    return check(rows, progress)


def apply(
    session: Session,
    entries: Sequence[tuple[Row, ImportedEntry]],
    *,
    name: str,
    editor: versions.Editor | None,
    dry_run: bool,
    progress: Progress = quiet,
) -> Report:
    """Compare checked entries with the database, and unless `dry_run` write what they change."""
    changes, unchanged = compare(session, entries, lock=not dry_run)
    if not dry_run and changes:
        write(session, changes, editor=editor, note=f"imported from {name}", progress=progress)
    created = [c.id for c in changes if c.before is None]
    updated = [(c.id, c.changed) for c in changes if c.before is not None]
    return Report(dry_run, created, updated, unchanged)


def import_file(
    session: Session,
    data: bytes,
    fmt: str,
    *,
    name: str,
    editor: versions.Editor | None,
    dry_run: bool,
    progress: Progress = quiet,
) -> Report:
    """Read, check and compare a file, and unless `dry_run` write what it changes.

    The session is not used until the file is read and checked; a server with other sessions
    waiting (SQLite's take turns) calls `prepare` first and opens one only for `apply`.
    """
    entries = prepare(data, fmt, progress)
    return apply(session, entries, name=name, editor=editor, dry_run=dry_run, progress=progress)


# Exporting ---------------------------------------------------------------------------------


def _entries(session: Session) -> list[dict[str, Any]]:
    rows = session.scalars(select(KBEntry).order_by(KBEntry.kind, KBEntry.id))
    out = []
    for row in rows:
        content = versions.snapshot(row)
        entry = {"id": row.id, **{f: content[f] for f in versions.FIELDS}}
        if entry["action"] is None:
            del entry["action"]
        out.append(entry)
    return out


def export(session: Session, fmt: str) -> bytes:
    """Every entry (archived too, with its status) as a file; `nlu`: what the bot answers from."""
    return files.nlu(published(session)) if fmt == "nlu" else render(_entries(session), fmt)


# What callers use through this module: the file formats are read and written in files.py.
__all__ = [
    "COLUMNS",
    "FORMATS_IN",
    "FORMATS_OUT",
    "MAX_ENTRIES",
    "ImportRejected",
    "ImportedEntry",
    "Problem",
    "Progress",
    "Report",
    "Row",
    "TooManyEntries",
    "apply",
    "check",
    "compare",
    "export",
    "import_file",
    "prepare",
    "quiet",
    "read",
    "render",
    "write",
]
