"""The knowledge base's file formats: YAML, CSV and Excel read with the line of everything in
them, and YAML, CSV, Excel and Rasa's nlu.yml written. No database here: knowledge_base.transfer
checks, compares and writes what these read.

A file is read an entry at a time and reading stops past MAX_ENTRIES, so an oversized file
costs what its first rows cost. CSV is what a spreadsheet opens too: a cell it would run as a
formula is written with a `'` before it, and reading takes exactly that one `'` off again.
"""

from __future__ import annotations

import csv
import io
import itertools
import warnings
import zipfile
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from typing import Any

import yaml
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.reader.excel import ExcelReader
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

from core import errors
from knowledge_base import versions
from knowledge_base.models import Entry

FORMATS_IN = ("yaml", "csv", "xlsx")
FORMATS_OUT = ("yaml", "csv", "xlsx", "nlu")
COLUMNS = (
    "id", "topic", "tags", "question_zh", "question_en", "answer_zh", "answer_en",
    "paraphrases_zh", "paraphrases_en", "action", "status", "kind",
)  # fmt: skip
REQUIRED_COLUMNS = ("id", "topic", "question_zh", "question_en", "answer_zh", "answer_en")
LANGS = versions.LANGS
# An import's size: a shop's knowledge base has hundreds of entries (the bundled one 83); this
# bounds what one import costs (from Excel: 125 MB and some seconds, `bench/kb_import.py --only cost`).
MAX_ENTRIES = 10_000
MAX_ROWS = 2 * MAX_ENTRIES  # rows of a table, blank ones included: a sheet can declare a million
MAX_PROBLEMS = 100  # listed in a rejection; the rest are counted
MAX_DEPTH = 20  # of YAML: an entry is three levels deep; a file nested deeper is not entries
MAX_XLSX_UNPACKED = 100 * 1024 * 1024  # a workbook's parts unpacked: twice a 50 MB file's text, not a zip bomb
# What a spreadsheet takes for the start of a formula in a cell (OWASP, "CSV injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an import file, where a person can find it."""

    line: int | None
    field: str | None
    id: str | None
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "field": self.field, "id": self.id, "message": self.message}


class ImportRejected(errors.Unprocessable):
    """The file has problems; nothing was written. The first MAX_PROBLEMS are kept, the rest counted."""

    def __init__(self, problems: Sequence[Problem], *, count: int = 0) -> None:
        self.count = max(count, len(problems))
        self.problems = list(problems[:MAX_PROBLEMS])
        errors = f"{self.count:,} error{'s' if self.count > 1 else ''}"
        listed = f" (the first {len(self.problems)} listed)" if self.unlisted else ""
        super().__init__(f"the file has {errors}{listed}; nothing was imported")

    @property
    def unlisted(self) -> int:
        return self.count - len(self.problems)

    def details(self) -> dict[str, Any]:
        """The problems as the staff API answers them."""
        return {"errors": [p.as_dict() for p in self.problems], "more_errors": self.unlisted}


class TooManyEntries(errors.TooLarge, ImportRejected):
    """The file holds more than one import takes; reading stopped there."""


class Problems:
    """Problems as they are found: the first MAX_PROBLEMS kept, the rest only counted."""

    def __init__(self) -> None:
        self.listed: list[Problem] = []
        self.count = 0

    def add(self, problem: Problem) -> None:
        self.count += 1
        if len(self.listed) < MAX_PROBLEMS:
            self.listed.append(problem)

    def reject_if_any(self) -> None:
        if self.count:
            raise ImportRejected(self.listed, count=self.count)


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


# Reading -------------------------------------------------------------------------------------


# A reader yields each row of a file as read: its line, and its entry (None: a blank row).
Rows = Generator[tuple[int, Row | None], None, None]
Reader = Callable[[bytes], Rows]


def read(data: bytes, fmt: str) -> list[Row]:
    """The entries of a file, not checked yet; a file that cannot be read at all is rejected.

    Rows are read one at a time, and a file of more than MAX_ENTRIES entries (or MAX_ROWS rows
    of a table, blank ones included) is refused at the row one too many: TooManyEntries.
    """
    if not data or data.isspace():
        raise ImportRejected([Problem(1, None, None, "the file is empty")])
    readers: dict[str, Reader] = {"yaml": _read_yaml, "csv": _read_csv, "xlsx": _read_xlsx}
    rows: list[Row] = []
    with closing(readers[fmt](data)) as table:
        for n, (line, row) in enumerate(table, 1):
            if n > MAX_ROWS:
                message = f"more than {MAX_ROWS:,} rows, blank ones included: {_at_most()}; delete the blank rows"
                raise TooManyEntries([Problem(line, None, None, message)])
            if row is not None:
                rows.append(row)
                if len(rows) > MAX_ENTRIES:
                    message = f"more than {MAX_ENTRIES:,} entries: {_at_most()}; split the file"
                    raise TooManyEntries([Problem(line, None, None, message)])
    if not rows:
        raise ImportRejected([Problem(1, None, None, "the file has no entries")])
    return rows


def _at_most() -> str:
    return f"an import takes at most {MAX_ENTRIES:,} entries"


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


