"""The worked example of the architecture guide (dora, emplois, soliguide), served over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import event

from gateway.app import create_app
from gateway.settings import Settings
from tests.conftest import (
    BACKENDS,
    EXAMPLE_PRODUCERS,
    GraphQLClient,
    StatementCounter,
    fresh_database,
    prepared_store,
)

APPS: dict[str, Any] = {}


@pytest.fixture(scope="module", params=BACKENDS)
async def gql_example(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[GraphQLClient]:
    """The worked example ingested into a store of its own, on each backend."""
    tmp = tmp_path_factory.mktemp("example")
    async with fresh_database(request.param, tmp, "gateway_example") as url:
        await prepared_store(url, EXAMPLE_PRODUCERS)
        app = create_app(Settings(database_url=url, response_cache_seconds=0))
        APPS["example"] = app
        APPS["url"] = url
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t"
        ) as client:
            yield GraphQLClient(client)
        await app.state.cache.close()
        await app.state.engine.dispose()


@contextmanager
def counting(app: Any) -> Iterator[StatementCounter]:
    """The SQL statements `app` runs inside the block."""
    counter = StatementCounter([], app)

    def record(_c: Any, _cur: Any, statement: str, *_a: Any) -> None:
        if not statement.lstrip().upper().startswith(("PRAGMA", "BEGIN", "ROLLBACK", "COMMIT")):
            counter.statements.append(statement)

    engine = app.state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", record)
