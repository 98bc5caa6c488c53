"""Consumers and tokens: created from the command line, stored hashed, refused when unknown,
revoked, expired or used from another origin; scopes decide the visibility; anonymous access is
a setting; personal data needs a token (SQLite and PostgreSQL)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text, update

from gateway.app import create_app
from gateway.bootstrap import prepare
from gateway.settings import Settings
from ingestion.run import ingest
from models import Token
from store.engine import create_engine, normalize_url
from store.territory_file import DEFAULT_PATH
from tests.conftest import BACKENDS, EXAMPLE, fresh_database
from tests.gateway.cli import gateway as run_cli
from tests.resolvers.places import default_export

SOLIGUIDE = '{ structure(id: "soliguide--884") { id sources { slug } } }'
CONTACT = '{ service(id: "dora--r0-alim") { contactNomPrenom sourceRecords { data } } }'


@pytest.fixture(scope="module", params=BACKENDS)
async def store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    tmp = tmp_path_factory.mktemp("access")
    async with fresh_database(request.param, tmp, "gateway_access") as url:
        engine = create_engine(normalize_url(url))
        await prepare(engine, DEFAULT_PATH)
        for slug in ("emplois-de-linclusion", "soliguide"):
            await ingest(engine, slug, sorted((EXAMPLE / slug).iterdir()))
        await ingest(engine, "dora", default_export(tmp / "dora"))
        await engine.dispose()
        yield url


def _cli(url: str, *args: str) -> Any:
    result = run_cli(*args, env={"DATABASE_URL": url})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout) if "--json" in args else result.stdout


def _consumer(url: str, name: str) -> None:
    _cli(url, "consumer", "create", name, "--cgu-version", "2.1", "--cgu-date", "2026-11-01")


async def _post(url: str, query: str, token: str | None = None, **settings: Any) -> httpx.Response:
    app = create_app(Settings(database_url=url, token_cache_seconds=0, **settings))
    headers = {"authorization": f"Bearer {token}"} if token else {}
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t"
        ) as client:
            return await client.post("/graphql", json={"query": query}, headers=headers)
    finally:
        await app.state.engine.dispose()


async def test_tokens_are_stored_hashed_and_listed_without_their_secret(store: str) -> None:
    _consumer(store, "mairie-de-rennes")
    created = _cli(store, "token", "create", "mairie-de-rennes", "--scopes", "read", "--json")
    token = created["token"]
    assert token.startswith("dig_") and len(token) > 40
    listed = _cli(store, "token", "list", "--json")
    assert [t["prefix"] for t in listed] == [token[:12]]
    assert token not in json.dumps(listed)
    engine = create_engine(normalize_url(store))
    async with engine.connect() as conn:
        rows = (await conn.execute(select(Token.sha256, Token.prefix))).all()
        dump = str((await conn.execute(text("SELECT * FROM token"))).all())
    await engine.dispose()
    assert rows == [(hashlib.sha256(token.encode()).hexdigest(), token[:12])]
    assert token not in dump
    bad = run_cli("token", "create", "mairie-de-rennes", "--scopes", "root", env={
        "DATABASE_URL": store})  # fmt: skip
    assert bad.returncode != 0 and "unknown scope" in bad.stderr


async def test_scopes_decide_what_a_consumer_sees(store: str) -> None:
    _consumer(store, "soliguide-partner")
    read = _cli(store, "token", "create", "soliguide-partner", "--json")["token"]
    restricted = _cli(
        store, "token", "create", "soliguide-partner", "--scopes", "read,restricted", "--json"
    )["token"]
    anonymous = (await _post(store, SOLIGUIDE)).json()
    assert anonymous["data"]["structure"] is None  # a restricted record's id leads nowhere
    assert (await _post(store, SOLIGUIDE, read)).json()["data"]["structure"] is None
    seen = (await _post(store, SOLIGUIDE, restricted)).json()["data"]["structure"]
    assert "soliguide" in {s["slug"] for s in seen["sources"]}


async def test_personal_data_needs_a_token(store: str) -> None:
    _consumer(store, "cd35")
    token = _cli(store, "token", "create", "cd35", "--json")["token"]
    anonymous = (await _post(store, CONTACT)).json()["data"]["service"]
    assert anonymous["contactNomPrenom"] is None
    assert all("contact_nom_prenom" not in r["data"] for r in anonymous["sourceRecords"])
    known = (await _post(store, CONTACT, token)).json()["data"]["service"]
    assert known["contactNomPrenom"] == "Jeanne Martin"
    assert known["sourceRecords"][0]["data"]["contact_nom_prenom"] == "Jeanne Martin"


async def test_refused_tokens_say_why(store: str) -> None:
    _consumer(store, "refusals")
    token = _cli(store, "token", "create", "refusals", "--json")["token"]
    front = _cli(store, "token", "create", "refusals", "--origin", "https://app.example", "--json")[
        "token"
    ]
    query = "{ regions { code } }"
    assert (await _post(store, query, token)).status_code == 200

    async def refused(token: str | None, status: int, words: str, **kw: Any) -> None:
        response = await _post(store, query, token, **kw)
        assert response.status_code == status, response.text
        (error,) = response.json()["errors"]
        assert words in error["message"]
        assert error["extensions"]["code"] in ("UNAUTHENTICATED", "FORBIDDEN")

    await refused("dig_nope", 401, "unknown token")
    app = create_app(Settings(database_url=store, token_cache_seconds=0))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        basic = await c.post(
            "/graphql", json={"query": query}, headers={"authorization": "Basic x"}
        )
        assert basic.status_code == 401 and basic.headers["www-authenticate"].startswith("Bearer")
        other = await c.post(
            "/graphql",
            json={"query": query},
            headers={"authorization": f"Bearer {front}", "origin": "https://evil.example"},
        )
        assert other.status_code == 403
        same = await c.post(
            "/graphql",
            json={"query": query},
            headers={"authorization": f"Bearer {front}", "origin": "https://app.example"},
        )
        assert same.status_code == 200
    await app.state.engine.dispose()
    engine = create_engine(normalize_url(store))
    async with engine.begin() as conn:
        await conn.execute(
            update(Token)
            .where(Token.prefix == front[:12])
            .values(expires_at=datetime.now(UTC) - timedelta(days=1))
        )
    await engine.dispose()
    await refused(front, 401, "expired")
    _cli(store, "token", "revoke", token[:12])
    await refused(token, 401, "revoked")


async def test_anonymous_access_is_a_setting(store: str) -> None:
    data = "{ structures(first: 1) { totalCount } }"
    territories = '{ region(code: "53") { nom } thematiques { value } }'
    assert (await _post(store, data)).status_code == 200  # default: read
    off = await _post(store, data, anonymous_access="off")
    assert off.status_code == 401
    assert off.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    narrow = (await _post(store, data, anonymous_access="referential")).json()
    assert narrow["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert "structures" in narrow["errors"][0]["message"]
    ok = (await _post(store, territories, anonymous_access="referential")).json()
    assert "errors" not in ok and ok["data"]["region"]["nom"] == "Bretagne"
    side_doors = [  # the same root field behind fragments, or through federation's _entities
        "{ ... on Query { structures(first: 1) { totalCount } } }",
        '{ region(code: "53") { departements { structures(first: 2) { totalCount } } } }',
        "{ sources { services(first: 1) { edges { node { id } } } } }",
        "fragment F on Query { structures(first: 1) { totalCount } } { ...F }",
        '{ _entities(representations: [{__typename: "Structure", id: "dora--a1"}]) '
        "{ __typename } }",
    ]
    for query in side_doors:
        door = (await _post(store, query, anonymous_access="referential")).json()
        assert door["errors"][0]["extensions"]["code"] == "FORBIDDEN", (query, door)
    _consumer(store, "narrowed")
    token = _cli(store, "token", "create", "narrowed", "--json")["token"]
    full = (await _post(store, data, token, anonymous_access="referential")).json()
    assert "errors" not in full


async def test_expires_names_the_last_day_a_token_works(store: str) -> None:
    """`--expires D`: the token works through the end of day D (UTC), so D may be today."""
    _consumer(store, "expiring")
    today = datetime.now(UTC).date()
    created = _cli(store, "token", "create", "expiring", "--expires", today.isoformat(), "--json")
    tomorrow = today + timedelta(days=1)
    assert created["expires_at"] == f"{tomorrow.isoformat()}T00:00:00+00:00"
    assert created["last_day"] == today.isoformat()
    assert (await _post(store, "{ regions { code } }", created["token"])).status_code == 200
    listed = _cli(store, "token", "list", "--consumer", "expiring")
    assert f"last-day={today.isoformat()}" in listed and "live" in listed
    yesterday = (today - timedelta(days=1)).isoformat()
    result = run_cli(
        "token", "create", "expiring", "--expires", yesterday, env={"DATABASE_URL": store}
    )
    assert result.returncode != 0 and "--expires" in result.stderr
    helped = run_cli("token", "create", "--help", env={"DATABASE_URL": store}).stdout
    assert "through the end of that day (UTC)" in " ".join(helped.split())


async def test_a_token_bound_to_origins_needs_an_origin(store: str) -> None:
    _consumer(store, "browser-app")
    front = _cli(
        store, "token", "create", "browser-app", "--origin", "https://app.example", "--json"
    )["token"]
    response = await _post(store, "{ regions { code } }", front)  # no Origin header
    assert response.status_code == 403, response.text
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert "Origin" in error["message"]
