"""The WeChat Official Account channel, against a fake of WeChat's API server (tests/fake_wechat.py).

Followers' messages are WeChat's documented example XML, signed with the Token (and encrypted,
for 安全模式); what the bot sends later is read off the fake's customer-service API."""

from __future__ import annotations

import struct
import threading
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import httpx2
import pytest
from defusedxml import ElementTree
from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.channels import wechat, wechat_api, wechat_crypto, wechat_text
from bot.channels.contract import DeliveryFailed
from bot.channels.wechat_account import WeChat
from bot.channels.wechat_crypto import MessageCrypt
from bot.channels.wechat_text import Part
from bot.engine import OutboundMessage
from bot.nlu.parser import NLU
from core.config import Settings
from core.media import store_for
from core.runtime import Runtime
from handoff.agents import hash_password
from handoff.models import Agent, Ticket
from tests.conftest import make_instance
from tests.fake_wechat import FakeWeChat, Safe, message, signed
from tests.servers import serve_in_thread
from triage.app import create_app
from triage.wiring import Instance

TOKEN = "pamtest"  # the Token, AppID and EncodingAESKey of WeChat's own encryption example
APP_ID = "wxb11529c136998cb6"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
SECRET = "f3a9c2e81b7d46f0e5c9a8b2d1f04e7c"
URL = "/webhooks/wechat"
PASSWORD = "correct horse battery"


def png() -> bytes:
    """A real 1x1 PNG (a photo of the damage, as far as the media store can tell)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0\xff\0\0"))
        + chunk(b"IEND", b"")
    )


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeWeChat]:
    server = FakeWeChat(APP_ID, SECRET)
    with serve_in_thread(server.app) as base:
        server.base = base
        yield server


@pytest.fixture
def channel(tmp_path: Path, fake: FakeWeChat) -> Iterator[WeChat]:
    """The channel as `triage serve` makes it from its settings, talking to the fake WeChat."""
    fake.reset()
    env = {
        "TRIAGE_WECHAT_TOKEN": TOKEN,
        "TRIAGE_WECHAT_APP_ID": APP_ID,
        "TRIAGE_WECHAT_APP_SECRET": SECRET,
        "TRIAGE_WECHAT_AES_KEY": AES_KEY,
        "TRIAGE_WECHAT_API": fake.base,
    }
    settings = Settings.from_env(env, data_dir=str(tmp_path))
    runtime = Runtime(None)  # the channel's Redis (make_instance makes the instance its own)
    made = wechat.from_settings(settings, runtime, store_for(settings))
    assert isinstance(made, WeChat)
    made.sleep = lambda _: None  # pushes retried without waiting
    # A busy test machine may take seconds over a turn: the window's own behaviour is tested by
    # closing it (test_a_slow_turn_…); elsewhere every turn is answered in the response.
    made.reply_window = 30.0
    yield made
    made.close()
    runtime.close()


class Setup:
    """One instance with the WeChat channel configured, reached through a TestClient."""

    def __init__(self, client: TestClient, channel: WeChat, instance: Instance) -> None:
        self.client, self.channel, self.instance, self.media = client, channel, instance, channel.media

    def transcript(self, openid: str) -> list[dict[str, Any]]:
        response = self.client.get(f"/conversations/wechat:{openid}")
        assert response.status_code == 200, response.text
        return list(response.json()["messages"])

    def inbound(self, openid: str) -> list[dict[str, Any]]:
        return [m for m in self.transcript(openid) if m["direction"] == "in"]


@pytest.fixture
def wx(tmp_path: Path, nlu: NLU, channel: WeChat) -> Iterator[Setup]:
    instance = make_instance(f"sqlite:///{tmp_path / 'triage.db'}", nlu, media=channel.media, channels=[channel])
    with TestClient(create_app(Settings.from_env({}, data_dir=str(tmp_path)), instance=instance)) as client:
        yield Setup(client, channel, instance)


class Follower:
    """A WeChat user writing to the account: `user.say("…")` posts what WeChat would and reads the reply."""

    def __init__(self, client: TestClient, openid: str, safe: Safe | None = None) -> None:
        self.client, self.openid, self.safe = client, openid, safe
        self.response: httpx2.Response | None = None

    def post(self, xml: str, timestamp: int | None = None) -> httpx2.Response:
        if self.safe is not None:
            query, body = self.safe.post(xml, timestamp=timestamp)
        else:
            query, body = signed(TOKEN, timestamp=timestamp), xml
        response = self.response = self.client.post(URL, params=query, content=body.encode())
        return response

    def say(self, text: str) -> str:
        """The passive reply's text ("" for "success")."""
        self.post(message("text", self.openid, Content=text))
        return self.reply

    @property
    def reply(self) -> str:
        assert self.response is not None and self.response.status_code == 200, self.response
        if self.response.text == "success":
            return ""
        xml = self.safe.open_reply(self.response.text) if self.safe else self.response.text
        root = ElementTree.fromstring(xml)
        assert root.findtext("ToUserName") == self.openid and root.findtext("MsgType") == "text"
        return root.findtext("Content") or ""


