"""Every response carries a request id, every access line too, formatted as JSON."""

from __future__ import annotations

import logging
import logging.config

import httpx
import orjson
import pytest

from gateway.app import create_app
from gateway.logs import JSONFormatter, log_config
from gateway.settings import Settings


async def test_request_ids_and_json_access_lines(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(Settings(database_url=settings.database_url))
    caplog.set_level(logging.INFO, logger="gateway.access")
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t"
        ) as client:
            given = await client.get("/healthz", headers={"x-request-id": "front-42"})
            made = await client.post("/graphql", json={"query": "{ regions { code } }"})
            unsafe = await client.get("/healthz", headers={"x-request-id": "a b\nc"})
    finally:
        await app.state.engine.dispose()
    assert given.headers["x-request-id"] == "front-42"
    assert len(made.headers["x-request-id"]) == 32
    assert unsafe.headers["x-request-id"] != "a b\nc"  # never echoed unchecked
    lines = [orjson.loads(JSONFormatter().format(r)) for r in caplog.records]
    first = next(line for line in lines if line.get("request_id") == "front-42")
    assert first["path"] == "/healthz" and first["status"] == 200 and first["level"] == "info"
    graphql = next(line for line in lines if line.get("path") == "/graphql")
    assert graphql["request_id"] == made.headers["x-request-id"]
    assert graphql["duration_ms"] >= 0


def test_the_serve_log_configuration_is_valid() -> None:
    for json_format in (True, False):
        logging.config.dictConfig(log_config("info", json_format))
    logging.config.dictConfig({"version": 1, "disable_existing_loggers": False})
