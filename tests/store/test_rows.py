"""`store.rows`: reads straight from the driver on PostgreSQL give what SQLAlchemy gives."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, event, func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession

from models.columns import AwareDateTime, JSONType
from store import rows as rows_module
from store.engine import create_engine, normalize_url
from store.reads import reading
from store.rows import any_of, rows
from tests.servers import need

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if TEST_DATABASE_URL else [])

metadata = MetaData()
things = Table(
    f"rows_test_{uuid.uuid4().hex[:8]}",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String, nullable=False),
    Column("data", JSONType, nullable=False),
    Column("seen_at", AwareDateTime(), nullable=True),
)
SEEN = datetime(2026, 11, 30, 8, 15, tzinfo=UTC)
ROWS = [
    {"id": i, "name": f"n{i}", "data": {"k": [i, "é"], "nested": {"v": None}}, "seen_at": SEEN}
    for i in range(1, 8)
]


@pytest.fixture(params=BACKENDS)
async def engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    url = f"sqlite:///{tmp_path / 'rows.db'}" if request.param == "sqlite" else TEST_DATABASE_URL
    assert url
    made = create_engine(normalize_url(url))
    async with made.begin() as conn:
        await conn.run_sync(metadata.create_all)
        await conn.execute(things.insert(), ROWS)
    try:
        yield made
    finally:
        async with made.begin() as conn:
            await conn.run_sync(metadata.drop_all)
        await made.dispose()


def _by_ids() -> Any:
    total = select(func.count()).select_from(things).where(any_of(things.c.id, "ids"))
    return (
        select(things, total.scalar_subquery().label("_total"))
        .where(any_of(things.c.id, "ids"), things.c.name != text("'nobody'"))
        .order_by(things.c.id)
    )


async def _through_sqlalchemy(session: AsyncSession, stmt: Any, params: dict[str, Any]) -> Any:
    conn = await session.connection()
    return [dict(r) for r in (await conn.execute(stmt, params)).mappings()]


async def test_rows_are_what_sqlalchemy_reads(engine: AsyncEngine) -> None:
    stmt = _by_ids()
    async with AsyncSession(reading(engine)) as session:
        for ids in ([3], [1, 4, 6], [2, 99]):
            got = await rows(session, stmt, {"ids": ids})
            assert got == await _through_sqlalchemy(session, stmt, {"ids": ids})
            assert [r["id"] for r in got] == sorted(i for i in ids if i <= 7)
            assert got[0]["data"] == {"k": [got[0]["id"], "é"], "nested": {"v": None}}
            assert got[0]["seen_at"] == SEEN and got[0]["seen_at"].tzinfo is not None
            assert got[0]["_total"] == len(got)


async def test_one_statement_whatever_the_list_length_and_values_bound_anew() -> None:
    """On PostgreSQL a list is one array parameter: lists of any length share one compiled
    statement; literal values of a statement built per call are bound from that statement."""
    need(TEST_DATABASE_URL is not None, "needs TEST_DATABASE_URL (PostgreSQL)")
    assert TEST_DATABASE_URL
    engine = create_engine(normalize_url(TEST_DATABASE_URL))
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
        await conn.execute(things.insert(), ROWS)
    sent: list[str] = []
    event.listen(engine.sync_engine, "before_cursor_execute", lambda *a: sent.append(a[2]))
    try:
        async with AsyncSession(reading(engine)) as session:
            rows_module._COMPILED.clear()
            for ids in ([1], [1, 2, 3], list(range(1, 8))):
                assert len(await rows(session, _by_ids(), {"ids": ids})) == len(ids)
            assert len(rows_module._COMPILED) == 1
            assert len(set(sent)) == 1 and "ANY" in sent[0]  # statements are seen as sent
            for name in ("n2", "n5"):  # a literal differs, the shape does not
                built = select(things.c.id).where(things.c.name == name)
                assert await rows(session, built) == [{"id": int(name[1:])}]
            assert len(rows_module._COMPILED) == 2
            # a list written with in_ is expanded by SQLAlchemy: read through it, still right
            expanded = select(things.c.id).where(things.c.id.in_([2, 3])).order_by(things.c.id)
            assert await rows(session, expanded) == [{"id": 2}, {"id": 3}]
    finally:
        async with engine.begin() as conn:
            await conn.run_sync(metadata.drop_all)
        await engine.dispose()


async def test_a_read_cut_short_does_not_leave_its_connection_in_the_pool() -> None:
    """A read cancelled mid-statement (a deadline) closes its connection; the pool replaces
    it at the next checkout instead of handing out one with a statement still running."""
    need(TEST_DATABASE_URL is not None, "needs TEST_DATABASE_URL (PostgreSQL)")
    assert TEST_DATABASE_URL
    engine = create_engine(normalize_url(TEST_DATABASE_URL), pool_size=1)
    try:
        async with AsyncSession(reading(engine)) as session:
            first = (await rows(session, select(func.pg_backend_pid().label("pid"))))[0]["pid"]
            slow = select(func.pg_sleep(5).label("slept"))
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(rows(session, slow), 0.3)
        async with AsyncSession(reading(engine)) as session:
            again = (await rows(session, select(func.pg_backend_pid().label("pid"))))[0]["pid"]
        assert again != first
    finally:
        await engine.dispose()
