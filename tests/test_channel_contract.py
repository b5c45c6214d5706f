"""The chat-app channel contract: sender ids name channel and address; pushes reach the app."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from pathlib import Path

from bot.channels import telegram, wechat
from bot.channels.contract import DELIVERY_ATTEMPTS, DeliveryFailed, Pushes, address_of, sender_for
from bot.channels.telegram import TelegramChannel
from bot.channels.wechat_account import WeChat
from bot.engine import OutboundMessage
from bot.nlu.parser import NLU
from core.config import Settings
from core.media import store_for
from core.runtime import Runtime
from tests.conftest import make_instance


class Recorder:
    """A chat app that records what it was asked to deliver, failing the first `fail` tries."""

    def __init__(self, name: str, fail: int = 0, retry: bool = True, after: float | None = None) -> None:
        self.name = name
        self.fail = fail
        self.retry = retry
        self.after = after
        self.sent: list[tuple[str, list[str]]] = []
        self.tries = 0
        self.done = threading.Event()
        self.closed = False

    def deliver(self, address: str, messages: Sequence[OutboundMessage]) -> None:
        assert not self.closed, "delivering on a closed channel"
        self.tries += 1
        if self.tries <= self.fail:
            raise DeliveryFailed("platform busy", retry=self.retry, after=self.after)
        self.sent.append((address, [m.text for m in messages]))
        self.done.set()

    def close(self) -> None:
        self.closed = True


def pushes(*channels: Recorder) -> Pushes:
    made = Pushes.of(channels)
    return Pushes(made.channels, made.pool, sleep=lambda _: None)


def test_a_chat_app_sender_id_names_its_channel_and_address() -> None:
    sender = sender_for("wechat", "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o")
    assert address_of(sender) == ("wechat", "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o")
    assert address_of("web-3kd93ks0") is None and address_of("alice") is None and address_of("telegram:") is None


def test_a_retry_never_repeats_a_message_that_arrived() -> None:
    flaky = Recorder("wechat")
    calls: list[str] = []

    def second_fails_once(address: str, messages: Sequence[OutboundMessage]) -> None:
        calls.append(messages[0].text)
        if calls == ["one", "two"]:
            raise DeliveryFailed("timeout")
        flaky.sent.append((address, [m.text for m in messages]))

    flaky.deliver = second_fails_once  # type: ignore[method-assign]
    out = [OutboundMessage("wechat:o1", "one"), OutboundMessage("wechat:o1", "two")]
    assert pushes(flaky).send(flaky, "o1", out) is True
    assert calls == ["one", "two", "two"] and [t for _, [t] in flaky.sent] == ["one", "two"]


def test_pushes_go_to_the_customers_app_in_order_and_web_senders_are_left_to_the_socket() -> None:
    wechat = Recorder("wechat")
    p = pushes(wechat)
    p(
        [
            OutboundMessage("wechat:o1", "您好，我是王芳"),
            OutboundMessage("web-abc", "not for an app"),
            OutboundMessage("wechat:o1", "请问订单号是多少？"),
            OutboundMessage("telegram:42", "no telegram channel configured"),
        ]
    )
    p.close()
    assert wechat.sent == [("o1", ["您好，我是王芳"]), ("o1", ["请问订单号是多少？"])]


def test_a_failed_push_is_retried_and_a_refused_one_is_given_up() -> None:
    busy = Recorder("telegram", fail=DELIVERY_ATTEMPTS - 1)
    assert pushes(busy).send(busy, "42", [OutboundMessage("telegram:42", "hi")]) is True
    assert busy.tries == DELIVERY_ATTEMPTS and busy.sent == [("42", ["hi"])]
    blocked = Recorder("telegram", fail=1, retry=False)
    assert pushes(blocked).send(blocked, "42", [OutboundMessage("telegram:42", "hi")]) is False
    assert blocked.tries == 1 and blocked.sent == []
    waited: list[float] = []
    slow = Recorder("telegram", fail=1, after=7.0)
    made = pushes(slow)
    assert Pushes(made.channels, made.pool, sleep=waited.append).send(
        slow, "42", [OutboundMessage("telegram:42", "hi")]
    )
    assert waited == [7.0]  # the platform's retry_after, not our shorter back-off
    down = Recorder("telegram", fail=99)
    assert pushes(down).send(down, "42", [OutboundMessage("telegram:42", "hi")]) is False
    assert down.tries == DELIVERY_ATTEMPTS


class Slow(Recorder):
    """A chat app that takes a while to answer: a push is still under way when the instance closes."""

    def deliver(self, address: str, messages: Sequence[OutboundMessage]) -> None:
        time.sleep(0.2)
        super().deliver(address, messages)


def test_closing_the_instance_lets_pushes_under_way_arrive_then_closes_every_channel(tmp_path: Path, nlu: NLU) -> None:
    slow, idle = Slow("wechat"), Recorder("telegram")
    instance = make_instance(f"sqlite:///{tmp_path / 'triage.db'}", nlu, channels=[slow, idle])
    assert instance.pushes is not None
    instance.pushes([OutboundMessage("wechat:o1", "客服已接入")])
    instance.close()
    assert slow.sent == [("o1", ["客服已接入"])]
    assert slow.closed and idle.closed


def test_closing_the_instance_releases_the_chat_apps_http_clients(tmp_path: Path, nlu: NLU) -> None:
    env = {"TRIAGE_WECHAT_TOKEN": "wx-token", "TRIAGE_TELEGRAM_TOKEN": "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11"}
    settings = Settings.from_env(env, data_dir=str(tmp_path))
    runtime, media = Runtime(None), store_for(settings)
    wx, tg = wechat.from_settings(settings, runtime, media), telegram.from_settings(settings, runtime, media)
    assert isinstance(wx, WeChat) and isinstance(tg, TelegramChannel)
    instance = make_instance(f"sqlite:///{tmp_path / 'triage.db'}", nlu, media=media, channels=[wx, tg])
    assert not wx.http.is_closed and not tg.api.client.is_closed
    instance.close()
    runtime.close()
    assert wx.http.is_closed and tg.api.client.is_closed
