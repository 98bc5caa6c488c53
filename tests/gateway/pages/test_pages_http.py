"""The sign-up and audit pages over HTTP (in-process ASGI client), on SQLite and PostgreSQL.

Sign-up: a `read` token shown once and stored hashed, with the CGU version and day as the
command line stores them; GATEWAY_SIGNUP open, approval (the token works once `gateway consumer
approve` has run) and off; CSRF refusals, the honeypot, the rate limit per address, the form's
errors. Audit: the same access rules as the API (anonymous sees public data, a token signed in
with a cookie sees what its scopes allow, a refused token is not kept), search by name, commune
or id, and the page shows what the API answers for the document its GraphiQL link carries."""

from __future__ import annotations

import argparse
import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import httpx
import orjson
import pytest
from sqlalchemy import select, text
from starlette.applications import Starlette

from gateway import access
from gateway.app import create_app
from gateway.cli_access import cmd_consumer_approve, cmd_consumer_list
from gateway.cli_ingest import CommandFailed
from gateway.pages import cgu
from gateway.settings import Settings
from store import access as access_store
from store.access import tokens
from store.engine import create_engine, normalize_url
from tests.conftest import BACKENDS, EXAMPLE_PRODUCERS, fresh_database, prepared_store

TOKEN = re.compile(r"dig_[A-Za-z0-9_-]{40,}")
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
CCAS = "dora--a1"  # the CCAS of Rennes: dora and les emplois agree on its phone, soliguide not


@pytest.fixture(scope="module", params=BACKENDS)
async def store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    """A store holding the worked example: dora, les emplois and the restricted soliguide."""
    async with fresh_database(request.param, tmp_path_factory.mktemp("pages"), "pages") as url:
        await prepared_store(url, EXAMPLE_PRODUCERS)
        yield url


@asynccontextmanager
async def gateway(store: str, **overrides: Any) -> AsyncIterator[Starlette]:
    settings = Settings(
        database_url=store,
        rate_limit_anonymous=0,
        response_cache_seconds=0,
        token_cache_seconds=0,
        signup="open",
    ).with_overrides(**overrides)
    app = create_app(settings)
    try:
        yield app
    finally:
        await app.state.cache.close()
        await app.state.engine.dispose()


def http(app: Starlette, address: str = "127.0.0.1") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://gateway.test")


@asynccontextmanager
async def client(store: str, **overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with gateway(store, **overrides) as app, http(app) as c:
        yield c


async def form_csrf(c: httpx.AsyncClient, path: str) -> str:
    page = await c.get(path)
    assert page.status_code == 200, page.text
    found = CSRF.search(page.text)
    assert found is not None and c.cookies.get("gateway_csrf") == found.group(1)
    return found.group(1)


def sign_up_form(csrf: str, name: str, **changes: str) -> dict[str, str]:
    return {
        "csrf": csrf,
        "name": name,
        "contact": "donnees@example.org",
        "intended_use": "Orienter les personnes accompagnées vers les services proches.",
        "cgu_version": cgu.VERSION,
        "accept_cgu": "yes",
        "website": "",
    } | changes


async def consumer_named(store: str, name: str) -> dict[str, Any] | None:
    engine = create_engine(normalize_url(store))
    try:
        async with engine.connect() as conn:
            return await access_store.consumer_by_name_or_id(conn, name)
    finally:
        await engine.dispose()


async def graphql(c: httpx.AsyncClient, query: str, token: str) -> httpx.Response:
    headers = {"authorization": f"Bearer {token}"}
    return await c.post("/graphql", json={"query": query}, headers=headers)


# --- sign-up ---------------------------------------------------------------------------------


async def test_open_sign_up_shows_a_read_token_once_stored_hashed(store: str) -> None:
    name = "Département test ouvert"
    async with client(store) as c:
        csrf = await form_csrf(c, "/pages/signup")
        page = await c.get("/pages/signup")
        assert f"version {cgu.VERSION}" in page.text and "Données personnelles" in page.text
        done = await c.post("/pages/signup", data=sign_up_form(csrf, name))
        assert done.status_code == 201, done.text
        assert done.headers["cache-control"] == "no-store"
        shown = set(TOKEN.findall(done.text))
        assert len(shown) == 1
        token = shown.pop()
        # the copy button, hidden until the script shows it (without it: select the field)
        assert 'data-copy="token" hidden' in done.text and "readonly" in done.text
        assert "http://gateway.test/exports/services.csv" in done.text
        # it reads, with the `read` scope only
        answer = await graphql(c, '{ structure(id: "soliguide--884") { id } }', token)
        assert answer.status_code == 200 and answer.json() == {"data": {"structure": None}}
        # never shown again: not by the form, not for the same name
        again = await c.get("/pages/signup")
        assert not TOKEN.search(again.text)
        twice = await c.post("/pages/signup", data=sign_up_form(csrf, name))
        assert twice.status_code == 409 and not TOKEN.search(twice.text)
        assert "déjà inscrite" in twice.text

    consumer = await consumer_named(store, name)
    assert consumer is not None
    assert consumer["cgu_version"] == cgu.VERSION
    assert consumer["cgu_accepted_on"] == datetime.now(UTC).date()
    assert consumer["contact"] == "donnees@example.org"
    assert consumer["intended_use"].startswith("Orienter les personnes")
    assert consumer["awaiting_approval"] is False and consumer["approved_at"] is not None
    engine = create_engine(normalize_url(store))
    try:
        async with engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(tokens.c.sha256, tokens.c.scopes).where(
                        tokens.c.consumer_id == consumer["id"]
                    )
                )
            ).all()
            dump = str((await conn.execute(text("SELECT * FROM token"))).all())
    finally:
        await engine.dispose()
    assert [(r.sha256, r.scopes) for r in rows] == [(access.token_hash(token), ["read"])]
    assert token not in dump


