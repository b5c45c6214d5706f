"""Hostile input on any route gets a clear 4xx naming what is wrong, never a 500: bodies nested
thousands deep, numbers JSON cannot hold, lone surrogates, control characters in paths and
queries. And the pages carry headers that keep them out of frames and scripts off them."""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from bot.nlu.parser import NLU
from core.config import Settings
from handoff.agents import hash_password
from handoff.models import Agent
from merchant.sync_api import KEY_FILE
from tests.conftest import IN_CI, Chat, make_instance, on_services
from triage.app import create_app
from triage.wiring import Instance

PASSWORD = "bad-input-pw-1"
JSON = {"content-type": "application/json"}
PG_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")


def client_of(tmp_path: Path, instance: Instance) -> TestClient:
    """The app as a client sees it: 500s answered, not raised; a supervisor `chen` to log in as."""
    with instance.db.session() as s:
        s.add(Agent(username="chen", display_name="陈", password_hash=hash_password(PASSWORD), role="supervisor"))
    app = create_app(Settings.from_env({}, data_dir=str(tmp_path)), instance=instance)
    return TestClient(app, raise_server_exceptions=False)


@pytest.fixture
def app_client(tmp_path: Path, instance: Instance) -> Iterator[TestClient]:
    with client_of(tmp_path, instance) as c:
        yield c


@pytest.fixture
def pg_client(tmp_path: Path, nlu: NLU) -> Iterator[TestClient]:
    """The same app on PostgreSQL (a schema of its own), where NUL cannot be stored."""
    try:
        psycopg.connect(PG_URL, connect_timeout=3).close()
    except psycopg.Error as exc:
        if IN_CI:
            raise
        pytest.skip(f"PostgreSQL at {PG_URL} is not reachable ({exc.__class__.__name__})")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    url = f"{PG_URL}?options=-csearch_path%3D{schema}".replace("postgresql://", "postgresql+psycopg://")
    instance = make_instance(url, nlu)
    try:
        with client_of(tmp_path, instance) as c:
            yield c
    finally:
        instance.db.engine.dispose()
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def login(client: TestClient) -> str:
    response = client.post("/api/agent/login", json={"username": "chen", "password": PASSWORD})
    return str(response.json()["token"])


@pytest.fixture
def staff(app_client: TestClient) -> dict[str, str]:
    return {"Authorization": f"Bearer {login(app_client)}", **JSON}


@pytest.fixture
def sync_key(app_client: TestClient, tmp_path: Path) -> dict[str, str]:
    return {"Authorization": f"Bearer {(tmp_path / KEY_FILE).read_text().strip()}", **JSON}


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


# --- bodies -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/chat/session", '{"token": ' + nested(2000) + "}"),
        ("/chat/session", nested(2000)),
        ("/api/agent/login", '{"username": ' + nested(5000) + ', "password": "x"}'),
        ("/webhooks/rest/webhook", '{"sender": "s1", "message": "hi", "metadata": {"a": ' + nested(3000) + "}}"),
        ("/model/parse", '{"text": ' + nested(100) + "}"),
    ],
)
def test_json_nested_thousands_deep_is_a_400(app_client: TestClient, path: str, body: str) -> None:
    response = app_client.post(path, content=body, headers=JSON)
    assert response.status_code == 400, response.text
    assert response.json()["detail"].startswith("JSON nested too deeply")


def test_json_nested_deeply_is_refused_on_staff_and_sync_routes_too(
    app_client: TestClient, staff: dict[str, str], sync_key: dict[str, str]
) -> None:
    deep = '{"items": ' + nested(3000) + "}"
    for path, headers in (("/api/kb/try", staff), ("/api/agent/presence", staff), ("/api/sync/customers", sync_key)):
        response = app_client.request("PUT" if "sync" in path else "POST", path, content=deep, headers=headers)
        assert response.status_code == 400, (path, response.text)


def test_json_nested_as_deep_as_real_data_is_read(app_client: TestClient) -> None:
    metadata = {"a": json.loads(nested(30))}
    response = app_client.post("/webhooks/rest/webhook", json={"sender": "s1", "message": "hi", "metadata": metadata})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("NaN", "NaN"),
        ("-Infinity", "Infinity"),
        ("Infinity", "Infinity"),
        ("1e400", "too large"),
        ("7" * 5000, "digits"),
    ],
)
def test_numbers_json_cannot_hold_are_a_400(app_client: TestClient, value: str, problem: str) -> None:
    body = '{"sender": "s1", "message": "hi", "metadata": {"n": [' + value + "]}}"
    response = app_client.post("/webhooks/rest/webhook", content=body, headers=JSON)
    assert response.status_code == 400, response.text
    assert problem in response.json()["detail"]