def _read_yaml(data: bytes) -> Rows:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(_decode(data))
    try:
        for node in _items(loader):
            item = loader.construct_document(node)
            row = Row(node.start_mark.line + 1, item)
            _node_lines(node, "", row.lines)
            if isinstance(item, dict):  # a whole entry: what it leaves out, it does not have
                item.setdefault("tags", [])
                item.setdefault("action", None)
                paraphrases = item.setdefault("paraphrases", {})
                if isinstance(paraphrases, dict):
                    for lang in LANGS:
                        paraphrases.setdefault(lang, [])
            yield row.line, row
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise ImportRejected([Problem(line, None, None, f"not valid YAML: {exc.problem or exc}")]) from exc
    except yaml.YAMLError as exc:
        raise ImportRejected([Problem(None, None, None, f"not valid YAML: {exc}")]) from exc
    finally:
        loader.dispose()


def _items(loader: Any) -> Iterator[yaml.Node]:
    """The items of the file's top-level list, each composed from the parser's events as it comes
    (PyYAML's own composer builds the whole document before anything can be counted)."""
    loader.get_event()  # the stream starts
    if loader.check_event(yaml.StreamEndEvent):
        return
    loader.get_event()  # the document starts
    anchors: dict[str, yaml.Node] = {}
    if not loader.check_event(yaml.SequenceStartEvent):
        root = _compose(loader, anchors, 0)
        if root.tag != "tag:yaml.org,2002:null":
            raise ImportRejected([Problem(root.start_mark.line + 1, None, None, "the file must be a list of entries")])
    else:
        loader.get_event()
        while not loader.check_event(yaml.SequenceEndEvent):
            yield _compose(loader, anchors, 1)
        loader.get_event()
    loader.get_event()  # the document ends
    if not loader.check_event(yaml.StreamEndEvent):
        mark = loader.get_event().start_mark
        raise yaml.composer.ComposerError(None, None, "expected a single document in the stream", mark)


def _compose(loader: Any, anchors: dict[str, yaml.Node], depth: int) -> yaml.Node:
    """One node and its children, as PyYAML's composer makes it."""
    event = loader.get_event()
    start: yaml.Mark = event.start_mark  # the C parser's marks are its own class, with the same fields
    end_mark: yaml.Mark = event.end_mark
    if depth > MAX_DEPTH:
        raise ImportRejected([Problem(start.line + 1, None, None, "nested too deeply to be an entry")])
    if isinstance(event, yaml.AliasEvent):
        if event.anchor not in anchors:
            raise yaml.composer.ComposerError(None, None, f"found undefined alias {event.anchor!r}", start)
        return anchors[event.anchor]
    if event.anchor is not None and event.anchor in anchors:
        raise yaml.composer.ComposerError(None, None, f"found duplicate anchor {event.anchor!r}", start)
    implicit = event.tag in (None, "!")
    node: yaml.Node
    if isinstance(event, yaml.ScalarEvent):
        tag = loader.resolve(yaml.ScalarNode, event.value, event.implicit) if implicit else str(event.tag)
        node = yaml.ScalarNode(tag, event.value, start, end_mark, style=event.style)
        if event.anchor is not None:
            anchors[event.anchor] = node
        return node
    sequence = isinstance(event, yaml.SequenceStartEvent)
    kind, end = (yaml.SequenceNode, yaml.SequenceEndEvent) if sequence else (yaml.MappingNode, yaml.MappingEndEvent)
    tag = loader.resolve(kind, None, event.implicit) if implicit else str(event.tag)
    node = kind(tag, [], start, None, flow_style=event.flow_style)
    if event.anchor is not None:
        anchors[event.anchor] = node  # before its children, which may refer to it
    while not loader.check_event(end):
        child = _compose(loader, anchors, depth + 1)
        node.value.append(child if sequence else (child, _compose(loader, anchors, depth + 1)))
    node.end_mark = loader.get_event().end_mark
    return node


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


def _lines(data: bytes) -> Iterator[str]:
    """The text a line at a time, decoded as it is read, the line ends kept (as csv wants them)."""
    try:
        yield from io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", newline="")
    except UnicodeDecodeError as exc:
        raise _not_utf8(data) from exc


def _not_utf8(data: bytes) -> ImportRejected:
    """Where the first byte that is not UTF-8 is, found a line at a time."""
    start = 0
    for number, line in enumerate(io.BytesIO(data), 1):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as exc:
            message = f"not valid UTF-8 (byte {start + exc.start}); save the file as UTF-8"
            return ImportRejected([Problem(number, None, None, message)])
        start += len(line)
    return ImportRejected([Problem(None, None, None, "not valid UTF-8; save the file as UTF-8")])


def restored(cell: str) -> str:
    """A CSV cell as it was before `defused`: the `'` put before a formula taken off."""
    return cell[1:] if cell.startswith("'") and cell.lstrip("'").startswith(FORMULA_START) else cell


