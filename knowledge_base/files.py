"""The knowledge base's file formats: YAML, CSV and Excel read with the line of everything in
them, and YAML, CSV, Excel and Rasa's nlu.yml written. No database here: knowledge_base.transfer
checks, compares and writes what these read.

CSV is what a spreadsheet opens too: a cell it would run as a formula is written with a `'`
before it, and reading takes exactly that one `'` off again.
"""

from __future__ import annotations

import csv
import io
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell

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


def restored(cell: str) -> str:
    """A CSV cell as it was before `defused`: the `'` put before a formula taken off."""
    return cell[1:] if cell.startswith("'") and cell.lstrip("'").startswith(FORMULA_START) else cell


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
                rows.append(Row(start, _from_cells(header, [restored(c) for c in cells]), problem=extra))
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