def test_a_huge_integer_on_the_login_is_a_400_not_a_500(app_client: TestClient) -> None:
    body = '{"username": ' + "9" * 5000 + ', "password": "x"}'
    assert app_client.post("/api/agent/login", content=body, headers=JSON).status_code == 400


def test_a_lone_surrogate_in_a_message_is_a_422_naming_the_field(app_client: TestClient) -> None:
    response = app_client.post("/webhooks/rest/webhook", content=b'{"sender": "s1", "message": "\\ud800 hi"}')
    assert response.status_code == 422, response.text
    assert response.json()["detail"].startswith("message: ")
    assert "surrogate" in response.json()["detail"]


def test_a_lone_surrogate_anywhere_in_a_body_names_where(app_client: TestClient) -> None:
    body = b'{"sender": "s1", "message": "hi", "metadata": {"tags": ["ok", "\\udfff"]}}'
    response = app_client.post("/webhooks/rest/webhook", content=body)
    assert response.status_code == 422, response.text
    assert response.json()["detail"].startswith("metadata.tags.1: ")


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/agent/login", {"username": "chen\x00", "password": PASSWORD}, "username"),
        ("/webhooks/rest/webhook", {"sender": "s\x001", "message": "hi"}, "sender"),
        ("/webhooks/rest/webhook", {"sender": "s1", "message": "hi", "metadata": {"note": "a\x00"}}, "metadata.note"),
        ("/webhooks/rest/webhook", {"sender": "s1", "message": "下单后\x00多久发货"}, "message"),
        ("/model/parse", {"text": "\x00"}, "text"),
    ],
)
def test_a_nul_anywhere_in_a_body_is_a_422_naming_the_field(
    app_client: TestClient, path: str, body: dict[str, object], field: str
) -> None:
    """No PostgreSQL text or JSONB holds U+0000: it was a 500 there wherever it was stored or looked up."""
    response = app_client.post(path, json=body)
    assert response.status_code == 422, response.text
    assert response.json()["detail"] == f"{field}: contains U+0000 (NUL), which PostgreSQL cannot store"


def test_a_nul_in_a_staff_body_is_a_422_too(app_client: TestClient, staff: dict[str, str]) -> None:
    response = app_client.post("/api/agent/keywords", json={"keyword": "投诉\x00", "queue": "general"}, headers=staff)
    assert response.status_code == 422, response.text
    assert response.json()["detail"].startswith("keyword: contains U+0000")


@on_services
def test_a_nul_on_postgresql_is_a_4xx_where_it_was_a_500(pg_client: TestClient, tmp_path: Path) -> None:
    staff = {"Authorization": f"Bearer {login(pg_client)}"}
    sync = {"Authorization": f"Bearer {(tmp_path / KEY_FILE).read_text().strip()}"}
    nul_name = {"items": [{"external_id": "C1", "name": "王\x00小明", "phone": "13800138000"}]}
    refused = [
        pg_client.post("/api/agent/login", json={"username": "chen\x00", "password": PASSWORD}),
        pg_client.post("/webhooks/rest/webhook", json={"sender": "s\x001", "message": "hi"}),
        pg_client.post("/webhooks/rest/webhook", json={"sender": "s1", "message": "hi", "metadata": {"n": "\x00"}}),
        pg_client.post("/api/agent/keywords", json={"keyword": "投诉\x00"}, headers=staff),
        pg_client.put("/api/sync/customers", json=nul_name, headers=sync),
        pg_client.get("/api/sync/orders/YX%00", headers=sync),
        pg_client.get("/conversations/s%001"),
        pg_client.get("/api/kb/entries?topic=%00", headers=staff),
        pg_client.get("/api/kb/entries/shipping%00", headers=staff),
    ]
    assert [(r.request.url.path, r.status_code) for r in refused if not 400 <= r.status_code < 500] == []


def test_an_escaped_emoji_is_a_surrogate_pair_and_is_answered(app_client: TestClient) -> None:
    response = app_client.post("/webhooks/rest/webhook", content=b'{"sender": "s1", "message": "\\ud83d\\ude00 hi"}')
    assert response.status_code == 200, response.text


