"""Order-status action latency on a large merchant data set in PostgreSQL.

    python bench/action_latency.py --orders 1000000 [--calls 3000] [--reuse]

Builds the demo data set (`triage demo-data`'s generator) with `--orders` orders in its own
PostgreSQL schema, and a baseline set of 10,000 orders in another, then times the
`action_order_status` call for random orders of verified customers (the full lookup: order,
customer, shipments, latest tracking event, delivery estimate):

- over HTTP to the real rasa-sdk action server (`python -m rasa_sdk --actions actions`), as
  Rasa or the bot in production calls it;
- in-process, through rasa-sdk's ActionExecutor, as the embedded bot calls it.

Prints p50/p95/p99 for both data sets and the ratio large / baseline, which shows whether the
lookup slows down as the data grows. `--reuse` keeps an existing schema (generating a million
orders takes minutes).
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import time
from datetime import datetime
from typing import Any
from urllib.parse import quote

import httpx
import numpy as np
from sqlalchemy import create_engine, func, select, text

from actions.registry import executor
from bot.action_client import HttpRunner, InProcessRunner, action_call
from core.db import Database
from merchant.demo import generate
from merchant.models import Customer, Order
from merchant.store import MERCHANT_TZ, MerchantData

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
TODAY = datetime(2026, 11, 23, 10, 0, tzinfo=MERCHANT_TZ)


def schema_url(base: str, schema: str) -> str:
    return f"{base}?options={quote(f'-csearch_path={schema}')}"


def prepare(base: str, schema: str, orders: int, reuse: bool) -> Database:
    admin = create_engine(base)
    with admin.begin() as conn:
        exists = conn.execute(
            text("SELECT 1 FROM information_schema.schemata WHERE schema_name = :s"), {"s": schema}
        ).first()
        if exists and not reuse:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        if not exists or not reuse:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    db = Database(schema_url(base, schema))
    db.migrate()
    with db.session() as s:
        have = s.scalar(select(func.count()).select_from(Order)) or 0
    if have < orders:
        start = time.perf_counter()
        generate(db, orders=orders - have if have else orders, seed=7, today=TODAY.date(), progress=True)
        print(f"  generated {orders:,} orders in {schema} in {time.perf_counter() - start:.0f} s", flush=True)
    with db.engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    return db


def sample_calls(db: Database, n: int, seed: int = 1) -> list[dict[str, Any]]:
    """Calls for random orders, from their verified owners: the lookup path, not the question path."""
    rng = random.Random(seed)
    with db.session() as s:
        top = s.scalar(select(func.max(Order.id))) or 0
        ids = rng.sample(range(1, top + 1), min(n, top))
        rows = s.execute(
            select(Order.order_no, Customer.external_id)
            .join(Customer, Order.customer_id == Customer.id)
            .where(Order.id.in_(ids))
        ).all()
    calls = []
    for order_no, customer in rows:
        message = {
            "text": f"我的订单到哪了 {order_no}",
            "intent": {"name": "faq", "confidence": 0.9},
            "entities": [{"entity": "order_id", "value": order_no, "start": 7, "end": 23}],
            "language": "zh",
            "faq_id": "order_where_is_my_order",
        }
        slots = {"verified_customer": customer, "language": "zh"}
        calls.append(
            action_call(
                "action_order_status",
                sender_id="bench",
                slots=slots,
                latest_message=message,
                active_loop=None,
                channel="rest",
            )
        )
    rng.shuffle(calls)
    return calls


def timed(run: Any, calls: list[dict[str, Any]]) -> np.ndarray:
    for c in calls[:100]:  # warm connections and caches
        run(c)
    out = []
    for c in calls:
        start = time.perf_counter()
        response = run(c)
        out.append((time.perf_counter() - start) * 1000)
        assert response["responses"], "every call answers"
    return np.array(out)


def serve_actions(url: str, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DATABASE_URL": url, "TRIAGE_FROZEN_NOW": TODAY.isoformat()}
    proc = subprocess.Popen(
        [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise TimeoutError("the action server did not start")


def measure(db: Database, calls: list[dict[str, Any]], port: int) -> dict[str, np.ndarray]:
    here = InProcessRunner(executor(MerchantData(db, now=lambda: TODAY)))
    proc = serve_actions(db.url, port)
    there = HttpRunner(f"http://127.0.0.1:{port}/webhook")
    try:
        return {"http": timed(there.run, calls), "in-process": timed(here.run, calls)}
    finally:
        there.close()
        here.close()
        proc.terminate()
        proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--baseline-orders", type=int, default=10_000)
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--database-url", default=PG)
    parser.add_argument("--reuse", action="store_true", help="keep an existing schema of that size")
    parser.add_argument("--port", type=int, default=5056)
    args = parser.parse_args()

    print(f"preparing {args.baseline_orders:,} and {args.orders:,} orders", flush=True)
    small = prepare(args.database_url, "bench_orders_small", args.baseline_orders, args.reuse)
    large = prepare(args.database_url, "bench_orders_large", args.orders, args.reuse)
    results = {}
    for label, db in (("baseline", small), ("large", large)):
        results[label] = measure(db, sample_calls(db, args.calls), args.port)

    print(f"\naction_order_status, {args.calls} calls per row, verified customer, ms")
    print(f"{'data set':>22} {'path':>11} {'p50':>7} {'p95':>7} {'p99':>7}")
    for label, n in (("baseline", args.baseline_orders), ("large", args.orders)):
        for path, ms in results[label].items():
            p50, p95, p99 = np.percentile(ms, [50, 95, 99])
            print(f"{n:>15,} orders {path:>11} {p50:7.2f} {p95:7.2f} {p99:7.2f}")
    for path in ("http", "in-process"):
        ratio = np.percentile(results["large"][path], 99) / np.percentile(results["baseline"][path], 99)
        print(f"p99 ratio large / baseline ({path}): {ratio:.2f}")


if __name__ == "__main__":
    main()
