"""How long a knowledge-base import takes: dry run, first import, re-import unchanged, re-import edited;
and what one import costs in time and memory, a normal one and an oversized one.

    python bench/kb_import.py [--entries 10000] [--format yaml|csv|xlsx] [--postgres URL] [--only speed|cost]

Generates entries shaped like the bundled ones (a zh and an en question and answer, 8 zh and
6 en paraphrases, two tags) and imports them through `knowledge_base.transfer` into a fresh
SQLite file, and into PostgreSQL when it is reachable (a database `kb_import_bench` created
for the run and dropped after it; the shared `test` database is only used to create it).
The baseline, in the same run on the same database, is importing 1,000 entries; for scale it
also times 1,000 entries written one by one through `versions.create`, the per-entry path the
staff API takes. Prints seconds, entries/s, and each figure per entry as a ratio of the baseline's.

The cost section imports Excel files into a fresh SQLite file as the HTTP API does (read and
checked first, then a session for the write), each in a process of its own: a normal knowledge
base (500 entries), the most an import takes (10,000 entries), and 200,000 identical rows
(refused). It prints the seconds, how long of them the database session was held (on SQLite
every customer turn waits that long), the peak memory the import added to the process
(resident set, from /proc), and the size of the error list as JSON.
"""

from __future__ import annotations

import argparse
import io
import json
import multiprocessing
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from core.db import Database
from knowledge_base import transfer, versions
from knowledge_base.store import load_files, seed

EDITOR = versions.Editor(id=1, username="bench")
BASELINE = 1_000
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BENCH_DB = "kb_import_bench"


def generated(prefix: str, n: int, edit: str = "") -> list[dict[str, Any]]:
    return [
        {
            "id": f"{prefix}_{i:05d}",
            "topic": ("refund", "order_status", "shipping_fee", "payment_method")[i % 4],
            "tags": [f"标签{i % 50}", f"tag{i % 7}"],
            "question": {"zh": f"第{i}号问题：退货运费谁承担？", "en": f"Question {i}: who pays return shipping?"},
            "answer": {
                "zh": f"{edit}七天无理由退货的运费由买家承担，质量问题由我们承担（第{i}条）。" * 3,
                "en": f"{edit}For no-reason returns within 7 days the buyer pays; for defects we do (#{i}). " * 3,
            },
            "paraphrases": {
                "zh": [f"退货运费谁出 {i} 说法{k}" for k in range(8)],
                "en": [f"who pays return postage {i} way {k}" for k in range(6)],
            },
            "kind": "faq",
            "status": "published",
        }
        for i in range(n)
    ]


def as_file(entries: list[dict[str, Any]], fmt: str) -> bytes:
    return transfer.render(entries, fmt)


