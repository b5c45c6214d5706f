"""Import and export of the knowledge base: YAML, CSV and Excel in; those and Rasa's nlu.yml out.

An import is all or nothing. The file is read and every entry checked against the same limits
as the staff API, collecting every problem with its line and field; then the entries are
compared with the database, and only if nothing is wrong are the differences written, in the
caller's one transaction, each as a new version naming the editor and the file.
"""

from __future__ import annotations

import csv
import io
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import yaml
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from pydantic import ValidationError
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from bot.db import utcnow
from knowledge_base import versions
from knowledge_base.api import NewEntry
from knowledge_base.models import Entry, KBEntry, KBEntryVersion
from knowledge_base.store import published

FORMATS_IN = ("yaml", "csv", "xlsx")
FORMATS_OUT = ("yaml", "csv", "xlsx", "nlu")
COLUMNS = (
    "id", "topic", "tags", "question_zh", "question_en", "answer_zh", "answer_en",
    "paraphrases_zh", "paraphrases_en", "action", "status", "kind",
)  # fmt: skip
REQUIRED_COLUMNS = ("id", "topic", "question_zh", "question_en", "answer_zh", "answer_en")
LANGS = versions.LANGS
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
class Problem:
    """One thing wrong with an import file, where a person can find it."""

    line: int | None
    field: str | None
    id: str | None
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "field": self.field, "id": self.id, "message": self.message}


class ImportRejected(Exception):
    """The file has problems; nothing was written."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__(f"the file has {len(self.problems)} error(s); nothing was imported")


@dataclass
class Row:
    """One entry as read from a file: its data, its line, and (YAML) the line of each field."""

    line: int
    data: Any
    lines: dict[str, int] = field(default_factory=dict)
    problem: str | None = None  # found while reading, reported with the others

    def line_of(self, path: Sequence[str | int]) -> int:
        for n in range(len(path), 0, -1):
            found = self.lines.get(".".join(str(p) for p in path[:n]))
            if found is not None:
                return found
        return self.line

    @property
    def id(self) -> str | None:
        value = self.data.get("id") if isinstance(self.data, dict) else None
        return value if isinstance(value, str) and value else None


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


# Reading -------------------------------------------------------------------------------------


def read(data: bytes, fmt: str) -> list[Row]:
    """The entries of a file, not checked yet; a file that cannot be read at all is rejected."""
    if not data.strip():
        raise ImportRejected([Problem(1, None, None, "the file is empty")])
    readers = {"yaml": _read_yaml, "csv": _read_csv, "xlsx": _read_xlsx}
    rows = readers[fmt](data)
    if not rows:
        raise ImportRejected([Problem(1, None, None, "the file has no entries")])
    return rows


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")  # Excel starts its UTF-8 files with a byte-order mark
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ImportRejected(
            [Problem(line, None, None, f"not valid UTF-8 (byte {exc.start}); save the file as UTF-8")]
        ) from exc


def _node_lines(node: yaml.Node, prefix: str, out: dict[str, int], depth: int = 3) -> None:
    if depth == 0:
        return
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            path = f"{prefix}{key.value}"
            out[path] = key.start_mark.line + 1
            _node_lines(value, path + ".", out, depth - 1)
    elif isinstance(node, yaml.SequenceNode):
        for n, item in enumerate(node.value):
            out[f"{prefix}{n}"] = item.start_mark.line + 1


def _read_yaml(data: bytes) -> list[Row]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(_decode(data))
    try:
        root = loader.get_single_node()
        document = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise ImportRejected([Problem(line, None, None, f"not valid YAML: {exc.problem or exc}")]) from exc
    except yaml.YAMLError as exc:
        raise ImportRejected([Problem(None, None, None, f"not valid YAML: {exc}")]) from exc
    finally:
        loader.dispose()
    if root is None or document is None:
        return []
    if not isinstance(root, yaml.SequenceNode) or not isinstance(document, list):
        raise ImportRejected([Problem(root.start_mark.line + 1, None, None, "the file must be a list of entries")])
    rows = []
    for node, item in zip(root.value, document, strict=True):
        row = Row(node.start_mark.line + 1, item)
        _node_lines(node, "", row.lines)
        if isinstance(item, dict):  # a whole entry: what it leaves out, it does not have
            item.setdefault("tags", [])
            item.setdefault("action", None)
            paraphrases = item.setdefault("paraphrases", {})
            if isinstance(paraphrases, dict):
                for lang in LANGS:
                    paraphrases.setdefault(lang, [])
        rows.append(row)
    return rows


def _split(cell: str, *, lines_first: bool) -> list[str]:
    """Cell text to a list: one item a line, or `|`-separated when the cell is one line."""
    parts = cell.splitlines() if lines_first and ("\n" in cell or "\r" in cell) else cell.split("|")
    return [p.strip() for p in parts if p.strip()]


def _from_cells(header: list[str], cells: Sequence[Any]) -> dict[str, Any]:
    """An entry from one table row. A column the file leaves out keeps the entry's own value."""
    values = dict(zip(header, [*cells, *[""] * (len(header) - len(cells))], strict=False))
    entry: dict[str, Any] = {"id": values.get("id"), "topic": values.get("topic")}
    entry["question"] = {lang: values.get(f"question_{lang}") for lang in LANGS}
    entry["answer"] = {lang: values.get(f"answer_{lang}") for lang in LANGS}
    if "tags" in values:
        entry["tags"] = _split(str(values["tags"] or ""), lines_first=False)
    paraphrases = {lang: values[f"paraphrases_{lang}"] for lang in LANGS if f"paraphrases_{lang}" in values}
    if paraphrases:
        entry["paraphrases"] = {lang: _split(str(v or ""), lines_first=True) for lang, v in paraphrases.items()}
    for key in ("action", "status", "kind"):
        if key in values:
            entry[key] = values[key] or None
    return entry


