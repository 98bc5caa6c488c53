"""Producer-record I/O for ingestion: sources, runs, records, versions, quarantine, locks."""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import logging
import os
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Integer, String, bindparam, cast, func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from models import IngestRun, Meta, ProducerRecord, ProducerRecordVersion, QuarantinedRow, Source
from store.engine import is_sqlite
from store.territories import table_of

DATA_VERSION_KEY = "data_version"
log = logging.getLogger(__name__)

runs = table_of(IngestRun)
records = table_of(ProducerRecord)
versions = table_of(ProducerRecordVersion)
quarantine = table_of(QuarantinedRow)
sources = table_of(Source)
meta = table_of(Meta)


class SourceLocked(RuntimeError):
    """Another ingest holds the lock: of the source (PostgreSQL), of the store (SQLite)."""


@dataclass(slots=True)
class RecordState:
    """What a run needs to know of a stored record to classify a new row (kept small: a run
    holds one per record of the source)."""

    id: int
    content_hash: str
    raw_hash: str | None
    version: int
    status: str


# --- sources and runs ----------------------------------------------------------------------


async def upsert_source(conn: AsyncConnection, values: dict[str, Any], now: datetime) -> None:
    """Write a registry entry if it is new or changed; an unchanged one is only read, so a
    command starting while an ingest holds the store's write lock (SQLite) or the source's row
    (PostgreSQL) does not wait for it."""
    existing = (
        (await conn.execute(select(sources).where(sources.c.slug == values["slug"])))
        .mappings()
        .first()
    )
    if existing is None:
        await conn.execute(insert(sources).values(**values, created_at=now, updated_at=now))
    elif any(existing[k] != v for k, v in values.items()):
        await conn.execute(
            update(sources).where(sources.c.slug == values["slug"]).values(**values, updated_at=now)
        )


# how often a waiting ingest tries the SQLite store's ingest lock again
LOCK_POLL_SECONDS = 0.25


@asynccontextmanager
async def ingest_lock(engine: AsyncEngine, *, wait: bool) -> AsyncIterator[None]:
    """SQLite: ingests take turns, through a lock file next to the database (SQLite has a single
    writer, and its busy timeout is seconds where an ingest takes minutes). A second ingest waits
    for the first, saying so, or raises SourceLocked without waiting; a killed process releases
    the lock. PostgreSQL: nothing here, see `lock_source`."""
    if not is_sqlite(engine):
        yield
        return
    assert engine.url.database is not None
    database = Path(engine.url.database).expanduser().resolve()
    fd = os.open(database.with_name(database.name + ".ingest-lock"), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        if not _try_lock(fd):
            message = f"another ingest is writing to this SQLite store ({database})"
            if not wait:
                raise SourceLocked(message)
            log.warning("%s: waiting for it to finish (--no-wait to stop instead)", message)
            while not _try_lock(fd):
                await asyncio.sleep(LOCK_POLL_SECONDS)
        yield
    finally:
        os.close(fd)  # releases the lock


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


async def lock_source(conn: AsyncConnection, slug: str, *, wait: bool) -> None:
    """Serialise ingests of one source for the rest of the transaction.

    PostgreSQL: a transaction-scoped advisory lock, released on commit, rollback or a killed
    process. SQLite: `ingest_lock`, taken before the transaction, already serialises every
    ingest of the store.
    """
    if is_sqlite(conn.engine):
        return
    key = int.from_bytes(hashlib.sha256(f"ingest:{slug}".encode()).digest()[:8], "big", signed=True)
    got = (await conn.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": key})).scalar()
    if got:
        return
    if not wait:
        raise SourceLocked(f"another ingest of {slug!r} is running")
    log.warning("another ingest of %r is running: waiting for it to finish", slug)
    await conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})