async def command(
    capsys: pytest.CaptureFixture[str], cmd: Any, settings: Settings, **args: Any
) -> str:
    """What an operator's command prints (run in a thread: it runs its own event loop)."""
    capsys.readouterr()
    await asyncio.to_thread(cmd, settings, argparse.Namespace(**args))
    return capsys.readouterr().out


async def test_approval_sign_up_token_works_once_an_operator_approves(
    store: str, capsys: pytest.CaptureFixture[str]
) -> None:
    name = "Association en attente"
    async with client(store, signup="approval") as c:
        page = await c.get("/pages/signup")
        assert "validées par les opérateurs" in page.text
        csrf = CSRF.search(page.text).group(1)  # type: ignore[union-attr]
        done = await c.post("/pages/signup", data=sign_up_form(csrf, name))
        assert done.status_code == 201 and "approuvé" in done.text
        token = TOKEN.search(done.text).group(0)  # type: ignore[union-attr]
        refused = await graphql(c, "{ structures(first: 1) { totalCount } }", token)
        assert refused.status_code == 403
        assert "approval" in refused.json()["errors"][0]["message"]
        operator = Settings(database_url=store)
        listed = await command(capsys, cmd_consumer_list, operator, awaiting=True, json=False)
        assert f"awaiting-approval  {name!r}  CGU {cgu.VERSION}" in listed
        consumer = await consumer_named(store, name)
        assert consumer is not None and consumer["awaiting_approval"] is True
        approved = await command(
            capsys, cmd_consumer_approve, operator, consumer=str(consumer["id"]), json=False
        )
        assert f"{name!r} approved" in approved
        answer = await graphql(c, "{ structures(first: 1) { totalCount } }", token)
        assert answer.status_code == 200 and answer.json()["data"]["structures"]["totalCount"] > 0
        # exports too
        download = await c.get(
            "/exports/structures.csv", headers={"authorization": f"Bearer {token}"}
        )
        assert download.status_code == 200 and "nom" in download.text.splitlines()[0]
    with pytest.raises(CommandFailed, match="awaits no approval"):
        await command(capsys, cmd_consumer_approve, operator, consumer=name, json=False)


async def test_sign_up_off_shows_no_form_and_takes_no_post(store: str) -> None:
    async with client(store, signup="off") as c:
        page = await c.get("/pages/signup")
        assert page.status_code == 403 and 'action="/pages/signup"' not in page.text
        home = await c.get("/pages/")
        assert 'href="/pages/signup"' not in home.text
        csrf = c.cookies["gateway_csrf"]
        posted = await c.post("/pages/signup", data=sign_up_form(csrf, "Fermée"))
        assert posted.status_code == 403 and not TOKEN.search(posted.text)
    assert await consumer_named(store, "Fermée") is None


@pytest.mark.parametrize(
    "case", ["no cookie", "no field", "another value", "another site", "not a form"]
)
async def test_a_post_failing_the_csrf_check_is_refused(store: str, case: str) -> None:
    name = f"CSRF {case}"
    async with client(store) as c:
        csrf = await form_csrf(c, "/pages/signup")
        data = sign_up_form(csrf, name)
        headers = {}
        if case == "no cookie":
            c.cookies.clear()
        elif case == "no field":
            del data["csrf"]
        elif case == "another value":
            data["csrf"] = csrf[::-1]
        elif case == "another site":
            headers["origin"] = "https://evil.example"
        if case == "not a form":
            posted = await c.post("/pages/signup", json=data)
            assert posted.status_code == 415
        else:
            posted = await c.post("/pages/signup", data=data, headers=headers)
            assert posted.status_code == 403, posted.text
            assert "Formulaire refusé" in posted.text
        assert not TOKEN.search(posted.text)
        # signing in and out are forms too
        signin = await c.post("/pages/signin", data={"token": "dig_x"}, headers=headers)
        assert signin.status_code in (403, 415) and "gateway_token" not in signin.cookies
    assert await consumer_named(store, name) is None


