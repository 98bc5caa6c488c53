"""Migrations go up, down and up again on SQLite and PostgreSQL, and match the models."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlmodel import SQLModel

from store import migrate
from store.engine import create_engine, normalize_url
from tests.conftest import BACKENDS, fresh_database


@pytest.fixture(params=BACKENDS)
async def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    async with fresh_database(request.param, tmp_path, "gateway_migrations") as url:
        yield url


async def test_up_down_up(empty_url: str) -> None:
    engine = create_engine(normalize_url(empty_url))
    try:
        await migrate.upgrade(engine)
        assert await migrate.is_current(engine)
        async with engine.connect() as conn:
            tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
        assert set(SQLModel.metadata.tables) <= tables
        await migrate.downgrade(engine)
        assert await migrate.current_revision(engine) is None
        await migrate.upgrade(engine)
        assert await migrate.is_current(engine)
    finally:
        await engine.dispose()


# indexes on expressions: the database gives their expression back in its own spelling, which
# the comparison cannot match with the model's; checked by name instead
EXPRESSION_INDEXES = {"golden_record": {"ix_golden_record_cell"}}


def _compared(obj: Any, name: str | None, kind: str, _reflected: bool, _other: Any) -> bool:
    return not (kind == "index" and name in set().union(*EXPRESSION_INDEXES.values()))


async def test_migrations_match_the_models(empty_url: str) -> None:
    engine = create_engine(normalize_url(empty_url))
    try:
        await migrate.upgrade(engine)
        async with engine.connect() as conn:
            diff = await conn.run_sync(
                lambda c: compare_metadata(
                    MigrationContext.configure(c, opts={"include_object": _compared}),
                    SQLModel.metadata,
                )
            )
            listing = (
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = :t"
                if conn.dialect.name == "sqlite"
                else "SELECT indexname FROM pg_indexes WHERE tablename = :t"
            )
            found = {
                table: set((await conn.execute(text(listing), {"t": table})).scalars())
                for table in EXPRESSION_INDEXES
            }
        assert diff == [], "models changed without a migration: write one"
        for table, names in EXPRESSION_INDEXES.items():
            declared = {i.name for i in SQLModel.metadata.tables[table].indexes}
            assert names <= found[table] and names <= declared, (table, names)
    finally:
        await engine.dispose()
