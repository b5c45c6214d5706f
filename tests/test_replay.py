"""A signed request is good once: a captured one replayed (to this instance or another) is
refused, and so is one dated too far ahead; a legitimate retry is signed afresh."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import HTTPException
from fastapi.testclient import TestClient
from starlette.requests import Request

from core.config import Settings
from core.security import Guard, signature
from tests.conftest import IN_CI, on_services
from tests.servers import SECRET, WEBHOOK_SECRET
from tests.test_security import PRODUCTION, REDIS_URL, _redis_problem, login, production_app, signed
from triage.wiring import Instance

WEBHOOK = "/webhooks/rest/webhook"


@pytest.fixture
def prod(tmp_path: Path, instance: Instance) -> Iterator[TestClient]:
    with production_app(tmp_path, instance) as client:
        yield client


def inbound(client: TestClient, sender: str) -> list[str]:
    state = client.get(f"/conversations/{sender}", headers=login(client, "agent")).json()
    return [m["text"] for m in state["messages"] if m["direction"] == "in"]


def dated(timestamp: int, path: str, body: dict[str, str]) -> tuple[bytes, dict[str, str]]:
    """A request signed as if at `timestamp` (an integration whose clock is off, or a forger)."""
    raw = json.dumps(body, ensure_ascii=False).encode()
    stamp = str(timestamp)
    return raw, {
        "Content-Type": "application/json",
        "X-Triage-Timestamp": stamp,
        "X-Triage-Signature": signature(WEBHOOK_SECRET, stamp, "POST", path, raw),
    }


def test_a_replayed_webhook_is_refused_and_its_message_stored_once(prod: TestClient) -> None:
    raw, headers = signed(WEBHOOK, {"sender": "wx-replay", "message": "下单后多久发货"})
    statuses = [prod.post(WEBHOOK, content=raw, headers=headers) for _ in range(3)]
    assert [r.status_code for r in statuses] == [200, 401, 401]
    assert "received already" in statuses[1].json()["detail"]
    assert inbound(prod, "wx-replay") == ["下单后多久发货"]


def test_a_replayed_signed_session_request_mints_no_second_token(prod: TestClient) -> None:
    raw, headers = signed("/chat/session", {"sender": "wx-session"})
    first = prod.post("/chat/session", content=raw, headers=headers)
    assert first.status_code == 200 and first.json()["sender_id"] == "wx-session"
    again = prod.post("/chat/session", content=raw, headers=headers)
    assert again.status_code == 401 and "token" not in again.json()


def test_a_timestamp_ahead_of_the_clock_is_refused_beyond_a_small_skew(prod: TestClient) -> None:
    raw, headers = dated(int(time.time()) + 200, WEBHOOK, {"sender": "wx-clock", "message": "一会儿再说"})
    ahead = prod.post(WEBHOOK, content=raw, headers=headers)
    assert ahead.status_code == 401 and "ahead" in ahead.json()["detail"]
    raw, headers = dated(int(time.time()) + 10, WEBHOOK, {"sender": "wx-clock", "message": "运费多少钱"})
    slightly = prod.post(WEBHOOK, content=raw, headers=headers)
    assert slightly.status_code == 200, slightly.text  # an integration's clock a few seconds fast still works
    assert inbound(prod, "wx-clock") == ["运费多少钱"]


def test_the_same_message_twice_in_one_second_is_two_messages_when_each_is_signed(prod: TestClient) -> None:
    for _ in range(2):
        raw, headers = signed(WEBHOOK, {"sender": "wx-twice", "message": "你好"})
        assert prod.post(WEBHOOK, content=raw, headers=headers).status_code == 200
    assert inbound(prod, "wx-twice") == ["你好", "你好"]


def test_an_integration_that_sends_no_nonce_is_still_accepted_once(prod: TestClient) -> None:
    raw, headers = dated(int(time.time()), WEBHOOK, {"sender": "wx-old", "message": "你好"})
    assert prod.post(WEBHOOK, content=raw, headers=headers).status_code == 200
    assert prod.post(WEBHOOK, content=raw, headers=headers).status_code == 401


def test_a_signed_request_is_refused_with_503_while_redis_cannot_remember_it(
    tmp_path: Path, instance: Instance
) -> None:
    with production_app(tmp_path, instance, REDIS_URL="redis://127.0.0.1:1/0") as dead:
        raw, headers = signed(WEBHOOK, {"sender": "wx-dark", "message": "下单后多久发货"})
        refused = dead.post(WEBHOOK, content=raw, headers=headers)
        assert refused.status_code == 503, refused.text
        assert "nothing was saved, please retry" in refused.json()["detail"]


def request_with(headers: dict[str, str], path: str) -> Request:
    scope = {
        "type": "http",
        "method": "POST",
        "path": path,
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("10.0.0.9", 5),
    }
    return Request(scope)


@on_services
def test_a_request_replayed_to_another_instance_is_refused_there_too(tmp_path: Path) -> None:
    problem = _redis_problem()
    if problem and IN_CI:
        raise RuntimeError(f"CI must run the service tests for real: {problem}")
    if problem:
        pytest.skip(problem)
    settings = Settings.from_env({**PRODUCTION, "REDIS_URL": REDIS_URL}, data_dir=str(tmp_path))
    a, b = Guard(settings, SECRET), Guard(settings, SECRET)
    raw, headers = signed(WEBHOOK, {"sender": f"wx-{uuid.uuid4().hex[:8]}", "message": "你好"})
    assert a.caller(request_with(headers, WEBHOOK), raw).kind == "signed"
    with pytest.raises(HTTPException) as replayed:
        b.caller(request_with(headers, WEBHOOK), raw)
    assert replayed.value.status_code == 401
