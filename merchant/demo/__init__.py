"""`triage demo-data`: a realistic, deterministic data set for the demo merchant, of any size.

Same seed and same `today`, same rows. Eleven showcase orders (`SHOWCASE`) are always there,
with fixed numbers and phones, each in a state worth asking the bot about; around them, as
many ordinary orders as asked for, each following the merchant's rules (MERCHANT.md,
`merchant/merchant.yaml`): dispatch cut-off, carriers, transit times, T+3 business-day COD
remittance over the holiday calendar, 7-day returns, 48-hour claims.

Rows are built as tuples and written in chunks, ids assigned as they are built so that
children refer to their parents without round trips: PostgreSQL gets COPY, other databases
executemany. Times are aware, in China time (the `UtcDateTime` columns store them as UTC).

This module is the entry point; the parts: `demo_catalogue` (the merchant's world: catalogue,
places, people), `demo_rows` (rows and ids), `demo_tracking` (a parcel's journey),
`demo_showcase` and `demo_orders` (the orders), `demo_writer` (the database side).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from random import Random

from tqdm import tqdm

from core.db import Database
from merchant.business_days import load_calendar, seed_holidays
from merchant.demo.catalogue import SHANGHAI, SHIPPER_K, catalogue_rows, mix, person, shipper
from merchant.demo.orders import OrdinaryOrders
from merchant.demo.rows import RowBuffer
from merchant.demo.showcase import SHOWCASE, ShowcaseBuilder, ShowcaseOrder
from merchant.demo.tracking import at
from merchant.demo.writer import ChunkWriter, advance_sequences, clear_merchant_tables, first_ids, held_rows

__all__ = ["SHOWCASE", "DemoDataExists", "DemoSummary", "ShowcaseOrder", "generate", "load_if_empty"]

CHUNK = 5_000  # orders generated and written at a time


class DemoDataExists(RuntimeError):
    """The database already holds merchant data; demo data goes only into an empty one."""


@dataclass(frozen=True)
class DemoSummary:
    orders: int
    rows: dict[str, int]
    seconds: float

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    @property
    def rows_per_second(self) -> float:
        return self.total_rows / self.seconds if self.seconds else 0.0


def _chunks(total: int, size: int) -> Iterator[tuple[int, int]]:
    for start in range(0, total, size):
        yield start, min(total, start + size)


def generate(
    db: Database,
    *,
    orders: int,
    seed: int = 7,
    today: date | None = None,
    progress: bool = False,
    replace: bool = False,
) -> DemoSummary:
    """Write `orders` orders (the showcase ones included) with their customers, catalogue, tracking and money.

    The database must hold no customers, products or orders (`DemoDataExists`) unless `replace`,
    which empties the merchant tables first, in the same transaction as the writing.
    """
    if orders < len(SHOWCASE):
        raise ValueError(f"orders must be at least {len(SHOWCASE)}, the showcase orders")
    today = today or datetime.now(SHANGHAI).date()
    started = time.perf_counter()
    with db.engine.connect() as conn:
        held = held_rows(conn)
    if any(held.values()) and not replace:
        raise DemoDataExists(_refusal(held))
    with db.session() as session:  # the statutory calendar the remittance dates are counted on
        seed_holidays(session, range(today.year - 1, today.year + 2))
        session.flush()
        calendar = load_calendar(session)
    bar = tqdm(total=orders, unit=" orders", disable=not progress, desc="demo data")
    with db.engine.begin() as conn, bar:
        if replace:
            clear_merchant_tables(conn)
        elif any((held := held_rows(conn)).values()):  # someone got there first
            raise DemoDataExists(_refusal(held))
        rows, writer, stamp = RowBuffer(first_ids(conn)), ChunkWriter(conn), at(today, 0)
        first = rows.next_id
        products, skus_rows, skus = catalogue_rows(
            Random(mix(seed, 4)), today, product_id=first["products"], sku_id=first["skus"], at=stamp
        )
        rows.tables["products"], rows.tables["skus"] = products, skus_rows
        first["products"] += len(products)
        first["skus"] += len(skus_rows)
        star = ShowcaseBuilder(rows, today, calendar, skus).build()
        writer.write(rows.take())
        bar.update(len(SHOWCASE))

        n = orders - len(SHOWCASE)
        n_buyers, first_buyer = max(20, n * 2 // 5), rows.next_id["customers"]
        for start, stop in _chunks(n_buyers, 4 * CHUNK):
            for k in range(start, stop):
                rows.customer(f"C{k + 1:08d}", person(seed, k), stamp)
            writer.write(rows.take())
        shippers = [star]
        for j in range(1, max(5, n // 250) + 1):
            s = shipper(seed, SHIPPER_K + j)
            shippers.append((rows.customer(f"S{j:06d}", s.contact, stamp, s), s))
        writer.write(rows.take())

        stories = OrdinaryOrders(
            seed=seed,
            n=n,
            today=today,
            calendar=calendar,
            rows=rows,
            skus=skus,
            buyers=(first_buyer, n_buyers),
            shippers=shippers,
        )
        for start, stop in _chunks(n, CHUNK):
            stories.chunk(start, stop)
            writer.write(rows.take())
            bar.update(stop - start)
        if conn.dialect.name == "postgresql":
            advance_sequences(conn, rows.next_id)
    return DemoSummary(orders, writer.counts, time.perf_counter() - started)


def _refusal(held: dict[str, int]) -> str:
    what = ", ".join(f"{count:,} {name}" for name, count in held.items() if count)
    return f"the database already holds merchant data ({what}); use --replace to delete it and load the demo data"


def load_if_empty(db: Database, *, orders: int = 300) -> bool:
    """Load a demo data set into a database without merchant data (a first start); False if it has some."""
    with db.engine.connect() as conn:
        if any(held_rows(conn).values()):
            return False
    try:
        generate(db, orders=orders)
    except DemoDataExists:  # another instance loaded it meanwhile
        return False
    return True
