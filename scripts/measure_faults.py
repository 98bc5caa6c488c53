"""Latency of the gateway while its dependencies break, on servers of its own (the fault tests'
tests/servers.py: a private PostgreSQL cluster and redis-server; needs root and pg_createcluster).

    .venv/bin/python scripts/measure_faults.py [--requests 20]

Prints, per situation, the status codes and the median / max latency of a small detail query
sent in process (no network between client and gateway)."""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gateway.app import create_app
from gateway.bootstrap import prepare
from gateway.settings import Settings
from ingestion.run import ingest
from store.engine import create_engine, normalize_url
from store.territory_file import DEFAULT_PATH
from tests.servers import private_postgres, private_redis

EXAMPLE = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "merge"
QUERY = '{ structure(id: "dora--a1") { id telephone sources { slug } } }'


async def measure(client: httpx.AsyncClient, label: str, n: int) -> None:
    codes: Counter[int] = Counter()
    times = []
    for _ in range(n):
        started = time.perf_counter()
        response = await client.post("/graphql", json={"query": QUERY})
        times.append((time.perf_counter() - started) * 1000)
        codes[response.status_code] += 1
    print(
        f"{label:58} {dict(codes)!s:14} p50 {statistics.median(times):7.1f} ms"
        f"   max {max(times):7.1f} ms"
    )


async def main(n: int) -> None:
    with private_postgres() as pg, private_redis() as redis:
        engine = create_engine(normalize_url(pg.url))
        await prepare(engine, DEFAULT_PATH)
        for slug in ("dora", "emplois-de-linclusion"):
            await ingest(engine, slug, sorted((EXAMPLE / slug).iterdir()))
        await engine.dispose()
        for cache_seconds in (0, 300):
            settings = Settings(
                database_url=pg.url,
                redis_url=redis.url,
                rate_limit_anonymous=0,
                response_cache_seconds=cache_seconds,
                request_deadline_ms=2000,
            )
            app = create_app(settings)
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                what = "response cache on (Redis)" if cache_seconds else "no response cache"
                print(f"-- {what}, deadline 2 s")
                await measure(client, "healthy", n)
                redis.freeze()
                await measure(client, "Redis frozen (SIGSTOP)", n)
                redis.thaw()
                app.state.cache._open_until = 0.0
                redis.stop()
                await measure(client, "Redis stopped", n)
                redis.start()
                app.state.cache._open_until = 0.0
                await measure(client, "Redis back", n)
                pg.stop()
                await measure(client, "PostgreSQL stopped", n)
                pg.start()
                await measure(client, "PostgreSQL back (same process)", n)
                pg.freeze()
                await measure(client, "PostgreSQL frozen (SIGSTOP)", max(2, n // 5))
                pg.thaw()
                await measure(client, "PostgreSQL thawed (same process)", n)
            await app.state.cache.close()
            await app.state.engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=20)
    asyncio.run(main(parser.parse_args().requests))