def _header(cells: Sequence[Any], line: int) -> list[str]:
    header = [str(c or "").strip().lower() for c in cells]
    problems = [Problem(line, c, None, f"unknown column {c!r}") for c in header if c and c not in COLUMNS]
    problems += [Problem(line, c, None, f"column {c!r} is missing") for c in REQUIRED_COLUMNS if c not in header]
    if problems:
        raise ImportRejected(problems)
    return header


def _read_csv(data: bytes) -> list[Row]:
    text = _decode(data)
    first = text.split("\n", 1)[0]
    delimiter = next((d for d in (",", ";", "\t") if d in first), ",")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        first_row = next(reader, None)
        if first_row is None:
            return []
        header = _header(first_row, 1)
        rows, start = [], reader.line_num + 1
        for cells in reader:
            if any(c.strip() for c in cells):
                extra = "the row has more cells than the header has columns" if len(cells) > len(header) else None
                rows.append(Row(start, _from_cells(header, cells), problem=extra))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise ImportRejected([Problem(reader.line_num, None, None, f"not valid CSV: {exc}")]) from exc
    return rows


def _cell(value: Any) -> Any:
    if isinstance(value, bool):
        return value  # rejected as the wrong type when checked
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float):
        return str(value)  # Excel turns a cell of digits into a number
    return "" if value is None else value


def _read_xlsx(data: bytes) -> list[Row]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # openpyxl's notes on styles it skips
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises a different error for each way a file is broken
        raise ImportRejected([Problem(None, None, None, f"not a readable .xlsx workbook: {exc}")]) from exc
    try:
        sheet = book.worksheets[0]
        table = sheet.iter_rows(values_only=True)
        header = _header(next(table, ()), 1)
        rows = []
        for number, cells in enumerate(table, 2):
            values = [_cell(c) for c in cells]
            if any(str(v).strip() for v in values):
                rows.append(Row(number, _from_cells(header, values[: len(header)])))
    finally:
        book.close()
    return rows


# Checking and comparing ----------------------------------------------------------------------


def _message(error: Any) -> str:
    text = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        return "unknown field"
    index = next((p for p in error["loc"] if isinstance(p, int)), None)
    return f"item {index + 1}: {text}" if index is not None else text