def _read_csv(data: bytes) -> Rows:
    lines = _lines(data)
    first = next(lines, "")
    delimiter = next((d for d in (",", ";", "\t") if d in first), ",")
    reader = csv.reader(itertools.chain([first], lines), delimiter=delimiter)
    try:
        first_row = next(reader, None)
        if first_row is None:
            return
        header = _header(first_row, 1)
        start = reader.line_num + 1
        for cells in reader:
            if any(c.strip() for c in cells):
                extra = "the row has more cells than the header has columns" if len(cells) > len(header) else None
                yield start, Row(start, _from_cells(header, [restored(c) for c in cells]), problem=extra)
            else:
                yield start, None
            start = reader.line_num + 1
    except csv.Error as exc:
        raise ImportRejected([Problem(reader.line_num, None, None, f"not valid CSV: {exc}")]) from exc


def _cell(value: Any) -> Any:
    if isinstance(value, bool):
        return value  # rejected as the wrong type when checked
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float):
        return str(value)  # Excel turns a cell of digits into a number
    return "" if value is None else value


class _UnsizedSheet(ReadOnlyWorksheet):
    """A read-only sheet opened without finding its size first. openpyxl takes the size from the
    sheet's <dimension>, and a sheet without one (openpyxl's own write-only files, or one made
    to be slow) it reads to the end just for that; rows are read as they come here instead."""

    def _get_size(self) -> None:
        return None


class _WorkbookReader(ExcelReader):
    """openpyxl's read-only workbook reader, its worksheets unsized."""

    def read_worksheets(self) -> None:
        for sheet, rel in self.parser.find_sheets():
            if rel.target not in self.valid_files:
                continue
            if "chartsheet" in rel.Type:
                self.read_chartsheet(sheet, rel)
            else:
                self.wb._sheets.append(_UnsizedSheet(self.wb, sheet.name, rel.target, self.shared_strings))


def _workbook(data: bytes) -> Any:
    """The workbook, read only, refused if it unpacks to more than MAX_XLSX_UNPACKED."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:  # the sizes it declares are the most it yields
            unpacked = sum(member.file_size for member in archive.infolist())
        if unpacked > MAX_XLSX_UNPACKED:
            message = f"the workbook unpacks to {unpacked / 1e6:,.0f} MB; at most {MAX_XLSX_UNPACKED / 1e6:,.0f} MB"
            raise TooManyEntries([Problem(None, None, None, message)])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # openpyxl's notes on styles it skips
            reader = _WorkbookReader(io.BytesIO(data), read_only=True, data_only=True)
            reader.read()
    except TooManyEntries:
        raise
    except Exception as exc:  # openpyxl raises a different error for each way a file is broken
        raise ImportRejected([Problem(None, None, None, f"not a readable .xlsx workbook: {exc}")]) from exc
    return reader.wb


def _read_xlsx(data: bytes) -> Rows:
    book = _workbook(data)
    try:
        sheet = book.worksheets[0]  # each row as wide as the cells it has
        table = sheet.iter_rows(values_only=True)
        header = _header(next(table, ()), 1)
        for number, cells in enumerate(table, 2):
            values = [_cell(c) for c in cells[: len(header)]]
            if any(str(v).strip() for v in values):
                yield number, Row(number, _from_cells(header, values))
            else:
                yield number, None
    finally:
        book.close()


# Writing -------------------------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    """Multi-line text as `|` blocks, the way the bundled data files are written."""


def _str(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style="|" if "\n" in text else None)


_Dumper.add_representer(str, _str)


def _dump(data: Any) -> bytes:
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=10_000).encode("utf-8")


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


def defused(cell: str) -> str:
    """A CSV cell a spreadsheet would run as a formula, with a `'` before it so it shows as text
    (OWASP's advice). Cells already starting `'` before one get another, so `restored` is exact."""
    return "'" + cell if cell.lstrip("'").startswith(FORMULA_START) else cell


def _csv(entries: Sequence[dict[str, Any]]) -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out).writerows([defused(c) for c in row] for row in _table(entries))
    return out.getvalue().encode("utf-8-sig")  # the byte-order mark tells Excel it is UTF-8


def _xlsx(entries: Sequence[dict[str, Any]]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("knowledge base")
    for values in _table(entries):
        cells = []
        for value in values:
            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"  # text, always: an answer starting with "=" is not a formula, and reads back as is
            cells.append(cell)
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def render(entries: Sequence[dict[str, Any]], fmt: str) -> bytes:
    """Entries (shaped as in the YAML files, with kind and status) as a yaml, csv or xlsx file."""
    writers: dict[str, Callable[[Sequence[dict[str, Any]]], bytes]] = {"yaml": _dump, "csv": _csv, "xlsx": _xlsx}
    return writers[fmt](entries)


def nlu(entries: Iterable[Entry]) -> bytes:
    """Rasa training data: FAQ as the retrieval intent `faq/<id>`, built-in intents by name."""

    def intent(e: Entry) -> dict[str, str]:
        examples = "".join(f"- {' '.join(text.split())}\n" for text in e.examples())
        return {"intent": f"faq/{e.id}" if e.kind == "faq" else e.id, "examples": examples}

    return _dump({"version": "3.1", "nlu": [intent(e) for e in entries]})
