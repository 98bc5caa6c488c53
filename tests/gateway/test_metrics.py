"""`/metrics` speaks the Prometheus text format and counts what happened."""

from __future__ import annotations

import re

import httpx

from gateway.app import create_app
from gateway.settings import Settings


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
    assert 'gateway_graphql_operations_total{operation="Regions"} 1' in text  # then a cache hit
    assert 'gateway_response_cache_total{result="hit"} 1' in text
    assert 'gateway_graphql_errors_total{code="GRAPHQL_VALIDATION_FAILED"} 1' in text
    assert re.search(r'gateway_http_request_seconds_bucket\{status="200",le="\+Inf"\} 3', text)
    assert "gateway_db_pool_checked_out" in text
    for line in text.splitlines():  # every sample line is `name{labels} value`
        if line and not line.startswith("#"):
            assert re.fullmatch(r"[a-z_]+(\{[^}]*\})? [0-9.e+-]+", line), line
