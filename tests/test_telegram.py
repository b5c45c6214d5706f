"""The Telegram channel against a local stand-in for the Bot API: a customer chatting from Telegram.

Updates are shaped like the examples in Telegram's webhook guide (core.telegram.org/bots/webhooks);
what the bot says comes back as the Bot API calls the fake recorded (tests/fake_telegram.py).
"""

from __future__ import annotations

import io
import itertools
import json
import logging
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select

from bot.channels import telegram
from bot.channels.contract import AppChannel, DeliveryFailed, Pushes
from bot.channels.telegram import SECRET_HEADER, TelegramChannel
from bot.engine import InboundMessage, OutboundMessage
from bot.nlu.parser import NLU
from core.config import Settings
from core.media import MediaStore, store_for
from core.runtime import Runtime
from handoff.agents import hash_password
from handoff.models import Agent, Ticket
from tests.conftest import make_instance
from tests.fake_telegram import BAD_REQUEST, BLOCKED, JPEG, SERVER_ERROR, THUMBNAIL, TOO_MANY, Call, FakeTelegram
from tests.servers import free_port
from triage.app import create_app
from triage.cli import main
from triage.wiring import Instance

TOKEN = "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11"  # shaped as the Bot API docs show a token
SECRET = "tg-webhook_7f3a9c2e5b8d1f4a6c0e9b2d"
CHAT = 1111111  # the guide's example chat (a private chat's id is the user's)
URL = "/webhooks/telegram"
NONSENSE = "咕噜咕噜 巴拉巴拉"  # no entry matches: the fallback offers the likeliest entries and a person
PASSWORD = "correct horse battery"
_update_ids = itertools.count(10000)


def _person(chat_id: int, language_code: str | None = None) -> dict[str, Any]:
    person = {"id": chat_id, "first_name": "Test Firstname", "last_name": "Test Lastname", "username": "Testusername"}
    return person | ({"language_code": language_code} if language_code else {})


def _message(chat_id: int, language_code: str | None = None, **content: Any) -> dict[str, Any]:
    chat = {**_person(chat_id), "type": "private"}
    sender = _person(chat_id, language_code)
    return {"message_id": 1365, "date": 1441645532, "chat": chat, "from": sender, **content}


@dataclass
class Customer:
    """Someone writing to the bot on Telegram: each call posts one Update, as Telegram would."""

    client: TestClient
    fake: FakeTelegram
    chat_id: int = CHAT
    language_code: str | None = None  # what the customer's Telegram app is set to

    def post(self, update: dict[str, Any], secret: str | bytes | None = SECRET) -> httpx.Response:
        headers = {SECRET_HEADER: secret} if secret is not None else {}
        return self.client.post(URL, json=update, headers=headers)

    def send(self, **content: Any) -> list[Call]:
        """Post a message; the messages the bot sent to this chat while answering it."""
        message = _message(self.chat_id, self.language_code, **content)
        return self.deliver({"update_id": next(_update_ids), "message": message})

    def say(self, text: str) -> list[Call]:
        return self.send(text=text)

    def press(self, data: str) -> list[Call]:
        query = {
            "id": f"4382bfdwdsb323b2d{next(_update_ids)}",
            "from": _person(self.chat_id, self.language_code),
            "message": _message(self.chat_id, text="…"),
            "chat_instance": "-3486719345129",
            "data": data,
        }
        return self.deliver({"update_id": next(_update_ids), "callback_query": query})

    def deliver(self, update: dict[str, Any]) -> list[Call]:
        before = len(self.fake.sent("sendMessage", self.chat_id))
        response = self.post(update)
        assert response.status_code == 200, response.text
        return self.fake.sent("sendMessage", self.chat_id)[before:]


def keyboard(calls: list[Call]) -> list[dict[str, str]]:
    markups = [c.params.get("reply_markup") or {} for c in calls]
    return [button for m in markups for row in m.get("inline_keyboard", []) for button in row]


def text(calls: list[Call]) -> str:
    return "\n".join(c.params["text"] for c in calls)


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeTelegram]:
    fake = FakeTelegram(TOKEN)
    with fake.serve():
        yield fake


@pytest.fixture
def tg_settings(tmp_path: Path, fake: FakeTelegram) -> Settings:
    fake.reset()
    env = {"TRIAGE_TELEGRAM_TOKEN": TOKEN, "TRIAGE_TELEGRAM_SECRET": SECRET, "TRIAGE_TELEGRAM_API": fake.url}
    return Settings.from_env(env, data_dir=str(tmp_path))


@pytest.fixture
def media(tg_settings: Settings) -> MediaStore:
    return store_for(tg_settings)


