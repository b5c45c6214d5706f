"""The chat widget on a page of the merchant's own shop (another origin), in headless Chromium:
it chats, keeps the conversation through a reload, skips the phone check for a shopper the shop
signed in, and sends a photo that the agent sees and the claim records."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from PIL import Image
from sqlalchemy import select

from bot.identity import sign
from core.config import Settings
from merchant.models import Claim
from tests import merchant
from tests.servers import serve_in_thread
from tests.test_browser import ARGS, CHROMIUM
from triage.app import create_app
from triage.wiring import Instance

if TYPE_CHECKING:
    from playwright.sync_api import FrameLocator, Page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)"),
]
SECRET = "widget-identity-secret-for-tests"
SHOP_PAGE = """<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>优选生活 · 商品页</title></head>
<body><h1>陶瓷马克杯</h1><p>一件商品的页面。</p>
<script src="{chat}/widget.js" async data-lang="zh" data-customer-phone="{phone}"
        data-customer-expires="{expires}" data-customer-signature="{signature}"></script></body></html>"""


@pytest.fixture
def identity_secret() -> str:
    return SECRET


@pytest.fixture
def sites(tmp_path: Path, instance: Instance) -> Iterator[tuple[str, str]]:
    """(the chat server, the shop): the shop on another host name and port, so another origin,
    which the chat server lets frame it (TRIAGE_CORS_ORIGINS)."""
    merchant.load(instance.db)
    page: dict[str, str] = {}
    shop = FastAPI()

    @shop.get("/product/mug")
    async def product() -> HTMLResponse:
        return HTMLResponse(page["html"])

    @shop.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    with serve_in_thread(shop) as shop_base:
        shop_base = shop_base.replace("127.0.0.1", "localhost")
        settings = Settings.from_env({"TRIAGE_CORS_ORIGINS": shop_base}, data_dir=str(tmp_path))
        with serve_in_thread(create_app(settings, instance=instance)) as chat_base:
            expires = int(time.time()) + 3600
            page["html"] = SHOP_PAGE.format(
                chat=chat_base,
                phone=merchant.ALICE_PHONE,
                expires=expires,
                signature=sign(merchant.ALICE_PHONE, SECRET, expires),
            )
            yield chat_base, shop_base


def open_chat(page: Page) -> FrameLocator:
    frame = page.frame_locator(".triage-panel iframe")
    frame.locator("#status[data-state=online]").wait_for(timeout=15000)
    return frame


def say(frame: FrameLocator, text: str) -> None:
    before = frame.locator(".msg.bot").count()
    frame.locator("#input").fill(text)
    frame.locator("#input").press("Enter")
    frame.locator(".msg.bot").nth(before).wait_for(timeout=15000)


def test_the_widget_on_the_shops_page_chats_survives_a_reload_and_sends_a_photo(
    sites: tuple[str, str], instance: Instance
) -> None:
    from playwright.sync_api import sync_playwright

    chat_server, shop = sites
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        page.goto(shop + "/product/mug")
        page.click(".triage-launcher")
        frame = open_chat(page)

        # Signed in at the shop: her orders, with no question about her phone.
        say(frame, "我的订单到哪了")
        text = frame.locator(".msg.bot").last.inner_text()
        assert "后四位" not in text
        assert merchant.IN_TRANSIT in frame.locator(".msg.bot").last.inner_text() + " ".join(
            frame.locator(".msg.bot").last.locator(".chip").all_inner_texts()
        )

        # Another page of the shop, or a reload: the panel is open again with the conversation.
        page.reload()
        frame = open_chat(page)
        frame.locator(".msg.customer:has-text('我的订单到哪了')").wait_for(timeout=15000)

        # Her mug arrived broken: the claim is opened on it, and her photo is added to it.
        say(frame, f"杯子摔坏了 {merchant.DAMAGED}")
        assert "理赔单" in " ".join(frame.locator(".msg.bot").all_inner_texts()[-2:])
        before = frame.locator(".msg.bot").count()
        out = io.BytesIO()
        Image.new("RGB", (400, 300), "white").save(out, format="JPEG")
        frame.locator("#photo-input").set_input_files(
            {"name": "mug.jpg", "mimeType": "image/jpeg", "buffer": out.getvalue()}
        )
        frame.locator(".msg.bot").nth(before).wait_for(timeout=15000)
        assert "已附到理赔单" in frame.locator(".msg.bot").last.inner_text()
        browser.close()

    with instance.db.session() as s:
        claim = s.scalars(select(Claim).where(Claim.conversation_sender.is_not(None))).one()
        photos, sender = list(claim.photos), claim.conversation_sender
    assert len(photos) == 1 and claim.status == "under_review"
    # What the agent's console reads: the photo in the transcript, with a link that works.
    conversation = httpx.get(f"{chat_server}/conversations/{sender}", timeout=10).json()
    assert conversation["channel"] == "widget"
    sent = [m for m in conversation["messages"] if (m.get("custom") or {}).get("attachments")]
    attachment = sent[-1]["custom"]["attachments"][0]
    assert attachment["media_id"] == photos[0]
    url = attachment["url"] if attachment["url"].startswith("http") else chat_server + attachment["url"]
    assert httpx.get(url, timeout=10).status_code == 200
