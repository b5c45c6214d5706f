"""How long a knowledge-base import takes: dry run, first import, re-import unchanged, re-import edited.

    python bench/kb_import.py [--entries 10000] [--format yaml|csv|xlsx] [--postgres URL]

Generates entries shaped like the bundled ones (a zh and an en question and answer, 8 zh and
6 en paraphrases, two tags) and imports them through `knowledge_base.transfer` into a fresh
SQLite file, and into PostgreSQL when it is reachable (a database `kb_import_bench` created
for the run and dropped after it; the shared `test` database is only used to create it).
The baseline, in the same run on the same database, is importing 1,000 entries; for scale it
also times 1,000 entries written one by one through `versions.create`, the per-entry path the
staff API takes. Prints seconds, entries/s, and each figure per entry as a ratio of the baseline's.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot.db import Database
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
    args = parser.parse_args()
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
