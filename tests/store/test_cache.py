"""The cache: in-process always, Redis when TEST_REDIS_URL is set, and Redis down is a miss."""

import asyncio
import os
import time

import pytest

from store.cache import Cache, InProcessCache, RedisCache

REDIS_URL = os.environ.get("TEST_REDIS_URL")


def caches() -> list[str]:
    return ["in-process"] + (["redis"] if REDIS_URL else [])


@pytest.fixture(params=caches())
async def cache(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    c: Cache = InProcessCache() if request.param == "in-process" else RedisCache(REDIS_URL or "")
    yield c
    await c.close()


async def test_set_get_delete(cache: Cache) -> None:
    key = f"test:{time.monotonic_ns()}"
    assert await cache.get(key) is None
    await cache.set(key, b"value", ttl_seconds=60)
    assert await cache.get(key) == b"value"
    await cache.delete(key)
    assert await cache.get(key) is None
    assert await cache.ping()


async def test_entries_expire(cache: Cache) -> None:
    key = f"test:{time.monotonic_ns()}"
    await cache.set(key, b"v", ttl_seconds=1)
    await asyncio.sleep(1.2)
    assert await cache.get(key) is None


async def test_in_process_cache_is_bounded() -> None:
    cache = InProcessCache(max_entries=3)
    for i in range(5):
        await cache.set(str(i), b"x", ttl_seconds=60)
    assert [await cache.get(str(i)) for i in range(5)] == [None, None, b"x", b"x", b"x"]


async def test_redis_down_is_a_fast_miss_and_trips_the_breaker() -> None:
    cache = RedisCache("redis://127.0.0.1:1/0", timeout=0.2, cooldown=30)
    started = time.monotonic()
    assert await cache.get("k") is None
    assert not cache.available  # breaker open: later calls do not even try Redis
    await cache.set("k", b"v", ttl_seconds=5)
    # meanwhile an in-process stand-in keeps what is set
    assert await cache.get("k") == b"v"
    await cache.delete("k")
    assert await cache.get("k") is None
    assert time.monotonic() - started < 2
    assert not await cache.ping()
    await cache.close()


async def test_counters_count_then_expire(cache: Cache) -> None:
    key = f"test:count:{time.monotonic_ns()}"
    assert [await cache.incr(key, 1) for _ in range(3)] == [1, 2, 3]
    await asyncio.sleep(1.2)
    assert await cache.incr(key, 1) == 1


async def test_redis_down_cannot_count() -> None:
    down = RedisCache("redis://127.0.0.1:1/0", timeout=0.1)
    assert await down.incr("k", 5) is None  # the rate limiter then counts in-process
    await down.close()


async def test_in_process_cache_is_bounded_in_bytes() -> None:
    """120 answers of 420 KB once took 51 MB: the budget is bytes, whatever their count."""
    cache = InProcessCache(max_entries=10_000, max_bytes=4_000_000)
    value = b"x" * 420_000
    for i in range(120):
        await cache.set(f"answer:{i}", value, ttl_seconds=60)
    assert cache.bytes <= 4_000_000
    assert await cache.get("answer:119") == value  # the latest are kept
    assert await cache.get("answer:0") is None  # the oldest went
    # one value too large for its share of the budget is not kept at all (nor does it push
    # the others out)
    await cache.set("huge", b"y" * 3_000_000, ttl_seconds=60)
    assert await cache.get("huge") is None
    assert await cache.get("answer:119") == value
    # replacing and deleting give the bytes back
    await cache.set("answer:119", b"z", ttl_seconds=60)
    await cache.delete("answer:118")
    assert cache.bytes <= 4_000_000 - 420_000


async def test_in_process_counters_count_in_the_budget() -> None:
    cache = InProcessCache(max_entries=10, max_bytes=10_000)
    for _ in range(3):
        await cache.incr("gateway:rate:ip:1", 60)
    assert await cache.incr("gateway:rate:ip:1", 60) == 4
    assert 0 < cache.bytes < 1_000
