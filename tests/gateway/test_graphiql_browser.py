"""GraphiQL in a real headless browser: Debian's chromium (never a browser Playwright downloads)
opens the page of the real app served by uvicorn on a loopback port, runs a query from the
editor and shows the answer; every request the page makes goes to that server (the assets are
the local ones of var/graphiql, not the CDN fallback).

Without /usr/bin/chromium or the local assets (`make assets`) the tests are skipped, unless
TEST_REQUIRE_ALL=1 (set by .ci/run): then they fail and say why. SQLite only: this is about
the browser, not the database."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import uvicorn
from playwright.async_api import Page, Request, Response, Route, async_playwright
from playwright.async_api import TimeoutError as PlaywrightTimeoutError

import models  # noqa: F401  (registers the tables)
from gateway import graphiql
from gateway.app import create_app
from gateway.settings import Settings
from tests.conftest import prepared_store
from tests.servers import need

ROOT = Path(__file__).resolve().parents[2]
ASSETS = ROOT / "var" / "graphiql"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
TIMEOUT_MS = 15_000

QUERY = '{ region(code: "53") { code nom departements { code nom } } }'
EXPECTED = {
    "data": {
        "region": {
            "code": "53",
            "nom": "Bretagne",
            "departements": [
                {"code": "22", "nom": "Côtes-d'Armor"},
                {"code": "29", "nom": "Finistère"},
                {"code": "35", "nom": "Ille-et-Vilaine"},
                {"code": "56", "nom": "Morbihan"},
            ],
        }
    }
}


@pytest.fixture(scope="module")
def requirements() -> None:
    need(
        CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK),
        f"no {CHROMIUM}: `apt-get install chromium` to run the GraphiQL browser test",
    )
    need(
        graphiql.local_assets_present(ASSETS),
        f"no GraphiQL assets in {ASSETS}: `make assets` to run the GraphiQL browser test",
    )


@pytest.fixture(scope="module")
async def gateway_url(
    requirements: None, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    """The real app (default settings, its own territory-loaded SQLite store) under uvicorn in
    a thread, on a free loopback port."""
    url = f"sqlite:///{tmp_path_factory.mktemp('browser') / 'gateway.db'}"
    await prepared_store(url)

    app = create_app(Settings(database_url=url, graphiql_assets=ASSETS))
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
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.to_thread(thread.join, 10)
        sock.close()


@dataclass
class Session:
    page: Page
    origin: str
    requests: list[Request] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    introspections: list[Response] = field(default_factory=list)
    introspected: asyncio.Event = field(default_factory=asyncio.Event)

    def on_response(self, response: Response) -> None:
        request = response.request
        if request.method == "POST" and "__schema" in (request.post_data or ""):
            self.introspections.append(response)
            self.introspected.set()

    def elsewhere(self) -> list[str]:
        return [f"{r.method} {r.url}" for r in self.requests if _origin(r.url) != self.origin]


EDITOR = ".graphiql-query-editor .CodeMirror"
RESULT = ".result-window .CodeMirror"


@pytest.fixture(scope="module")
async def session(gateway_url: str) -> AsyncIterator[Session]:
    """GraphiQL opened in chromium, every request of the browser context recorded; a request
    for anywhere but the gateway is recorded, then aborted (the page must not need it)."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS, timeout=TIMEOUT_MS
        )
        try:
            context = await browser.new_context()
            context.set_default_timeout(TIMEOUT_MS)
            page = await context.new_page()
            current = Session(page, gateway_url)
            context.on("request", lambda request: current.requests.append(request))
            context.on("response", current.on_response)
            page.on("pageerror", lambda error: current.page_errors.append(str(error)))

            async def local_only(route: Route) -> None:
                if _origin(route.request.url) == gateway_url:
                    await route.continue_()
                else:
                    await route.abort("blockedbyclient")

            await context.route("**/*", local_only)
            response = await page.goto(f"{gateway_url}/graphql")
            assert response is not None and response.status == 200
            # (the load event has fired: every script and style has been asked for by now)
            assert not current.elsewhere(), (
                f"GraphiQL asked for something besides the gateway: {current.elsewhere()}; "
                f"page errors: {current.page_errors}"
            )
            try:
                await page.locator(EDITOR).wait_for()
            except PlaywrightTimeoutError:
                pytest.fail(
                    f"GraphiQL did not render in {TIMEOUT_MS} ms; requests besides the gateway: "
                    f"{current.elsewhere()}; page errors: {current.page_errors}"
                )
            yield current
        finally:
            await browser.close()


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _posted_query(request: Request) -> object:
    body = request.post_data_json if request.post_data else None
    return body.get("query") if isinstance(body, dict) else None


def _codemirror_value(selector: str) -> str:
    """JS: the text of a GraphiQL editor (CodeMirror 5 hangs its instance on its element)."""
    return f"document.querySelector({json.dumps(selector)}).CodeMirror.getValue()"


async def test_graphiql_runs_a_query_and_shows_the_answer(session: Session) -> None:
    page = session.page
    await page.locator(EDITOR).click()
    await page.keyboard.press("ControlOrMeta+A")
    await page.keyboard.insert_text(QUERY)
    typed = await page.evaluate(_codemirror_value(EDITOR))
    assert typed == QUERY

    async with page.expect_response(
        lambda r: r.request.method == "POST" and _posted_query(r.request) == QUERY
    ) as answered:
        await page.locator(".graphiql-execute-button").click()
    assert (await answered.value).ok

    await page.wait_for_function(f"{_codemirror_value(RESULT)}.includes('Morbihan')")
    shown = json.loads(await page.evaluate(_codemirror_value(RESULT)))
    assert shown == EXPECTED


async def test_graphiql_loads_only_from_the_local_server(session: Session) -> None:
    elsewhere = session.elsewhere()
    assert not elsewhere, f"GraphiQL asked for something besides {session.origin}: {elsewhere}"
    assert not session.page_errors

    assets = {urlsplit(r.url).path: r for r in session.requests if r.resource_type != "fetch"}
    for name in graphiql.ASSET_FILES:
        request = assets.get(f"{graphiql.ASSETS_ROUTE}/{name}")
        assert request is not None, f"{name} was not loaded from {graphiql.ASSETS_ROUTE}"
        response = await request.response()
        assert response is not None and response.status == 200, name
    assert await session.page.evaluate("typeof GraphiQL === 'function'")


async def test_graphiql_loads_the_schema(session: Session) -> None:
    await asyncio.wait_for(session.introspected.wait(), TIMEOUT_MS / 1000)
    response = session.introspections[0]
    assert response.ok
    body = await response.json()
    assert "errors" not in body, body["errors"]
    assert body["data"]["__schema"]["queryType"]["name"] == "Query"
