"""The development explorer in a real browser: Debian's Chromium, headless, driven by
Playwright (never a browser Playwright downloads), with every request to anything but this
machine's API blocked and recorded. The page opens signed in as a demo account, the schema
arrives at once, `{ viewer { login } }` runs and answers that account; another account is
picked and the same query answers it; no other origin was ever asked for, and nothing was
refused by the page's Content-Security-Policy or failed in its scripts."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import BrowserContext, Page, Request, Route, sync_playwright

from api.settings import Settings
from tests.support import ApiServer

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
NOT_NETWORK = {"data", "blob", "about"}
TIMEOUT_MS = 60_000

pytestmark = pytest.mark.skipif(
    not os.access(CHROMIUM, os.X_OK), reason="Debian's chromium is not installed (./scripts/test installs it with apt-get)"
)


def is_local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in NOT_NETWORK or (parts.scheme in {"http", "ws"} and parts.hostname in LOCAL_HOSTS)


class Offline:
    """Lets requests to this machine through; aborts and records every other one."""

    def __init__(self, context: BrowserContext) -> None:
        self.refused: list[str] = []
        self.seen: list[str] = []
        context.route("**/*", self.route)
        context.on("request", self.request)

    def route(self, route: Route) -> None:
        if is_local(route.request.url):
            route.continue_()
        else:
            self.refused.append(route.request.url)
            route.abort("blockedbyclient")

    def request(self, request: Request) -> None:
        self.seen.append(request.url)


@pytest.fixture(scope="module")
def dev_api(settings: Settings) -> Iterator[ApiServer]:
    server = ApiServer(settings.replace(app_env="development")).start(seed=False)
    yield server
    server.stop()


@pytest.fixture
def chromium(tmp_path: Path) -> Iterator[BrowserContext]:
    profile = tmp_path / "profile"  # a fresh --user-data-dir for every test
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            headless=True,
            chromium_sandbox=False,
            args=FLAGS,
            timeout=TIMEOUT_MS,
        )
        context.set_default_timeout(TIMEOUT_MS)
        try:
            yield context
        finally:
            context.close()


def run_query(page: Page, query: str) -> object:
    """Types the query into GraphiQL's editor, runs it and reads the result pane."""
    page.locator(".graphiql-query-editor .CodeMirror").click()
    page.keyboard.press("Control+A")
    page.keyboard.insert_text(query)
    page.get_by_label("Execute query (Ctrl-Enter)").click()
    page.wait_for_function(
        "() => (document.querySelector('.graphiql-response .CodeMirror')?.CodeMirror.getValue() || '').includes('viewer')"
    )
    text = page.evaluate("() => document.querySelector('.graphiql-response .CodeMirror').CodeMirror.getValue()")
    assert isinstance(text, str)
    return json.loads(text)


def test_the_explorer_opens_signed_in_and_offline(chromium: BrowserContext, dev_api: ApiServer) -> None:
    offline = Offline(chromium)
    problems: list[str] = []
    schema_statuses: list[int] = []
    page = chromium.pages[0] if chromium.pages else chromium.new_page()
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on(
        "response",
        lambda r: schema_statuses.append(r.status)
        if r.request.method == "POST" and "IntrospectionQuery" in (r.request.post_data or "")
        else None,
    )

    page.goto(dev_api.base_url + "/graphql?as=henan.dept")
    page.get_by_label("Show Documentation Explorer").click()
    page.get_by_text("Root Types").wait_for()
    assert schema_statuses == [200]
    assert run_query(page, "{ viewer { login } }") == {"data": {"viewer": {"login": "henan.dept"}}}

    page.select_option("#explorer-account", "jinshui.dept")  # the picker opens the page again as that account
    page.wait_for_url("**/graphql?as=jinshui.dept")
    page.get_by_label("Show Documentation Explorer").click()
    page.get_by_text("Root Types").wait_for()
    assert schema_statuses == [200, 200]
    assert run_query(page, "{ viewer { login } }") == {"data": {"viewer": {"login": "jinshui.dept"}}}

    assert offline.refused == []
    assert offline.seen and all(url.startswith(dev_api.base_url) for url in offline.seen), offline.seen
    assert problems == []