def chinese(text: str) -> bool:
    return any("\u4e00" <= c <= "\u9fff" for c in text)


# The callback URL and what WeChat posts to it.


def test_only_requests_signed_with_the_token_and_fresh_are_served(wx: Setup) -> None:
    ok = wx.client.get(URL, params={**signed(TOKEN), "echostr": "5739883276164482"})
    assert ok.status_code == 200 and ok.text == "5739883276164482"
    forged = wx.client.get(URL, params={**signed("another-token"), "echostr": "1"})
    assert forged.status_code == 403
    stale = wx.client.get(URL, params={**signed(TOKEN, timestamp=int(time.time()) - 600), "echostr": "1"})
    assert stale.status_code == 403

    body = message("text", "o-forger", Content="我的订单到哪了")
    assert wx.client.post(URL, params=signed("not-our-token"), content=body).status_code == 403
    assert wx.client.post(URL, content=body).status_code == 403  # not signed at all
    replayed = signed(TOKEN, timestamp=int(time.time()) - 3600)
    assert wx.client.post(URL, params=replayed, content=body).status_code == 403
    assert wx.client.get("/conversations/wechat:o-forger").status_code == 404  # no turn was run

    wx.client.app.state.channels = {}  # type: ignore[attr-defined]  # as in an instance without the settings
    assert wx.client.get(URL, params={**signed(TOKEN), "echostr": "1"}).status_code == 404
    assert wx.client.post(URL, params=signed(TOKEN), content=body).status_code == 404


MALFORMED = [
    ("<xml><Content>no end", "malformed XML"),
    ("not xml at all", "malformed XML"),
    ("<html><body/></html>", "<xml>"),
    (
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
        "<xml><Content>&b;</Content></xml>",
        "refused XML",
    ),
    ('<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml><Content>&e;</Content></xml>', "refused XML"),
    ("<xml><ToUserName>gh</ToUserName><MsgType>text</MsgType></xml>", "FromUserName"),
]


def test_malformed_xml_is_a_clear_400_never_a_500(wx: Setup) -> None:
    for body, says in MALFORMED:
        response = wx.client.post(URL, params=signed(TOKEN), content=body.encode())
        assert response.status_code == 400 and says in response.json()["detail"], body
    huge = message("text", "o-big", Content="好" * 30000)
    assert wx.client.post(URL, params=signed(TOKEN), content=huge.encode()).status_code == 413


def test_a_text_message_gets_a_chinese_answer_and_wechats_retries_no_second_turn(wx: Setup) -> None:
    user = Follower(wx.client, "oia2TjjewbmiOUlr6X-1crbLOvLw")
    xml = message("text", user.openid, Content="下单后多久发货")
    user.post(xml)
    assert chinese(user.reply) and "发货" in user.reply
    assert user.response is not None and ElementTree.fromstring(user.response.text).findtext("FromUserName") == (
        "gh_7f083739789a"
    )
    for _ in range(3):  # WeChat asks three times more when it thinks we were slow
        retry = user.post(xml)
        assert retry.status_code == 200 and retry.text == "success"
    conversation = wx.client.get(f"/conversations/wechat:{user.openid}").json()
    assert conversation["channel"] == "wechat"
    assert [m["text"] for m in conversation["messages"] if m["direction"] == "in"] == ["下单后多久发货"]


