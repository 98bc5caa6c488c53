"""Reading the merged referential whole, for exports: the live golden records of a kind that a
consumer of a visibility reads, a page at a time by public id (keyset: memory is one page,
whatever the size of the referential), each with its members' public ids; all of it from one
snapshot of the store, so an export is one data version even while an ingest commits."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession

from store import listing, records
from store.engine import is_sqlite
from store.golden import execute, members

PAGE = 1000


@asynccontextmanager
async def snapshot(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """A read-only session on one snapshot of the store: a repeatable-read transaction on
    PostgreSQL, a read transaction on SQLite (WAL: the writer goes on meanwhile)."""
    async with engine.connect() as conn:
        if is_sqlite(engine):
            # the driver opens no transaction for a SELECT: take it ourselves
            own = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await own.exec_driver_sql("BEGIN")
            try:
                async with AsyncSession(bind=own) as session:
                    yield session
            finally:
                await own.exec_driver_sql("ROLLBACK")
            return
        own = await conn.execution_options(
            isolation_level="REPEATABLE READ", postgresql_readonly=True
        )
        async with own.begin(), AsyncSession(bind=own) as session:
            yield session


async def data_version(session: AsyncSession) -> int:
    """The store's data version as the session's snapshot sees it."""
    conn: AsyncConnection = await session.connection()
    return await records.data_version(conn)


async def count(
    session: AsyncSession, kind: str, visibility: str, where: listing.Filter | None = None
) -> int:
    return await listing.count(session, kind, visibility, where)


async def pages(
    session: AsyncSession,
    kind: str,
    visibility: str,
    where: listing.Filter | None = None,
    *,
    size: int = PAGE,
) -> AsyncIterator[list[tuple[dict[str, Any], list[str]]]]:
    """Pages of (golden row, its members' public ids), by public id; `where` as the API's
    lists mean it (`store.listing.Filter`)."""
    after: list[Any] | None = None
    while True:
        page = await listing.page(
            session, kind, visibility, first=size, after=after, where=where, order="id"
        )
        if not page:
            return
        by_golden: dict[int, list[str]] = defaultdict(list)
        result = await execute(
            session,
            select(members.c.golden_id, members.c.member_public_id).where(
                members.c.golden_id.in_([row["id"] for _key, row in page])
            ),
        )
        for golden_id, member_id in result:
            by_golden[golden_id].append(member_id)
        yield [(row, sorted(by_golden[row["id"]])) for _key, row in page]
        if len(page) < size:
            return
        after = page[-1][0]
