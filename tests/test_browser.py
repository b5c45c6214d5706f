"""A customer in headless Chromium: the chat page, suggestion buttons, handoff, pushed messages."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.escalation import Notice
from core.config import Settings
from tests import merchant
from tests.conftest import IN_CI
from tests.servers import serve_in_thread
from triage.app import create_app
from triage.wiring import Instance

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None and IN_CI:
    raise RuntimeError("CI must run the browser tests: install Debian's chromium (see .ci/run)")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)"),
]
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture
def site(tmp_path: Path, instance: Instance) -> Iterator[str]:
    merchant.load(instance.db)
    with serve_in_thread(create_app(Settings.from_env({}, data_dir=str(tmp_path)), instance=instance)) as base:
        yield base


@pytest.fixture
def page(site: str, tmp_path: Path) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
        page = context.new_page()
        page.goto(site + "/")
        page.wait_for_selector("#status[data-state=online]", timeout=15000)
        yield page
        if os.environ.get("TRIAGE_SCREENSHOTS"):
            page.screenshot(path=str(Path(os.environ["TRIAGE_SCREENSHOTS"]) / "chat.png"), full_page=True)
        browser.close()


def send(page: object, text: str) -> None:
    before = page.locator(".msg.bot, .msg.agent").count()  # type: ignore[attr-defined]
    page.fill("#input", text)  # type: ignore[attr-defined]
    page.press("#input", "Enter")  # type: ignore[attr-defined]
    page.wait_for_function(  # type: ignore[attr-defined]
        "n => document.querySelectorAll('.msg.bot, .msg.agent').length > n", arg=before, timeout=15000
    )


def last_bot_text(page: object) -> str:
    return str(page.locator(".msg.bot .bubble").last.inner_text())  # type: ignore[attr-defined]


def test_customer_gets_answers_in_their_language_and_a_person_after_two_misses(page: object) -> None:
    send(page, "下单后多久发货")
    assert "48小时" in last_bot_text(page)
    send(page, "is the black one in stock")
    answer = last_bot_text(page)
    assert answer and not chinese(answer)  # an English reply: it asks which item, to look its stock up
    send(page, "how long does delivery take after you ship")
    answer = last_bot_text(page)
    assert "days" in answer and not chinese(answer)
    send(page, "咕噜咕噜 巴拉巴拉")
    assert page.locator(".msg.bot").last.locator(".chip").count() >= 2  # type: ignore[attr-defined]
    send(page, "锟斤拷烫烫烫 zxcv")
    page.wait_for_selector("#handoff-banner:not([hidden])", timeout=5000)  # type: ignore[attr-defined]
    assert "人工" in last_bot_text(page)


def test_suggestion_button_sends_its_entry_and_shows_its_title(page: object) -> None:
    send(page, "咕噜咕噜 巴拉巴拉")
    chip = page.locator(".msg.bot").last.locator(".chip").first  # type: ignore[attr-defined]
    title = chip.inner_text()
    before = page.locator(".msg.bot").count()  # type: ignore[attr-defined]
    chip.click()
    page.wait_for_function("n => document.querySelectorAll('.msg.bot').length > n", arg=before)  # type: ignore[attr-defined]
    assert page.locator(".msg.customer .bubble").last.inner_text() == title  # type: ignore[attr-defined]
    assert "没太明白" not in last_bot_text(page)


def test_agent_reply_pushed_later_appears_without_a_reload(page: object, instance: Instance) -> None:
    send(page, "转人工")
    sender = page.evaluate("localStorage.getItem('triage_sender')")  # type: ignore[attr-defined]
    instance.engine.deliver(
        [Notice(sender, "您好，我是客服王芳，马上为您查询", custom={"author": "agent", "agent_name": "王芳"})]
    )
    page.wait_for_selector(".msg.agent", timeout=10000)  # type: ignore[attr-defined]
    assert "王芳" in page.locator(".msg.agent").last.inner_text()  # type: ignore[attr-defined]


def test_history_survives_a_reload(page: object) -> None:
    send(page, "下单后多久发货")
    page.reload()  # type: ignore[attr-defined]
    page.wait_for_selector(".msg.bot", timeout=10000)  # type: ignore[attr-defined]
    assert page.locator(".msg.customer .bubble").first.inner_text() == "下单后多久发货"  # type: ignore[attr-defined]


def chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def test_order_lookup_verifies_then_tells_where_it_is_in_both_languages(page: object) -> None:
    send(page, f"帮我查下订单 {merchant.IN_TRANSIT}")
    assert "后四位" in last_bot_text(page)
    send(page, "1234")
    assert "到达南京转运中心" in last_bot_text(page) and "预计" in last_bot_text(page)
    send(page, f"where is my order {merchant.STUCK}")  # verified already: her own order
    page.wait_for_selector("#handoff-banner:not([hidden])", timeout=5000)  # type: ignore[attr-defined]
    answer = "\n".join(page.locator(".msg.bot .bubble").all_inner_texts()[-2:])  # type: ignore[attr-defined]
    assert "queue" in answer
    assert "Left Zhengzhou hub" in answer and "4 days" in answer and not chinese(answer)


def test_held_remittance_is_explained_with_what_to_do(page: object) -> None:
    send(page, "货已经签收了，货款怎么还没到账")
    assert "订单号" in last_bot_text(page)
    send(page, merchant.HELD)
    send(page, "2468")
    # Explained, then handed to the payments desk to review the account change.
    page.wait_for_selector("#handoff-banner:not([hidden])", timeout=5000)  # type: ignore[attr-defined]
    answer = "\n".join(page.locator(".msg.bot .bubble").all_inner_texts()[-3:])  # type: ignore[attr-defined]
    assert "挂账" in answer and "杭州小美服饰有限公司" in answer and "收款账户" in answer
    assert "查款" in answer


def test_held_remittance_in_english(page: object) -> None:
    send(page, f"the goods were signed for, why has my COD money not arrived? {merchant.HELD}")
    send(page, "2468")
    page.wait_for_selector("#handoff-banner:not([hidden])", timeout=5000)  # type: ignore[attr-defined]
    answer = "\n".join(page.locator(".msg.bot .bubble").all_inner_texts()[-3:])  # type: ignore[attr-defined]
    assert "on hold" in answer and "Payout Account" in answer and "Payments" in answer


def test_stock_question_gets_the_real_figure_in_both_languages(page: object) -> None:
    send(page, "is the black hoodie in size M in stock")
    answer = last_bot_text(page)
    assert "23 left" in answer and not chinese(answer)
    send(page, "黑色连帽卫衣M码还有货吗")
    assert "现货 23 件" in last_bot_text(page)
