"""Automatic persisted queries: a hash alone is unknown until the document was sent once with
it; then a short GET with the hash answers (and is cached); a wrong hash is refused."""

from __future__ import annotations

import hashlib

import httpx
import orjson

from gateway.app import create_app
from gateway.settings import Settings

QUERY = "query Regions { regions { code } }"
HASH = hashlib.sha256(QUERY.encode()).hexdigest()
EXT = {"persistedQuery": {"version": 1, "sha256Hash": HASH}}


async def test_automatic_persisted_queries(settings: Settings) -> None:
    app = create_app(Settings(database_url=settings.database_url))
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t"
        ) as client:
            unknown = await client.post("/graphql", json={"extensions": EXT})
            assert unknown.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
            registered = await client.post("/graphql", json={"query": QUERY, "extensions": EXT})
            assert registered.status_code == 200 and registered.json()["data"]["regions"]
            by_get = await client.get("/graphql", params={"extensions": orjson.dumps(EXT).decode()})
            assert by_get.status_code == 200 and by_get.json() == registered.json()
            assert by_get.headers["cache-control"] == "public, max-age=60"
            wrong = {"persistedQuery": {"version": 1, "sha256Hash": "0" * 64}}
            mismatch = await client.post("/graphql", json={"query": QUERY, "extensions": wrong})
            assert mismatch.status_code == 400
            assert (
                mismatch.json()["errors"][0]["extensions"]["code"]
                == "PERSISTED_QUERY_HASH_MISMATCH"
            )
            plain = await client.post("/graphql", json={"query": QUERY})  # no hash: as before
            assert plain.json() == registered.json()
    finally:
        await app.state.engine.dispose()
