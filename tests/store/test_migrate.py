"""Migrations go up, down and up again on SQLite and PostgreSQL, and match the models."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlmodel import SQLModel

from store import migrate
from store.engine import create_engine, normalize_url

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")


@pytest.fixture(params=["sqlite"] + (["postgresql"] if TEST_DATABASE_URL else []))
async def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'm.db'}"
        return
    assert TEST_DATABASE_URL
    server = normalize_url(TEST_DATABASE_URL)
    name = f"gateway_migrations_{os.getpid()}"
    admin = create_engine(server)
    async with admin.connect() as conn:
        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        await conn.execute(text(f"CREATE DATABASE {name}"))
    yield server.set(database=name).render_as_string(hide_password=False)
    async with admin.connect() as conn:
        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    await admin.dispose()


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


async def test_migrations_match_the_models(empty_url: str) -> None:
    engine = create_engine(normalize_url(empty_url))
    try:
        await migrate.upgrade(engine)
        async with engine.connect() as conn:
            diff = await conn.run_sync(
                lambda c: compare_metadata(MigrationContext.configure(c), SQLModel.metadata)
            )
        assert diff == [], "models changed without a migration: write one"
    finally:
        await engine.dispose()