async def last_succeeded_run(conn: AsyncConnection, slug: str) -> dict[str, Any] | None:
    row = (
        (
            await conn.execute(
                select(runs.c.id, runs.c.fingerprint, runs.c.counts, runs.c.finished_at)
                .where(runs.c.source_slug == slug, runs.c.status.in_(("succeeded", "unchanged")))
                .order_by(runs.c.id.desc())
                .limit(1)
            )
        )
        .mappings()
        .first()
    )
    return dict(row) if row else None


async def create_run(conn: AsyncConnection, values: dict[str, Any]) -> int:
    result = await conn.execute(insert(runs).values(**values).returning(runs.c.id))
    return int(result.scalar_one())


async def finish_run(conn: AsyncConnection, run_id: int, **values: Any) -> None:
    await conn.execute(update(runs).where(runs.c.id == run_id).values(**values))


async def bump_data_version(conn: AsyncConnection) -> int:
    """The next data version, taken in one statement: the row stays locked until the run
    commits, so runs that change data publish their versions (and their change-feed entries)
    one after the other."""
    bumped = await conn.execute(
        update(meta)
        .where(meta.c.key == DATA_VERSION_KEY)
        .values(value=cast(cast(meta.c.value, Integer) + 1, String))
        .returning(meta.c.value)
    )
    value = bumped.scalar_one_or_none()
    if value is None:
        await conn.execute(insert(meta).values(key=DATA_VERSION_KEY, value="1"))
        value = "1"
    if conn.dialect.name == "postgresql":  # heard by every gateway process once this commits
        await conn.execute(select(func.pg_notify(DATA_VERSION_CHANNEL, value)))
    global local_bumps
    local_bumps += 1
    return int(value)


DATA_VERSION_CHANNEL = "gateway_data_version"
# data versions taken by this process (committed or rolled back soon after): a holder of the
# current version that saw this move asks the database again
local_bumps = 0


async def data_version(conn: AsyncConnection) -> int:
    value = (
        await conn.execute(select(meta.c.value).where(meta.c.key == DATA_VERSION_KEY))
    ).scalar_one_or_none()
    return int(value or 0)


# --- records ---------------------------------------------------------------------------------


async def load_states(conn: AsyncConnection, slug: str, kind: str) -> dict[str, RecordState]:
    result = await conn.execute(
        select(
            records.c.producer_id,
            records.c.id,
            records.c.content_hash,
            records.c.raw_hash,
            records.c.version,
            records.c.status,
        ).where(records.c.source_slug == slug, records.c.kind == kind)
    )
    return {
        row.producer_id: RecordState(
            id=row.id,
            content_hash=row.content_hash,
            raw_hash=row.raw_hash,
            version=row.version,
            status=row.status,
        )
        for row in result
    }


async def field_states(
    conn: AsyncConnection, record_ids: Sequence[int]
) -> dict[int, tuple[dict[str, str], dict[str, int]]]:
    """Per-field hashes and "value since" runs of the records about to change."""
    out: dict[int, tuple[dict[str, str], dict[str, int]]] = {}
    ids = list(record_ids)
    for start in range(0, len(ids), 1000):
        result = await conn.execute(
            select(records.c.id, records.c.field_hashes, records.c.field_since_run).where(
                records.c.id.in_(ids[start : start + 1000])
            )
        )
        for row in result:
            out[row.id] = (row.field_hashes or {}, row.field_since_run or {})
    return out


async def update_raw_hashes(conn: AsyncConnection, pairs: Sequence[tuple[int, str]]) -> None:
    """Rows whose raw text changed but whose mapped content did not: remember the new raw."""
    if pairs:
        await conn.execute(
            update(records)
            .where(records.c.id == bindparam("b_id"))
            .values(raw_hash=bindparam("h")),
            [{"b_id": record_id, "h": raw} for record_id, raw in pairs],
        )