def test_an_encrypted_message_round_trips(wx: Setup) -> None:
    safe = Safe(TOKEN, AES_KEY, APP_ID)
    user = Follower(wx.client, "o-safe-mode", safe)
    answer = user.say("下单后多久发货")
    assert user.response is not None and "<Encrypt>" in user.response.text and "发货" not in user.response.text
    assert chinese(answer) and "发货" in answer

    query, body = safe.post(message("text", "o-safe-mode", Content="你好"))
    assert wx.client.post(URL, params={**query, "msg_signature": "0" * 40}, content=body).status_code == 403
    query, body = safe.post(message("text", "o-safe-mode", Content="你好"), app_id="wx-another-account")
    assert wx.client.post(URL, params=query, content=body).status_code == 403
    garbled = body.replace("<Encrypt><![CDATA[", "<Encrypt><![CDATA[AAAA")
    query = {**query, "msg_signature": safe_signature(query, garbled)}
    response = wx.client.post(URL, params=query, content=garbled)
    assert response.status_code == 400 and "decrypt" in response.json()["detail"]


def safe_signature(query: dict[str, str], body: str) -> str:
    """The msg_signature WeChat would put on `body` (so only the decryption can fail)."""
    encrypted = ElementTree.fromstring(body).findtext("Encrypt") or ""
    return wechat_crypto.signature(TOKEN, query["timestamp"], query["nonce"], encrypted)


def test_the_channel_and_wechat_read_each_others_encryption() -> None:
    safe, crypt = Safe(TOKEN, AES_KEY, APP_ID), MessageCrypt(AES_KEY, APP_ID)
    for text in ("", "你好", "x" * 12, "y" * 100):  # padded to 32 bytes: one short, exactly whole, long
        assert crypt.decrypt(safe.encrypt(text)) == text
        reply = wechat_crypto.encrypted_reply(TOKEN, crypt, text, int(time.time()))
        assert safe.open_reply(reply) == text


# Sending later: the customer-service API and its access token.


def test_an_agents_reply_reaches_the_wechat_customer_after_a_token_refresh(wx: Setup, fake: FakeWeChat) -> None:
    with wx.instance.db.session() as s:
        s.add(Agent(username="wang", display_name="王芳", password_hash=hash_password(PASSWORD), skills=["general"]))
    user = Follower(wx.client, "o-wants-a-person")
    assert chinese(user.say("转人工"))
    with wx.instance.db.session() as s:
        (ticket,) = s.scalars(select(Ticket.id))
    login = wx.client.post("/api/agent/login", json={"username": "wang", "password": PASSWORD})
    headers = {"Authorization": f"Bearer {login.json()['token']}"}
    assert wx.client.post(f"/api/agent/tickets/{ticket}/claim", headers=headers).status_code == 200
    fake.wait_for(lambda: len(fake.sent()) >= 1)  # the agent's greeting, on the token fetched first
    assert len(fake.on("/cgi-bin/token")) == 1

    fake.expire_tokens()
    reply = wx.client.post(f"/api/agent/tickets/{ticket}/reply", headers=headers, json={"text": "您好，我来帮您查一下"})
    assert reply.status_code == 200
    fake.wait_for(lambda: "您好，我来帮您查一下" in fake.texts())
    sends = fake.on("/cgi-bin/message/custom/send")
    assert sends[-2].answered["errcode"] == 42001 and sends[-1].answered["errcode"] == 0
    assert len(fake.on("/cgi-bin/token")) == 2  # refreshed once, and the send tried again
    assert sends[-1].params["access_token"] != sends[-2].params["access_token"]
    assert {m["touser"] for m in fake.sent()} == {"o-wants-a-person"}


def test_the_access_token_is_fetched_once_for_every_thread_and_instance(channel: WeChat, fake: FakeWeChat) -> None:
    assert channel.api is not None
    with httpx.Client() as http:
        instances = [channel.api, wechat_api.WeChatApi(fake.base, APP_ID, SECRET, channel.runtime, http)]
        fake.delay(0.2)  # a slow token endpoint: everyone asks while the first fetch is under way
        tokens: list[str] = []
        threads = [threading.Thread(target=lambda a=a: tokens.append(a.token())) for a in instances * 4]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        fake.delay(0)
    assert len(tokens) == 8 and len(set(tokens)) == 1 and len(fake.on("/cgi-bin/token")) == 1
    ttl = channel.runtime.sync.ttl(f"wechat:access-token:{APP_ID}")
    assert 7200 - wechat_api.TOKEN_MARGIN_S - 5 <= ttl <= 7200 - wechat_api.TOKEN_MARGIN_S  # renewed before it expires


