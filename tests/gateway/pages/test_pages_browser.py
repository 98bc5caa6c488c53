"""The pages in a real headless browser: Debian's chromium driven by Playwright opens the real app
served by uvicorn on a loopback port (SQLite, the worked example: dora, les emplois and the
restricted soliguide; sign-up open), with the keyboard only:

- a consumer signs up, copies its token, and downloads CSV and Parquet exports with it, whose
  every row validates with the data·inclusion schema;
- an auditor signs in with a token that sees the restricted producer, searches, opens the CCAS
  of Rennes and reads, from the page alone, which producer supplied its phone, since when and
  who disagrees; the page's GraphiQL link opens GraphiQL on the same query.

axe-core (`make axe-deps`) runs in every page visited: no serious or critical violation. Each
page's screenshot is kept in var/screenshots/ (CI keeps them). The pages' Content-Security-
Policy stays on: axe is served from the gateway's origin by the browser context.

Without /usr/bin/chromium, GraphiQL's local assets (`make assets`) or axe-core the tests are
skipped, unless TEST_REQUIRE_ALL=1 (CI): then they fail and say why."""

from __future__ import annotations

import asyncio
import os
import re
import socket
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
import uvicorn
from playwright.async_api import ConsoleMessage, Page, Response, Route, async_playwright

import models  # noqa: F401  (registers the tables)
from gateway import access, graphiql
from gateway.app import create_app
from gateway.exports.rows import MODELS
from gateway.pages import cgu
from gateway.settings import Settings
from store import access as access_store
from store.engine import create_engine, normalize_url
from tests.conftest import EXAMPLE_PRODUCERS, prepared_store
from tests.gateway.test_exports import read_back
from tests.servers import need

ROOT = Path(__file__).resolve().parents[3]
ASSETS = ROOT / "var" / "graphiql"
AXE = ROOT / "var" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
AXE_ROUTE = "/pages/static/axe.min.js"  # served by the browser context, from the gateway's origin
SCREENSHOTS = ROOT / "var" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
TIMEOUT_MS = 15_000
BLOCKING = ("serious", "critical")

# one browser and one server for the module: its tests on one worker
pytestmark = pytest.mark.xdist_group("pages-browser")


@pytest.fixture(scope="module")
def requirements() -> None:
    need(
        CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK),
        f"no {CHROMIUM}: `apt-get install chromium` to run the pages' browser tests",
    )
    need(
        graphiql.local_assets_present(ASSETS),
        f"no GraphiQL assets in {ASSETS}: `make assets` to run the pages' browser tests",
    )
    need(AXE.is_file(), f"no axe-core at {AXE}: `make axe-deps` to run the pages' browser tests")


@dataclass
class Gateway:
    url: str
    auditor_token: str


@pytest.fixture(scope="module")
async def gateway(
    requirements: None, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Gateway]:
    """The real app under uvicorn in a thread, on a free loopback port, and a token that may
    see the restricted producer."""
    url = f"sqlite:///{tmp_path_factory.mktemp('pages-browser') / 'gateway.db'}"
    await prepared_store(url, EXAMPLE_PRODUCERS)
    token = access.new_token()
    engine = create_engine(normalize_url(url))
    try:
        async with engine.begin() as conn:
            consumer = await access_store.create_consumer(
                conn,
                name="équipe d'audit",
                contact=None,
                cgu_version=cgu.VERSION,
                cgu_accepted_on=date(2026, 11, 2),
                now=datetime.now(UTC),
            )
            await access_store.create_token(
                conn,
                consumer_id=consumer,
                prefix=token[: access.PREFIX_LENGTH],
                sha256=access.token_hash(token),
                scopes=["read", "restricted"],
                origins=[],
                label="audit",
                expires_at=None,
                now=datetime.now(UTC),
            )
    finally:
        await engine.dispose()

    settings = Settings(
        database_url=url, graphiql_assets=ASSETS, signup="open", rate_limit_anonymous=0
    )
    app = create_app(settings)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, loop="asyncio", log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        await asyncio.sleep(0.02)
    try:
        yield Gateway(f"http://127.0.0.1:{port}", token)
    finally:
        server.should_exit = True
        await asyncio.to_thread(thread.join, 10)
        sock.close()


