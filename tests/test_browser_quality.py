"""Quality review in headless Chromium: a supervisor draws a sample of one agent's resolved chats,
scores one and finishes it; that agent then reads the review on a phone, and a colleague does not."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from core.config import Settings
from tests.servers import serve_in_thread
from tests.test_browser import ARGS, CHROMIUM
from tests.test_quality import PASSWORD, chat_closed, person
from triage.app import create_app
from triage.wiring import Instance

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)"),
]
TIMEOUT = 15_000  # ms


@pytest.fixture
def site(tmp_path: Path, instance: Instance) -> Iterator[tuple[str, dict[str, int]]]:
    """A supervisor and two agents, each agent with three chats resolved on the desk's today."""
    ids = {
        name: person(instance.db, name, role)
        for name, role in (("chen", "supervisor"), ("wang", "agent"), ("li", "agent"))
    }
    for name in ("wang", "li"):
        for _ in range(3):
            chat_closed(instance.db, ids[name])
    with serve_in_thread(create_app(Settings.from_env({}, data_dir=str(tmp_path)), instance=instance)) as base:
        yield base, ids


@pytest.fixture
def browser() -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield browser
        browser.close()


def logged_in(browser: Browser, base: str, username: str, *, phone: bool = False) -> Page:
    viewport = {"width": 390, "height": 844} if phone else {"width": 1366, "height": 768}
    page = browser.new_context(viewport=viewport, locale="zh-CN").new_page()  # type: ignore[arg-type]
    page.set_default_timeout(TIMEOUT)
    page.goto(base + "/quality")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#login")
    page.wait_for_selector("#app:not([hidden])")
    return page


def screenshot(page: Page, name: str) -> None:
    if os.environ.get("TRIAGE_SCREENSHOTS"):
        page.screenshot(path=str(Path(os.environ["TRIAGE_SCREENSHOTS"]) / name))


def test_a_supervisor_scores_a_sampled_chat_and_only_its_agent_sees_the_review(
    site: tuple[str, dict[str, int]], browser: Browser
) -> None:
    base, ids = site
    chen = logged_in(browser, base, "chen")

    # Draw two of 王's chats (the dates default to the 30 days up to the desk's today).
    chen.wait_for_selector("#tab-samples[aria-selected=true]")
    chen.wait_for_selector(f"#draw-agent option[value='{ids['wang']}']", state="attached")
    chen.select_option("#draw-agent", str(ids["wang"]))
    chen.fill("#draw-size", "2")
    chen.click("#draw")
    rows = chen.locator("#samples .review-row")
    rows.nth(1).wait_for()
    assert rows.count() == 2
    assert all("Wang" in t for t in rows.all_inner_texts())
    assert chen.locator("#samples .review-row[data-status=todo]").count() == 2

    # Score the first: the transcript beside the checklist, the total as it is scored.
    rows.first.click()
    review_id = rows.first.get_attribute("data-id")
    chen.wait_for_selector(f"#review-view[data-id='{review_id}']")
    assert "我的快递三天没动了" in chen.inner_text("#review-transcript .msg.customer")
    assert chen.locator("#review-transcript .msg.agent").count() == 1
    for key, score in (("greeting", "2"), ("accuracy", "2"), ("policy", "2"), ("tone", "1"), ("resolution", "2")):
        chen.click(f"#review-items .score-item[data-key={key}] .seg:has(input[value='{score}'])")
    assert chen.inner_text("#review-total") == "90.0"
    chen.fill("#review-comment", "语气可以更热情一些")
    chen.click("#finish")
    chen.wait_for_selector(f"#samples .review-row[data-id='{review_id}'][data-status=done]")
    assert chen.inner_text(f"#samples .review-row[data-id='{review_id}'] .row-total") == "90.0"
    screenshot(chen, "quality-scoring.png")

    # 王 reads it on a phone: the score, item by item, and the comment; no supervisor's tabs.
    wang = logged_in(browser, base, "wang", phone=True)
    card = wang.locator(f"#mine-list .my-review[data-id='{review_id}']")
    card.wait_for()
    assert card.locator(".total").inner_text() == "90.0"
    assert "语气可以更热情一些" in card.locator(".comment").inner_text()
    assert "部分达标" in card.locator(".my-scores dd[data-key=tone]").inner_text()
    assert wang.locator("#mine-list .my-review").count() == 1
    assert wang.locator("#tab-samples").is_hidden() and wang.locator("#tab-checklist").is_hidden()
    screenshot(wang, "quality-mine-phone.png")

    # 李 has no review of his own, and sees none of 王's.
    li = logged_in(browser, base, "li")
    li.wait_for_selector("#mine-empty:not([hidden])")
    assert li.locator("#mine-list .my-review").count() == 0
