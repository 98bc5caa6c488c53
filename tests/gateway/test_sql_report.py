"""GATEWAY_REPORT_SQL_STATEMENTS: each response says how many SQL statements its request ran."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import event

from gateway.app import create_app
from gateway.settings import Settings, SettingsError

# one statement on every backend: the région loader's batch
ONE_REGION = '{ region(code: "53") { nom } }'
# two loader batches: the département, then its région
DEPARTEMENT_AND_REGION = '{ departement(code: "35") { nom region { nom } } }'
NO_DATABASE = "{ __typename }"


@pytest.fixture
async def reporting_app(settings: Settings) -> AsyncIterator[Any]:
    app = create_app(settings.with_overrides(report_sql_statements=True))
    yield app
    await app.state.cache.close()
    await app.state.engine.dispose()


@pytest.fixture
async def reporting_client(reporting_app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=reporting_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as c:
        yield c


async def post(client: httpx.AsyncClient, query: str) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": query})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body["errors"]
    return body


async def test_the_count_is_in_the_extensions_when_on(
    reporting_client: httpx.AsyncClient, reporting_app: Any
) -> None:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.lstrip().upper().startswith(("PRAGMA", "BEGIN", "ROLLBACK", "COMMIT")):
            seen.append(statement)

    sync_engine = reporting_app.state.engine.sync_engine
    event.listen(sync_engine, "before_cursor_execute", record)
    try:
        await post(reporting_client, ONE_REGION)  # the first connection may run set-up SQL
        seen.clear()
        reporting_app.state.shared_reads.clear()  # and the process keeps the territories it read
        body = await post(reporting_client, DEPARTEMENT_AND_REGION)
    finally:
        event.remove(sync_engine, "before_cursor_execute", record)
    assert body["data"]["departement"]["region"]["nom"] == "Bretagne"
    assert body["extensions"]["sqlStatements"] == len(seen) == 2


async def test_concurrent_requests_are_counted_apart(
    reporting_client: httpx.AsyncClient, reporting_app: Any
) -> None:
    reporting_app.state.shared_reads.ttl_s = 0  # no territory kept from one request to the next
    await post(reporting_client, ONE_REGION)
    bodies = await asyncio.gather(
        post(reporting_client, DEPARTEMENT_AND_REGION),
        post(reporting_client, NO_DATABASE),
        post(reporting_client, ONE_REGION),
        post(reporting_client, DEPARTEMENT_AND_REGION),
    )
    assert [b["extensions"]["sqlStatements"] for b in bodies] == [2, 0, 1, 2]


async def test_errors_still_carry_the_count(reporting_client: httpx.AsyncClient) -> None:
    response = await reporting_client.post("/graphql", json={"query": "{ region { nom } }"})
    body = response.json()
    assert body["errors"]
    assert body["extensions"] == {"sqlStatements": 0}


async def test_no_extensions_when_off(client: httpx.AsyncClient, app: Any) -> None:
    assert app.state.settings.report_sql_statements is False
    body = await post(client, DEPARTEMENT_AND_REGION)
    assert "extensions" not in body


@pytest.mark.parametrize(
    ("raw", "expected"), [("", False), ("0", False), ("off", False), ("1", True), ("TRUE", True)]
)
def test_the_setting_is_read_from_the_environment(raw: str, expected: bool) -> None:
    env = {"GATEWAY_REPORT_SQL_STATEMENTS": raw}
    assert Settings.from_env(env).report_sql_statements is expected


def test_a_bad_value_names_the_setting() -> None:
    with pytest.raises(SettingsError, match="GATEWAY_REPORT_SQL_STATEMENTS must be one of"):
        Settings.from_env({"GATEWAY_REPORT_SQL_STATEMENTS": "maybe"})
