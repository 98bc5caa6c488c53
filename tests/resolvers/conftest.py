"""The worked example of the architecture guide (dora, emplois, soliguide), served over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import event

from gateway.app import create_app
from gateway.bootstrap import prepare
from gateway.settings import Settings
from ingestion.run import ingest
from store.engine import create_engine, normalize_url
from store.territory_file import DEFAULT_PATH
from tests.conftest import BACKENDS, GraphQLClient, StatementCounter, fresh_database

EXAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "merge"
APPS: dict[str, Any] = {}


@pytest.fixture(scope="module", params=BACKENDS)
async def gql_example(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[GraphQLClient]:
    """The worked example ingested into a store of its own, on each backend."""
    tmp = tmp_path_factory.mktemp("example")
    async with fresh_database(request.param, tmp, "gateway_example") as url:
        engine = create_engine(normalize_url(url))
        await prepare(engine, DEFAULT_PATH)
        for slug in ("dora", "emplois-de-linclusion", "soliguide"):
            await ingest(engine, slug, sorted((EXAMPLE / slug).iterdir()))
        await engine.dispose()
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
    counter = StatementCounter([])

    def record(_c: Any, _cur: Any, statement: str, *_a: Any) -> None:
        if not statement.lstrip().upper().startswith(("PRAGMA", "BEGIN", "ROLLBACK", "COMMIT")):
            counter.statements.append(statement)

    engine = app.state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", record)
