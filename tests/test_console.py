"""The live agent console in headless Chromium: two agents and two customers on one desk.

Everything an agent sees arrives over the console's socket (no reloads): tickets queue, a
colleague's claim takes one away, customer messages appear in the open chat; what the agent
does reaches the customer's page live.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from sqlalchemy import select

from bot.store import Conversation
from core.config import Settings
from handoff.agents import hash_password
from handoff.models import Agent, CannedReply, EscalationKeyword, Rating, Ticket
from tests.servers import serve_in_thread
from tests.test_browser import ARGS, CHROMIUM
from triage.app import create_app
from triage.wiring import Instance

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)"),
]
PASSWORD = "desk-test-pw"
TIMEOUT = 15_000  # ms: live updates land in well under a second; this allows for a loaded CI machine


@pytest.fixture
def site(tmp_path: Path, instance: Instance) -> Iterator[str]:
    """The app with two agents (王芳: tracking, 李军: payments; both general), canned replies, and
    a staff keyword that sends a customer straight to the payments desk."""
    with instance.db.session() as s:
        hashed = hash_password(PASSWORD)
        s.add_all(
            [
                Agent(username="wangfang", display_name="王芳", password_hash=hashed, skills=["tracking", "general"]),
                Agent(username="lijun", display_name="李军", password_hash=hashed, skills=["payments", "general"]),
                CannedReply(title="稍等", text_zh="我帮您查询一下，请稍等。", text_en="Let me check, one moment."),
                CannedReply(
                    title="改收款账户", text_zh="请更新收款账户。", text_en="Update the account.", queue="payments"
                ),
                EscalationKeyword(keyword="回款专员", queue="payments"),
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


def customer(browser: Browser, site: str) -> Page:
    """A customer on the chat page, in a browser context of their own."""
    page = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN").new_page()
    page.set_default_timeout(TIMEOUT)
    page.goto(site + "/")
    page.wait_for_selector("#status[data-state=online]")
    return page


def agent(browser: Browser, site: str, username: str) -> Page:
    """An agent logged in to the console on a laptop screen, its socket connected."""
    page = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN").new_page()
    page.set_default_timeout(TIMEOUT)
    page.on("dialog", lambda dialog: dialog.accept())  # the confirms before resolve, hand back, transfer
    page.goto(site + "/console")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#login")
    page.wait_for_selector("#status[data-state=online]")
    return page


def ask(page: Page, text: str) -> None:
    """The customer asks and waits for the bot's answer."""
    before = page.locator(".msg.bot, .msg.agent").count()
    say(page, text)
    page.wait_for_function("n => document.querySelectorAll('.msg.bot, .msg.agent').length > n", arg=before)


def say(page: Page, text: str) -> None:
    """The customer writes (to a person: no answer comes back from the bot)."""
    page.wait_for_selector("#composer:not([aria-busy=true])")
    page.fill("#input", text)
    page.press("#input", "Enter")


def ticket_of(instance: Instance, page: Page) -> int:
    sender = page.evaluate("localStorage.getItem('triage_sender')")
    with instance.db.session() as s:
        return s.scalars(
            select(Ticket.id)
            .join(Conversation, Conversation.id == Ticket.conversation_id)
            .where(Conversation.sender_id == sender)
        ).one()


def ticket_in(page: Page, panel: str, ticket_id: int) -> str:
    return f'#{panel} .ticket[data-id="{ticket_id}"]'


def screenshot(page: Page, name: str) -> None:
    if os.environ.get("TRIAGE_SCREENSHOTS"):
        page.screenshot(path=str(Path(os.environ["TRIAGE_SCREENSHOTS"]) / name))


