"""The response cache: a repeated request runs no query but the data version's; GETs carry
validators and answer 304; consumers who see different things get different entries; an ingest
moves every process to fresh answers at once; identical concurrent requests run once."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.middleware import Middleware

from gateway.app import chain, create_app
from gateway.response_cache import ResponseCache
from gateway.settings import Settings
from ingestion.run import ingest
from tests.conftest import (
    BACKENDS,
    EXAMPLE,
    EXAMPLE_PRODUCERS,
    TEST_REDIS_URL,
    fresh_database,
    prepared_store,
)
from tests.gateway.cli import gateway as run_cli
from tests.resolvers.conftest import counting

QUERY = '{ structure(id: "dora--a1") { id telephone sources { slug } } }'


@pytest.fixture(scope="module", params=BACKENDS)
async def store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    tmp = tmp_path_factory.mktemp("response-cache")
    async with fresh_database(request.param, tmp, "gateway_response_cache") as url:
        await prepared_store(url, EXAMPLE_PRODUCERS)
        yield url


def _settings(url: str, **kw: Any) -> Settings:
    return Settings(database_url=url, token_cache_seconds=0, **kw)


async def _client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


def _statements(counter: Any) -> list[str]:
    return [s for s in counter.statements if "FROM meta" not in s]


async def test_a_repeated_request_is_answered_from_the_cache(store: str) -> None:
    app = create_app(_settings(store))
    try:
        async with await _client(app) as client:
            with counting(app) as first:
                one = await client.post("/graphql", json={"query": QUERY})
            # the same document spelt differently is the same entry
            with counting(app) as second:
                two = await client.post("/graphql", json={"query": QUERY.replace(" ", "  ")})
        assert one.json() == two.json() and one.json()["data"]["structure"]["id"] == "dora--a1"
        assert _statements(first) and _statements(second) == []
        assert len(second.statements) == 1  # the data version
        assert one.headers["etag"] == two.headers["etag"]
    finally:
        await app.state.engine.dispose()


async def test_get_answers_carry_validators_and_304(store: str) -> None:
    app = create_app(_settings(store))
    try:
        async with await _client(app) as client:
            got = await client.get("/graphql", params={"query": QUERY})
            assert got.status_code == 200
            assert got.headers["cache-control"] == "public, max-age=60"
            etag = got.headers["etag"]
            again = await client.get(
                "/graphql", params={"query": QUERY}, headers={"if-none-match": etag}
            )
            assert again.status_code == 304 and again.content == b""
            assert again.headers["etag"] == etag
    finally:
        await app.state.engine.dispose()


async def test_what_a_consumer_may_see_is_in_the_key(store: str) -> None:
    created = run_cli(
        "consumer", "create", "cache-test", "--cgu-version", "1", "--cgu-date", "2026-11-01",
        env={"DATABASE_URL": store},
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    made = run_cli(
        "token", "create", "cache-test", "--scopes", "read,restricted", "--json",
        env={"DATABASE_URL": store},
    )  # fmt: skip
    import json

    token = json.loads(made.stdout)["token"]
    app = create_app(_settings(store))
    try:
        async with await _client(app) as client:
            public = (await client.post("/graphql", json={"query": QUERY})).json()
            restricted = (
                await client.post(
                    "/graphql",
                    json={"query": QUERY},
                    headers={"authorization": f"Bearer {token}"},
                )
            ).json()
            public_again = (await client.post("/graphql", json={"query": QUERY})).json()
        slugs = {s["slug"] for s in restricted["data"]["structure"]["sources"]}
        assert "soliguide" in slugs
        assert public == public_again
        assert "soliguide" not in {s["slug"] for s in public["data"]["structure"]["sources"]}
    finally:
        await app.state.engine.dispose()


async def test_an_ingest_moves_every_process_to_fresh_answers(store: str, tmp_path: Path) -> None:
    shared = _settings(store, redis_url=TEST_REDIS_URL)
    first, second = create_app(shared), create_app(shared)
    try:
        async with await _client(first) as a, await _client(second) as b:
            old = [(await c.post("/graphql", json={"query": QUERY})).json() for c in (a, b)]
            assert old[0] == old[1]
            folder = tmp_path / "dora"
            shutil.copytree(EXAMPLE / "dora", folder)
            page = folder / "structures-0001.json"
            page.write_text(
                page.read_text(encoding="utf-8").replace("+33299286311", "+33299286377")
            )
            report = await ingest(first.state.engine, "dora", sorted(folder.iterdir()))
            assert report.status == "succeeded"
            new = [(await c.post("/graphql", json={"query": QUERY})).json() for c in (a, b)]
        assert new[0] == new[1] != old[0]
        assert new[0]["data"]["structure"]["telephone"] == "+33299286377"
    finally:
        for app in (first, second):
            await app.state.cache.close()
            await app.state.engine.dispose()


async def test_identical_concurrent_requests_run_once(store: str) -> None:
    query = "{ structures(first: 7) { totalCount edges { node { id nom } } } }"
    alone_app, app = create_app(_settings(store)), create_app(_settings(store))
    try:
        async with await _client(alone_app) as client:
            with counting(alone_app) as alone:
                await client.post("/graphql", json={"query": query})
        async with await _client(app) as client:
            with counting(app) as together:
                answers = await asyncio.gather(
                    *(client.post("/graphql", json={"query": query}) for _ in range(5))
                )
        assert len({a.text for a in answers}) == 1
        assert len(_statements(together)) == len(_statements(alone)) > 0
    finally:
        for each in (alone_app, app):
            await each.state.engine.dispose()


async def test_a_repeated_get_parameter_cannot_poison_the_cache(store: str) -> None:
    """`?query=A&query=B`: the framework runs one of them; the cache must not file that answer
    under the other."""
    app = create_app(_settings(store, response_cache_seconds=60))
    asked = '{ region(code: "53") { nom } }'
    other = '{ region: departement(code: "75") { nom } }'
    try:
        async with await _client(app) as client:
            await client.get("/graphql", params=[("query", asked), ("query", other)])
            answer = await client.get("/graphql", params={"query": asked})
    finally:
        await app.state.engine.dispose()
    assert answer.json() == {"data": {"region": {"nom": "Bretagne"}}}


async def test_a_shared_execution_abandoned_at_its_deadline_is_run_again() -> None:
    """Two identical requests share one execution; the first is cut at its deadline (503), the
    second, which came later, still gets its answer rather than an error."""
    from gateway.deadline import Deadline
    from gateway.request import ReadRequest
    from store.cache import InProcessCache

    calls = []

    async def slow(scope: Any, receive: Any, send: Any) -> None:  # only its first run is slow
        await receive()
        calls.append(1)
        await asyncio.sleep(1.0 if len(calls) == 1 else 0.01)
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json")]})  # fmt: skip
        await send({"type": "http.response.body", "body": b'{"data":{"a":1}}'})

    async def version() -> int:
        return 1

    steps = [
        Middleware(Deadline, seconds=0.3),
        Middleware(ReadRequest),
        Middleware(ResponseCache, cache=InProcessCache(), data_version=version, ttl_seconds=60),
    ]
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=chain(slow, steps)), base_url="http://t"
    ) as client:

        async def send(delay: float) -> httpx.Response:
            await asyncio.sleep(delay)
            return await client.post("/graphql", json={"query": "{ a }"})

        first, second = await asyncio.gather(send(0), send(0.1))
    assert first.status_code == 503
    assert first.json()["errors"][0]["extensions"]["code"] == "DEADLINE_EXCEEDED"
    assert second.status_code == 200 and second.json() == {"data": {"a": 1}}
    assert len(calls) == 2


async def test_large_answers_are_not_kept_and_the_cache_has_a_byte_budget(store: str) -> None:
    communes = "query($after: String) { communes(first: 1000, after: $after) { edges { cursor node { code nom codesPostaux population } } pageInfo { endCursor } } }"  # noqa: E501
    app = create_app(
        _settings(store, cache_max_bytes=2_097_152, response_cache_max_answer_bytes=150_000)
    )
    try:
        async with await _client(app) as client:
            after = None
            sizes = []
            for _ in range(20):  # twenty pages of about 110 KB (140 KB kept): over the budget
                page = await client.post(
                    "/graphql", json={"query": communes, "variables": {"after": after}}
                )
                sizes.append(len(page.content))
                after = page.json()["data"]["communes"]["pageInfo"]["endCursor"]
            large = "{ communes(first: 1000) { edges { cursor node { code nom codesPostaux population centroide { latitude longitude } departement { nom } } } } }"  # noqa: E501
            for _ in range(2):
                answer = await client.post("/graphql", json={"query": large})
                assert answer.status_code == 200
            metrics = (await client.get("/metrics")).text
        print(f"pages of {min(sizes)} to {max(sizes)} bytes, then {len(answer.content)} bytes")
        assert max(sizes) < 150_000 < len(answer.content)
        cache = app.state.cache
        if cache.name == "in-process":
            print(f"the in-process cache holds {cache.bytes} bytes")
            assert 1_500_000 < cache.bytes <= 2_097_152
        # the large answer ran twice: never kept
        assert 'gateway_response_cache_total{result="hit"} 0' in metrics
    finally:
        await app.state.cache.close()
        await app.state.engine.dispose()


async def _listening(app: Any) -> None:
    """Wait until the app's process hears data versions (PostgreSQL's notifications)."""
    for _ in range(100):
        if app.state.versions.listening:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the data version listener did not start")


async def test_a_hit_runs_no_statement_where_versions_are_heard(store: str) -> None:
    """On PostgreSQL a process hears new data versions: a cache hit reads nothing. SQLite has
    no notifications: a hit reads the data version (a local file's one row)."""
    app = create_app(_settings(store))
    sqlite = store.startswith("sqlite")
    async with app.router.lifespan_context(app), await _client(app) as client:
        if not sqlite:
            await _listening(app)
        await client.post("/graphql", json={"query": QUERY})
        await client.post("/graphql", json={"query": QUERY})  # the version is known from here
        with counting(app) as hit:
            again = await client.post("/graphql", json={"query": QUERY})
        assert again.status_code == 200 and again.json()["data"]["structure"]["id"] == "dora--a1"
        assert len(hit.statements) == (1 if sqlite else 0), hit.statements


async def test_an_ingest_made_elsewhere_reaches_a_serving_process(
    store: str, tmp_path: Path
) -> None:
    """On PostgreSQL the process hears the new version (it is known without a query); on
    SQLite, which has no notifications, the process reads the version at each request. Either
    way the next answer is fresh."""
    sqlite = store.startswith("sqlite")
    app = create_app(_settings(store))
    async with app.router.lifespan_context(app), await _client(app) as client:
        if not sqlite:
            await _listening(app)
        await client.post("/graphql", json={"query": QUERY})
        before = app.state.versions.known()
        # another process's ingest: its own engine, a version taken outside this app
        folder = tmp_path / "dora"
        shutil.copytree(EXAMPLE / "dora", folder)
        page = folder / "structures-0001.json"
        page.write_text(page.read_text(encoding="utf-8").replace("+33299286311", "+33299286355"))
        cli = run_cli(
            "ingest", "dora", *map(str, sorted(folder.iterdir())), env={"DATABASE_URL": store}
        )
        assert cli.returncode == 0, cli.stderr
        if sqlite:
            assert before is None and not app.state.versions.listening
        else:
            for _ in range(100):
                if (app.state.versions.known() or 0) > (before or 0):
                    break
                await asyncio.sleep(0.02)
            assert (app.state.versions.known() or 0) > (before or 0)
        fresh = (await client.post("/graphql", json={"query": QUERY})).json()
        assert fresh["data"]["structure"]["telephone"] == "+33299286355"
