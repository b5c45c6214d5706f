"""The API docs page draws with nothing but this server: no CDN (offline, on premises, mainland)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from core.config import Settings
from tests.servers import serve_in_thread
from tests.test_browser import ARGS, CHROMIUM, pytestmark  # noqa: F401  (Chromium, or skipped)
from triage.app import create_app
from triage.wiring import Instance


@pytest.fixture
def site(tmp_path: Path, instance: Instance) -> Iterator[str]:
    with serve_in_thread(create_app(Settings.from_env({}, data_dir=str(tmp_path)), instance=instance)) as base:
        yield base


def test_the_docs_page_draws_the_api_with_every_other_host_unreachable(site: str) -> None:
    from playwright.sync_api import Route, sync_playwright

    elsewhere: list[str] = []

    def only_this_server(route: Route) -> None:
        if route.request.url.startswith(site):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        page = browser.new_page()
        page.route("**/*", only_this_server)
        page.goto(site + "/docs")
        page.wait_for_selector(".swagger-ui .info .title", timeout=15000)
        assert "Triage assistant" in page.inner_text(".swagger-ui .info .title")
        assert page.locator(".opblock").count() > 20  # the routes are listed
        browser.close()
    assert elsewhere == []
