"""The two backends every store contract test runs on: embedded (SQLite + fakeredis) and
services (PostgreSQL + Redis, for real).

A test module imports the fixture (`from tests.backends import Backend, backend_fixture  # noqa: F401`)
and asks for `backend`: it runs once per backend, on a migrated database of its own. The
services half skips with the reason when PostgreSQL or Redis is unreachable; in CI
(CI=true) it fails instead, because there the services must be tested for real.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
import redis
from filelock import FileLock

from core.db import Database
from core.runtime import Runtime
from tests.conftest import IN_CI, ON_SERVICES

PG_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
# A Redis database nothing else here uses (test_services.py takes 0 and 7-10; bench/ takes 11
# and 12, and flushes them): queue keys are global, so a shared database mixes runs.
STORE_REDIS_DB = 13
# Test runs started side by side on one machine (two checkouts, a run beside CI) would flush
# and fill that database under each other: a services test holds this lock while it runs.
_REDIS_DB_LOCK = Path(tempfile.gettempdir()) / f"triage-store-tests-redis-{STORE_REDIS_DB}.lock"


@dataclass(frozen=True)
class Backend:
    """A migrated database and the runtime (Redis) beside it, as an instance of the bot has them."""

    name: str
    db: Database
    runtime: Runtime


def redis_db_url(url: str, number: int) -> str:
    """`url` pointing at Redis database `number` instead of whichever it named."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{number}"))


@cache
def services_problem() -> str | None:
    """Why the real PostgreSQL and Redis cannot be used here, or None; asked once per run."""
    try:
        psycopg.connect(PG_URL, connect_timeout=3).close()
    except psycopg.Error as exc:
        return f"PostgreSQL at {PG_URL} is not reachable ({exc.__class__.__name__})"
    try:
        with redis.Redis.from_url(REDIS_URL, socket_timeout=3) as client:
            client.ping()
    except redis.RedisError as exc:
        return f"Redis at {REDIS_URL} is not reachable ({exc.__class__.__name__})"
    return None


# Named apart from the function so a module importing it may take `backend` as an argument
# without the import looking unused-then-redefined (ruff F811).
@pytest.fixture(name="backend", params=["embedded", pytest.param("services", marks=ON_SERVICES)])
def backend_fixture(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if request.param == "embedded":
        yield from _embedded(tmp_path)
    else:
        yield from _services()


def _embedded(tmp_path: Path) -> Iterator[Backend]:
    db = Database(f"sqlite:///{tmp_path}/x.db")
    runtime = Runtime(None)
    try:
        db.migrate()
        yield Backend("embedded", db, runtime)
    finally:
        runtime.close()
        db.engine.dispose()


def _services() -> Iterator[Backend]:
    problem = services_problem()
    if problem is not None:
        if IN_CI:
            pytest.fail(f"CI must run the store tests on PostgreSQL and Redis for real: {problem}", pytrace=False)
        pytest.skip(problem)
    with FileLock(_REDIS_DB_LOCK, timeout=300):
        yield from _fresh_services()


def _fresh_services() -> Iterator[Backend]:
    # A schema of its own per test, so runs never see each other's rows.
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        redis_url = redis_db_url(REDIS_URL, STORE_REDIS_DB)
        with redis.Redis.from_url(redis_url) as client:
            client.flushdb()  # left over from a run that was killed
        url = f"{PG_URL}?options=-csearch_path%3D{schema}".replace("postgresql://", "postgresql+psycopg://", 1)
        db = Database(url)
        runtime = Runtime(redis_url)
        try:
            db.migrate()
            yield Backend("services", db, runtime)
        finally:
            runtime.sync.flushdb()
            runtime.close()
            db.engine.dispose()
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