def test_two_agents_share_the_queue_live_and_serve_two_customers(
    site: str, browser: Browser, instance: Instance
) -> None:
    wang, li = agent(browser, site, "wangfang"), agent(browser, site, "lijun")
    assert "王芳" in wang.inner_text("#me-name") and "李军" in li.inner_text("#me-name")

    alice, bob = customer(browser, site), customer(browser, site)
    ask(alice, "转人工")
    ask(bob, "货款半个月都没到！！！找回款专员")
    general, payments = ticket_of(instance, alice), ticket_of(instance, bob)

    # Both tickets queue live: the general one for both agents, the payments one for 李军 only,
    # with its labels as badges.
    li.wait_for_selector(ticket_in(li, "queue", payments))
    li.wait_for_selector(ticket_in(li, "queue", general))
    with instance.db.session() as s:
        labels = s.get_one(Ticket, payments).labels
    assert "keyword" in labels
    for label in labels:
        assert li.locator(ticket_in(li, "queue", payments) + f" .badge.label-{label}").count() == 1
    wang.wait_for_selector(ticket_in(wang, "queue", general) + " .countdown[data-due]")
    assert wang.locator(ticket_in(wang, "queue", payments)).count() == 0
    # Counted on the desk's clock (10:00 in these tests), not the browser's: 3 minutes to answer.
    assert re.fullmatch(r"剩 [23]:\d\d left", wang.inner_text(ticket_in(wang, "queue", general) + " .countdown"))

    # 王芳 claims the general ticket: it leaves 李军's queue live, and his claim is refused.
    wang.click(ticket_in(wang, "queue", general) + " .claim")
    wang.wait_for_selector(ticket_in(wang, "mine", general) + ".selected")
    wang.wait_for_selector("#transcript .msg.customer:has-text('转人工')")
    li.wait_for_selector(ticket_in(li, "queue", general), state="detached")
    token = li.evaluate("sessionStorage.getItem('triage_agent_token')")
    refused = httpx.post(f"{site}/api/agent/tickets/{general}/claim", headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 409
    assert "客户要求转人工" in wang.inner_text("#context #summary")
    alice.wait_for_selector(".msg.agent:has-text('王芳')")  # the greeting sent on claim

    # Replies both ways, live.
    wang.fill("#reply-input", "您好，请问是哪一笔订单？")
    wang.click("#send-reply")
    alice.wait_for_selector(".msg.agent:has-text('请问是哪一笔订单')")
    say(alice, "就是上周买的那件卫衣")
    wang.wait_for_selector("#transcript .msg.customer:has-text('上周买的那件卫衣')")

    # A private note shows in the console, marked, and never reaches the customer.
    wang.fill("#note-input", "客户语气平和，先查物流")
    wang.click("#add-note")
    wang.wait_for_selector("#transcript .msg.note:has-text('先查物流')")
    sender = alice.evaluate("localStorage.getItem('triage_sender')")
    history = httpx.get(f"{site}/conversations/{sender}").json()["messages"]
    assert not any("先查物流" in (m["text"] or "") for m in history)
    assert "先查物流" not in alice.inner_text("#messages")

    # Agent assist: the knowledge base's answer to what she just asked goes in the reply box with
    # one click, to edit before sending.
    say(alice, "对了，一般下单后多久发货？")
    wang.wait_for_selector("#assist .assist-chip[data-entry=shipping_dispatch_time]")
    wang.click("#assist .assist-chip[data-entry=shipping_dispatch_time]")
    assert "16:00" in wang.input_value("#reply-input")
    wang.fill("#reply-input", "")

    # A canned reply goes in, in the customer's language, and out.
    wang.select_option("#canned", label="稍等")
    assert wang.input_value("#reply-input") == "我帮您查询一下，请稍等。"
    wang.click("#send-reply")
    alice.wait_for_selector(".msg.agent:has-text('我帮您查询一下')")

    # 李军 takes the payments ticket and passes it to the general queue: 王芳 sees it arrive.
    li.click(ticket_in(li, "queue", payments) + " .claim")
    li.wait_for_selector("#transcript .msg.customer:has-text('货款')")
    assert "keyword" in li.inner_text("#context")
    li.select_option("#transfer-queue", "general")
    li.wait_for_selector(ticket_in(li, "mine", payments), state="detached")
    wang.wait_for_selector(ticket_in(wang, "queue", payments))
    bob.wait_for_selector(".msg:has-text('转接其他同事')")
    screenshot(wang, "console.png")

    # 王芳 resolves: the customer is asked for a rating, and the 5 is stored for her.
    wang.click("#resolve")
    wang.wait_for_selector(ticket_in(wang, "mine", general), state="detached")
    wang.wait_for_selector("#readonly[data-status=resolved]")
    alice.click(".chip:has-text('5 非常满意')")
    alice.wait_for_selector(".msg.bot:has-text('感谢您的评价')")
    with instance.db.session() as s:
        rating = s.scalars(select(Rating)).one()
        wang_id = s.scalars(select(Agent.id).where(Agent.username == "wangfang")).one()
        assert (rating.score, rating.ticket_id, rating.agent_id) == (5, general, wang_id)


def test_hand_back_returns_the_customer_to_the_bot_without_a_survey(
    site: str, browser: Browser, instance: Instance
) -> None:
    page = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
    page.set_default_timeout(TIMEOUT)
    page.goto(site + "/console")
    page.fill("#username", "wangfang")
    page.fill("#password", "wrong")
    page.click("#login")
    page.wait_for_selector("#login-error:has-text('用户名或密码错误')")
    page.context.close()

    wang = agent(browser, site, "wangfang")
    wang.select_option("#presence", "away")
    wang.wait_for_selector("#presence[data-presence=away]")
    wang.wait_for_selector("#flash.info:has-text('不会再给您分配新会话')")  # told what away means
    wang.reload()  # the session survives a reload (sessionStorage), presence too
    wang.wait_for_selector("#status[data-state=online]")
    assert wang.input_value("#presence") == "away"

    alice = customer(browser, site)
    ask(alice, "转人工")
    ticket = ticket_of(instance, alice)
    waiting = ticket_in(wang, "queue", ticket)
    wang.wait_for_selector(waiting + " .claim-off")  # away: no Claim button, and why
    assert wang.locator(waiting + " .claim").count() == 0
    wang.select_option("#presence", "online")
    wang.wait_for_selector("#flash.info:has-text('可以接入')")
    wang.click(waiting + " .claim")
    wang.wait_for_selector("#transcript .msg.customer:has-text('转人工')")
    wang.click("#handback")
    wang.wait_for_selector("#readonly[data-status=handed_back]")

    alice.wait_for_selector(".msg:has-text('智能助手小优继续为您服务')")
    assert alice.locator(".chip[data-payload^='/csat']").count() == 0
    ask(alice, "下单后多久发货")
    assert "48小时" in alice.locator(".msg.bot .bubble").last.inner_text()
    with instance.db.session() as s:
        assert s.get_one(Ticket, ticket).status == "handed_back"
        assert s.scalars(select(Rating)).first() is None


def test_the_context_panel_says_in_words_what_the_systems_wrote(
    site: str, browser: Browser, instance: Instance
) -> None:
    from tests import merchant

    merchant.load(instance.db)
    with instance.db.session() as s:
        s.add(Agent(username="zhaomin", display_name="赵敏", password_hash=hash_password(PASSWORD), skills=["claims"]))

    def rest(text: str) -> list[dict[str, Any]]:
        return list(
            httpx.post(f"{site}/webhooks/rest/webhook", json={"sender": "alice", "message": text}, timeout=30).json()
        )

    rest(f"收到的东西摔坏了 {merchant.DAMAGED}")
    rest("1234")
    assert any("理赔单" in r["text"] for r in rest("陶瓷马克杯"))
    rest("你们到底什么时候处理？？气死我了，垃圾")  # angry while waiting: the ticket moves up
    with instance.db.session() as s:
        ticket = s.scalars(select(Ticket)).one()
    zhao = agent(browser, site, "zhaomin")
    zhao.click(ticket_in(zhao, "queue", ticket.id) + " .claim")
    zhao.wait_for_selector("#lookup .lookup-card[data-kind=claim]")
    card = zhao.inner_text("#lookup .lookup-card[data-kind=claim]")
    assert "超时上报 Reported late" in card and "否 No" in card and "破损 Damage" in card
    assert "late" not in card.replace("Reported late", "") and "false" not in card
    assert "普通 Regular" in zhao.inner_text("#customer") and "regular" not in zhao.inner_text("#customer")
    assert "网页" in zhao.inner_text("#facts") or "接口 API" in zhao.inner_text("#facts")
    transcript = zhao.inner_text("#transcript")
    assert "情绪激动" in transcript and "escalated" not in transcript.replace("escalated to", "")
    assert "理赔 Claim" in transcript and "claim\n" not in transcript  # what each turn was about, in words


def test_a_supervisor_on_a_phone_reads_the_queue_and_a_ticket(site: str, browser: Browser, instance: Instance) -> None:
    with instance.db.session() as s:
        s.add(Agent(username="chenlei", display_name="陈磊", password_hash=hash_password(PASSWORD), role="supervisor"))
    alice = customer(browser, site)
    ask(alice, "我的货款半个月了还没到账，转人工")
    ticket = ticket_of(instance, alice)
    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True).new_page()
    phone.set_default_timeout(TIMEOUT)
    phone.goto(site + "/console")
    phone.fill("#username", "chenlei")
    phone.fill("#password", PASSWORD)
    phone.click("#login")
    phone.wait_for_selector("#status[data-state=online]")
    waiting = ticket_in(phone, "queue", ticket)
    phone.wait_for_selector(waiting)
    assert phone.is_visible(waiting) and phone.is_visible("#desk-links")
    phone.click(waiting + " .ticket-open")
    phone.wait_for_selector("#transcript .msg.customer:has-text('货款半个月')")
    assert phone.is_visible("#transcript .msg.customer")
    # Nothing runs off the side: the page is no wider than the phone, and the summary is readable.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 392
    assert "货款半个月" in phone.inner_text("#summary")
    screenshot(phone, "console-phone.png")
