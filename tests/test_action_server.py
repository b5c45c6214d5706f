"""The real rasa-sdk action server (`python -m rasa_sdk --actions actions`) and the bot's
in-process executor answer the same calls with the same events and responses."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from actions.protocol import MalformedCall
from actions.registry import action_names, executor
from bot.action_client import HttpRunner, InProcessRunner, action_call
from bot.nlu.parser import NLU
from core.config import Settings
from core.db import Database
from merchant.business_days import seed_holidays
from merchant.store import MerchantData
from tests import merchant
from tests.conftest import NOW, Chat, make_instance
from tests.servers import free_port
from triage.app import create_app
from triage.wiring import Instance

FROZEN = NOW.isoformat()


@pytest.fixture(scope="module")
def shop_db(tmp_path_factory: pytest.TempPathFactory) -> Database:
    path = tmp_path_factory.mktemp("shop") / "triage.db"
    db = Database(f"sqlite:///{path}")
    db.migrate()
    with db.session() as s:
        seed_holidays(s, [2025, 2026, 2027])
    merchant.load(db)
    return db


@pytest.fixture(scope="module")
def action_server(shop_db: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": shop_db.url,
        "TRIAGE_FROZEN_NOW": FROZEN,
        "TRIAGE_DATA_DIR": str(tmp_path_factory.mktemp("as")),
    }
    env.pop("REDIS_URL", None)
    log = tmp_path_factory.mktemp("as-log") / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(
                    f"action server exited: {proc.stderr.read().decode()[-2000:] if proc.stderr else ''}"
                )
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError("action server did not start")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def over_http(action_server: str) -> Iterator[HttpRunner]:
    runner = HttpRunner(f"{action_server}/webhook")
    yield runner
    runner.close()


@pytest.fixture(scope="module")
def in_process(shop_db: Database) -> Iterator[InProcessRunner]:
    runner = InProcessRunner(executor(MerchantData(shop_db, now=lambda: NOW)))
    yield runner
    runner.close()


def call(name: str, text: str, slots: dict[str, Any] | None = None, loop: str | None = None) -> dict[str, Any]:
    entities = []
    if text.startswith("YX"):
        entities = [{"entity": "order_id", "value": text.split()[0], "start": 0, "end": 16}]
    message = {"text": text, "intent": {"name": "faq", "confidence": 0.9}, "entities": entities, "language": "zh"}
    return action_call(
        name, sender_id="contract", slots=slots or {}, latest_message=message, active_loop=loop, channel="rest"
    )


CALLS = [
    call("action_order_status", "我的订单到哪了"),
    call("action_order_status", merchant.IN_TRANSIT),
    call(
        "action_order_status",
        "1234",
        {"order_id": merchant.IN_TRANSIT, "requested_slot": "phone_last4"},
        "action_order_status",
    ),
    call("action_order_status", merchant.STUCK, {"verified_customer": "C-ALICE"}),
    call("action_order_status", "YX20990101000000"),
    call("action_payment_status", merchant.HELD, {"verified_customer": "C-SHIP", "language": "en"}),
    call("action_payment_status", merchant.HOLIDAY, {"verified_customer": "C-SHIP"}),
    call("action_check_stock", "is the black hoodie in size M in stock", {"language": "en"}),
    call("action_check_stock", "黑色卫衣L码有货吗"),
    call("action_refund_status", merchant.REFUNDING, {"verified_customer": "C-ALICE"}),
]


def comparable(response: dict[str, Any]) -> dict[str, Any]:
    events = [{k: v for k, v in e.items() if k != "timestamp"} for e in response["events"]]
    return {"events": events, "responses": response["responses"]}


def test_action_server_lists_every_action(action_server: str) -> None:
    assert httpx.get(f"{action_server}/health").json() == {"status": "ok"}
    listed = {a["name"] for a in httpx.get(f"{action_server}/actions").json()}
    assert set(action_names()) | {"action_handoff"} <= listed


@pytest.mark.parametrize(
    "payload", CALLS, ids=lambda c: f"{c['next_action']}:{c['tracker']['latest_message']['text'][:16]}"
)
def test_same_call_same_answer_over_http_and_in_process(
    payload: dict[str, Any], over_http: HttpRunner, in_process: InProcessRunner
) -> None:
    there = over_http.run(payload)
    here = in_process.run(payload)
    assert comparable(there) == comparable(here)
    assert here["responses"], "every call answers the customer"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"tracker": {"sender_id": "x"}}, "next_action"),
        ({"next_action": "action_order_status"}, "tracker"),
        ({"next_action": "action_order_status", "tracker": {}}, "tracker.sender_id"),
        ({"next_action": "action_order_status", "tracker": {"sender_id": "x", "slots": []}}, "tracker.slots"),
        (
            {"next_action": "action_order_status", "tracker": {"sender_id": "x", "latest_message": {"entities": "YX"}}},
            "tracker.latest_message.entities",
        ),
    ],
)
def test_malformed_calls_are_refused_alike_naming_the_field(
    body: dict[str, Any], field: str, action_server: str, in_process: InProcessRunner
) -> None:
    response = httpx.post(f"{action_server}/webhook", json=body)
    assert response.status_code == 400 and response.json()["field"] == field
    with pytest.raises(MalformedCall) as refused:
        in_process.run(body)
    assert refused.value.field == field


def test_broken_bodies_get_400_not_500(action_server: str) -> None:
    for raw in (b"{not json", b"\xff\xfe", b"[1, 2]"):
        response = httpx.post(f"{action_server}/webhook", content=raw)
        assert response.status_code == 400, raw
    unknown = httpx.post(f"{action_server}/webhook", json={"next_action": "action_nope", "tracker": {"sender_id": "x"}})
    assert unknown.status_code == 404


def test_bot_talks_to_the_action_server_over_http(
    action_server: str, shop_db: Database, nlu: NLU, tmp_path: Path
) -> None:
    """The whole product with ACTION_ENDPOINT_URL set: the lookups go over the wire."""
    runner = HttpRunner(f"{action_server}/webhook")  # closed with the app
    instance = make_instance(f"sqlite:///{tmp_path / 'triage.db'}", nlu, actions=runner)
    settings = Settings.from_env({}, data_dir=str(tmp_path), action_endpoint_url=f"{action_server}/webhook")
    with TestClient(create_app(settings, instance=instance)) as client:
        chat = Chat(client, "over-http")
        chat.say(f"帮我查下订单 {merchant.IN_TRANSIT}")
        assert "后四位" in chat.text
        chat.say("1234")
        assert "南京" in chat.text


@pytest.mark.parametrize("action_runner", [HttpRunner(f"http://127.0.0.1:{free_port()}/webhook", timeout=2)])
def test_action_server_down_hands_over_with_the_general_answer(instance: Instance, tmp_path: Path) -> None:
    with TestClient(create_app(Settings.from_env({}, data_dir=str(tmp_path)), instance=instance)) as client:
        chat = Chat(client, "down")
        chat.say("我的订单到哪了")
        assert chat.handed_over and chat.state()["handoff_reason"] == "lookup_unavailable"
