"""Many concurrent conversations over the REST channel, against a bare FastAPI echo baseline.

    python bench/load.py [--conversations 50] [--seconds 20] [--think 1.0] [--embedded-only]

Starts each server as its own process on this machine, one after another, and drives it
with `--conversations` customers writing at once. Each customer sends its next message as
soon as the previous reply arrives (as a person in a chat does, only faster), going through
a script of ten real questions in Chinese and English, then starting a new conversation (so no
customer reads as repeating themselves). Servers, each with one worker:

- echo: bench/echo.py, a FastAPI endpoint that parses the same body and answers at once;
- embedded: `triage serve` on SQLite with the in-process Redis stand-in;
- postgres+redis: `triage serve` on PostgreSQL and Redis (scratch schema and database);
- 2 instances: two such processes sharing PostgreSQL and Redis, each customer's messages
  alternating between them as a round-robin load balancer would send them.

Prints messages per second, p50/p99 latency and the throughput ratio to the echo baseline
measured in the same run. Then, once more against one PostgreSQL + Redis instance, the same
customers pausing between a reply and their next message (`--think` seconds on average,
exponentially distributed, as people read and type): the latency a customer sees when the
instance is busy but not saturated. The client is a small asyncio HTTP/1.1 keep-alive
client, so that it costs the 2-core machine as little as possible (it shares the cores with
the server).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from pathlib import Path

import numpy as np
import psycopg
import redis

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.security import signed_headers
from tests.servers import free_port, spawn_triage, wait_healthy

PG = "postgresql://postgres@127.0.0.1:5432/test"
REDIS = "redis://127.0.0.1:6379/12"
OPEN_DESK = "2026-11-23T10:00:00+08:00"
SECRET = secrets.token_hex(32)  # a fresh shared secret for the integration this bench plays
SCRIPT = (
    "下单后多久发货",
    "is the black one in stock",
    "退款多久能到账",
    "how much is shipping to hong kong",
    "货到付款的货款什么时候打给我",
    "你好",
    "can i change my delivery address",
    "发票怎么开",
    "what payment methods do you accept",
    "優惠券怎麼用",
)


KEEP_ALIVE = 4.0  # seconds a connection may sit idle; uvicorn closes it after 5


class Connection:
    """One keep-alive HTTP/1.1 connection that posts JSON and reads the whole answer."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.used = 0.0

    async def post(self, path: str, body: bytes, headers: Mapping[str, str]) -> int:
        if self.writer is not None and time.perf_counter() - self.used > KEEP_ALIVE:
            self.close()  # the server has dropped it by now, as browsers expect
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self.writer.write(
            (
                f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n{head}\r\n"
            ).encode()
            + body
        )
        status_line = await self.reader.readline()
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value)
        await self.reader.readexactly(length)
        self.used = time.perf_counter()
        return int(status_line.split()[1])

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.reader = self.writer = None


def signed(body: bytes) -> dict[str, str]:
    return signed_headers(SECRET, "POST", "/webhooks/rest/webhook", body)


async def customer(
    n: int,
    run: str,
    targets: list[tuple[str, int]],
    stop: float,
    warm: float,
    laps: list[float],
    errors: list[int],
    think: float = 0.0,
) -> None:
    connections = [Connection(h, p) for h, p in targets]
    pauses = np.random.default_rng(n)
    turn = 0
    try:
        while time.perf_counter() < stop:
            if think:
                await asyncio.sleep(pauses.exponential(think))  # reading the reply, typing the next
            # Each conversation asks each question once, then the customer comes back as a new
            # one: a customer who asked the same ten things again and again would be read as
            # repeating themselves and handed over, and the bench would time queued messages.
            sender = f"load-{run}-{n}-{turn // len(SCRIPT)}"
            body = json.dumps({"sender": sender, "message": SCRIPT[(n + turn) % len(SCRIPT)]}).encode()
            connection = connections[turn % len(connections)]
            start = time.perf_counter()
            status = await connection.post("/webhooks/rest/webhook", body, signed(body))
            if start < warm:
                pass
            elif status == 200:
                laps.append(time.perf_counter() - start)
            else:
                errors.append(status)
            turn += 1
    finally:
        for c in connections:
            c.close()


async def drive(
    targets: list[tuple[str, int]], conversations: int, seconds: float, think: float = 0.0
) -> dict[str, float]:
    run = uuid.uuid4().hex[:6]
    laps: list[float] = []
    errors: list[int] = []
    begin = time.perf_counter()
    warm, stop = begin + 2.0, begin + 2.0 + seconds  # the first two seconds warm up, uncounted
    await asyncio.gather(*(customer(n, run, targets, stop, warm, laps, errors, think) for n in range(conversations)))
    if not laps:
        raise RuntimeError(f"no message answered in {seconds:.0f} s ({len(errors)} errors: {sorted(set(errors))})")
    p50, p99 = np.percentile(laps, [50, 99]) * 1000
    return {"rate": len(laps) / seconds, "p50": float(p50), "p99": float(p99), "errors": float(len(errors))}


