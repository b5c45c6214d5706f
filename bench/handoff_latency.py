"""From a customer's escalating message to the ticket in a connected agent console.

    python bench/handoff_latency.py [--queued 1000] [--handoffs 300] [--embedded]

Runs the product (PostgreSQL + Redis by default, each in a scratch schema / database of its
own; `--embedded` for SQLite and the in-process stand-in) with `--queued` tickets already
waiting, logs an agent in and connects the console's socket, then has `--handoffs` customers
write "转人工" one after another. For each it times, from just before the customer's POST:

- event: the `ticket_queued` event reaching the console's socket. The event carries the
  ticket, and the console lists it from the event at once: this is when the agent sees it;
- refetch: that event plus the console's follow-up refetch of its whole queue (GET
  /api/agent/queue with every waiting ticket), which re-sorts the list.

Baseline in the same run: the same customers' plain FAQ question (POST, the bot answers).
Prints p50/p99 of each and the ratios to the baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

import httpx
import numpy as np
import psycopg
import redis
import websockets

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.store import Conversation
from core.config import Settings
from handoff.agents import hash_password
from handoff.models import Agent, Ticket
from tests.servers import PRODUCTION_ENV, SIGNED, serve_in_thread
from triage.app import create_app

PG = "postgresql://postgres@127.0.0.1:5432/test"
REDIS = "redis://127.0.0.1:6379/11"
OPEN_DESK = "2026-11-23T10:00:00+08:00"


def preload(app_engine: object, queued: int) -> None:
    """`queued` customers already waiting, and one agent who may see every queue."""
    instance = app_engine  # bot.engine.Instance
    desk = instance.desk  # type: ignore[attr-defined]
    with instance.db.session() as s:  # type: ignore[attr-defined]
        s.add(
            Agent(
                username="bench",
                display_name="压测",
                password_hash=hash_password("bench-password"),
                skills=list(desk.desk.queues),
                max_chats=5,
            )
        )
        convs = [Conversation(sender_id=f"waiting-{i}", channel="rest", slots={}, meta={}) for i in range(queued)]
        s.add_all(convs)
        s.flush()
        now = desk.now()
        queues = list(desk.desk.queues)
        s.add_all(
            Ticket(
                conversation_id=c.id,
                reason="human_request",
                queue=queues[i % len(queues)],
                created_at=now - timedelta(seconds=queued - i),
                first_response_due=now + timedelta(minutes=3),
                summary="客户说：转人工",
                context={},
            )
            for i, c in enumerate(convs)
        )
    with instance.db.session() as s:  # type: ignore[attr-defined]
        desk.reconcile(s)


async def measure(base: str, handoffs: int, queued: int) -> dict[str, np.ndarray]:
    async with httpx.AsyncClient(base_url=base, timeout=30, auth=SIGNED) as http:
        token = (await http.post("/api/agent/login", json={"username": "bench", "password": "bench-password"})).json()[
            "token"
        ]
        headers = {"Authorization": f"Bearer {token}"}
        ws_url = base.replace("http://", "ws://") + f"/ws/agent?token={token}"
        async with websockets.connect(ws_url, max_size=None) as ws:
            assert json.loads(await ws.recv())["type"] == "hello"
            await asyncio.sleep(0.5)  # the subscription settles
            event_ms, shown_ms, base_ms = [], [], []
            for i in range(handoffs):
                sender = f"bench-{uuid.uuid4().hex[:8]}"
                start = time.perf_counter()
                response = await http.post(
                    "/webhooks/rest/webhook", json={"sender": sender, "message": "下单后多久发货"}
                )
                assert response.status_code == 200
                base_ms.append((time.perf_counter() - start) * 1000)

                start = time.perf_counter()
                post = asyncio.create_task(
                    http.post("/webhooks/rest/webhook", json={"sender": sender, "message": "转人工"})
                )
                while True:
                    event = json.loads(await asyncio.wait_for(ws.recv(), timeout=10))
                    if event.get("type") == "ticket_queued":
                        break
                event_ms.append((time.perf_counter() - start) * 1000)
                listed = (await http.get("/api/agent/queue", headers=headers)).json()
                assert listed["waiting_total"] >= queued + i + 1, "the new ticket is counted in the queue"
                shown_ms.append((time.perf_counter() - start) * 1000)
                assert (await post).status_code == 200
                if i % 50 == 0:
                    print(f"  {i}/{handoffs}", flush=True)
    return {"event": np.array(event_ms), "shown": np.array(shown_ms), "baseline": np.array(base_ms)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--queued", type=int, default=1000)
    parser.add_argument("--handoffs", type=int, default=300)
    parser.add_argument("--embedded", action="store_true", help="SQLite and the in-process Redis stand-in")
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="handoff-bench-"))
    env = {"TRIAGE_FROZEN_NOW": OPEN_DESK, **PRODUCTION_ENV}
    schema = f"bench_handoff_{uuid.uuid4().hex[:8]}"
    if not args.embedded:
        with psycopg.connect(PG, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        redis.Redis.from_url(REDIS).flushdb()
        env |= {"DATABASE_URL": f"{PG}?options=-csearch_path%3D{schema}", "REDIS_URL": REDIS}
    settings = Settings.from_env(env, data_dir=str(scratch))
    os.environ.pop("ACTION_ENDPOINT_URL", None)
    try:
        app = create_app(settings)
        with serve_in_thread(app) as base:
            preload(app.state.engine, args.queued)
            print(f"{args.queued} tickets waiting; {args.handoffs} customers hand over", flush=True)
            results = asyncio.run(measure(base, args.handoffs, args.queued))
    finally:
        if not args.embedded:
            with psycopg.connect(PG, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
    mode = "embedded (SQLite)" if args.embedded else "PostgreSQL + Redis"
    print(f"\n{mode}, {args.queued} tickets queued, {args.handoffs} handoffs, ms")
    print(f"{'':44}{'p50':>8}{'p99':>8}")
    labels = {
        "baseline": "baseline: FAQ question answered (POST)",
        "event": "handoff -> ticket shown (event at console)",
        "shown": "handoff -> queue refetched and re-sorted",
    }
    for key in ("baseline", "event", "shown"):
        p50, p99 = np.percentile(results[key], [50, 99])
        print(f"{labels[key]:44}{p50:8.1f}{p99:8.1f}")
    for key in ("event", "shown"):
        print(
            f"p99 ratio {key} / baseline: {np.percentile(results[key], 99) / np.percentile(results['baseline'], 99):.2f}"
        )


if __name__ == "__main__":
    main()