def timed(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def run(db: Database, n: int, fmt: str) -> list[tuple[str, int, float]]:
    """(what, entries, seconds) for each measurement on one database."""

    def load(data: bytes, dry_run: bool) -> transfer.Report:
        with db.session() as s:
            return transfer.import_file(s, data, fmt, name="bench", editor=EDITOR, dry_run=dry_run)

    def one_by_one(entries: list[dict[str, Any]]) -> None:
        with db.session() as s:
            for e in entries:
                content = {k: e[k] for k in ("topic", "tags", "question", "answer", "paraphrases", "status")}
                versions.create(s, e["id"], {**content, "kind": "faq", "action": None}, editor=EDITOR)

    with db.session() as s:
        seed(s, load_files())
    base = as_file(generated("base", BASELINE), fmt)
    big, edited = as_file(generated("bulk", n), fmt), as_file(generated("bulk", n, edit="更新："), fmt)
    results = [("baseline: import", BASELINE, timed(lambda: load(base, False)))]
    results.append(("versions.create one by one", BASELINE, timed(lambda: one_by_one(generated("each", BASELINE)))))
    results.append(("dry run", n, timed(lambda: load(big, True))))
    results.append(("import (all new)", n, timed(lambda: load(big, False))))
    results.append(("re-import, unchanged", n, timed(lambda: load(big, False))))
    results.append(("re-import, every answer edited", n, timed(lambda: load(edited, False))))
    report = load(edited, True)
    assert report.unchanged == n and not report.changed, "the edited import was written"
    return results


def show(name: str, results: list[tuple[str, int, float]]) -> None:
    _, base_n, base_s = results[0]
    per_entry = base_s / base_n
    print(f"\n{name}")
    print(f"{'':34}{'entries':>8}{'seconds':>9}{'entries/s':>11}{'s/entry vs baseline':>21}")
    for what, count, seconds in results:
        ratio = (seconds / count) / per_entry
        print(f"{what:34}{count:8,}{seconds:9.2f}{count / seconds:11,.0f}{ratio:20.2f}x")


# The cost of one import ------------------------------------------------------------------------


def identical_rows(n: int) -> bytes:
    """An Excel sheet of `n` copies of one row: a file of a few hundred KB with n rows to read."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("knowledge base")
    sheet.append(["id", "topic", "question_zh", "question_en", "answer_zh", "answer_en"])
    for _ in range(n):
        sheet.append(["same_id", "refund", "问", "Q?", "答", "A."])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _proc_status_kb(key: str) -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(key + ":"))


def _import_once(url: str, data: bytes, conn: Any) -> None:
    """In a process of its own: import `data` as the HTTP API does, and send back what it cost."""
    db = Database(url)
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")  # the peak resident set starts again from now
    before = _proc_status_kb("VmRSS")
    start = time.perf_counter()
    held = 0.0
    try:
        entries = transfer.prepare(data, "xlsx")
        opened = time.perf_counter()
        with db.session() as s:
            report = transfer.apply(s, entries, name="bench", editor=EDITOR, dry_run=False)
        held = time.perf_counter() - opened
        outcome, errors = f"created {len(report.created):,}", 0
    except transfer.ImportRejected as exc:
        body = json.dumps({"detail": str(exc), **exc.details()}).encode()
        outcome, errors = f"refused: {exc.problems[0].message if exc.count == 1 else exc}", len(body)
    seconds = time.perf_counter() - start
    conn.send((seconds, held, (_proc_status_kb("VmHWM") - before) / 1024, errors, outcome))
    db.engine.dispose()


def cost() -> None:
    cases = [
        ("normal knowledge base", as_file(generated("kb", 500), "xlsx")),
        (f"{transfer.MAX_ENTRIES:,} entries (the most)", as_file(generated("bulk", transfer.MAX_ENTRIES), "xlsx")),
        ("200,000 identical rows", identical_rows(200_000)),
    ]
    print("\nCost of one Excel import into SQLite (a process each; memory: peak added resident set)")
    print(f"{'':30}{'file MB':>8}{'seconds':>9}{'session s':>10}{'peak MB':>9}{'errors KB':>10}  outcome")
    fork = multiprocessing.get_context("fork")
    for name, data in cases:
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{Path(tmp) / 'cost.db'}"
            db = Database(url)
            db.migrate()
            with db.session() as s:
                seed(s, load_files())
            db.engine.dispose()
            parent, child = fork.Pipe()
            worker = fork.Process(target=_import_once, args=(url, data, child))
            worker.start()
            seconds, held, peak, errors, outcome = parent.recv()
            worker.join()
        print(f"{name:30}{len(data) / 1e6:8.2f}{seconds:9.2f}{held:10.2f}{peak:9.0f}{errors / 1e3:10,.1f}  {outcome}")


@contextmanager
def bench_database(admin_url: str) -> Iterator[str | None]:
    """A PostgreSQL database of its own for the run, dropped afterwards; None if unreachable."""
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {BENCH_DB}"))
            conn.execute(text(f"CREATE DATABASE {BENCH_DB}"))
    except Exception as exc:  # no server, no rights: the SQLite figures stand alone
        print(f"\nPostgreSQL skipped: {type(exc).__name__}: {str(exc).splitlines()[0]}")
        admin.dispose()
        yield None
        return
    try:
        yield make_url(admin_url).set(database=BENCH_DB).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)"))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--format", choices=transfer.FORMATS_IN, default="yaml")
    parser.add_argument("--postgres", default=PG_URL, help="a server to CREATE/DROP the bench database on")
    parser.add_argument("--only", choices=("speed", "cost"), help="one of the two sections")
    args = parser.parse_args()
    if args.only != "speed":
        cost()
    if args.only == "cost":
        return
    size = len(as_file(generated("bulk", args.entries), args.format))
    print(f"{args.entries:,} generated entries, {args.format} file of {size / 1e6:.1f} MB; baseline {BASELINE:,}")
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{Path(tmp) / 'bench.db'}")
        db.migrate()
        show("SQLite (embedded)", run(db, args.entries, args.format))
        db.engine.dispose()
    with bench_database(args.postgres) as url:
        if url is not None:
            db = Database(url)
            db.migrate()
            show("PostgreSQL", run(db, args.entries, args.format))
            db.engine.dispose()


if __name__ == "__main__":
    main()