async def insert_new(
    conn: AsyncConnection, rows: Sequence[dict[str, Any]], version_rows: Sequence[dict[str, Any]]
) -> list[int]:
    """Insert new records and their first versions (`version_rows[i]` belongs to `rows[i]`)."""
    if not rows:
        return []
    if is_sqlite(conn.engine):
        # the run holds SQLite's single writer lock: ids can be handed out here, which avoids
        # RETURNING with guaranteed order, ten times slower on SQLite
        last = (await conn.execute(select(func.max(records.c.id)))).scalar_one_or_none() or 0
        ids = list(range(last + 1, last + 1 + len(rows)))
        await conn.execute(
            insert(records), [{**r, "id": i} for r, i in zip(rows, ids, strict=True)]
        )
    else:
        result = await conn.execute(
            insert(records).returning(records.c.id, sort_by_parameter_order=True), list(rows)
        )
        ids = [r[0] for r in result]
    await conn.execute(
        insert(versions),
        [{**v, "record_id": record_id} for v, record_id in zip(version_rows, ids, strict=True)],
    )
    return ids


async def apply_changes(
    conn: AsyncConnection,
    changes: Sequence[dict[str, Any]],
    version_rows: Sequence[dict[str, Any]],
    closed_at: datetime,
) -> None:
    """Update changed records, close their current version, append the new one."""
    if not changes:
        return
    await conn.execute(
        update(versions)
        .where(
            versions.c.record_id == bindparam("b_record_id"),
            versions.c.version == bindparam("b_version"),
        )
        .values(valid_to=closed_at),
        [{"b_record_id": c["b_id"], "b_version": c["version"] - 1} for c in changes],
    )
    await conn.execute(
        update(records)
        .where(records.c.id == bindparam("b_id"))
        .values(
            data=bindparam("data"),
            content_hash=bindparam("content_hash"),
            raw_hash=bindparam("raw_hash"),
            field_hashes=bindparam("field_hashes"),
            field_since_run=bindparam("field_since_run"),
            date_maj=bindparam("date_maj"),
            status=bindparam("status"),
            version=bindparam("version"),
            structure_producer_id=bindparam("structure_producer_id"),
            last_seen_run_id=bindparam("last_seen_run_id"),
        ),
        list(changes),
    )
    await conn.execute(insert(versions), list(version_rows))


async def mark_gone(
    conn: AsyncConnection, record_ids: Sequence[int], run_id: int, at: datetime
) -> None:
    ids = list(record_ids)
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        await conn.execute(update(records).where(records.c.id.in_(chunk)).values(status="gone"))
        await conn.execute(
            update(versions)
            .where(versions.c.record_id.in_(chunk), versions.c.valid_to.is_(None))
            .values(valid_to=at)
        )


async def insert_quarantine(conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        await conn.execute(insert(quarantine), list(rows))


# --- reading back (reports, CLI, API) -------------------------------------------------------


async def runs_of(conn: AsyncConnection, slug: str | None, limit: int = 20) -> list[dict[str, Any]]:
    stmt = select(runs).order_by(runs.c.id.desc()).limit(limit)
    if slug:
        stmt = stmt.where(runs.c.source_slug == slug)
    return [dict(r) for r in (await conn.execute(stmt)).mappings()]


async def quarantined(
    conn: AsyncConnection,
    *,
    slug: str | None = None,
    run_id: int | None = None,
    severity: str | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    stmt = select(quarantine).order_by(quarantine.c.id).limit(limit)
    if slug:
        stmt = stmt.where(quarantine.c.source_slug == slug)
    if run_id is not None:
        stmt = stmt.where(quarantine.c.run_id == run_id)
    if severity:
        stmt = stmt.where(quarantine.c.severity == severity)
    return [dict(r) for r in (await conn.execute(stmt)).mappings()]


async def record_versions(
    conn: AsyncConnection, slug: str, kind: str, producer_id: str
) -> list[dict[str, Any]]:
    stmt = (
        select(versions)
        .join(records, records.c.id == versions.c.record_id)
        .where(
            records.c.source_slug == slug,
            records.c.kind == kind,
            records.c.producer_id == producer_id,
        )
        .order_by(versions.c.version)
    )
    return [dict(r) for r in (await conn.execute(stmt)).mappings()]


def as_date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])