def check(rows: Sequence[Row], progress: Progress = quiet) -> list[tuple[Row, ImportedEntry]]:
    """Every row checked against the API's limits, ids unique; all problems, or none."""
    problems: list[Problem] = []
    good: list[tuple[Row, ImportedEntry]] = []
    first_line: dict[str, int] = {}
    tick = _ticks(progress, "validate", len(rows))
    for n, row in enumerate(rows, 1):
        if row.problem is not None:
            problems.append(Problem(row.line, None, row.id, row.problem))
        elif not isinstance(row.data, dict):
            problems.append(Problem(row.line, None, None, "an entry must be a mapping of fields"))
        else:
            try:
                good.append((row, ImportedEntry.model_validate(row.data)))
            except ValidationError as exc:
                for err in exc.errors():
                    path = [p for p in err["loc"] if isinstance(p, str)]
                    where = row.line_of(err["loc"])
                    problems.append(Problem(where, ".".join(path) or None, row.id, _message(err)))
        if row.id is not None:
            if row.id in first_line:
                line = row.line_of(["id"])
                problems.append(Problem(line, "id", row.id, f"duplicate id: also on line {first_line[row.id]}"))
            else:
                first_line[row.id] = row.line_of(["id"])
        tick(n)
    if problems:
        raise ImportRejected(problems)
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
    changes, unchanged, problems = [], 0, []
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
            problems.append(Problem(row.line_of(["kind"]), "kind", entry.id, message))
        after = _target(before, given)
        changed = versions.changes(before, after)
        if changed:
            changes.append(Change(entry.id, after, before, existing.version, changed))
        else:
            unchanged += 1
    if problems:
        raise ImportRejected(problems)
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
    """Read, check and compare a file, and unless `dry_run` write what it changes."""
    rows = read(data, fmt)
    progress("parse", len(rows), len(rows))
    entries = check(rows, progress)
    changes, unchanged = compare(session, entries, lock=not dry_run)
    if not dry_run and changes:
        write(session, changes, editor=editor, note=f"imported from {name}", progress=progress)
    created = [c.id for c in changes if c.before is None]
    updated = [(c.id, c.changed) for c in changes if c.before is not None]
    return Report(dry_run, created, updated, unchanged)


# Writing files -------------------------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    """Multi-line text as `|` blocks, the way the bundled data files are written."""


def _str(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style="|" if "\n" in text else None)


_Dumper.add_representer(str, _str)


def _dump(data: Any) -> bytes:
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=10_000).encode("utf-8")


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


def _table(entries: Iterable[dict[str, Any]]) -> Iterable[list[str]]:
    yield list(COLUMNS)
    for e in entries:
        cells = {
            **{k: e[k] for k in ("id", "topic", "status", "kind")},
            "tags": "|".join(e["tags"]),
            "action": e.get("action") or "",
        }
        for lang in LANGS:
            cells |= {f"question_{lang}": e["question"][lang], f"answer_{lang}": e["answer"][lang]}
            cells[f"paraphrases_{lang}"] = "\n".join(e["paraphrases"][lang])
        yield [cells[c] for c in COLUMNS]


def _csv(entries: Sequence[dict[str, Any]]) -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out).writerows(_table(entries))
    return out.getvalue().encode("utf-8-sig")  # the byte-order mark tells Excel it is UTF-8


def _xlsx(entries: Sequence[dict[str, Any]]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("knowledge base")
    for values in _table(entries):
        cells = []
        for value in values:
            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"  # text, always: an answer starting with "=" is not a formula
            cells.append(cell)
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _nlu(session: Session) -> bytes:
    """Rasa training data: FAQ as the retrieval intent `faq/<id>`, built-in intents by name."""

    def intent(e: Entry) -> dict[str, str]:
        examples = "".join(f"- {' '.join(text.split())}\n" for text in e.examples())
        return {"intent": f"faq/{e.id}" if e.kind == "faq" else e.id, "examples": examples}

    return _dump({"version": "3.1", "nlu": [intent(e) for e in published(session)]})


def render(entries: Sequence[dict[str, Any]], fmt: str) -> bytes:
    """Entries (shaped as in the YAML files, with kind and status) as a yaml, csv or xlsx file."""
    writers: dict[str, Callable[[Sequence[dict[str, Any]]], bytes]] = {"yaml": _dump, "csv": _csv, "xlsx": _xlsx}
    return writers[fmt](entries)


def export(session: Session, fmt: str) -> bytes:
    """Every entry (archived too, with its status) as a file; `nlu`: what the bot answers from."""
    return _nlu(session) if fmt == "nlu" else render(_entries(session), fmt)