# --- a rating payload ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "payload",
    ['{"score": 3, "ticket": 1e400}', '{"score": 1e400}', '{"score": 3, "ticket": 1e300}', '{"score": -Infinity}'],
)
def test_a_rating_with_a_number_out_of_range_is_a_bad_rating_not_a_500(app_client: TestClient, payload: str) -> None:
    chat = Chat(app_client, "rater")
    bad = app_client.post("/webhooks/rest/webhook", json={"sender": "rater", "message": '/csat{"score": "x"}'})
    response = app_client.post("/webhooks/rest/webhook", json={"sender": "rater", "message": f"/csat{payload}"})
    assert response.status_code == bad.status_code, response.text
    assert response.json() == bad.json()
    chat.say("下单后多久发货")
    assert "48小时" in chat.text


def test_a_rating_nested_past_the_parsers_limit_is_a_bad_rating(app_client: TestClient) -> None:
    message = '/csat{"score": ' + "[" * 1500 + "}"
    response = app_client.post("/webhooks/rest/webhook", json={"sender": "rater", "message": message})
    assert response.status_code == 422, response.text
    assert "rating" in response.json()["detail"]


# --- paths and queries ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "where"),
    [
        ("/conversations/a%00b", "path"),
        ("/api/kb/entries?topic=%00", "query parameter 'topic'"),
        ("/api/kb/entries/shipping%1b", "path"),
        ("/api/sync/orders/a%00b", "path"),
        ("/api/kb/entries?q=a&lang=zh%0d%0a", "query parameter 'lang'"),
    ],
)
def test_control_characters_in_a_path_or_query_are_a_400_naming_where(
    app_client: TestClient, staff: dict[str, str], sync_key: dict[str, str], url: str, where: str
) -> None:
    for headers in ({}, sync_key if "sync" in url else staff):
        response = app_client.get(url, headers=headers)
        assert response.status_code == 400, response.text
        assert response.json()["detail"].startswith(f"the {where} contains a control character")


def test_a_tab_or_non_ascii_text_in_a_query_passes(app_client: TestClient, staff: dict[str, str]) -> None:
    response = app_client.get("/api/kb/entries?q=%E5%8F%91%E8%B4%A7%09", headers=staff)
    assert response.status_code == 200, response.text


def test_a_control_character_in_a_socket_path_is_refused(app_client: TestClient) -> None:
    with pytest.raises(WebSocketDisconnect), app_client.websocket_connect("/ws/chat/a%00b"):
        pass


# --- headers ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/console", "/kb", "/static/chat.js", "/health"])
def test_pages_forbid_framing_sniffing_and_foreign_scripts(app_client: TestClient, path: str) -> None:
    response = app_client.get(path)
    assert response.status_code == 200
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    policy = dict(part.strip().split(" ", 1) for part in response.headers["content-security-policy"].split(";"))
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert "ws:" in policy["connect-src"] and "wss:" in policy["connect-src"]


def test_refusals_carry_the_headers_too(app_client: TestClient) -> None:
    response = app_client.get("/conversations/a%00b")
    assert response.headers["x-content-type-options"] == "nosniff"


def test_the_api_docs_keep_the_scripts_they_load(app_client: TestClient) -> None:
    response = app_client.get("/docs")
    assert response.status_code == 200
    assert "content-security-policy" not in response.headers
    assert response.headers["x-frame-options"] == "DENY"


@pytest.mark.parametrize("path", ["/", "/console", "/kb", "/embed", "/floor", "/quality", "/reports"])
def test_the_pages_have_no_inline_script_or_style_the_policy_would_block(app_client: TestClient, path: str) -> None:
    """The policy allows scripts and styles from the app's own files only."""
    html = app_client.get(path).text
    assert re.search(r"<script[^>]*\bsrc=", html)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert not re.search(r"<style\b|\sstyle=|\son[a-z]+=", html)


@pytest.mark.parametrize(
    "payload",
    [
        '/faq{"id":"refund_processing_time","lang":"fr"}',
        '/faq{"id":"refund_processing_time","lang":5}',
        '/faq{"id":"refund_processing_time","lang":NaN}',
        '/faq{"id":' + "[" * 1500 + "}",
        '/faq{"id":"refund_processing_time","x":1e400}',
    ],
)
def test_a_malformed_button_payload_is_answered_not_a_500(client: TestClient, payload: str) -> None:
    response = client.post("/webhooks/rest/webhook", json={"sender": "payload-1", "message": payload})
    assert response.status_code == 200, response.text
    assert response.json()[0]["text"]