async def test_the_honeypot_refuses_a_robot(store: str) -> None:
    async with client(store) as c:
        csrf = await form_csrf(c, "/pages/signup")
        posted = await c.post(
            "/pages/signup", data=sign_up_form(csrf, "Robot", website="https://spam.example")
        )
        assert posted.status_code == 400 and not TOKEN.search(posted.text)
    assert await consumer_named(store, "Robot") is None


async def test_sign_up_attempts_are_limited_per_address(store: str) -> None:
    async with gateway(store, signup_rate_limit=2) as app:
        async with http(app) as c:
            csrf = await form_csrf(c, "/pages/signup")
            statuses = []
            for n in range(3):
                data = sign_up_form(csrf, "Robot pressé", website=str(n))
                posted = await c.post("/pages/signup", data=data)
                statuses.append(posted.status_code)
            assert statuses == [400, 400, 429]  # (refused robots count as attempts too)
            assert int(posted.headers["retry-after"]) > 0
            signin = await c.post("/pages/signin", data={"csrf": csrf, "token": "dig_x"})
            assert signin.status_code == 429  # guessing tokens is limited the same way
            assert int(signin.headers["retry-after"]) > 0
        # another address is not limited by this one's attempts
        async with http(app, "192.0.2.9") as elsewhere:
            csrf = await form_csrf(elsewhere, "/pages/signup")
            ok = await elsewhere.post("/pages/signup", data=sign_up_form(csrf, "Autre adresse"))
            assert ok.status_code == 201


async def test_form_errors_are_shown_and_nothing_is_created(store: str) -> None:
    async with client(store) as c:
        csrf = await form_csrf(c, "/pages/signup")
        bad = sign_up_form(csrf, "X", contact="pas une adresse", intended_use="court")
        del bad["accept_cgu"]
        posted = await c.post("/pages/signup", data=bad)
        assert posted.status_code == 422 and not TOKEN.search(posted.text)
        assert posted.text.count('aria-invalid="true"') == 4
        assert "4 erreurs" in posted.text and 'value="pas une adresse"' in posted.text
        digits = await c.post("/pages/signup", data=sign_up_form(csrf, "2026"))
        assert digits.status_code == 422 and "que de chiffres" in digits.text
        old = sign_up_form(csrf, "Conditions anciennes", cgu_version="1.0")
        stale = await c.post("/pages/signup", data=old)
        assert stale.status_code == 422 and "Les conditions ont changé" in stale.text
    assert await consumer_named(store, "X") is None
    assert await consumer_named(store, "Conditions anciennes") is None


# --- audit -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
async def restricted_token(store: str) -> str:
    token = access.new_token()
    engine = create_engine(normalize_url(store))
    try:
        async with engine.begin() as conn:
            consumer = await access_store.create_consumer(
                conn,
                name="auditeurs",
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
                label=None,
                expires_at=None,
                now=datetime.now(UTC),
            )
    finally:
        await engine.dispose()
    return token


def phone_row(page: str) -> str:
    found = re.search(r'<tr id="field-telephone".*?</tr>', page, re.S)
    assert found is not None
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(0)))


async def test_the_audit_page_follows_the_api_access_rules(
    store: str, restricted_token: str
) -> None:
    async with client(store) as c:
        anonymous = await c.get(f"/pages/audit/structures/{CCAS}")
        assert anonymous.status_code == 200
        row = phone_row(anonymous.text)
        assert "Dora" in row and "+33299286311" in row and "Soliguide" not in anonymous.text
        assert "données publiques" in anonymous.text
        hidden = await c.get("/pages/audit/structures/soliguide--884")
        assert hidden.status_code == 404

        bad = await c.post(
            "/pages/signin",
            data={"csrf": await form_csrf(c, "/pages/signin"), "token": "dig_unknown"},
        )
        assert bad.status_code == 401 and "unknown token" in bad.text
        assert "gateway_token" not in c.cookies

        csrf = await form_csrf(c, "/pages/signin")
        signed = await c.post(
            "/pages/signin",
            data={
                "csrf": csrf,
                "token": restricted_token,
                "next": f"/pages/audit/structures/{CCAS}",
            },
        )
        assert signed.status_code == 303
        assert signed.headers["location"] == f"/pages/audit/structures/{CCAS}"
        cookie = signed.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie and "path=/pages" in cookie
        seen = await c.get(f"/pages/audit/structures/{CCAS}")
        row = phone_row(seen.text)
        assert "Dora" in row and "Soliguide" in row  # it disagrees, and the token may see it
        assert "+33299286300" in seen.text  # soliguide's own value, side by side
        assert "restricted" in seen.text and restricted_token[:12] in seen.text
        assert restricted_token not in seen.text
        shown = await c.get("/pages/audit/structures/soliguide--884")
        assert shown.status_code == 200 and "CCAS de Rennes" in shown.text

        out = await c.post("/pages/signout", data={"csrf": csrf})
        assert out.status_code == 303 and "gateway_token" not in c.cookies
        after = await c.get(f"/pages/audit/structures/{CCAS}")
        assert "Soliguide" not in after.text

        # a token refused since it was signed in: the pages fall back to public data and say why
        c.cookies.set("gateway_token", "dig_revoked-or-unknown", path="/pages")
        stale = await c.get(f"/pages/audit/structures/{CCAS}")
        assert stale.status_code == 200 and "n'est plus accepté" in stale.text

    async with client(store, anonymous_access="off") as c:
        needs = await c.get(f"/pages/audit/structures/{CCAS}")
        assert needs.status_code == 401 and "connectez-vous" in needs.text
    async with client(store, anonymous_access="referential") as c:
        narrowed = await c.get(f"/pages/audit/structures/{CCAS}")
        assert narrowed.status_code == 403 and "need a token" in narrowed.text