@dataclass
class Browser:
    page: Page
    origin: str
    problems: list[str] = field(default_factory=list)  # page errors, CSP refusals, elsewhere
    checked: list[str] = field(default_factory=list)  # pages axe has run in

    def on_console(self, message: ConsoleMessage) -> None:
        # (a page answered with an error status, as a form with errors is, is logged too: the
        # responses are checked on their own below)
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.problems.append(f"console: {message.text}")

    def on_response(self, response: Response) -> None:
        if response.request.resource_type != "document" and response.status >= 400:
            self.problems.append(f"{response.status}: {response.url}")

    async def check(self, name: str) -> None:
        """axe-core in the page as it stands: no serious or critical violation; and its
        screenshot."""
        page = self.page
        await page.add_script_tag(url=AXE_ROUTE)
        violations = await page.evaluate(
            """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations
                .map(v => ({id: v.id, impact: v.impact, help: v.help,
                            nodes: v.nodes.map(n => n.target.join(" ")).slice(0, 5)}))"""
        )
        blocking = [v for v in violations if v["impact"] in BLOCKING]
        assert not blocking, f"{name} ({page.url}): {blocking}"
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=SCREENSHOTS / f"pages-{name}.png", full_page=True)
        self.checked.append(name)


@pytest.fixture(scope="module")
async def browser(gateway: Gateway) -> AsyncIterator[Browser]:
    """One chromium for the module, the keyboard's user's; the clipboard allowed. Requests for
    anywhere but the gateway are aborted and noted."""
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS, timeout=TIMEOUT_MS
        )
        try:
            context = await chromium.new_context(viewport={"width": 1280, "height": 900})
            await context.grant_permissions(
                ["clipboard-read", "clipboard-write"], origin=gateway.url
            )
            context.set_default_timeout(TIMEOUT_MS)
            page = await context.new_page()
            current = Browser(page, gateway.url)
            page.on("pageerror", lambda error: current.problems.append(f"error: {error}"))
            page.on("console", current.on_console)
            page.on("response", current.on_response)

            async def serve(route: Route) -> None:
                parts = urlsplit(route.request.url)
                if f"{parts.scheme}://{parts.netloc}" != gateway.url:
                    current.problems.append(f"elsewhere: {route.request.url}")
                    await route.abort("blockedbyclient")
                elif parts.path == AXE_ROUTE:
                    await route.fulfill(path=AXE, content_type="text/javascript")
                else:
                    await route.continue_()

            await context.route("**/*", serve)
            yield current
        finally:
            await chromium.close()


async def tab_to(page: Page, selector: str, limit: int = 40) -> None:
    """Press Tab until the focus is on `selector` (the keyboard's way there)."""
    for _ in range(limit):
        await page.keyboard.press("Tab")
        if await page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    focused = await page.evaluate("document.activeElement.outerHTML.slice(0, 200)")
    pytest.fail(f"{selector} not reached with {limit} Tabs (focus on {focused})")