@pytest.fixture
def channel(tg_settings: Settings, media: MediaStore) -> Iterator[TelegramChannel]:
    runtime = Runtime(None)
    made = telegram.from_settings(tg_settings, runtime, media)
    assert isinstance(made, TelegramChannel)
    made.sleep = lambda seconds: None
    yield made
    made.close()
    runtime.close()


@pytest.fixture
def instance(tmp_path: Path, nlu: NLU, channel: TelegramChannel, media: MediaStore) -> Instance:
    built = make_instance(f"sqlite:///{tmp_path / 'triage.db'}", nlu, media=media, channels=[channel])
    with built.db.session() as s:
        s.add(Agent(username="wang", display_name="王芳", password_hash=hash_password(PASSWORD), skills=["general"]))
    return built


@pytest.fixture
def client(tg_settings: Settings, instance: Instance) -> Iterator[TestClient]:
    with TestClient(create_app(tg_settings, instance=instance)) as c:
        yield c


@pytest.fixture
def customer(client: TestClient, fake: FakeTelegram) -> Customer:
    return Customer(client, fake)


def agent(client: TestClient) -> dict[str, str]:
    response = client.post("/api/agent/login", json={"username": "wang", "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def ticket_of(instance: Instance) -> int:
    """The one ticket the conversation's handoff opened."""
    with instance.db.session() as s:
        (ticket,) = s.scalars(select(Ticket))
        return ticket.id


def test_an_update_gets_its_reply_with_buttons_and_pressing_one_answers_that_entry(
    customer: Customer, client: TestClient, fake: FakeTelegram, instance: Instance
) -> None:
    replies = customer.say(NONSENSE)
    assert "小优" in text(replies)
    buttons = keyboard(replies)
    assert {"text": "转人工", "callback_data": "/human_request"} in buttons and len(buttons) >= 2
    conversation = client.get(f"/conversations/telegram:{CHAT}").json()
    assert conversation["channel"] == "telegram"
    assert [m["text"] for m in conversation["messages"] if m["direction"] == "in"] == [NONSENSE]

    suggestion = next(b for b in buttons if b["callback_data"].startswith("/faq"))
    entry = instance.knowledge.entries[json.loads(suggestion["callback_data"].removeprefix("/faq"))["id"]]
    replies = customer.press(suggestion["callback_data"])
    (answered,) = fake.sent("answerCallbackQuery")  # the button's spinner stopped
    assert answered.params["callback_query_id"].startswith("4382bfdwdsb323b2d")
    assert entry.answer["zh"] in text(replies)


def test_a_wrong_or_missing_secret_token_is_refused(customer: Customer, fake: FakeTelegram) -> None:
    update = {"update_id": next(_update_ids), "message": _message(CHAT, text="你好")}
    for secret in (
        None,
        "",
        "wrong",
        SECRET + "x",
        SECRET[:-1],
        "tg-webhook_7f3a9c2e5b8d1f4a6c0e9b2é".encode("latin-1"),
    ):
        assert customer.post(update, secret=secret).status_code == 403
    assert fake.calls == []  # no turn ran, nothing was said
    assert customer.post(update).status_code == 200  # and the update itself was not spent by the forgeries
    assert fake.sent("sendMessage", CHAT)


def test_the_webhook_is_404_while_the_channel_is_not_configured(
    customer: Customer, instance: Instance, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delitem(instance.channels, "telegram")  # the app's channels: as built without a token
    response = customer.post({"update_id": next(_update_ids), "message": _message(CHAT, text="你好")})
    assert response.status_code == 404 and "TRIAGE_TELEGRAM_TOKEN" in response.json()["detail"]


def test_a_malformed_update_is_a_clear_400_and_unknown_kinds_are_acknowledged(
    customer: Customer, fake: FakeTelegram
) -> None:
    def post(body: bytes) -> httpx.Response:
        return customer.client.post(URL, content=body, headers={SECRET_HEADER: SECRET})

    for body, says in [
        (b"{not json", "malformed JSON"),
        (b"", "empty"),
        (b"[1, 2]", "not a Telegram Update"),
        (b'{"message": {"text": "hi"}}', "update_id"),
        (b'{"update_id": 5, "message": {"text": "no chat"}}', "message.chat"),
    ]:
        response = post(body)
        assert response.status_code == 400 and says in response.json()["detail"], (body, response.text)
    edited = {"update_id": next(_update_ids), "edited_message": _message(CHAT, text="改一下")}
    sticker = {"update_id": next(_update_ids), "message": _message(CHAT, sticker={"file_id": "CAAC", "emoji": "👍"})}
    poll = {"update_id": next(_update_ids), "poll": {"id": "1", "question": "?", "options": []}}
    for update in (edited, sticker, poll):
        assert customer.post(update).status_code == 200
    assert fake.calls == []


def test_a_message_too_long_is_refused_in_the_customers_language_with_the_limit(
    customer: Customer, instance: Instance
) -> None:
    """Acknowledged (no retry makes it acceptable), and the customer told why: in the language of
    their conversation, or before there is one, of their Telegram app."""
    say = instance.policy.say
    (told,) = customer.say("发" * 2500)  # no language_code: English
    assert told.params["text"] == say("message_too_long", "en", limit="2000")
    chinese_app = Customer(customer.client, customer.fake, chat_id=2222222, language_code="zh-hans")
    (told,) = chinese_app.say("发" * 2500)
    assert told.params["text"] == say("message_too_long", "zh", limit="2000")
    english_app = Customer(customer.client, customer.fake, chat_id=3333333, language_code="en")
    assert english_app.say("下单后多久发货")  # a conversation in Chinese
    (told,) = english_app.say("发" * 2500)
    assert told.params["text"] == say("message_too_long", "zh", limit="2000")


def test_a_duplicate_delivery_of_an_update_makes_one_turn(
    customer: Customer, fake: FakeTelegram, client: TestClient
) -> None:
    update = {"update_id": next(_update_ids), "message": _message(CHAT, text="下单后多久发货")}
    first = customer.deliver(update)
    assert first and customer.deliver(update) == []  # Telegram retried: acknowledged, not answered again
    messages = client.get(f"/conversations/telegram:{CHAT}").json()["messages"]
    assert [m["text"] for m in messages if m["direction"] == "in"] == ["下单后多久发货"]


def test_a_photo_is_fetched_at_its_largest_size_and_sent_to_the_bot(
    customer: Customer, fake: FakeTelegram, instance: Instance, media: MediaStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    received: list[InboundMessage] = []
    handle = instance.engine.handle

    def spy(message: InboundMessage) -> list[OutboundMessage]:
        received.append(message)
        return handle(message)

    monkeypatch.setattr(instance.engine, "handle", spy)
    sizes = fake.photo(THUMBNAIL, JPEG)
    customer.send(photo=sizes, caption="箱子压坏了")
    (getfile,) = fake.sent("getFile")
    assert getfile.params["file_id"] == sizes[-1]["file_id"] and len(fake.downloads) == 1
    (message,) = received
    assert (message.sender_id, message.channel, message.text) == (f"telegram:{CHAT}", "telegram", "箱子压坏了")
    (attachment,) = message.attachments
    data, content_type = media.get(attachment.media_id)
    assert attachment.content_type == content_type == "image/jpeg"
    assert Image.open(io.BytesIO(data)).size == (4, 3)


def test_a_photo_after_a_handoff_reaches_the_agent_console(
    customer: Customer, fake: FakeTelegram, client: TestClient, instance: Instance, media: MediaStore
) -> None:
    customer.say("转人工")
    customer.send(photo=fake.photo(THUMBNAIL, JPEG))  # no caption: the photo is the message
    wang = agent(client)
    ticket = client.get(f"/api/agent/tickets/{ticket_of(instance)}", headers=wang).json()
    sent = [m for m in ticket["messages"] if m["author"] == "customer"][-1]
    (attachment,) = (sent["custom"] or {})["attachments"]
    data, content_type = media.get(attachment["media_id"])
    assert attachment["content_type"] == content_type == "image/jpeg" and data


def test_an_agents_reply_reaches_the_telegram_chat(
    customer: Customer, fake: FakeTelegram, client: TestClient, instance: Instance
) -> None:
    customer.say("转人工")
    wang = agent(client)
    ticket = ticket_of(instance)
    assert client.post(f"/api/agent/tickets/{ticket}/claim", headers=wang).status_code == 200
    said = "您好，我是王芳，请发一下订单号"
    assert client.post(f"/api/agent/tickets/{ticket}/reply", headers=wang, json={"text": said}).status_code == 200
    assert fake.wait_for("sendMessage", chat_id=CHAT, text=said)  # pushed off the request's thread


def test_a_picture_goes_as_a_photo_and_a_long_payload_through_redis(
    customer: Customer, channel: TelegramChannel, fake: FakeTelegram, media: MediaStore, instance: Instance
) -> None:
    stored = media.put(JPEG, "image/jpeg", "damage.jpg")
    payload = '/faq{"id": "promotion_find_coupons_member_discount", "lang": "zh"}'  # 65 bytes
    button = {"title": "优惠券", "payload": payload}
    attachment = {"media_id": stored.media_id, "content_type": stored.content_type, "name": "damage.jpg"}
    sender = f"telegram:{CHAT}"
    channel.deliver(str(CHAT), [OutboundMessage(sender, "请看", [button], {"attachments": [attachment]})])
    (sent,) = fake.sent("sendMessage")
    (pressed,) = keyboard([sent])
    assert len(pressed["callback_data"].encode()) <= 64 and pressed["callback_data"] != payload
    (photo,) = fake.sent("sendPhoto")
    assert photo.params["chat_id"] == str(CHAT) and photo.files["photo"][1:] == (
        "image/jpeg",
        media.get(stored.media_id)[0],
    )
    replies = customer.press(pressed["callback_data"])
    assert instance.knowledge.entries["promotion_find_coupons_member_discount"].answer["zh"] in text(replies)


@pytest.mark.parametrize(
    ("failure", "retry"), [(TOO_MANY, True), (SERVER_ERROR, True), (BLOCKED, False), (BAD_REQUEST, False)]
)
def test_telegram_errors_say_whether_to_try_again(
    channel: TelegramChannel, fake: FakeTelegram, failure: Any, retry: bool
) -> None:
    fake.fail_next(failure)
    with pytest.raises(DeliveryFailed) as refused:
        channel.deliver(str(CHAT), [OutboundMessage(f"telegram:{CHAT}", "您好")])
    assert refused.value.retry is retry and str(failure.code) in str(refused.value)


def test_telegram_out_of_reach_is_worth_another_try(media: MediaStore) -> None:
    away = Settings.from_env({"TRIAGE_TELEGRAM_TOKEN": TOKEN, "TRIAGE_TELEGRAM_API": f"http://127.0.0.1:{free_port()}"})
    runtime = Runtime(None)
    made = telegram.from_settings(away, runtime, media)
    assert isinstance(made, TelegramChannel)
    with pytest.raises(DeliveryFailed) as refused:
        made.deliver(str(CHAT), [OutboundMessage(f"telegram:{CHAT}", "您好")])
    made.close()
    runtime.close()
    assert refused.value.retry


def test_a_429_is_retried_for_pushes_and_for_replies(
    channel: TelegramChannel, fake: FakeTelegram, customer: Customer
) -> None:
    slept: list[float] = []
    channels: dict[str, AppChannel] = {"telegram": channel}
    pushes = Pushes(channels, ThreadPoolExecutor(1), sleep=slept.append)
    fake.fail_next(TOO_MANY)
    assert pushes.send(channel, str(CHAT), [OutboundMessage(f"telegram:{CHAT}", "排队第 2 位")])
    pushes.close()
    assert [c.params["text"] for c in fake.sent("sendMessage")] == ["排队第 2 位", "排队第 2 位"] and slept == [1.0]
    fake.fail_next(TOO_MANY)
    assert customer.say("下单后多久发货")  # the webhook's reply waited out the 429 and went
    assert fake.sent("sendMessage")[-2].params["text"] == fake.sent("sendMessage")[-1].params["text"]


@pytest.fixture
def cli_logging() -> Iterator[None]:
    """The telegram commands set up logging as `triage serve` does; put the root logger back after."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_set_webhook_from_the_command_line(
    fake: FakeTelegram,
    tg_settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: Any,
    cli_logging: None,
) -> None:
    for name in ("DATABASE_URL", "REDIS_URL", "TRIAGE_ENV", "TRIAGE_PUBLIC_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TRIAGE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TRIAGE_TELEGRAM_API", fake.url)
    monkeypatch.setenv("TRIAGE_TELEGRAM_TOKEN", TOKEN)
    assert main(["telegram", "set-webhook", "https://chat.example.com/webhooks/telegram"]) == 2  # no secret yet
    assert "TRIAGE_TELEGRAM_SECRET" in capsys.readouterr().err and fake.calls == []
    monkeypatch.setenv("TRIAGE_TELEGRAM_SECRET", SECRET)
    assert main(["telegram", "set-webhook", "https://chat.example.com/webhooks/telegram"]) == 0
    assert fake.webhook == {
        "url": "https://chat.example.com/webhooks/telegram",
        "secret_token": SECRET,
        "allowed_updates": ["message", "callback_query"],
    }
    printed = capsys.readouterr()
    assert json.loads(printed.out) == {"ok": True, "result": True, "description": "Webhook was set"}
    assert "/bot123456:***/setWebhook" in printed.err and TOKEN not in printed.err  # httpx's line, masked
    assert main(["telegram", "webhook-info"]) == 0
    assert json.loads(capsys.readouterr().out)["result"]["url"] == "https://chat.example.com/webhooks/telegram"
    fake.fail_next(BAD_REQUEST)
    assert main(["telegram", "set-webhook", "https://chat.example.com/webhooks/telegram"]) == 1
    assert "chat not found" in capsys.readouterr().err
    monkeypatch.delenv("TRIAGE_TELEGRAM_TOKEN")
    assert main(["telegram", "webhook-info"]) == 2
    err = capsys.readouterr().err
    assert "TRIAGE_TELEGRAM_TOKEN" in err and TOKEN not in err