def test_deliver_sends_numbered_buttons_and_uploads_images(channel: WeChat, fake: FakeWeChat) -> None:
    photo = channel.media.put(png(), "image/png", name="damage.png")
    buttons = [{"title": "非常满意", "payload": '/csat{"score":5}'}, {"title": "不满意", "payload": '/csat{"score":1}'}]
    attachment = {"media_id": photo.media_id, "content_type": photo.content_type, "name": "damage.png"}
    channel.deliver(
        "o-pushed",
        [
            OutboundMessage("wechat:o-pushed", "请为本次服务评分", buttons),
            OutboundMessage("wechat:o-pushed", "这是您要的照片", custom={"attachments": [attachment]}),
        ],
    )
    (survey, words, image) = fake.sent()
    assert survey["text"]["content"] == "请为本次服务评分\n回复 1：非常满意\n回复 2：不满意"
    assert words["text"]["content"] == "这是您要的照片"
    (upload,) = fake.on("/cgi-bin/media/upload")
    assert upload.params["type"] == "image" and upload.body["filename"].endswith(".png")
    assert image == {"touser": "o-pushed", "msgtype": "image", "image": {"media_id": upload.answered["media_id"]}}
    assert fake.media[upload.answered["media_id"]] == channel.media.get(photo.media_id)
    assert channel.button_payload("o-pushed", "2") == '/csat{"score":1}'  # the customer answers "2"


def test_wechats_failures_say_whether_trying_again_can_help(channel: WeChat, fake: FakeWeChat) -> None:
    for errcode, retry in [(-1, True), (45015, False), (43004, False)]:
        fake.fail_next(errcode)
        with pytest.raises(DeliveryFailed) as failed:
            channel.deliver("o-gone", [OutboundMessage("wechat:o-gone", "您好")])
        assert failed.value.retry is retry and str(errcode) in str(failed.value)
    fake.fail_next(-1, after=1)  # WeChat busy on the second of two messages
    channel.send_retrying("o-busy", [Part("第一条"), Part("第二条")])
    assert fake.texts() == ["第一条", "第二条"]  # tried again from the second: the first not sent twice
    assert channel.api is not None
    channel.api.base = "http://127.0.0.1:9"  # nothing listens on the discard port
    with pytest.raises(DeliveryFailed) as unreachable:
        channel.deliver("o-1", [OutboundMessage("wechat:o-1", "您好")])
    assert unreachable.value.retry


# WeChat's five seconds.


def test_a_slow_turn_gets_success_and_then_a_customer_service_message(wx: Setup, fake: FakeWeChat) -> None:
    wx.channel.reply_window = 0.0  # every turn outlives it
    user = Follower(wx.client, "o-slow")
    response = user.post(message("text", "o-slow", Content="下单后多久发货"))
    assert response.status_code == 200 and response.text == "success"
    fake.wait_for(lambda: bool(fake.sent()))
    (sent,) = fake.sent()
    assert sent["touser"] == "o-slow" and "发货" in sent["text"]["content"]
    assert len(wx.inbound("o-slow")) == 1


# What a follower sends besides text.


def test_a_photo_reaches_the_transcript_as_an_attachment_and_its_buttons_answer_by_number(
    wx: Setup, fake: FakeWeChat
) -> None:
    media_id = fake.add_media(png(), "image/png")
    user = Follower(wx.client, "o-photo")
    user.post(message("image", "o-photo", PicUrl="http://mmbiz.qpic.cn/not-fetched", MediaId=media_id))
    asked = user.reply
    assert "照片" in asked and "回复 1：" in asked and "回复 2：" in asked
    (photo,) = wx.inbound("o-photo")
    (attachment,) = photo["custom"]["attachments"]
    assert attachment["content_type"] == "image/png"
    kept, kind = wx.media.get(attachment["media_id"])
    assert kind == "image/png" and kept.startswith(b"\x89PNG")
    assert [c.params["media_id"] for c in fake.on("/cgi-bin/media/get")] == [media_id]

    payloads = {b["title"]: b["payload"] for m in wx.transcript("o-photo") for b in m["buttons"] or []}
    first = asked.split("回复 1：")[1].splitlines()[0]
    assert chinese(user.say("１"))  # a full-width digit, as Chinese keyboards often type it
    assert wx.inbound("o-photo")[-1]["text"] == payloads[first]  # the button's payload, not "1"


