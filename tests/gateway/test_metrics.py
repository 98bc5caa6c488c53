"""`/metrics` speaks the Prometheus text format and counts what happened."""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import httpx
import pytest

from gateway import access
from gateway.app import create_app
from gateway.settings import Settings, SettingsError
from store import access as store
from store.engine import create_engine, normalize_url
from tests.conftest import BACKENDS, EXAMPLE_PRODUCERS, fresh_database, prepared_store


async def test_metrics_count_requests_operations_errors_and_cache(settings: Settings) -> None:
    app = create_app(Settings(database_url=settings.database_url))
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t"
        ) as client:
            for _ in range(2):
                ok = await client.post(
                    "/graphql",
                    json={
                        "query": "query Regions { regions { code } }",
                        "operationName": "Regions",
                    },
                )
                assert ok.status_code == 200
            await client.post("/graphql", json={"query": "{ regions { nope } }"})
            text = (await client.get("/metrics")).text
            again = (await client.get("/metrics")).headers["content-type"]
    finally:
        await app.state.engine.dispose()
    assert again.startswith("text/plain")
    assert 'gateway_http_requests_total{status="200"} 3' in text
    # a name a client wrote is not a label (only trusted documents name theirs); then a hit
    assert 'gateway_graphql_operations_total{operation="anonymous"} 2' in text
    assert 'gateway_response_cache_total{result="hit"} 1' in text
    assert 'gateway_graphql_errors_total{code="GRAPHQL_VALIDATION_FAILED"} 1' in text
    assert re.search(r'gateway_http_request_seconds_bucket\{status="200",le="\+Inf"\} 3', text)
    assert "gateway_db_pool_checked_out" in text
    for line in text.splitlines():  # every sample line is `name{labels} value`
        if line and not line.startswith("#"):
            assert re.fullmatch(r"[a-z_]+(\{[^}]*\})? [0-9.e+-]+", line), line


# --- labels from a closed set; restricted producers behind the metrics token -----------------


@asynccontextmanager
async def _gateway(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t"
        ) as client:
            yield client
    finally:
        await app.state.cache.close()
        await app.state.engine.dispose()


async def test_client_operation_names_are_not_labels(settings: Settings) -> None:
    """500 made-up operation names (and one of 200 KB) leave /metrics as it was: a label
    comes from a closed set, never from what a client writes."""
    quiet = Settings(
        database_url=settings.database_url, rate_limit_anonymous=0, response_cache_seconds=0
    )
    async with _gateway(quiet) as client:
        await client.post("/graphql", json={"query": "query Warm { __typename }"})
        before = len((await client.get("/metrics")).content)
        for i in range(500):
            name = f"Made{i}up"
            body = {"query": f"query {name} {{ __typename }}", "operationName": name}
            assert (await client.post("/graphql", json=body)).status_code == 200
        long_name = "L" * 200_000
        body = {"query": f"query {long_name} {{ __typename }}", "operationName": long_name}
        assert (await client.post("/graphql", json=body)).status_code == 200
        text = (await client.get("/metrics")).text
    print(f"/metrics: {before} bytes before, {len(text)} after 501 named operations")
    assert len(text) - before < 1_000  # only counts went up
    assert "Made1up" not in text and "Warm" not in text and "LLLL" not in text
    assert 'gateway_graphql_operations_total{operation="anonymous"} 502' in text


async def _token(url: str, *, documents: dict[str, str] | None = None) -> str:
    """A fresh consumer's token (trusted documents only, these registered, when given)."""
    engine = create_engine(normalize_url(url))
    token = access.new_token()
    now = datetime.now(UTC)
    try:
        async with engine.begin() as conn:
            consumer = await store.create_consumer(
                conn,
                name=f"metrics-{uuid.uuid4().hex[:8]}",
                contact=None,
                cgu_version="2.1",
                cgu_accepted_on=now.date(),
                now=now,
            )
            token_id = await store.create_token(
                conn,
                consumer_id=consumer,
                prefix=token[: access.PREFIX_LENGTH],
                sha256=access.token_hash(token),
                scopes=["read"],
                origins=[],
                label=None,
                expires_at=None,
                now=now,
                trusted_documents_only=documents is not None,
            )
            if documents:
                entries = [(hashlib.sha256(body.encode()).hexdigest(), body, name)
                           for name, body in documents.items()]  # fmt: skip
                await store.add_trusted_documents(conn, token_id, entries, now)
    finally:
        await engine.dispose()
    return token


async def test_trusted_documents_name_their_operations(settings: Settings) -> None:
    search = "query SearchPage { regions { code } }"
    trusted = await _token(settings.database_url, documents={"SearchPage": search})
    ordinary = await _token(settings.database_url)
    quiet = Settings(
        database_url=settings.database_url, rate_limit_anonymous=0, response_cache_seconds=0
    )
    async with _gateway(quiet) as client:
        document_id = "sha256:" + hashlib.sha256(search.encode()).hexdigest()
        response = await client.post(
            "/graphql",
            json={"documentId": document_id},
            headers={"Authorization": f"Bearer {trusted}"},
        )
        assert response.status_code == 200, response.text
        # the same name from a token that may run anything: not a label
        response = await client.post(
            "/graphql",
            json={"query": "query SearchPageToo { regions { code } }"},
            headers={"Authorization": f"Bearer {ordinary}"},
        )
        assert response.status_code == 200, response.text
        text = (await client.get("/metrics")).text
    assert 'gateway_graphql_operations_total{operation="SearchPage"} 1' in text
    assert "SearchPageToo" not in text


@pytest.fixture(scope="module", params=BACKENDS)
async def example_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    """A store holding ingest runs of an open producer (dora) and a restricted one
    (soliguide)."""
    async with fresh_database(
        request.param, tmp_path_factory.mktemp("metrics"), "gateway_metrics"
    ) as url:
        await prepared_store(url, EXAMPLE_PRODUCERS)
        yield url


async def test_restricted_producers_runs_need_the_metrics_token(example_url: str) -> None:
    async with _gateway(Settings(database_url=example_url)) as client:
        open_text = (await client.get("/metrics")).text
    assert 'gateway_ingest_runs{source="dora"' in open_text
    assert "soliguide" not in open_text

    secret = "m" * 32
    guarded = Settings(database_url=example_url, metrics_token=secret)
    async with _gateway(guarded) as client:
        refused = await client.get("/metrics")
        wrong = await client.get("/metrics", headers={"Authorization": "Bearer " + "x" * 32})
        allowed = await client.get("/metrics", headers={"Authorization": f"Bearer {secret}"})
    for response in (refused, wrong):
        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert "gateway_" not in response.text
    assert allowed.status_code == 200
    assert 'gateway_ingest_runs{source="soliguide"' in allowed.text
    assert 'gateway_ingest_runs{source="dora"' in allowed.text


def test_the_metrics_token_is_a_real_secret() -> None:
    assert Settings.from_env({}).metrics_token is None
    assert Settings.from_env({"GATEWAY_METRICS_TOKEN": "t" * 32}).metrics_token == "t" * 32
    with pytest.raises(SettingsError, match="GATEWAY_METRICS_TOKEN must be at least 16"):
        Settings.from_env({"GATEWAY_METRICS_TOKEN": "secret"})
