"""Getting a store ready. Records merged before a migration that marked them (no filter values,
no coordinates) are recomputed by `gateway db upgrade` only: the server never recomputes data at
start-up, and refuses to start while such work is pending, naming the command."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import delete, func, select, update

from gateway.bootstrap import prepare, reindex_pending, upgrade
from ingestion.run import ingest
from models import GoldenChange, GoldenRecord, GoldenValue
from store.engine import create_engine, normalize_url
from store.territory_file import DEFAULT_PATH
from tests.gateway.test_cli import run

EXAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "merge"


async def test_records_merged_before_the_index_wait_for_db_upgrade(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(normalize_url(url))
    try:
        await prepare(engine, DEFAULT_PATH)
        await ingest(engine, "dora", sorted((EXAMPLE / "dora").iterdir()))
        assert not await reindex_pending(engine)
        async with engine.begin() as conn:  # as a store merged before migration 0002 looks
            await conn.execute(delete(GoldenValue))
            await conn.execute(update(GoldenRecord).values(details_hash=None))
        assert await reindex_pending(engine)
        # what `serve` runs at start-up migrates and loads, but recomputes nothing
        assert not any("marked them" in line for line in await prepare(engine, DEFAULT_PATH))
        assert await reindex_pending(engine)
        async with engine.connect() as conn:
            values = (await conn.execute(select(func.count()).select_from(GoldenValue))).scalar()
        assert values == 0
    finally:
        await engine.dispose()

    # the server refuses to start, with one line naming the command; nothing was served
    refused = run("serve", "--port", "1", env={"DATABASE_URL": url}, timeout=120)
    assert refused.returncode == 2, refused.stderr
    last = refused.stderr.strip().splitlines()[-1]
    assert last.startswith("error: merged records wait to be recomputed"), last
    assert "`gateway db upgrade`" in last
    assert "serving GraphQL" not in refused.stderr and "Traceback" not in refused.stderr

    upgraded = run("db", "upgrade", env={"DATABASE_URL": url})
    assert upgraded.returncode == 0, upgraded.stderr
    assert "merged records recomputed" in upgraded.stdout
    engine = create_engine(normalize_url(url))
    try:
        assert not await reindex_pending(engine)
        async with engine.connect() as conn:
            values = (await conn.execute(select(func.count()).select_from(GoldenValue))).scalar()
        assert values and values > 0
        assert not any("marked them" in line for line in await upgrade(engine, DEFAULT_PATH))
    finally:
        await engine.dispose()


async def test_records_marked_by_migration_0003_get_coordinates_without_feed_noise(
    tmp_path: Path,
) -> None:
    engine = create_engine(normalize_url(f"sqlite:///{tmp_path / 'old.db'}"))
    try:
        await prepare(engine, DEFAULT_PATH)
        await ingest(engine, "dora", sorted((EXAMPLE / "dora").iterdir()))
        async with engine.begin() as conn:  # as migration 0003 leaves a store merged before it
            feed = (await conn.execute(select(func.count()).select_from(GoldenChange))).scalar()
            await conn.execute(
                update(GoldenRecord).values(
                    details_hash=None, content_hash=None, latitude=None, longitude=None,
                    sort_name=None, search_text="old folded text",
                )
            )  # fmt: skip
        done = await upgrade(engine, DEFAULT_PATH)
        assert any("marked them" in line for line in done)
        async with engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(GoldenRecord.public_id, GoldenRecord.latitude, GoldenRecord.sort_name,
                           GoldenRecord.search_text)
                    .where(GoldenRecord.public_id == "dora--a1")
                )
            ).all()  # fmt: skip
            after = (await conn.execute(select(func.count()).select_from(GoldenChange))).scalar()
        (_, latitude, sort_name, text), *_ = rows
        assert latitude == 48.1085 and sort_name == "ccas de rennes"
        assert text and "old folded" not in text
        assert after == feed  # recomputing changed no value: nothing for the change feed
    finally:
        await engine.dispose()