@contextmanager
def echo_server(scratch: Path) -> Iterator[tuple[str, int]]:
    port = free_port()
    log = (scratch / "echo.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "bench.echo:app", "--port", str(port), "--log-level", "warning"],
        cwd=Path(__file__).resolve().parents[1],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_healthy(f"http://127.0.0.1:{port}", proc=proc)
        yield ("127.0.0.1", port)
    finally:
        proc.terminate()
        proc.wait(timeout=15)
        log.close()


@contextmanager
def production_env(schema: str) -> Iterator[dict[str, str]]:
    """A scratch schema in PostgreSQL and an empty Redis database, removed afterwards."""
    with psycopg.connect(PG, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    redis.Redis.from_url(REDIS).flushdb()
    try:
        yield {"DATABASE_URL": f"{PG}?options=-csearch_path%3D{schema}", "REDIS_URL": REDIS}
    finally:
        with psycopg.connect(PG, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        redis.Redis.from_url(REDIS).flushdb()


def server_env(extra: Mapping[str, str]) -> dict[str, str]:
    """What every product server here runs with: the desk open, the webhook signed, no
    per-sender rate limit in the way (50 customers writing as fast as replies come)."""
    return {
        "TRIAGE_FROZEN_NOW": OPEN_DESK,
        "TRIAGE_WEBHOOK_SECRET": SECRET,
        "TRIAGE_SECRET": secrets.token_hex(32),
        "TRIAGE_RATE_PER_SENDER": "0",
        "TRIAGE_RATE_PER_IP": "0",
        **extra,
    }


def address(base: str) -> tuple[str, int]:
    host, port = base.removeprefix("http://").split(":")
    return host, int(port)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--conversations", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--embedded-only", action="store_true", help="skip the PostgreSQL + Redis servers")
    parser.add_argument(
        "--think", type=float, default=1.0, help="mean pause (s) between reply and next message in the paced run"
    )
    args = parser.parse_args()
    os.environ.pop("ACTION_ENDPOINT_URL", None)
    scratch = Path(tempfile.mkdtemp(prefix="load-bench-"))
    results: dict[str, dict[str, float]] = {}
    paced: dict[str, dict[str, float]] = {}

    def measure(name: str, targets: list[tuple[str, int]], think: float = 0.0) -> None:
        print(f"  {name}: {args.conversations} customers for {args.seconds:.0f} s", flush=True)
        (paced if think else results)[name] = asyncio.run(drive(targets, args.conversations, args.seconds, think))

    with echo_server(scratch) as echo:
        measure("echo (baseline)", [echo])
    (scratch / "embedded").mkdir()
    with spawn_triage(server_env({}), scratch / "embedded") as (base, _):
        measure("embedded", [address(base)])
    if not args.embedded_only:
        with production_env(f"bench_load_{uuid.uuid4().hex[:8]}") as env, ExitStack() as stack:
            dirs = [scratch / "a", scratch / "b"]
            for d in dirs:
                d.mkdir()
            first, _ = stack.enter_context(spawn_triage(server_env(env), dirs[0]))
            measure("postgres+redis, 1 instance", [address(first)])
            measure("postgres+redis, 1 instance", [address(first)], think=args.think)
            second, _ = stack.enter_context(spawn_triage(server_env(env), dirs[1]))
            measure("postgres+redis, 2 instances", [address(first), address(second)])

    baseline = results["echo (baseline)"]["rate"]
    print(f"\n{args.conversations} concurrent conversations, {args.seconds:.0f} s each, one worker per instance")
    print(f"{'server':<30}{'msg/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}{'vs echo':>9}")
    for name, r in results.items():
        print(f"{name:<30}{r['rate']:9.0f}{r['p50']:9.1f}{r['p99']:9.1f}{r['errors']:8.0f}{r['rate'] / baseline:9.2f}")
    if paced:
        print(f"\npaced: {args.conversations} conversations, each pausing {args.think:g} s on average between messages")
        print(f"{'server':<30}{'msg/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}")
        for name, r in paced.items():
            print(f"{name:<30}{r['rate']:9.0f}{r['p50']:9.1f}{r['p99']:9.1f}{r['errors']:8.0f}")


if __name__ == "__main__":
    main()
