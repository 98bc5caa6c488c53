"""The producers' pages in a real headless browser (Debian's chromium driven by Playwright, the
real app under uvicorn, SQLite), the keyboard's way:

- a producer signs in with its token, checks a file, reads what is wrong and how to fix it,
  checks the fixed file, reads what the run would change, submits it, and reads its
  cross-analysis (a record shared with another producer, the phone that differs and who is
  more recent) and downloads it as CSV;
- a producer without a file enters a structure and two services online (a commune that does
  not exist said as it is typed, then when the form is sent), and finds them in the GraphQL API
  with its source in their provenance.

axe-core runs in every page (no serious or critical violation); screenshots go to
var/screenshots/. The browser, the server and the helpers are the consumer pages' (one browser
for the module). Without chromium or axe-core the tests are skipped, unless TEST_REQUIRE_ALL=1."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import socket
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
import uvicorn
from playwright.async_api import Route, async_playwright

import models  # noqa: F401  (registers the tables)
from gateway import access
from gateway.app import create_app
from gateway.bootstrap import sync_sources
from gateway.settings import Settings
from ingestion.run import ingest
from store import access as access_store
from store.engine import create_engine, normalize_url
from tests.conftest import prepared_store
from tests.gateway.pages.test_pages_browser import (
    AXE,
    AXE_ROUTE,
    CHROMIUM,
    CHROMIUM_ARGS,
    TIMEOUT_MS,
    Browser,
    tab_to,
)
from tests.servers import need

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "ingestion"
HEADER = "ID;Nom;SIRET;Adresse;CP;Ville;INSEE;Téléphone;Courriel;Mis à jour;Coordonnées"
EPICERIE = "Épicerie solidaire du centre;12345678200002;1 rue de Paris;35000;Rennes;35238"
DEPOT, AUTRE, SAISIE = "depot-navigateur", "autre-navigateur", "saisie-navigateur"

pytestmark = pytest.mark.xdist_group("producer-pages-browser")


def rows(*lines: str) -> str:
    return "\n".join([HEADER, *lines]) + "\n"


@dataclass
class Gateway:
    url: str
    tokens: dict[str, str]


@pytest.fixture(scope="module")
async def gateway(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Gateway]:
    """The app under uvicorn: two producers with files of their own columns (one has already
    published the épicerie), one in the data·inclusion format for the entry tool; a token
    each."""
    need(
        CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK),
        f"no {CHROMIUM}: `apt-get install chromium` to run the pages' browser tests",
    )
    need(AXE.is_file(), f"no axe-core at {AXE}: `make axe-deps` to run the pages' browser tests")
    base = tmp_path_factory.mktemp("producer-pages-browser")
    registry = base / "producers"
    registry.mkdir()
    text = (FIXTURES / "producers" / "exemple.toml").read_text(encoding="utf-8")
    for slug, name in ((DEPOT, "Épiceries d'Ille-et-Vilaine"), (AUTRE, "Annuaire solidaire")):
        (registry / f"{slug}.toml").write_text(
            text.replace('slug = "exemple"', f'slug = "{slug}"').replace(
                'nom = "Exemple"', f'nom = "{name}"'
            ),
            encoding="utf-8",
        )
    (registry / f"{SAISIE}.toml").write_text(
        f'[source]\nslug = "{SAISIE}"\nnom = "Centre social des Champs"\n'
        '[reader]\nformat = "data-inclusion"\n',
        encoding="utf-8",
    )
    url = f"sqlite:///{base / 'gateway.db'}"
    await prepared_store(url)
    engine = create_engine(normalize_url(url))
    tokens = {}
    try:
        await sync_sources(engine, registry)
        theirs = base / "structures-autre.csv"
        theirs.write_text(rows(f"e1;{EPICERIE};0299000002;;15/10/2026;"), encoding="utf-8")
        await ingest(engine, AUTRE, [theirs], producers_dir=registry)
        async with engine.begin() as conn:
            for slug in (DEPOT, SAISIE):
                token = access.new_token()
                await access_store.create_token(
                    conn, consumer_id=None, source_slug=slug, prefix=token[:12],
                    sha256=access.token_hash(token), scopes=[], origins=[], label=None,
                    expires_at=None, now=datetime.now(UTC),
                )  # fmt: skip
                tokens[slug] = token
    finally:
        await engine.dispose()
    settings = Settings(
        database_url=url,
        producers_dir=registry,
        rate_limit_anonymous=0,
        rate_limit_token=0,
        response_cache_seconds=0,
        upload_dir=base / "uploads",
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
        yield Gateway(f"http://127.0.0.1:{port}", tokens)
    finally:
        server.should_exit = True
        await asyncio.to_thread(thread.join, 10)
        sock.close()


@pytest.fixture(scope="module")
async def browser(gateway: Gateway) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS, timeout=TIMEOUT_MS
        )
        try:
            context = await chromium.new_context(  # a French browser: French pages
                viewport={"width": 1280, "height": 900}, accept_downloads=True, locale="fr-FR"
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


async def sign_in(browser: Browser, gateway: Gateway, slug: str) -> None:
    page = browser.page
    await page.context.clear_cookies()
    await page.goto(f"{gateway.url}/pages/producteurs")
    await browser.check("producer-signin")
    await tab_to(page, "#token")
    await page.keyboard.type(gateway.tokens[slug])
    async with page.expect_navigation():
        await page.keyboard.press("Enter")
    assert page.url.endswith(f"/pages/producteurs/{slug}")


async def check_file(browser: Browser, path: Path) -> None:
    page = browser.page
    await page.set_input_files("#file", path)
    await tab_to(page, 'form[action$="/verifier"] button[type="submit"]')
    async with page.expect_navigation():
        await page.keyboard.press("Enter")


async def test_a_producer_checks_a_file_fixes_it_submits_it_and_reads_its_cross_analysis(
    browser: Browser, gateway: Gateway, tmp_path: Path
) -> None:
    page = browser.page
    await sign_in(browser, gateway, DEPOT)
    await browser.check("producer-home")

    wrong = tmp_path / "structures-2026-12.csv"
    wrong.write_text(
        rows(
            f"s1;{EPICERIE};0299000001;pas-un-courriel;02/09/2026;",
            "s2;Atelier vélo;;2 rue de Brest;35000;Rennes;35238;;;le 3 septembre;",
        ),
        encoding="utf-8",
    )
    await check_file(browser, wrong)
    assert "problèmes à corriger" in await page.locator("#verdict").inner_text()
    problems = page.locator("table.problems")
    date_row = problems.locator("tr", has_text="date illisible")
    assert "AAAA-MM-JJ" in await date_row.inner_text()  # how to fix it
    assert "« le 3 septembre »" in await date_row.inner_text()  # its row
    assert await problems.locator("tr", has_text="adresse électronique invalide").count() == 1
    await browser.check("producer-check-problems")

    fixed = tmp_path / "fixed" / "structures-2026-12.csv"
    fixed.parent.mkdir()
    fixed.write_text(
        rows(
            f"s1;{EPICERIE};0299000001;epicerie@exemple.org;02/09/2026;",
            "s2;Atelier vélo;;2 rue de Brest;35000;Rennes;35238;;;03/09/2026;",
        ),
        encoding="utf-8",
    )
    await check_file(browser, fixed)
    assert "Le fichier est prêt" in await page.locator("#verdict").inner_text()
    assert await page.locator('[data-count="new"]').inner_text() == "2"
    assert "Atelier vélo" in await page.locator("ul.changes-new").inner_text()
    await browser.check("producer-check-ready")
    await tab_to(page, "#submit-file")
    async with page.expect_navigation():
        await page.keyboard.press("Enter")
    assert "est intégré" in await page.locator("#verdict").inner_text()
    await browser.check("producer-submitted")

    # the cross-analysis: the épicerie is also the other producer's, with another phone, newer
    await tab_to(page, 'nav[aria-label="Espace producteur"] a[href$="/analyse"]')
    async with page.expect_navigation():
        await page.keyboard.press("Enter")
    assert await page.locator('[data-count="structures-shared"]').inner_text() == "1"
    assert await page.locator('[data-count="structures-alone"]').inner_text() == "1"
    differs = page.locator("table.differences tr", has_text="telephone")
    text = await differs.inner_text()
    assert AUTRE in text and "+33299000002" in text and "2026-10-15" in text
    assert text.rstrip().endswith(AUTRE)  # the more recent one
    await browser.check("producer-analysis")
    async with page.expect_download() as waiting:
        await page.locator('a[href$="/analyse.csv"]').click()
    download = await waiting.value
    saved = tmp_path / "analyse.csv"
    await download.save_as(saved)
    table = list(csv.DictReader(io.StringIO(saved.read_text(encoding="utf-8"))))
    assert any(r["section"] == "differs" and r["more_recent"] == AUTRE for r in table)

    # the same page in English, from the switch
    async with page.expect_navigation():
        await page.locator('#lang-switch a[hreflang="en"]').click()
    assert await page.locator("html").get_attribute("lang") == "en"
    assert "Cross-analysis" in await page.locator("h1").inner_text()
    await browser.check("producer-analysis-en")
    assert not browser.problems, browser.problems


async def fill(browser: Browser, selector: str, text: str) -> None:
    await tab_to(browser.page, selector, limit=150)
    await browser.page.keyboard.type(text)


async def tick(browser: Browser, selector: str) -> None:
    await tab_to(browser.page, selector, limit=150)
    await browser.page.keyboard.press("Space")


async def save(browser: Browser, selector: str = "#save") -> None:
    """Send the form: Enter on its button, or in one of its text fields (as a browser does)."""
    await tab_to(browser.page, selector, limit=200)
    async with browser.page.expect_navigation():
        await browser.page.keyboard.press("Enter")


async def test_a_producer_without_a_file_enters_a_structure_and_two_services_online(
    browser: Browser, gateway: Gateway
) -> None:
    page = browser.page
    await sign_in(browser, gateway, SAISIE)
    await tab_to(page, 'nav[aria-label="Espace producteur"] a[href$="/saisie"]')
    async with page.expect_navigation():
        await page.keyboard.press("Enter")
    await browser.check("producer-entry-empty")
    await tab_to(page, "#new-structure")
    async with page.expect_navigation():
        await page.keyboard.press("Enter")
    await browser.check("producer-entry-structure")

    await fill(browser, "#id", "cs-champs")
    await fill(browser, "#nom", "Centre social des Champs")
    await fill(browser, "#adresse", "3 place du Marché")
    await fill(browser, "#commune_recherche", "Nullepart")  # no such commune: said as typed
    await page.keyboard.press("Tab")
    await page.locator("#commune_recherche-error", has_text="Aucune commune").wait_for()
    assert await page.locator("#commune_recherche").get_attribute("aria-invalid") == "true"
    assert "1 champ(s) à corriger" in await page.locator("#live-check").inner_text()
    await save(browser)  # and when the form is sent
    assert "Aucune commune" in await page.locator("#form-errors").inner_text()
    await browser.check("producer-entry-errors")
    await tab_to(page, "#commune_recherche", limit=150)
    await page.keyboard.press("Control+A")
    await page.keyboard.type("35000 Rennes")
    await fill(browser, "#telephone", "02 99 00 00 10")
    await save(browser, "#telephone")
    assert "cs-champs" in await page.locator("#saved").inner_text()

    for number, (name, theme, public) in enumerate(
        (
            ("Aide aux devoirs", "famille--soutien-a-la-parentalite-et-a-leducation", "familles"),
            ("Atelier numérique", "numerique--maitriser-les-fondamentaux-du-numerique", "seniors"),
        ),
        start=1,
    ):
        await tab_to(page, "#new-service")
        async with page.expect_navigation():
            await page.keyboard.press("Enter")
        if number == 1:
            await browser.check("producer-entry-service")
        await fill(browser, "#id", f"sv-{number}")
        await fill(browser, "#nom", name)
        await fill(browser, "#description", f"{name} au centre social, sur inscription.")
        await tick(browser, f'input[name="thematiques"][value="{theme}"]')
        await tab_to(page, "#frais", limit=150)
        await page.keyboard.type("Gratuit")
        await tick(browser, f'input[name="publics"][value="{public}"]')
        await save(browser, "#publics_precisions")
        assert f"sv-{number}" in await page.locator("#saved").inner_text()
    listed = await page.locator('ul.entries[data-kind="services"]').inner_text()
    assert "Aide aux devoirs" in listed and "Atelier numérique" in listed
    await browser.check("producer-entry-list")

    # in the API, the source in the provenance
    query = """query($id: ID!) { structure(id: $id) {
        nom codeInsee sources { slug } provenance { nom { source { slug } } }
        services(first: 5) { edges { node { nom thematiques frais sources { slug } } } } } }"""
    async with httpx.AsyncClient(base_url=gateway.url, timeout=30) as client:
        answer = await client.post(
            "/graphql", json={"query": query, "variables": {"id": f"{SAISIE}--cs-champs"}}
        )
    structure = answer.json()["data"]["structure"]
    assert structure["nom"] == "Centre social des Champs" and structure["codeInsee"] == "35238"
    assert [s["slug"] for s in structure["sources"]] == [SAISIE]
    assert structure["provenance"]["nom"]["source"]["slug"] == SAISIE
    services = {e["node"]["nom"]: e["node"] for e in structure["services"]["edges"]}
    assert set(services) == {"Aide aux devoirs", "Atelier numérique"}
    assert services["Aide aux devoirs"]["thematiques"] == [
        "famille--soutien-a-la-parentalite-et-a-leducation"
    ]
    assert all(s["sources"] == [{"slug": SAISIE}] for s in services.values())
    assert not browser.problems, browser.problems
