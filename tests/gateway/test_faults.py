"""Broken dependencies, on servers these tests start themselves (tests/servers.py):

- PostgreSQL stopped or frozen: a clean 503 within the deadline (with a code and Retry-After),
  /readyz failing while /healthz answers, and answers again as soon as it is back, without a
  restart of the gateway;
- Redis stopped or frozen: every request still gets the right answer, quickly (the circuit
  breaker skips Redis), the rate limit counts in-process, and Redis is used again once back;
- SIGTERM: the gateway stops accepting and finishes the requests in flight before exiting."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from gateway.app import create_app
from gateway.settings import Settings
from tests.conftest import prepared_store
from tests.gateway.cli import gateway as run_cli
from tests.servers import PrivatePostgres, PrivateRedis, free_port, private_postgres, private_redis

QUERY = '{ structure(id: "dora--a1") { id telephone sources { slug } } }'
OTHER = '{ structure(id: "emplois-de-linclusion--e1") { id nom } }'
DEADLINE_MS = 1500
LEAKS = ("Traceback", "asyncpg", "sqlalchemy", "postgres", "127.0.0.1", ".py")

# one worker runs them all, one after the other (make test runs two: tests/README.md): they make
# PostgreSQL clusters and freeze servers, and measure how long answers take
pytestmark = pytest.mark.xdist_group("faults")


@pytest.fixture(scope="module")
def postgres() -> Iterator[PrivatePostgres]:
    with private_postgres() as server:
        yield server


@pytest.fixture(scope="module")
async def store(postgres: PrivatePostgres) -> str:
    await prepared_store(postgres.url, ("dora", "emplois-de-linclusion"))
    return postgres.url


@pytest.fixture
def redis_server() -> Iterator[PrivateRedis]:
    with private_redis() as server:
        yield server


def _settings(url: str, **kw: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": url,
        "request_deadline_ms": DEADLINE_MS,
        "rate_limit_anonymous": 0,
        "token_cache_seconds": 0,
        "response_cache_seconds": 0,
    }
    return Settings(**(values | kw))


@asynccontextmanager
async def _gateway(settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as c:
            yield c, app
    finally:
        await app.state.cache.close()
        await app.state.engine.dispose()


async def _post(
    client: httpx.AsyncClient, query: str = QUERY, **headers: str
) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = await client.post("/graphql", json={"query": query}, headers=headers)
    return response, time.monotonic() - started


def _refused(response: httpx.Response, codes: set[str]) -> str:
    """The response is a clean 503: a code the client can act on, Retry-After, no internals."""
    assert response.status_code == 503, response.text
    assert int(response.headers["retry-after"]) >= 1
    errors = response.json()["errors"]
    found = {e["extensions"]["code"] for e in errors}
    assert found <= codes, errors
    for leak in LEAKS:
        assert leak not in response.text, (leak, response.text)
    return found.pop()


def _token(url: str) -> str:
    env = {"DATABASE_URL": url}
    created = run_cli(
        "consumer", "create", "faults", "--cgu-version", "2.1", "--cgu-date", "2026-11-01", env=env
    )
    assert created.returncode == 0, created.stderr
    made = run_cli("token", "create", "faults", "--scopes", "read", env=env)
    assert made.returncode == 0, made.stderr
    return next(w for w in made.stdout.split() if w.startswith("dig_"))


@pytest.mark.parametrize("response_cache", [0, 300], ids=["no-cache", "response-cache"])
async def test_postgres_stopped_gives_503_then_answers_again(
    store: str, postgres: PrivatePostgres, response_cache: int, caplog: pytest.LogCaptureFixture
) -> None:
    token = _token(store) if response_cache == 0 else None
    async with _gateway(_settings(store, response_cache_seconds=response_cache)) as (client, _):
        healthy, _ = await _post(client)
        assert healthy.status_code == 200 and "errors" not in healthy.json(), healthy.text
        assert (await client.get("/readyz")).status_code == 200

        postgres.stop()
        try:
            response, took = await _post(client)
            assert _refused(response, {"DATABASE_UNAVAILABLE"})
            assert took < DEADLINE_MS / 1000
            if token:  # the token cannot be looked up: 503 too, not 401 nor 500
                with_token, _ = await _post(client, authorization=f"Bearer {token}")
                assert _refused(with_token, {"DATABASE_UNAVAILABLE"})
            ready = await client.get("/readyz")
            assert ready.status_code == 503
            assert ready.json()["checks"]["database"].startswith("unreachable")
            assert (await client.get("/healthz")).status_code == 200
            # the log says so in one line per failure, without a stack trace
            said = [r for r in caplog.records if "unavailable" in r.getMessage()]
            assert said and all(r.exc_info is None for r in said)
            assert not [r for r in caplog.records if r.name.startswith("strawberry")]
        finally:
            postgres.start()

        again, _ = await _post(client)  # the same process, no restart
        assert again.status_code == 200 and again.json() == healthy.json()
        assert (await client.get("/readyz")).status_code == 200


async def test_postgres_frozen_gives_503_within_the_deadline_then_recovers(
    store: str, postgres: PrivatePostgres
) -> None:
    async with _gateway(_settings(store)) as (client, _):
        healthy, _ = await _post(client)
        assert healthy.status_code == 200, healthy.text

        postgres.freeze()
        try:
            response, took = await _post(client)
            _refused(response, {"DEADLINE_EXCEEDED", "DATABASE_UNAVAILABLE"})
            assert took < DEADLINE_MS / 1000 + 0.5  # the deadline, and a little scheduling
            started = time.monotonic()
            ready = await client.get("/readyz")
            assert ready.status_code == 503
            assert time.monotonic() - started < 3.0  # /readyz has its own 2 s limit
        finally:
            postgres.thaw()

        answers = []
        for _ in range(3):  # connections cut mid-statement are replaced, not reused
            again, _ = await _post(client)
            answers.append(again.status_code)
        assert answers == [200, 200, 200], answers
        assert again.json() == healthy.json()
        assert (await client.get("/readyz")).status_code == 200


@pytest.mark.parametrize("fault", ["frozen", "stopped"])
async def test_redis_broken_every_request_still_gets_the_right_answer(
    store: str, redis_server: PrivateRedis, fault: str
) -> None:
    settings = _settings(
        store, redis_url=redis_server.url, response_cache_seconds=300, rate_limit_anonymous=1000
    )
    async with _gateway(settings) as (client, app):
        cache = app.state.cache
        expected, _ = await _post(client)
        assert expected.status_code == 200 and "errors" not in expected.json()
        assert redis_server.keys() > 0  # the answer and the rate-limit counter are in Redis

        if fault == "frozen":
            redis_server.freeze()
        else:
            redis_server.stop()
        timings = []
        for query in (QUERY, OTHER, QUERY, OTHER, QUERY):
            response, took = await _post(client, query)
            assert response.status_code == 200, response.text
            assert "errors" not in response.json()
            if query == QUERY:
                assert response.json() == expected.json()
            timings.append(took)
        # one Redis timeout (0.25 s) at most, then the breaker skips Redis
        assert sum(timings) < 2.0, timings
        assert not cache.available
        # meanwhile answers are cached in-process: the repeated requests above were hits
        metrics = (await client.get("/metrics")).text
        assert 'gateway_response_cache_total{result="hit"} 3' in metrics, metrics

        if fault == "frozen":
            redis_server.thaw()
        else:
            redis_server.start()
        cache._open_until = 0.0  # the breaker's cool-down (5 s) has passed
        keys = redis_server.keys()
        back, _ = await _post(client, "{ regions { code } }")
        assert back.status_code == 200
        assert redis_server.keys() > keys  # Redis is used again, without a restart


async def test_the_rate_limit_counts_in_process_while_redis_is_down(
    store: str, redis_server: PrivateRedis
) -> None:
    redis_server.stop()
    settings = _settings(store, redis_url=redis_server.url, rate_limit_anonymous=3)
    async with _gateway(settings) as (client, _):
        statuses = [(await _post(client, "{ regions { code } }"))[0].status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]


def test_sigterm_finishes_the_requests_in_flight(store: str, postgres: PrivatePostgres) -> None:
    port = free_port()
    env = os.environ | {
        "DATABASE_URL": store,
        "GATEWAY_LOG_FORMAT": "text",
        "GATEWAY_RATE_LIMIT_ANONYMOUS": "0",
        "GATEWAY_RESPONSE_CACHE_SECONDS": "0",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "gateway.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_ready(url)
        result: dict[str, Any] = {}

        def slow_request() -> None:
            response = httpx.post(f"{url}/graphql", json={"query": QUERY}, timeout=30)
            result["status"], result["body"] = response.status_code, response.json()

        postgres.freeze()  # the request below waits on the database…
        try:
            in_flight = threading.Thread(target=slow_request)
            in_flight.start()
            time.sleep(0.5)
            server.send_signal(signal.SIGTERM)  # …while the gateway is told to stop
            time.sleep(0.5)
            with pytest.raises(httpx.ConnectError):  # new connections are refused
                httpx.get(f"{url}/healthz", timeout=2)
            assert server.poll() is None  # still finishing the request in flight
        finally:
            postgres.thaw()
        in_flight.join(20)
        assert result.get("status") == 200, result
        assert result["body"]["data"]["structure"]["id"] == "dora--a1"
        # uvicorn re-raises the SIGTERM it caught once it has finished: "killed by SIGTERM"
        assert server.wait(20) in (0, -signal.SIGTERM)
        assert b"Waiting for connections to close" in server.stderr.read()  # type: ignore[union-attr]
    finally:
        if server.poll() is None:
            server.kill()
        server.wait()


def _wait_ready(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"the gateway at {url} was not ready after {timeout} s")
