"""Requests per minute per address (anonymous) and per token: 429 with Retry-After, shared by
processes through Redis, counted in-process when Redis is unreachable."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from starlette.middleware import Middleware

from gateway.access import Authentication, RateLimit, client_address, token_hash
from gateway.app import chain, create_app
from gateway.ratelimit import RateLimiter
from gateway.settings import Settings
from store.cache import InProcessCache
from tests.conftest import TEST_REDIS_URL

QUERY = {"query": "{ regions { code } }"}


async def _send(app: Any, n: int, address: str, **headers: str) -> list[httpx.Response]:
    transport = httpx.ASGITransport(app=app, client=(address, 1234))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        return [await client.post("/graphql", json=QUERY, headers=headers) for _ in range(n)]


async def test_an_address_over_its_minute_gets_429(settings: Settings) -> None:
    app = create_app(
        Settings(database_url=settings.database_url, rate_limit_anonymous=3)
    )  # in-process counting
    try:
        address = f"10.1.{uuid.uuid4().int % 250}.1"
        responses = await _send(app, 4, address)
        assert [r.status_code for r in responses] == [200, 200, 200, 429]
        refused = responses[-1]
        assert 1 <= int(refused.headers["retry-after"]) <= 61
        assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
        other = await _send(app, 1, "10.2.0.1")  # another address has its own minute
        assert other[0].status_code == 200
    finally:
        await app.state.engine.dispose()


@pytest.mark.skipif(not TEST_REDIS_URL, reason="needs TEST_REDIS_URL (set by .ci/run)")
async def test_two_processes_share_the_count_through_redis(settings: Settings) -> None:
    assert TEST_REDIS_URL
    shared = Settings(
        database_url=settings.database_url, redis_url=TEST_REDIS_URL, rate_limit_anonymous=4
    )
    first, second = create_app(shared), create_app(shared)
    address = f"10.3.{uuid.uuid4().int % 250}.7"
    try:
        codes = [r.status_code for r in await _send(first, 2, address)]
        codes += [r.status_code for r in await _send(second, 3, address)]
        assert codes == [200, 200, 200, 200, 429]
    finally:
        for app in (first, second):
            await app.state.cache.close()
            await app.state.engine.dispose()


async def test_with_redis_unreachable_each_process_still_counts(settings: Settings) -> None:
    down = Settings(
        database_url=settings.database_url,
        redis_url="redis://127.0.0.1:1/0",  # nothing listens there
        rate_limit_anonymous=2,
    )
    app = create_app(down)
    try:
        responses = await _send(app, 3, "10.4.0.1")
        assert [r.status_code for r in responses] == [200, 200, 429]
        assert responses[0].json() == {"data": {"regions": responses[0].json()["data"]["regions"]}}
    finally:
        await app.state.cache.close()
        await app.state.engine.dispose()


def test_the_client_behind_a_trusted_proxy_is_the_forwarded_one() -> None:
    from starlette.requests import Request

    def address(peer: str, forwarded: str, trusted: tuple[str, ...]) -> str:
        scope = {
            "type": "http",
            "client": (peer, 1),
            "headers": [(b"x-forwarded-for", forwarded.encode())],
        }
        return client_address(scope, Request(scope), trusted)

    assert address("10.0.0.2", "1.2.3.4", ()) == "10.0.0.2"  # untrusted peer: its own address
    assert address("10.0.0.2", "6.6.6.6, 1.2.3.4", ("10.0.0.2",)) == "1.2.3.4"
    assert address("10.0.0.2", "1.2.3.4, 10.0.0.3", ("10.0.0.2", "10.0.0.3")) == "1.2.3.4"


async def test_failed_authentications_count_toward_the_address_rate(settings: Settings) -> None:
    """Guessing tokens: unknown ones are 401 until the address is over its minute, then 429
    with Retry-After (and another address is not affected)."""
    app = create_app(
        Settings(database_url=settings.database_url, rate_limit_anonymous=5, token_cache_seconds=0)
    )
    try:
        address = f"10.9.{uuid.uuid4().int % 250}.3"
        transport = httpx.ASGITransport(app=app, client=(address, 1234))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            responses = [
                await client.post(
                    "/graphql", json=QUERY, headers={"Authorization": f"Bearer dig_guess{i}"}
                )
                for i in range(12)
            ]
        codes = [r.status_code for r in responses]
        assert codes == [401] * 5 + [429] * 7, codes
        refused = responses[-1]
        assert 1 <= int(refused.headers["retry-after"]) <= 61
        assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
        other = await _send(app, 1, "10.8.0.1", Authorization="Bearer dig_guess")
        assert other[0].status_code == 401
    finally:
        await app.state.engine.dispose()


async def _steps(limiter: RateLimiter, book: Any, address: str, token: str | None) -> int:
    """The status `Authentication` then `RateLimit` answer one request with."""
    app = chain(
        _ok,
        [
            Middleware(Authentication, book=book, anonymous="read", limiter=limiter),
            Middleware(RateLimit, limiter=limiter),
        ],
    )
    headers = {"authorization": f"Bearer {token}"} if token else {}
    transport = httpx.ASGITransport(app=app, client=(address, 1234))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.post("/graphql", headers=headers)
    return response.status_code


async def _ok(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b""})


async def test_failed_authentications_count_toward_their_address() -> None:
    """`RateLimit` counts an accepted request by its token, or its address; `Authentication`
    counts a refused one by its address, so guessing tokens is limited too."""
    limiter = RateLimiter(InProcessCache(), anonymous_per_minute=2, token_per_minute=3)
    row = {"id": 1, "prefix": "dig_abcdefgh", "consumer_name": "c", "scopes": ["public"],
           "revoked_at": None, "expires_at": None, "consumer_disabled_at": None,
           "origins": [], "trusted_documents_only": False}  # fmt: skip

    async def book(digest: str) -> dict[str, Any] | None:
        return row if digest == token_hash("dig_good") else None

    guesses = [await _steps(limiter, book, "10.9.0.1", "dig_guess") for _ in range(3)]
    assert guesses == [401, 401, 429]
    assert await _steps(limiter, book, "10.9.0.1", None) == 429  # the same address's minute
    tokens = [await _steps(limiter, book, "10.9.0.1", "dig_good") for _ in range(4)]
    assert tokens == [200, 200, 200, 429]  # a token has its own, larger, count
    assert await _steps(limiter, book, "10.9.0.2", None) == 200
