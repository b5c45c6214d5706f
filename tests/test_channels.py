"""Which channel a message arrived on: said by the route and the caller, never by the customer."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from bot.channels.rest import channel_of
from core import metrics
from core.config import Settings
from core.security import Caller, signed_headers
from triage.app import create_app
from triage.wiring import Instance

URL = "/webhooks/rest/webhook"
WEBHOOK_SECRET = "5b2e8f1c9d4a7e3b6f0c2d8a1e9b4f7c3a6d0e5b8c2f1a9d"


def _series() -> set[str]:
    """The channel labels the message counter has series for."""
    return {s.labels["channel"] for m in metrics.MESSAGES.collect() for s in m.samples if "channel" in s.labels}


def test_a_customer_cannot_name_the_channel_or_mint_metric_series(client: TestClient) -> None:
    before = _series()
    for i in range(5):
        meta = {"channel": f"made-up-{i}"}
        assert client.post(URL, json={"sender": "c1", "message": "你好", "metadata": meta}).status_code == 200
    assert _series() - before <= {"rest"}
    assert client.get("/conversations/c1").json()["channel"] == "rest"


def test_the_web_chat_session_is_the_web_channel(client: TestClient) -> None:
    token = client.post("/chat/session", json={}).json()
    headers = {"Authorization": f"Bearer {token['token']}"}
    body = {"sender": token["sender_id"], "message": "你好", "metadata": {"channel": "wechat"}}
    assert client.post(URL, json=body, headers=headers).status_code == 200
    assert client.get(f"/conversations/{token['sender_id']}", headers=headers).json()["channel"] == "web"


def test_a_signed_integration_names_a_known_channel_only(tmp_path: Path, instance: Instance) -> None:
    settings = Settings.from_env({"TRIAGE_WEBHOOK_SECRET": WEBHOOK_SECRET}, data_dir=str(tmp_path))
    with TestClient(create_app(settings, instance=instance)) as client:

        def send(channel: str) -> httpx.Response:
            body = httpx.Request(
                "POST", "http://t", json={"sender": "wx-1", "message": "你好", "metadata": {"channel": channel}}
            ).content
            return client.post(URL, content=body, headers=signed_headers(WEBHOOK_SECRET, "POST", URL, body))

        assert send("wechat").status_code == 200
        assert client.get("/conversations/wx-1").json()["channel"] == "wechat"
        refused = send("wechat-" + "x" * 40)
        assert refused.status_code == 422 and "metadata.channel" in refused.json()["detail"]


@pytest.mark.parametrize(
    ("kind", "named", "channel"),
    [("anonymous", "web", "rest"), ("staff", "wechat", "rest"), ("chat", None, "web"), ("signed", None, "rest")],
)
def test_channel_of(kind: str, named: str | None, channel: str) -> None:
    meta = {} if named is None else {"channel": named}
    assert channel_of(Caller(kind, "s" if kind == "chat" else None), meta) == channel
