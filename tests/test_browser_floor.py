"""The live floor in headless Chromium: a supervisor watches the desk while an agent serves a
customer, and whispers to the agent.

Everything on the floor arrives over the console's socket (no reloads): the ticket queues, is
claimed and is resolved; the whisper shows in the agent's console and nowhere the customer looks.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from core.config import Settings
from handoff.agents import hash_password
from handoff.models import Agent
from tests.servers import serve_in_thread
from tests.test_browser import ARGS, CHROMIUM
from tests.test_console import TIMEOUT, ask, customer, screenshot, ticket_of
from triage.app import create_app
from triage.wiring import Instance

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)"),
]
PASSWORD = "floor-test-pw"
LAPTOP = {"width": 1366, "height": 768}


@pytest.fixture
def site(tmp_path: Path, instance: Instance) -> Iterator[str]:
    """The app with an agent (王芳: tracking, general) and a supervisor (陈磊)."""
    with instance.db.session() as s:
        hashed = hash_password(PASSWORD)
        s.add_all(
            [
                Agent(username="wangfang", display_name="王芳", password_hash=hashed, skills=["tracking", "general"]),
                Agent(
                    username="chenlei",
                    display_name="陈磊",
                    password_hash=hashed,
                    role="supervisor",
                    skills=["supervisor", "general"],
                ),
            ]
        )
    with serve_in_thread(create_app(Settings.from_env({}, data_dir=str(tmp_path)), instance=instance)) as base:
        yield base


@pytest.fixture
def browser() -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield browser
        browser.close()


def logged_in(browser: Browser, site: str, path: str, username: str, viewport: dict[str, int] = LAPTOP) -> Page:
    """A member of staff on `path`, logged in, its socket connected."""
    page = browser.new_context(viewport=viewport, locale="zh-CN").new_page()  # type: ignore[arg-type]
    page.set_default_timeout(TIMEOUT)
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(site + path)
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#login")
    page.wait_for_selector("#status[data-state=online]")
    return page


def row(ticket_id: int, status: str | None = None) -> str:
    return f'#live-rows .live-row[data-id="{ticket_id}"]' + (f"[data-status={status}]" if status else "")


def test_the_floor_follows_a_chat_live_and_a_whisper_reaches_the_agent_only(
    site: str, browser: Browser, instance: Instance
) -> None:
    boss = logged_in(browser, site, "/floor", "chenlei")
    wang = logged_in(browser, site, "/console", "wangfang")
    assert wang.locator("#desk-links").is_hidden()  # the supervisor's pages are not an agent's
    boss.wait_for_selector('#agents .agent-card[data-presence=online]:has-text("王芳") .chats:text-is("0/3")')

    # A customer asks for a person: the ticket queues on the floor, live.
    alice = customer(browser, site)
    ask(alice, "转人工")
    ticket = ticket_of(instance, alice)
    boss.wait_for_selector(row(ticket, "queued"))
    boss.wait_for_selector('#queues .queue-card[data-queue=general] .q-waiting .stat-n:text-is("1")')
    assert boss.inner_text("#total-waiting") == "1"
    assert "排队中" in boss.inner_text(row(ticket)) and "queued" not in boss.inner_text(row(ticket))

    # 王芳 claims: the floor shows her serving it, and her seats.
    wang.click(f'#queue .ticket[data-id="{ticket}"] .claim')
    wang.wait_for_selector("#transcript .msg.customer:has-text('转人工')")
    boss.wait_for_selector(row(ticket, "assigned") + " .live-agent:text-is('王芳')")
    boss.wait_for_selector('#agents .agent-card:has-text("王芳") .chats:text-is("1/3")')
    assert boss.inner_text("#total-waiting") == "0" and boss.inner_text("#total-serving") == "1"

    # The supervisor opens the chat read-only and whispers to her.
    boss.click(row(ticket))
    boss.wait_for_selector("#panel-transcript .msg.customer:has-text('转人工')")
    assert "只读" in boss.inner_text("#panel-readonly")
    boss.fill("#whisper-input", "老客户，先道歉再查")
    boss.click("#whisper-send")
    boss.wait_for_selector("#panel-transcript .msg.whisper:has-text('老客户，先道歉再查')")
    wang.wait_for_selector("#flash.whisper:has-text('老客户，先道歉再查')")
    wang.wait_for_selector("#transcript .msg.whisper:has-text('老客户，先道歉再查')")
    screenshot(boss, "floor.png")

    # ...and the customer never sees it: not on their page, not in their transcript.
    wang.fill("#reply-input", "您好，给您添麻烦了")
    wang.click("#send-reply")
    alice.wait_for_selector(".msg.agent:has-text('给您添麻烦了')")  # what came after the whisper did arrive
    assert "先道歉再查" not in alice.inner_text("#messages")
    sender = alice.evaluate("localStorage.getItem('triage_sender')")
    history = httpx.get(f"{site}/conversations/{sender}").json()["messages"]
    assert not any("先道歉再查" in (m["text"] or "") for m in history)

    # 王芳 resolves: the chat leaves the floor and her seat is free again.
    wang.click("#resolve")
    wang.wait_for_selector("#readonly[data-status=resolved]")
    boss.wait_for_selector(row(ticket), state="detached")
    boss.wait_for_selector('#agents .agent-card:has-text("王芳") .chats:text-is("0/3")')
    boss.wait_for_selector("#panel-readonly[data-status=resolved]")
    assert boss.inner_text("#total-serving") == "0" and boss.is_visible("#live-empty")
