"""The REST channel's wire format and its answers to bad input: clear 4xx, never 500."""

import pytest
from fastapi.testclient import TestClient

from core.db import Database
from core.runtime import Runtime, ServiceUnavailable
from tests.conftest import Chat
from triage.wiring import Instance

URL = "/webhooks/rest/webhook"


def test_rasa_rest_wire_format(client: TestClient) -> None:
    response = client.post(URL, json={"sender": "s1", "message": "下单后多久发货", "metadata": {"channel": "web"}})
    assert response.status_code == 200
    (reply,) = response.json()
    assert reply["recipient_id"] == "s1"
    assert isinstance(reply["text"], str) and reply["text"]
    assert set(reply) <= {"recipient_id", "text", "buttons", "custom"}


def test_channel_health_answers_like_rasa(client: TestClient) -> None:
    assert client.get("/webhooks/rest/").json() == {"status": "ok"}


def test_empty_message_is_a_clear_422_and_the_conversation_goes_on(chat: Chat) -> None:
    response = chat.client.post(URL, json={"sender": chat.sender, "message": "   "})
    assert response.status_code == 422
    assert response.json()["detail"] == "message is empty"
    chat.say("下单后多久发货")
    assert "48小时" in chat.text


def test_100_kb_of_text_is_refused_with_413(client: TestClient) -> None:
    response = client.post(URL, json={"sender": "s1", "message": "啊" * 100_000})
    assert response.status_code == 413
    assert "larger than" in response.json()["detail"]


def test_overlong_message_under_the_body_limit_is_a_clear_422(client: TestClient) -> None:
    response = client.post(URL, json={"sender": "s1", "message": "a" * 5000})
    assert response.status_code == 422
    assert "too long" in response.json()["detail"]


def test_malformed_json_is_400_naming_the_problem(client: TestClient) -> None:
    response = client.post(URL, content=b'{"sender": "s1", "message": ', headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json()["detail"].startswith("malformed JSON")


def test_invalid_utf8_is_400(client: TestClient) -> None:
    response = client.post(URL, content=b'{"sender": "s1", "message": "\xff\xfe"}')
    assert response.status_code == 400
    assert "UTF-8" in response.json()["detail"]


def test_missing_sender_is_422_naming_the_field(client: TestClient) -> None:
    response = client.post(URL, json={"message": "hi"})
    assert response.status_code == 422
    assert "sender" in response.json()["detail"]


def test_wrong_types_are_422(client: TestClient) -> None:
    response = client.post(URL, json={"sender": "s1", "message": 42})
    assert response.status_code == 422
    response = client.post(URL, json=["not", "an", "object"])
    assert response.status_code == 422


def test_control_characters_are_stripped_and_answered(chat: Chat) -> None:
    chat.say("下单后\x01多久\x07发货\u200b")  # U+0000 is refused (422) in any body: tests/test_bad_input.py
    assert "48小时" in chat.text
    assert chat.state()["messages"][0]["text"] == "下单后多久发货"


def test_parse_endpoint_returns_rasa_shape_plus_our_fields(client: TestClient) -> None:
    body = client.post("/model/parse", json={"text": "我的货款怎么还没到账！！！ YX20261105001234"}).json()
    assert set(body) >= {"text", "intent", "intent_ranking", "entities", "language", "topic", "faq_id", "sentiment"}
    assert body["intent"]["name"] == "faq"
    assert body["topic"] == "payment_arrival"
    assert body["faq_id"].startswith("pay_")
    assert 0 < body["intent"]["confidence"] <= 1
    assert body["intent_ranking"][0]["name"] == body["faq_id"]
    assert body["entities"][0]["entity"] == "order_id"
    assert body["language"] == "zh"
    assert 0 <= body["sentiment"]["anger"] <= 1


def test_parse_of_nonsense_is_out_of_scope(client: TestClient) -> None:
    body = client.post("/model/parse", json={"text": "今天天气怎么样，适合去爬山吗"}).json()
    assert body["intent"]["name"] == "out_of_scope"
    assert body["topic"] == "out_of_scope"
    assert body["faq_id"] is None


def test_health_reports_ready(client: TestClient) -> None:
    body = client.get("/health").json()
    assert body["status"] == "ok" and body["mode"] == "embedded" and body["kb_entries"] >= 60


def test_chat_page_is_served(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and "/static/chat.js" in page.text
    assert client.get("/static/chat.js").status_code == 200


def test_database_down_is_a_clear_503_and_the_conversation_resumes(
    chat: Chat, instance: Instance, monkeypatch: pytest.MonkeyPatch
) -> None:
    down = Database("postgresql+psycopg://nobody@127.0.0.1:1/none")  # nothing listens on port 1
    monkeypatch.setattr(instance.db, "session", down.session)  # the database every part shares
    response = chat.client.post(URL, json={"sender": chat.sender, "message": "你好"})
    assert response.status_code == 503
    assert "nothing was saved" in response.json()["detail"]
    monkeypatch.undo()
    chat.say("下单后多久发货")
    assert [m["text"] for m in chat.state()["messages"] if m["direction"] == "in"] == ["下单后多久发货"]


def test_redis_down_is_a_clear_503(chat: Chat, instance: Instance, monkeypatch: pytest.MonkeyPatch) -> None:
    down = Runtime("redis://127.0.0.1:1/0")  # nothing listens on port 1
    for name in ("lock", "publish", "sync"):  # what a turn uses, on the runtime every part shares
        monkeypatch.setattr(instance.runtime, name, getattr(down, name))
    response = chat.client.post(URL, json={"sender": chat.sender, "message": "你好"})
    assert response.status_code == 503
    assert "Redis" in response.json()["detail"]


def test_only_emoji_or_punctuation_is_a_polite_miss_not_an_error(chat: Chat) -> None:
    chat.say("😀😀？？")
    assert chat.buttons  # suggestions to pick from
    assert not chat.handed_over
    parse = chat.client.post("/model/parse", json={"text": "。。。"}).json()
    assert parse["intent"]["name"] == "out_of_scope" and parse["intent_ranking"] == []


def test_redis_failing_after_the_turn_is_saved_still_answers(chat: Chat, instance: Instance) -> None:
    def down(channel: str, message: object) -> None:
        raise ServiceUnavailable("the messaging service (Redis) is unavailable")

    instance.runtime.publish = down  # type: ignore[method-assign]
    chat.say("下单后多久发货")
    assert "48小时" in chat.text
    assert len(chat.state()["messages"]) == 2