async def test_a_consumer_signs_up_with_the_keyboard_and_downloads_csv_and_parquet(
    browser: Browser, gateway: Gateway, tmp_path: Path
) -> None:
    page = browser.page
    await page.goto(f"{gateway.url}/pages/")
    await browser.check("home")
    await tab_to(page, 'a[href="/pages/signup"]')
    await page.keyboard.press("Enter")
    await page.wait_for_url("**/pages/signup")
    await browser.check("signup")

    # sent empty first: the errors are announced, linked to their fields
    await tab_to(page, 'button[type="submit"]')
    await page.keyboard.press("Enter")
    await page.locator(".errors").wait_for()
    await browser.check("signup-errors")

    await tab_to(page, "#name")
    await page.keyboard.type("Conseil départemental d'Ille-et-Vilaine")
    await tab_to(page, "#contact")
    await page.keyboard.type("donnees@ille-et-vilaine.example")
    await tab_to(page, "#intended_use")
    await page.keyboard.type("Afficher les services d'insertion dans notre guide des solidarités.")
    await tab_to(page, ".cgu-text")  # the terms can be scrolled with the keyboard
    await page.keyboard.press("PageDown")
    await tab_to(page, "#accept_cgu")
    await page.keyboard.press("Space")
    await tab_to(page, 'button[type="submit"]')
    async with page.expect_navigation():
        await page.keyboard.press("Enter")
    assert await page.locator("h1").inner_text() == "Votre jeton"
    token = await page.locator("#token").input_value()
    assert token.startswith("dig_")
    await browser.check("signup-token")

    await tab_to(page, 'button[data-copy="token"]')
    await page.keyboard.press("Enter")
    await page.locator("[data-copy-status]", has_text="copié").wait_for()
    assert await page.evaluate("navigator.clipboard.readText()") == token

    # shown once: the page again is the empty form
    await page.goto(f"{gateway.url}/pages/signup")
    assert token not in await page.content()

    async with httpx.AsyncClient(base_url=gateway.url, timeout=30) as client:
        for name in ("structures.csv", "structures.parquet", "services.parquet"):
            response = await client.get(
                f"/exports/{name}", headers={"authorization": f"Bearer {token}"}
            )
            assert response.status_code == 200, response.text
            assert "attachment" in response.headers["content-disposition"]
            (tmp_path / name).write_bytes(response.content)
    rows = {}
    for name in ("structures.csv", "structures.parquet", "services.parquet"):
        kind = name.split(".")[0]
        rows[name] = read_back(tmp_path / name, kind)
        assert rows[name], name
        for row in rows[name]:
            MODELS[kind].model_validate(row)
    assert [r["id"] for r in rows["structures.csv"]] == [
        r["id"] for r in rows["structures.parquet"]
    ]
    assert not any(r["id"].startswith("soliguide--") for r in rows["structures.csv"])
    assert not browser.problems, browser.problems


async def test_an_auditor_finds_who_supplied_a_phone_since_when_and_who_disagrees(
    browser: Browser, gateway: Gateway
) -> None:
    page = browser.page
    await page.goto(f"{gateway.url}/pages/audit")
    await browser.check("audit-search")
    await tab_to(page, 'a[href^="/pages/signin"]')
    await page.keyboard.press("Enter")
    await page.wait_for_url("**/pages/signin**")
    await browser.check("signin")
    await tab_to(page, "#token")
    await page.keyboard.type(gateway.auditor_token)
    async with page.expect_navigation():
        await page.keyboard.press("Enter")

    await tab_to(page, "#q")
    await page.keyboard.type("CCAS")
    async with page.expect_navigation():
        await page.keyboard.press("Enter")
    await page.locator("#results-title").wait_for()
    await browser.check("audit-results")
    await tab_to(page, 'ol.results a[href="/pages/audit/structures/dora--a1"]')
    async with page.expect_navigation():
        await page.keyboard.press("Enter")

    assert await page.locator("h1").inner_text() == "CCAS de Rennes"
    row = page.locator("#field-telephone")
    assert await row.locator('td[data-col="value"]').inner_text() == "+33299286311"
    assert (await row.locator('td[data-col="source"]').inner_text()).startswith("Dora")
    since = await row.locator('td[data-col="since"]').inner_text()
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", since), since
    assert await row.locator('td[data-col="source-date"]').inner_text() == "2026-09-02"
    assert await row.locator('td[data-col="conflicting"]').inner_text() == "Soliguide"
    assert await row.locator('td[data-col="agreeing"]').inner_text() == "les emplois de l'inclusion"
    # soliguide's own value, side by side
    claims = page.locator("#detail-telephone table.claims")
    soliguide = claims.locator("tr", has_text="Soliguide")
    assert "+33299286300" in await soliguide.inner_text()
    assert await page.locator("table.links").count() == 1
    await browser.check("audit-record")
    # the phone's own section (who supplied it, since when, who disagrees, every producer's
    # value, the history): the README's picture
    await page.locator("#detail-telephone").screenshot(path=SCREENSHOTS / "pages-audit-phone.png")

    # the same query in GraphiQL
    await tab_to(page, 'a[href^="/graphql#"]')
    await page.keyboard.press("Enter")
    editor = ".graphiql-query-editor .CodeMirror"
    await page.locator(editor).wait_for()
    query = await page.evaluate(f"document.querySelector('{editor}').CodeMirror.getValue()")
    assert query.startswith("query Audit($id: ID!)") and "telephone { ...Why }" in query
    assert not browser.problems, browser.problems
    assert browser.checked  # axe ran in every page above
