"""Photos in headless Chromium: a customer sends one from the chat page, an agent sees it in the
console and sends one back, and both stay in the customer's history."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from PIL import Image

from core.config import Settings
from handoff.agents import hash_password
from handoff.models import Agent
from tests.servers import serve_in_thread
from tests.test_browser import ARGS, CHROMIUM
from tests.test_console import PASSWORD, agent, customer, screenshot, ticket_in, ticket_of
from triage.app import create_app
from triage.wiring import Instance

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)"),
]
# The last photo matching a selector, shown: its bytes came through its signed link and were decoded.
LOADED = "s => { const all = document.querySelectorAll(s); const img = all[all.length - 1]; return !!img && img.complete && img.naturalWidth > 0; }"


def photo(fmt: str, colour: str, size: tuple[int, int] = (640, 480)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format=fmt)
    return out.getvalue()


@pytest.fixture
def site(tmp_path: Path, instance: Instance) -> Iterator[str]:
    with instance.db.session() as s:
        s.add(
            Agent(username="wangfang", display_name="王芳", password_hash=hash_password(PASSWORD), skills=["general"])
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


def shown(page: Page, selector: str) -> None:
    page.wait_for_function(LOADED, arg=selector)


def test_a_photo_goes_from_the_customer_to_the_agent_and_one_comes_back(
    site: str, browser: Browser, instance: Instance
) -> None:
    alice = customer(browser, site)

    # Not a photo: refused on the page at once, and by the server when only its name lies.
    alice.set_input_files("#photo-input", {"name": "notes.txt", "mimeType": "text/plain", "buffer": b"hello"})
    alice.wait_for_selector(".msg.system.error:has-text('只能发送图片')")
    alice.set_input_files("#photo-input", {"name": "fake.png", "mimeType": "image/png", "buffer": b"not a png"})
    alice.wait_for_selector(".msg.customer.failed")
    assert alice.locator(".msg.system.error:has-text('Only photos can be sent')").count() == 2

    # A photo of the damage: shown in her bubble, and the bot asks about it.
    bots = alice.locator(".msg.bot").count()
    alice.set_input_files(
        "#photo-input", {"name": "破损.jpg", "mimeType": "image/jpeg", "buffer": photo("JPEG", "red")}
    )
    shown(alice, ".msg.customer .attachments img.photo-thumb")
    alice.wait_for_function("n => document.querySelectorAll('.msg.bot').length > n", arg=bots)
    screenshot(alice, "chat-photo-sent.png")
    alice.click(".msg.customer .attachments a.photo")  # the whole photo, over the chat
    alice.wait_for_selector("#lightbox:not([hidden])")
    shown(alice, "#lightbox-image")
    screenshot(alice, "chat-lightbox.png")
    alice.keyboard.press("Escape")
    alice.wait_for_selector("#lightbox", state="hidden")

    alice.fill("#input", "转人工")
    alice.press("#input", "Enter")
    alice.wait_for_selector("#handoff-banner:not([hidden])")

    # The agent claims the chat and sees her photo beside her messages.
    wang = agent(browser, site, "wangfang")
    ticket = ticket_of(instance, alice)
    wang.click(ticket_in(wang, "queue", ticket) + " .claim")
    shown(wang, "#transcript .msg.customer .attachments img.photo-thumb")
    full = wang.locator("#transcript .msg.customer .attachments a.photo").last.get_attribute("href")
    assert full and "/media/" in full and "sig=" in full

    # …and sends one back: uploaded when chosen, sent with the reply.
    wang.set_input_files("#reply-file", {"name": "label.png", "mimeType": "image/png", "buffer": photo("PNG", "blue")})
    wang.wait_for_selector("#reply-files .staged-thumb")
    wang.fill("#reply-input", "这是您包裹的面单照片")
    screenshot(wang, "console-staged.png")
    wang.click("#send-reply")
    shown(wang, "#transcript .msg.agent .attachments img.photo-thumb")
    shown(alice, ".msg.agent .attachments img.photo-thumb")
    assert "面单照片" in alice.locator(".msg.agent").last.inner_text()
    screenshot(alice, "chat-photos.png")
    screenshot(wang, "console-photos.png")

    # Both photos come back with the history, through fresh links.
    alice.reload()
    shown(alice, ".msg.agent .attachments img.photo-thumb")
    shown(alice, ".msg.customer .attachments img.photo-thumb")