def test_voice_other_kinds_and_a_lost_photo_are_answered_kindly(wx: Setup) -> None:
    say = wx.instance.policy.say
    user = Follower(wx.client, "o-voice")
    user.post(message("voice", "o-voice", MediaId="MEDIA_V", Format="amr", Recognition="下单后多久发货"))
    assert "发货" in user.reply
    user.post(message("voice", "o-voice", MediaId="MEDIA_V2", Format="amr"))
    assert user.reply == say("voice_unheard", "zh")
    user.post(message("location", "o-voice", Location_X="23.134521", Location_Y="113.358803", Scale=20, Label="x"))
    assert user.reply == say("only_text_and_pictures", "zh")
    user.post(message("image", "o-voice", PicUrl="ftp://nowhere", MediaId="MEDIA_GONE"))  # WeChat: 40007
    assert user.reply == say("picture_lost", "zh")
    assert [m["text"] for m in wx.inbound("o-voice")] == ["下单后多久发货"]


def test_the_channels_own_lines_are_in_english_once_the_follower_writes_english(wx: Setup) -> None:
    say = wx.instance.policy.say
    user = Follower(wx.client, "o-english")
    user.post(message("voice", "o-english", MediaId="MEDIA_V3", Format="amr"))
    assert user.reply == say("voice_unheard", "zh")  # nothing said yet: Chinese
    assert not chinese(user.say("How long does shipping take after I order?"))
    user.post(message("voice", "o-english", MediaId="MEDIA_V4", Format="amr"))
    assert user.reply == say("voice_unheard", "en")


def test_a_message_too_long_is_refused_in_the_customers_language_with_the_limit(wx: Setup) -> None:
    user = Follower(wx.client, "o-long")
    assert user.say("好" * 2001) == wx.instance.policy.say("message_too_long", "zh", limit="2000")
    assert "2000" in user.reply
    assert wx.client.get("/conversations/wechat:o-long").status_code == 404  # no turn was taken


def test_a_new_follower_is_welcomed_once_and_one_who_leaves_gets_nothing(wx: Setup) -> None:
    user = Follower(wx.client, "o-new")
    subscribe = message("event", "o-new", Event="subscribe")
    user.post(subscribe)
    assert user.reply == wx.instance.policy.say("wechat_welcome", "zh")
    assert user.post(subscribe).text == "success"  # WeChat's retry of the same event
    assert user.post(message("event", "o-new", Event="unsubscribe", CreateTime=int(time.time()) + 1)).text == "success"
    assert wx.client.get("/conversations/wechat:o-new").status_code == 404  # no turn for either


# The pure parts.


def test_several_replies_share_the_passive_reply_while_they_fit() -> None:
    parts, numbers = wechat_text.render(
        [
            OutboundMessage("wechat:o", "您的订单已发货"),
            OutboundMessage("wechat:o", "还有其他问题吗？", [{"title": "没有了", "payload": "/goodbye"}]),
        ]
    )
    assert numbers == {"1": "/goodbye"}
    content, rest = wechat_text.passive(parts)
    assert content == "您的订单已发货\n\n还有其他问题吗？\n回复 1：没有了" and rest == []
    content, rest = wechat_text.passive([Part("长" * 600), Part("短"), Part("再" * 100), Part("末")])
    assert content == "长" * 600 + "\n\n短" and rest == [Part("再" * 100), Part("末")]  # 1805 + 302 bytes > 2000
    content, rest = wechat_text.passive([Part(image={"media_id": "m"}), Part("字")])
    assert content is None and len(rest) == 2


def test_long_texts_are_cut_into_messages_wechat_accepts() -> None:
    pieces = wechat_text.chunks("第一行\n" + "长" * 1000 + "\n最后一行")
    assert all(len(p.encode()) <= wechat_text.TEXT_LIMIT_BYTES for p in pieces)
    assert "".join(pieces).replace("\n", "") == "第一行" + "长" * 1000 + "最后一行"
    assert wechat_text.pressed(" ２ ", {"2": "/human_request"}) == "/human_request"
    assert wechat_text.pressed("22", {"2": "/x"}) is None and wechat_text.pressed("二", {"2": "/x"}) is None
