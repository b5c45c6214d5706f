"""The supervisor's report page (/reports) in headless Chromium, over a generated month.

A supervisor logs in: the month's charts draw (ECharts canvases with their series), the tiles
show the report API's figures, a tile and a day on the chart list the conversations behind them,
a transcript opens, the CSV export downloads, the filters narrow the figures and survive a
reload; on a phone the page fits the screen, its charts with it. An agent is told the page is for
supervisors. Nothing on the page trips its Content-Security-Policy.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from core.config import Settings
from handoff.agents import hash_password
from handoff.models import Agent
from tests.conftest import NOW
from tests.servers import serve_in_thread
from tests.test_browser import ARGS, CHROMIUM
from triage import history
from triage.app import create_app
from triage.wiring import Instance

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)"),
]
PASSWORD = "reports-test-pw"
TIMEOUT = 15_000  # ms; every step answers in well under a second, this allows for a loaded CI machine
TODAY = NOW.date()  # the desk's clock in tests: Monday 2026-11-23, 10:00 China time
MONTH = ("2026-10-25", "2026-11-23")  # the page's default period: the last 30 days
PERIOD = {"from": MONTH[0], "to": MONTH[1]}
CHARTS = ("chart-volume", "chart-rates", "chart-csat", "chart-reasons", "chart-topics", "chart-sla", "chart-quality")


@pytest.fixture
def site(tmp_path: Path, instance: Instance) -> Iterator[str]:
    """The app with a supervisor (张敏) and an agent (王芳)."""
    with instance.db.session() as s:
        hashed = hash_password(PASSWORD)
        s.add_all(
            [
                Agent(username="zhangmin", display_name="张敏", password_hash=hashed, role="supervisor"),
                Agent(username="wangfang", display_name="王芳", password_hash=hashed, skills=["tracking", "general"]),
            ]
        )
    with serve_in_thread(create_app(Settings.from_env({}, data_dir=str(tmp_path)), instance=instance)) as base:
        yield base


@pytest.fixture
def month(site: str, instance: Instance) -> str:
    """The same app over the 30 days up to the desk's today, ~40 contacts a day (triage/history.py),
    a dozen of the chats people resolved reviewed for quality (through /api/quality)."""
    history.generate(instance.db, days=30, per_day=40, seed=19, end=TODAY, now=NOW)
    login = httpx.post(f"{site}/api/agent/login", json={"username": "zhangmin", "password": PASSWORD}).json()
    auth = {"Authorization": f"Bearer {login['token']}"}
    items = httpx.get(f"{site}/api/quality/checklist", headers=auth).json()["items"]
    sample = httpx.post(
        f"{site}/api/quality/samples", json={"from": MONTH[0], "to": MONTH[1], "size": 12, "seed": 19}, headers=auth
    ).json()
    for n, review in enumerate(sample["reviews"]):
        scores = {item["key"]: (1 if (n + i) % 3 == 0 else 2) for i, item in enumerate(items)}
        saved = httpx.put(
            f"{site}/api/quality/reviews/{review['id']}", json={"scores": scores, "done": True}, headers=auth
        )
        assert saved.status_code == 200, saved.text
    return site


@pytest.fixture
def browser() -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield browser
        browser.close()


def staff(browser: Browser, site: str, username: str, width: int = 1280, height: int = 800) -> tuple[Page, list[str]]:
    """A member of staff logged in to /reports; the list collects page errors and refused content."""
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN", accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("console", lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(site + "/reports")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#login")
    page.wait_for_selector("#app:not([hidden])")
    return page, problems


def report_api(site: str, page: Page, path: str, **params: Any) -> Any:
    """What the report API answers the page's session (its bearer token) for the same question."""
    token = page.evaluate("sessionStorage.getItem('triage_agent_token')")
    response = httpx.get(f"{site}{path}", params=params, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert response.status_code == 200, response.text
    return response.json() if "json" in response.headers["content-type"] else response.text


def drawn(page: Page, chart_id: str) -> dict[str, Any]:
    """A chart's canvas size and its series' data, as ECharts holds them."""
    return page.evaluate(
        """id => {
            const box = document.getElementById(id);
            const chart = echarts.getInstanceByDom(box);
            const canvas = box.querySelector('canvas');
            return {
                width: canvas ? canvas.getBoundingClientRect().width : 0,
                height: canvas ? canvas.getBoundingClientRect().height : 0,
                series: chart ? chart.getOption().series.map(s => s.data) : [],
            };
        }""",
        chart_id,
    )


def tile(page: Page, key: str) -> tuple[str, str]:
    """A key-figure tile's raw value (data-value) and the figure it shows."""
    locator = page.locator(f'.kpi[data-kpi="{key}"]')
    return str(locator.get_attribute("data-value")), locator.locator(".kpi-value").inner_text()


def shown_rate(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def screenshot(page: Page, name: str) -> None:
    if os.environ.get("TRIAGE_SCREENSHOTS"):
        page.screenshot(path=str(Path(os.environ["TRIAGE_SCREENSHOTS"]) / name), full_page=True)


def test_supervisor_reads_the_month_drills_down_and_exports_on_a_laptop_and_a_phone(
    month: str, browser: Browser
) -> None:
    site = month
    page, problems = staff(browser, site, "zhangmin")
    page.wait_for_selector(f'#report[data-state=ready][data-period="{MONTH[0]}..{MONTH[1]}"]')
    assert page.is_checked("#period-30d")
    summary = report_api(site, page, "/api/reports/summary", **PERIOD)
    days = report_api(site, page, "/api/reports/daily", **PERIOD)["days"]
    assert summary["bot"]["conversations"] > 300 and summary["people"]["handoffs"] > 30  # a month of traffic

    # The charts draw on canvas, over the month's figures.
    for chart_id in CHARTS:
        chart = drawn(page, chart_id)
        assert chart["width"] > 100 and chart["height"] > 100, chart_id
        assert chart["series"] and all(len(data) for data in chart["series"]), chart_id
    volume = drawn(page, "chart-volume")["series"]
    assert volume[0] == [d["conversations"] for d in days] and volume[1] == [d["handoffs"] for d in days]
    assert len(drawn(page, "chart-rates")["series"][0]) == 30

    # The tiles show the API's figures for the same period.
    bot, people = summary["bot"], summary["people"]
    assert tile(page, "conversations") == (str(bot["conversations"]), f"{bot['conversations']:,}")
    assert tile(page, "handoffs") == (str(people["handoffs"]), f"{people['handoffs']:,}")
    for key, rate in (
        ("containment", bot["containment_rate"]),
        ("fallback", bot["fallback_rate"]),
        ("answer-rate", people["answer_rate"]),
        ("fcr", people["fcr_rate"]),
    ):
        value, text = tile(page, key)
        assert float(value) == rate, key
        assert abs(float(text.rstrip("%")) - rate * 100) <= 0.05, (key, text, rate)
    in_target = re.search(r"in target ([\d.]+)%", page.inner_text('.kpi[data-kpi="answer-rate"] .kpi-sub'))
    assert in_target and abs(float(in_target[1]) - people["answer_rate_in_target"] * 100) <= 0.05
    for key, csat in (("bot-csat", bot["csat"]), ("human-csat", people["csat"])):
        value, text = tile(page, key)
        assert float(value) == csat["average"], key
        assert abs(float(text.split()[0]) - csat["average"]) <= 0.005, (key, text)
    met = sum(q["met"] for q in people["sla_by_queue"].values())
    judged = sum(q["tickets"] for q in people["sla_by_queue"].values())
    assert abs(float(tile(page, "sla")[0]) - met / judged) < 1e-9
    # Codes are named, never shown raw.
    reasons = page.evaluate(
        "id => echarts.getInstanceByDom(document.getElementById(id)).getOption().yAxis[0].data", "chart-reasons"
    )
    assert reasons and not any(re.fullmatch(r"[a-z_]+", name) for name in reasons), reasons
    screenshot(page, "reports.png")

    # A tile lists the conversations behind it, a page at a time; one opens as a transcript.
    page.click('.kpi[data-kpi="handoffs"]')
    page.wait_for_selector("#drill[open] #drill-rows tr.conversation")
    handoffs = report_api(site, page, "/api/reports/conversations", metric="handoff", limit=20, **PERIOD)
    assert f"共 {handoffs['total']} 个会话" in page.inner_text("#drill-total")
    assert page.locator("#drill-rows tr.conversation").count() == len(handoffs["conversations"]) == 20
    first = page.locator("#drill-rows tr.conversation").first.get_attribute("data-id")
    assert first == handoffs["conversations"][0]["conversation_id"]
    page.click("#drill-next")
    page.wait_for_selector("#drill-page:has-text('2 /')")
    page.locator("#drill-rows tr.conversation .view").first.click()
    page.wait_for_selector("#transcript li.line.customer")
    page.click("#drill-back")
    page.wait_for_selector("#drill-list-view:not([hidden])")
    page.click("#drill-close")
    page.wait_for_selector("#drill:not([open])", state="attached")

    # A day's point on the chart lists that day's handoffs.
    day = max(range(len(days)), key=lambda i: days[i]["handoffs"])
    point = page.evaluate(
        "at => echarts.getInstanceByDom(document.getElementById('chart-volume')).convertToPixel({seriesIndex: 1}, at)",
        [day, days[day]["handoffs"]],
    )
    page.locator("#chart-volume").scroll_into_view_if_needed()
    box = page.locator("#chart-volume").bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + point[0], box["y"] + point[1])
    page.wait_for_selector("#drill[open] #drill-rows tr.conversation")
    assert days[day]["day"] in page.inner_text("#drill-scope")
    that_day = report_api(site, page, "/api/reports/conversations", metric="handoff", day=days[day]["day"], **PERIOD)
    assert f"共 {that_day['total']} 个会话" in page.inner_text("#drill-total")
    page.keyboard.press("Escape")
    page.wait_for_selector("#drill:not([open])", state="attached")

    # The days download as CSV, with a header row.
    with page.expect_download() as download:
        page.click('.export[data-view="daily"][data-format="csv"]')
    rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8-sig"))))
    assert any("day" in cell.lower() or "日期" in cell for cell in rows[0]), rows[0]
    assert len(rows) >= 31
    page.wait_for_selector("#export-status:has-text('已导出')")

    # The queue filter narrows the people's figures, and the address keeps it for a reload.
    page.select_option("#filter-queue", "tracking")
    page.wait_for_function("() => location.hash.includes('queue=tracking')")
    page.wait_for_selector("#report[data-state=ready]")
    tracking = report_api(site, page, "/api/reports/summary", queue="tracking", **PERIOD)
    page.wait_for_selector(f'.kpi[data-kpi="handoffs"][data-value="{tracking["people"]["handoffs"]}"]')
    assert tracking["people"]["handoffs"] < people["handoffs"]
    page.click("label[for=period-7d]")
    page.wait_for_selector('#report[data-state=ready][data-period="2026-11-17..2026-11-23"]')
    page.reload()
    page.wait_for_selector('#report[data-state=ready][data-period="2026-11-17..2026-11-23"]')
    assert page.input_value("#filter-queue") == "tracking" and page.is_checked("#period-7d")
    assert not problems, problems

    # On a phone the page fits the screen, its charts with it, and the drill-down too.
    phone, problems = staff(browser, site, "zhangmin", width=390, height=844)
    phone.wait_for_selector(f'#report[data-state=ready][data-period="{MONTH[0]}..{MONTH[1]}"]')
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    for chart_id in CHARTS:
        chart = drawn(phone, chart_id)
        assert 200 < chart["width"] <= 370 and chart["height"] > 150, (chart_id, chart)
    screenshot(phone, "reports-phone.png")
    phone.click('.kpi[data-kpi="fcr"]')
    phone.wait_for_selector("#drill[open] #drill-rows tr.conversation")
    view = phone.locator("#drill-rows tr.conversation .view").first.bounding_box()
    assert view is not None and view["x"] + view["width"] <= 390
    assert not problems, problems


def test_an_agent_is_told_the_page_is_for_supervisors(site: str, browser: Browser) -> None:
    page, problems = staff(browser, site, "wangfang")
    page.wait_for_selector("#role-note:not([hidden])")
    assert "主管" in page.inner_text("#role-note") and "supervisors" in page.inner_text("#role-note")
    assert page.locator("#report").is_hidden()
    assert not problems, problems


def test_the_page_loads_only_its_own_scripts_and_styles(site: str) -> None:
    """The policy allows the app's own files only: ECharts is one of them, and nothing is inline."""
    html = httpx.get(f"{site}/reports").text
    scripts = re.findall(r"<script[^>]*\bsrc=\"([^\"]+)\"", html)
    assert "/staff/static/vendor/echarts/echarts.min.js" in scripts
    assert all(src.startswith("/staff/static/") for src in scripts)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert not re.search(r"<style\b|\sstyle=|\son[a-z]+=", html)
    for path in ("/staff/static/vendor/echarts/echarts.min.js", "/staff/static/vendor/echarts/LICENSE"):
        assert httpx.get(f"{site}{path}").status_code == 200
