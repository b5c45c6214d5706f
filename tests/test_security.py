"""Locked down as production runs: who may call what, signed webhooks, chat sessions, rate
limits, CORS, and a server that will not start on a placeholder secret.

The role walk visits every HTTP route the app has (a route added later is walked too)."""

from __future__ import annotations

import json
import os
import re
import stat
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from argon2 import PasswordHasher
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from starlette.requests import Request
from starlette.websockets import WebSocketDisconnect

from core.config import ConfigError, Settings
from core.db import Database
from core.security import Guard, signed_headers
from handoff import agents as accounts
from handoff.models import Agent
from tests.conftest import IN_CI, on_services
from tests.servers import SECRET, WEBHOOK_SECRET
from triage.app import create_app
from triage.cli import main
from triage.wiring import Instance

PASSWORD = "security-test-pw"
SYNC_KEY = "sync-key-for-the-role-walk-0123"
PRODUCTION = {
    "TRIAGE_ENV": "production",
    "TRIAGE_SECRET": SECRET,
    "TRIAGE_WEBHOOK_SECRET": WEBHOOK_SECRET,
    "TRIAGE_SYNC_API_KEYS": SYNC_KEY,
    "TRIAGE_RATE_PER_SENDER": "0",
    "TRIAGE_RATE_PER_IP": "0",
}
# Routes anyone may call: the pages (they log in through the API), health, the metrics scrape,
# login itself and the start of a chat session.
PUBLIC = {
    ("GET", "/"),
    ("GET", "/console"),
    ("GET", "/kb"),
    ("GET", "/reports"),
    ("GET", "/floor"),
    ("GET", "/quality"),
    ("GET", "/health"),
    ("GET", "/livez"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
    ("GET", "/webhooks/rest/"),
    ("GET", "/openapi.json"),
    ("GET", "/docs"),
    ("GET", "/docs/oauth2-redirect"),
    ("POST", "/api/agent/login"),
    ("POST", "/chat/session"),
    # The chat on the shop's pages: the script and the framed page (frame-ancestors decides who).
    ("GET", "/embed"),
    ("GET", "/widget.js"),
    # Chat apps prove each request with the platform's signature or secret token, refused with 403
    # (tests/test_wechat.py, tests/test_telegram.py); unconfigured, they answer 404.
    ("GET", "/webhooks/wechat"),
    ("POST", "/webhooks/wechat"),
    ("POST", "/webhooks/telegram"),
    # A photo is served only by a signed, expiring link (403 without one: tests/test_media.py).
    ("GET", "/media/{media_id}"),
}
# Argon2 at its cheapest: a test's logins take milliseconds, not most of a second each.
QUICK = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
SAMPLE = {"ticket_id": "1", "entry_id": "shipping_dispatch_time", "sender_id": "walk-sender", "version": "1"}


def production_app(tmp_path: Path, instance: Instance, **env: str) -> TestClient:
    with instance.db.session() as s:
        for username, role in (("agent", "agent"), ("editor", "kb_editor"), ("boss", "supervisor")):
            s.add(
                Agent(
                    username=username,
                    display_name=username,
                    password_hash=QUICK.hash(PASSWORD),
                    role=role,
                    skills=["general"],
                )
            )
    return TestClient(create_app(Settings.from_env({**PRODUCTION, **env}, data_dir=str(tmp_path)), instance=instance))


@pytest.fixture
def prod(tmp_path: Path, instance: Instance) -> Iterator[TestClient]:
    with production_app(tmp_path, instance) as client:
        yield client


def login(client: TestClient, username: str) -> dict[str, str]:
    response = client.post("/api/agent/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def signed(path: str, body: dict[str, Any], secret: str = WEBHOOK_SECRET) -> tuple[bytes, dict[str, str]]:
    raw = json.dumps(body, ensure_ascii=False).encode()
    return raw, {"Content-Type": "application/json", **signed_headers(secret, "POST", path, raw)}


def session(client: TestClient, **body: str) -> dict[str, Any]:
    response = client.post("/chat/session", json=body)
    assert response.status_code == 200, response.text
    return dict(response.json())


def say(client: TestClient, sender: str, text: str, headers: dict[str, str] | None = None) -> Any:
    return client.post("/webhooks/rest/webhook", json={"sender": sender, "message": text}, headers=headers or {})


# ---------------------------------------------------------------- every route, every role


def api_routes(routes: list[Any]) -> Iterator[APIRoute]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):  # FastAPI keeps included routers whole
            yield from api_routes(route.original_router.routes)


def routes(client: TestClient) -> list[tuple[str, str, str]]:
    """(method, path template, a concrete path) for every HTTP route of the app."""
    found = []
    for route in api_routes(client.app.routes):  # type: ignore[attr-defined]
        concrete = re.sub(r"{(\w+)(?::\w+)?}", lambda m: SAMPLE.get(m.group(1), "x"), route.path)
        for method in sorted(route.methods - {"HEAD"}):
            found.append((method, route.path, concrete))
    return found


def call(client: TestClient, method: str, path: str, headers: dict[str, str] | None = None) -> int:
    return client.request(method, path, json={}, headers=headers or {}).status_code


def kb_write(method: str, path: str) -> bool:
    return path.startswith("/api/kb/") and method != "GET" and path not in ("/api/kb/try", "/api/kb/check")


def desk_work(path: str) -> bool:
    return path.startswith("/api/agent/") and path not in ("/api/agent/login", "/api/agent/logout", "/api/agent/me")


def test_every_route_without_the_right_role_answers_401_or_403(prod: TestClient) -> None:
    walked = routes(prod)
    assert len(walked) > 50  # the walk sees the whole app, not a handful of routes
    anonymous = {(m, t): call(prod, m, p) for m, t, p in walked if (m, t) not in PUBLIC}
    assert {k: v for k, v in anonymous.items() if v != 401} == {}

    agent, editor, boss = login(prod, "agent"), login(prod, "editor"), login(prod, "boss")
    wrong: dict[tuple[str, str, str], int] = {}
    for method, template, path in walked:
        if kb_write(method, template):
            expect = {("agent", 403)}
        elif desk_work(template):
            expect = {("editor", 403)}
            if (method, template) == ("POST", "/api/agent/keywords"):
                expect.add(("agent", 403))
        elif template.startswith("/api/sync/"):
            expect = {("agent", 401)}  # staff are not the order system: the sync API wants its key
        else:
            continue
        for who, status in expect:
            got = call(prod, method, path, {"agent": agent, "editor": editor}[who])
            if got != status:
                wrong[(who, method, template)] = got
    assert wrong == {}

    # ...and the right role gets through (whatever the dummy ids then make of it)
    for method, template, path in walked:
        if kb_write(method, template):
            assert call(prod, method, path, editor) not in (401, 403), (method, template)
        elif desk_work(template):
            assert call(prod, method, path, boss) not in (401, 403), (method, template)
        elif template.startswith("/api/sync/"):
            assert call(prod, method, path, {"X-API-Key": SYNC_KEY}) not in (401, 403), (method, template)


def test_sockets_refuse_callers_without_the_right_session(prod: TestClient) -> None:
    mine = session(prod)
    for url in (
        "/ws/chat/somebody",
        f"/ws/chat/somebody?token={mine['token']}",  # another sender's session
        "/ws/agent",
        f"/ws/agent?token={login(prod, 'editor')['Authorization'].split()[1]}",  # a kb_editor has no chats
    ):
        with pytest.raises(WebSocketDisconnect) as refused, prod.websocket_connect(url) as ws:
            ws.receive_json()
        assert refused.value.code == 4401, url
    with prod.websocket_connect(f"/ws/chat/{mine['sender_id']}?token={mine['token']}") as ws:
        ws.send_text("ping")  # accepted: the customer's own session


# ---------------------------------------------------------------- channel callers


def test_a_signed_integration_may_speak_for_any_sender_and_a_bad_signature_may_not(prod: TestClient) -> None:
    path = "/webhooks/rest/webhook"
    raw, headers = signed(path, {"sender": "wechat-o1", "message": "下单后多久发货"})
    answered = prod.post(path, content=raw, headers=headers)
    assert answered.status_code == 200 and "发货" in answered.json()[0]["text"]

    def refused(raw: bytes, headers: dict[str, str]) -> str:
        response = prod.post(path, content=raw, headers=headers)
        assert response.status_code == 401, response.text
        return str(response.json()["detail"])

    raw, headers = signed(path, {"sender": "wechat-o1", "message": "你好"}, secret="f" * 20 + "0123456789abcdef")
    assert "does not match" in refused(raw, headers)
    raw, headers = signed(path, {"sender": "wechat-o1", "message": "你好"})
    assert "does not match" in refused(raw.replace("你好".encode(), "转人工".encode()), headers)  # tampered
    _, for_parse = signed("/model/parse", {"sender": "wechat-o1", "message": "你好"})
    assert "does not match" in refused(raw, for_parse)  # signed for another route
    stale = {**headers, "X-Triage-Timestamp": str(int(time.time()) - 600)}
    assert "X-Triage-Timestamp" in refused(raw, stale)
    assert "authenticate" in refused(raw, {"Content-Type": "application/json"})  # nothing at all


def test_a_chat_session_speaks_and_reads_for_its_own_sender_only(prod: TestClient, instance: Instance) -> None:
    mine = session(prod)
    assert mine["sender_id"].startswith("web-") and mine["expires_in"] >= 86400
    auth = {"Authorization": f"Bearer {mine['token']}"}
    assert say(prod, mine["sender_id"], "下单后多久发货", auth).status_code == 200
    assert say(prod, "web-someone-else", "下单后多久发货", auth).status_code == 403
    assert prod.get(f"/conversations/{mine['sender_id']}", headers=auth).json()["messages"]
    assert prod.get("/conversations/web-someone-else", headers=auth).status_code == 403
    assert prod.post("/model/parse", json={"text": "你好"}, headers=auth).status_code == 403

    again = session(prod, token=mine["token"])  # a returning visitor keeps the conversation
    assert again["sender_id"] == mine["sender_id"]
    assert prod.post("/chat/session", json={"token": mine["token"] + "x"}).status_code == 401
    assert prod.post("/chat/session", json={"sender": "wechat-o2"}).status_code == 401  # only signed callers
    raw, headers = signed("/chat/session", {"sender": "wechat-o2"})
    assert prod.post("/chat/session", content=raw, headers=headers).json()["sender_id"] == "wechat-o2"
    assert say(prod, mine["sender_id"], "你好", {"Authorization": "Bearer forged"}).status_code == 401

    staff = login(prod, "agent")  # staff read any conversation and use the NLU
    assert prod.get(f"/conversations/{mine['sender_id']}", headers=staff).status_code == 200
    assert prod.post("/model/parse", json={"text": "你好"}, headers=staff).json()["topic"] == "greeting"


def test_a_chat_token_expires_after_its_days(prod: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    guard: Guard = prod.app.state.guard  # type: ignore[attr-defined]
    real = time.time
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: real() - 31 * 86400)
    old = guard.tokens.issue("web-long-ago")
    monkeypatch.undo()
    assert guard.tokens.sender_of(old) is None
    assert prod.post("/chat/session", json={"token": old}).status_code == 401


def test_the_demo_lets_anonymous_callers_in_but_checks_what_they_present(client: TestClient) -> None:
    assert say(client, "demo-anon", "你好").status_code == 200
    assert say(client, "demo-anon", "你好", {"Authorization": "Bearer forged"}).status_code == 401
    mine = session(client)
    assert say(client, "demo-other", "你好", {"Authorization": f"Bearer {mine['token']}"}).status_code == 403


# ---------------------------------------------------------------- limits


def test_a_flooding_sender_and_a_flooding_address_get_429_and_others_go_on(tmp_path: Path, instance: Instance) -> None:
    env = {"TRIAGE_RATE_PER_SENDER": "3", "TRIAGE_RATE_PER_IP": "8"}
    with TestClient(create_app(Settings.from_env(env, data_dir=str(tmp_path)), instance=instance)) as c:
        assert [say(c, "flood", "你好").status_code for _ in range(4)] == [200, 200, 200, 429]
        limited = say(c, "flood", "你好")
        assert limited.headers["Retry-After"] == "60" and "at most 3 a minute" in limited.json()["detail"]
        assert [say(c, f"calm-{i}", "你好").status_code for i in range(4)] == [200, 200, 200, 429]  # the address
        assert c.get("/health").status_code == 200


def within_one_window(needed: float = 5.0) -> None:
    """Wait, if need be, for the next minute: the limits' windows are the clock's minutes, and ten
    tries straddling two of them would count as fewer than ten."""
    left = 60 - time.time() % 60
    if left < needed:
        time.sleep(left + 0.05)


def test_guessing_passwords_is_slowed_to_ten_tries_a_minute(prod: TestClient) -> None:
    within_one_window()
    tries = [
        prod.post("/api/agent/login", json={"username": "agent", "password": "guess"}).status_code for _ in range(11)
    ]
    assert tries == [401] * 10 + [429]


def test_one_account_is_limited_to_ten_tries_a_minute_from_any_number_of_addresses(prod: TestClient) -> None:
    app = prod.app
    tries = []
    within_one_window()
    for i in range(11):  # a botnet: every try from an address of its own
        elsewhere = TestClient(app, client=(f"10.0.{i}.7", 40000))
        tries.append(elsewhere.post("/api/agent/login", json={"username": "boss", "password": "guess"}))
    assert [t.status_code for t in tries] == [401] * 10 + [429]
    assert "account" in tries[-1].json()["detail"]
    assert login(prod, "agent")  # another account is not held up


def test_logins_stay_limited_while_redis_is_unreachable(tmp_path: Path, instance: Instance) -> None:
    with production_app(tmp_path, instance, REDIS_URL="redis://127.0.0.1:1/0") as dark:
        within_one_window()
        tries = [
            dark.post("/api/agent/login", json={"username": "agent", "password": "guess"}).status_code
            for _ in range(11)
        ]
        assert tries == [401] * 10 + [429]


def test_an_unknown_username_costs_a_password_check_like_a_known_one(
    instance: Instance, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked: list[str] = []
    real = accounts.check_password

    def spy(password: str, stored: str) -> bool:
        checked.append(stored)
        return real(password, stored)

    monkeypatch.setattr(accounts, "check_password", spy)
    with instance.db.session() as s:
        assert accounts.login(s, username="nobody-here", password="guess") is None
    assert len(checked) == 1  # against a hash made as real ones are, so it takes as long to say no
    assert checked[0].startswith("$argon2id$") and not accounts._HASHER.check_needs_rehash(checked[0])


REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _redis_problem() -> str | None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping()
    except redis.RedisError as exc:
        return f"Redis at {REDIS_URL} is not reachable ({exc.__class__.__name__})"
    return None


@on_services
def test_instances_count_one_limit_together_in_redis(tmp_path: Path) -> None:
    problem = _redis_problem()
    if problem and IN_CI:
        raise RuntimeError(f"CI must run the service tests for real: {problem}")
    if problem:
        pytest.skip(problem)
    env = {**PRODUCTION, "TRIAGE_RATE_PER_SENDER": "4", "REDIS_URL": REDIS_URL}
    settings = Settings.from_env(env, data_dir=str(tmp_path))
    a, b = Guard(settings, SECRET), Guard(settings, SECRET)
    sender = f"shared-{uuid.uuid4().hex[:8]}"
    request = Request({"type": "http", "method": "POST", "path": "/", "headers": [], "client": ("10.0.0.9", 5)})
    outcomes = []
    for guard in (a, b, a, b, a):
        try:
            guard.limit(request, sender)
            outcomes.append(200)
        except Exception as exc:
            outcomes.append(getattr(exc, "status_code", 500))
    assert outcomes == [200, 200, 200, 200, 429]


# ---------------------------------------------------------------- CORS and start-up


def test_cors_answers_the_configured_shop_only(tmp_path: Path, instance: Instance) -> None:
    env = {"TRIAGE_CORS_ORIGINS": "https://shop.example.com"}
    with TestClient(create_app(Settings.from_env(env, data_dir=str(tmp_path)), instance=instance)) as c:
        ask = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}
        ok = c.options("/webhooks/rest/webhook", headers={"Origin": "https://shop.example.com", **ask})
        assert ok.status_code == 200 and ok.headers["access-control-allow-origin"] == "https://shop.example.com"
        evil = c.options("/webhooks/rest/webhook", headers={"Origin": "https://evil.example.net", **ask})
        assert evil.status_code == 400 and "access-control-allow-origin" not in evil.headers
        read = c.get("/health", headers={"Origin": "https://evil.example.net"})
        assert "access-control-allow-origin" not in read.headers
    with pytest.raises(ConfigError, match="not \\*"):
        Settings.from_env({"TRIAGE_CORS_ORIGINS": "*"})


@pytest.mark.parametrize(
    ("secret", "why"),
    [
        (None, "must be set"),
        ("short-but-random-7f3a", "too short"),
        ("change-me-to-something-long-and-random-please", "placeholder"),
        ("your-secret-here-0123456789abcdefghijklmnop", "placeholder"),
        ("a" * 40, "placeholder"),
        ("0123456789abcdef0123456789abcdef", "predictable"),
        ("abcdefghijklmnopqrstuvwxyz0123456789", "predictable"),
        ("9f86d081884c7d65" * 2, "predictable"),
    ],
)
def test_production_refuses_to_start_without_a_real_secret(secret: str | None, why: str) -> None:
    env = {"DATABASE_URL": "postgresql://db/triage", "REDIS_URL": "redis://cache:6379/0"}
    if secret is not None:
        env["TRIAGE_SECRET"] = secret
    with pytest.raises(ConfigError, match="TRIAGE_SECRET") as refused:
        Settings.from_env(env)
    assert why in str(refused.value) or (why == "too short" and "too short" in str(refused.value))
    assert Settings.from_env({**env, "TRIAGE_SECRET": SECRET}).production


def test_triage_serve_says_why_it_will_not_start(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://db/triage")
    monkeypatch.delenv("TRIAGE_SECRET", raising=False)
    assert main(["serve", "--port", "1"]) == 2
    assert "TRIAGE_SECRET must be set in production" in capsys.readouterr().err
    monkeypatch.setenv("TRIAGE_SECRET", SECRET)
    monkeypatch.setenv("TRIAGE_WEBHOOK_SECRET", "changeme-changeme-changeme-changeme")
    assert main(["serve", "--port", "1"]) == 2
    assert "TRIAGE_WEBHOOK_SECRET looks like a placeholder" in capsys.readouterr().err


def test_the_demo_database_and_its_directory_are_readable_by_their_owner_only(tmp_path: Path) -> None:
    old = os.umask(0o022)  # the usual umask, under which files are created world-readable
    try:
        settings = Settings.from_env({}, data_dir=str(tmp_path / "fresh"))
        db = Database(settings.database_url)
        db.migrate()
        with db.session() as s:  # an open connection keeps the WAL and its index beside the database
            made = {p.name: stat.S_IMODE(p.stat().st_mode) for p in settings.data_dir.iterdir()}
            assert s.scalar(select(func.count()).select_from(Agent)) == 0
    finally:
        os.umask(old)
        db.engine.dispose()
    assert made.keys() >= {"triage.db", "triage.db-wal", "triage.db-shm"}
    assert {name: oct(mode) for name, mode in made.items() if mode != 0o600} == {}
    assert stat.S_IMODE(settings.data_dir.stat().st_mode) == 0o700
