"""Getting a store ready: reachable, migrated, territories loaded (`prepare`, which `gateway
serve` runs at start-up), and the data migrations a schema migration may ask for (`upgrade`,
which only `gateway db upgrade` runs: a server never recomputes data at start-up, it refuses to
start while such work is pending, see `ReindexPending`)."""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from store import migrate, territory_file
from store import territories as territory_store

log = logging.getLogger(__name__)


class DatabaseUnreachable(RuntimeError):
    """The database named by DATABASE_URL cannot be reached; the message says why."""


class ReindexPending(RuntimeError):
    """Golden records a migration marked wait to be merged again (`gateway db upgrade`)."""

    def __init__(self) -> None:
        super().__init__(
            "merged records wait to be recomputed after a migration (filters, orders and the "
            "search around a place would miss them): run `gateway db upgrade` against the "
            "primary first; the server does not recompute data at start-up"
        )


async def check_reachable(engine: AsyncEngine) -> None:
    where = engine.url.render_as_string(hide_password=True)
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except (OperationalError, DBAPIError, OSError, TimeoutError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise DatabaseUnreachable(
            f"DATABASE_URL: cannot reach the database at {where} ({reason})"
        ) from exc


async def load_territories(engine: AsyncEngine, path: Path) -> dict[str, int]:
    """Check the file first, then replace the territory rows in one transaction."""
    data = territory_file.read(path)
    counts = await territory_store.load(engine, data)
    log.info("territories loaded from %s: %s", path, counts)
    return counts


async def sync_sources(engine: AsyncEngine, producers_dir: Path | None = None) -> int:
    """Write every producer's registry entry to the `source` table (new ones and changes)."""
    from datetime import UTC, datetime

    from ingestion import mapping_file
    from store import records as record_store

    directory = producers_dir or mapping_file.PRODUCERS_DIR
    entries = [
        mapping_file.load(slug, directory).source for slug in mapping_file.known_slugs(directory)
    ]
    async with engine.begin() as conn:
        for entry in entries:
            await record_store.upsert_source(conn, dict(entry.__dict__), datetime.now(UTC))
    return len(entries)


async def prepare(
    engine: AsyncEngine, territories_path: Path, producers_dir: Path | None = None
) -> list[str]:
    """Migrate to head, load the territories when the store has none (or an older file),
    write the producers' registry. No data is recomputed here (see `upgrade`).

    Returns what was done, for the command line to print.
    """
    await check_reachable(engine)
    done: list[str] = []
    before = await migrate.current_revision(engine)
    if before != migrate.head_revision():
        await migrate.upgrade(engine)
        done.append(f"migrated {before or 'empty store'} -> {migrate.head_revision()}")
    data = territory_file.read(territories_path)
    if await territory_store.loaded_sha256(engine) != data.sha256:
        counts = await territory_store.load(engine, data)
        done.append("territories loaded: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    await sync_sources(engine, producers_dir)
    return done


async def upgrade(
    engine: AsyncEngine, territories_path: Path, producers_dir: Path | None = None
) -> list[str]:
    """`gateway db upgrade`: `prepare`, then the data migrations pending (golden records a
    migration marked, merged again)."""
    done = await prepare(engine, territories_path, producers_dir)
    if await reindex_if_needed(engine):
        done.append(
            "merged records recomputed: a migration (0002 filter index, 0003 feed, order and "
            "coordinates) marked them"
        )
    return done


async def reindex_pending(engine: AsyncEngine) -> bool:
    """Whether golden records a migration marked wait to be merged again (a read only)."""
    from store import merging as merging_store

    async with engine.connect() as conn:
        return bool(await merging_store.has_unindexed_goldens(conn))


async def reindex_if_needed(engine: AsyncEngine) -> bool:
    """Golden records a migration marked (no details hash: merged before 0002's filter values or
    0003's coordinates, sort name and stems) are merged again once, as `gateway merge --all`
    does, so filters, orders and the search around a place see them."""
    from datetime import UTC, datetime

    from ingestion.merging import merge_run
    from store import records as record_store

    if not await reindex_pending(engine):
        return False
    log.info("merged records marked by a migration: recomputing them (merge --all)")
    async with engine.begin() as conn:
        version = await record_store.bump_data_version(conn)
        await merge_run(conn, None, now=datetime.now(UTC), data_version=version)
    return True