async def test_search_by_name_commune_or_id(store: str) -> None:
    async with client(store) as c:
        by_name = await c.get("/pages/audit", params={"q": "CCAS"})
        assert (
            by_name.status_code == 200 and f'href="/pages/audit/structures/{CCAS}"' in by_name.text
        )
        by_commune = await c.get("/pages/audit", params={"commune": "Fougères"})
        assert "Secours populaire - Fougères" in by_commune.text
        assert "CCAS de Rennes" not in by_commune.text
        by_code = await c.get("/pages/audit", params={"commune": "35238"})
        assert "CCAS de Rennes" in by_code.text and "Mairie de Rennes" in by_code.text
        by_id = await c.get("/pages/audit", params={"q": "emplois-de-linclusion--17"})
        assert by_id.status_code == 303
        assert by_id.headers["location"] == f"/pages/audit/structures/{CCAS}"
        unknown = await c.get("/pages/audit", params={"q": "dora--nope"})
        assert unknown.status_code == 404
        no_commune = await c.get("/pages/audit", params={"commune": "Zzzyx"})
        assert no_commune.status_code == 404
        services = await c.get("/pages/audit", params={"q": "aide", "kind": "services"})
        found = re.search(r'href="(/pages/audit/services/[^"]+)"', services.text)
        assert services.status_code == 200 and found is not None
        service = await c.get(found.group(1))
        assert service.status_code == 200 and 'id="field-thematiques"' in service.text
        assert "Aide alimentaire" in service.text


async def test_the_page_shows_what_the_api_answers_to_its_graphiql_document(
    store: str,
) -> None:
    async with client(store) as c:
        page = await c.get(f"/pages/audit/structures/{CCAS}")
        link = re.search(r'href="(/graphql#[^"]+)"', page.text)
        assert link is not None
        fragment = parse_qs(urlsplit(link.group(1).replace("&amp;", "&")).fragment)
        query = unquote(fragment["query"][0])
        variables = orjson.loads(fragment["variables"][0])
        assert variables == {"id": CCAS}
        answer = await c.post("/graphql", json={"query": query, "variables": variables})
        record = answer.json()["data"]["structure"]
        phone = record["provenance"]["telephone"]
        row = phone_row(page.text)
        assert record["telephone"] in row and phone["source"]["nom"] in row
        assert phone["strategy"] in row and phone["sourceUpdatedAt"] in row
        assert phone["valueSince"][:10] in row and phone["lastConfirmedAt"][:10] in row
        for link_ in record["links"]:
            assert link_["method"] in page.text
        assert len(record["history"]["edges"]) > 0
        assert page.headers["content-security-policy"].startswith("default-src 'none'")


async def test_the_pages_answer_503_when_the_store_cannot() -> None:
    nowhere = "postgresql://postgres@127.0.0.1:9/nowhere"  # nothing listens on port 9
    async with client(nowhere) as c:
        csrf = await form_csrf(c, "/pages/signup")  # (the form itself needs no store)
        signup = await c.post("/pages/signup", data=sign_up_form(csrf, "Sans base"))
        signin = await c.post("/pages/signin", data={"csrf": csrf, "token": "dig_whatever"})
        record = await c.get(f"/pages/audit/structures/{CCAS}")
        for answer in (signup, signin, record):
            assert answer.status_code == 503, answer.text
            assert int(answer.headers["retry-after"]) > 0
            assert not TOKEN.search(answer.text)
