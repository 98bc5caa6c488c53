"""`/metrics` speaks the Prometheus text format and counts what happened; with several workers
(prometheus_client's multiprocess mode, set up by `gateway serve`) it adds them all up."""

from __future__ import annotations

import hashlib
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from prometheus_client import multiprocess
from prometheus_client.parser import text_string_to_metric_families

from gateway import access
from gateway.app import create_app
from gateway.settings import Settings, SettingsError
from store import access as store
from store.engine import create_engine, normalize_url
from tests.conftest import BACKENDS, EXAMPLE_PRODUCERS, fresh_database, prepared_store
from tests.servers import _children, free_port, wait_for_port

ROOT = Path(__file__).resolve().parents[2]


def samples(text: str) -> dict[str, float]:
    """Every sample of a /metrics page, by `name{labels}` (labels in name order), parsed by
    prometheus_client's own parser."""
    found: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items()))
            found[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
    return found


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
    assert again.startswith("text/plain; version=0.0.4")
    found = samples(text)
    assert found['gateway_http_requests_total{status="200"}'] == 3
    # a name a client wrote is not a label (only trusted documents name theirs); then a hit
    assert found['gateway_graphql_operations_total{operation="anonymous"}'] == 2
    assert found['gateway_response_cache_total{result="hit"}'] == 1
    assert found['gateway_response_cache_total{result="miss"}'] == 2
    assert found['gateway_graphql_errors_total{code="GRAPHQL_VALIDATION_FAILED"}'] == 1
    assert found['gateway_http_request_seconds_bucket{le="+Inf",status="200"}'] == 3
    assert found['gateway_http_request_seconds_count{status="200"}'] == 3
    assert found["gateway_db_pool_checked_out"] == 0  # every connection given back
    assert "gateway_db_pool_size" in found
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
    assert samples(text)['gateway_graphql_operations_total{operation="anonymous"}'] == 502


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
    assert samples(text)['gateway_graphql_operations_total{operation="SearchPage"}'] == 1
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


# --- several workers: one total, whichever worker answers the scrape -------------------------


@pytest.fixture(scope="module")
async def sqlite_store(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    async with fresh_database("sqlite", tmp_path_factory.mktemp("workers"), "workers") as url:
        await prepared_store(url)
        yield url


def _requests_total(text: str) -> float:
    return sum(
        value
        for key, value in samples(text).items()
        if key.startswith("gateway_http_requests_total")
    )


def _per_worker_requests(metrics_dir: Path) -> dict[int, float]:
    """Each worker's own count of requests, read from its file in the metrics directory."""
    counts: dict[int, float] = {}
    for path in metrics_dir.glob("counter_*.db"):
        pid = int(path.stem.rsplit("_", 1)[1])
        for family in multiprocess.MultiProcessCollector.merge([str(path)]):
            for sample in family.samples:
                if sample.name == "gateway_http_requests_total":
                    counts[pid] = counts.get(pid, 0) + sample.value
    return counts


def test_two_workers_count_every_request_once_and_never_go_backwards(
    sqlite_store: str, tmp_path: Path
) -> None:
    """`gateway serve --workers 2`: each scrape, whichever worker answers it, shows the total of
    both, equal to the requests sent so far, and never less than the previous scrape, even
    after a worker is killed and replaced. The server's metrics directory is its own and is
    gone once it stops."""
    port = free_port()
    parent = tmp_path / "prometheus"
    env = {
        **os.environ,
        "DATABASE_URL": sqlite_store,
        "PROMETHEUS_MULTIPROC_DIR": str(parent),
        "GATEWAY_PREPARE_ON_START": "0",
        "GATEWAY_RATE_LIMIT_ANONYMOUS": "0",
        "GATEWAY_LOG_LEVEL": "warning",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "gateway.cli", "serve", "--workers", "2", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    sent, previous, scrapes = 0, -1.0, 0

    def send(n: int) -> None:
        nonlocal sent
        for _ in range(n):  # a connection each: the kernel hands them to either worker
            response = httpx.post(f"{base}/graphql", json={"query": "{ __typename }"}, timeout=10)
            assert response.status_code == 200, response.text
            sent += 1

    def scrape_all(times: int = 4) -> None:
        nonlocal previous, scrapes
        for _ in range(times):
            total = _requests_total(httpx.get(f"{base}/metrics", timeout=10).text)
            assert total >= previous, f"went backwards: {previous} then {total}"
            assert total == sent, f"{total} counted, {sent} sent"
            previous, scrapes = total, scrapes + 1

    try:
        wait_for_port(port, timeout=60)
        (metrics_dir,) = parent.iterdir()  # made for this start
        for _ in range(4):
            send(10)
            scrape_all()
        workers = _per_worker_requests(metrics_dir)
        assert len([n for n in workers.values() if n > 0]) == 2, workers  # both answered

        # a worker killed: uvicorn starts another; the dead one's counts stay in the total
        victim = next(pid for pid, n in workers.items() if n > 0)
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 60
        while len(_children(server.pid)) < 2 or victim in _children(server.pid):
            assert time.monotonic() < deadline, "uvicorn did not replace the worker"
            time.sleep(0.2)
        time.sleep(1)
        scrape_all()
        send(20)
        scrape_all()
        assert sent == 60 and scrapes == 6 * 4
    finally:
        server.terminate()
        _, stderr = server.communicate(timeout=60)
    assert server.returncode == 0, stderr
    assert list(parent.iterdir()) == []  # the start's directory went with it


def test_one_worker_counts_in_its_start_directory_and_removes_it_on_sigterm(
    sqlite_store: str, tmp_path: Path
) -> None:
    """`gateway serve` with one worker (the app in the serving process itself) counts in the
    start's directory too; on SIGTERM it stops gracefully, dies of the signal as uvicorn means
    it to, and leaves no directory behind; a directory a killed server left is removed at the
    next start."""
    port = free_port()
    parent = tmp_path / "prometheus"
    stale = parent / "gateway-metrics-999999999-abc"  # a pid no process has
    stale.mkdir(parents=True)
    (stale / "counter_999999999.db").write_bytes(b"")
    env = {
        **os.environ,
        "DATABASE_URL": sqlite_store,
        "PROMETHEUS_MULTIPROC_DIR": str(parent),
        "GATEWAY_PREPARE_ON_START": "0",
        "GATEWAY_LOG_LEVEL": "warning",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "gateway.cli", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_port(port, timeout=60)
        (current,) = parent.iterdir()
        assert current.name.startswith(f"gateway-metrics-{server.pid}-")
        for _ in range(5):
            httpx.post(f"{base}/graphql", json={"query": "{ __typename }"}, timeout=10)
        assert _requests_total(httpx.get(f"{base}/metrics", timeout=10).text) == 5
        assert list(current.glob("counter_*.db"))  # counted in the directory, not in memory
    finally:
        server.terminate()
        _, stderr = server.communicate(timeout=60)
    assert server.returncode == -signal.SIGTERM, stderr
    assert list(parent.iterdir()) == []
