"""Filter tags: a service's absence of zone or mode of reception is a tag of its own, kept
up to date when its values change (PostgreSQL, where searches read the tags)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import delete, insert, select
from sqlmodel import SQLModel

from models import GoldenRecord, GoldenValue
from store.engine import create_engine, normalize_url
from store.merging import refresh_tags
from store.tags import NO_VALUE, row_tags
from store.territories import table_of
from tests.conftest import TEST_DATABASE_URL, fresh_database
from tests.servers import need

goldens, values = table_of(GoldenRecord), table_of(GoldenValue)


def test_a_record_holds_its_values_then_what_its_kind_lacks() -> None:
    held = [{"field": "thematique", "value": "famille"}, {"field": "zone", "value": "35"}]
    assert row_tags("service", held) == [
        "thematique:famille",
        "zone:35",
        f"mode_accueil:{NO_VALUE}",
    ]
    assert row_tags("structure", held) == ["thematique:famille", "zone:35"]  # no such fields


async def test_refreshed_tags_say_what_a_service_holds_and_lacks(tmp_path: Path) -> None:
    need(TEST_DATABASE_URL is not None, "needs TEST_DATABASE_URL (tags are PostgreSQL's)")
    async with fresh_database("postgresql", tmp_path, "store_tags") as url:
        engine = create_engine(normalize_url(url))
        try:
            async with engine.begin() as conn:
                await conn.run_sync(
                    SQLModel.metadata.create_all,
                    tables=[goldens, values],
                )
                rows = [
                    {"kind": kind, "visibility": "all", "public_id": f"p--{i}", "data": {}}
                    for i, kind in enumerate(("service", "service", "structure"))
                ]
                ids = [
                    (
                        await conn.execute(insert(goldens).values(r).returning(goldens.c.id))
                    ).scalar_one()
                    for r in rows
                ]
                await conn.execute(
                    insert(values),
                    [
                        {"golden_id": ids[0], "field": "zone", "value": "35238"},
                        {"golden_id": ids[0], "field": "mode_accueil", "value": "a-distance"},
                        {"golden_id": ids[1], "field": "thematique", "value": "famille"},
                    ],
                )
                await refresh_tags(conn, ids)
                tags = dict((await conn.execute(select(goldens.c.id, goldens.c.tags))).all())
                assert sorted(tags[ids[0]]) == ["mode_accueil:a-distance", "zone:35238"]
                assert sorted(tags[ids[1]]) == [
                    f"mode_accueil:{NO_VALUE}",
                    "thematique:famille",
                    f"zone:{NO_VALUE}",
                ]
                assert tags[ids[2]] is None  # a structure has neither field

                # the first service loses its zone: its tags say so at the next refresh
                await conn.execute(delete(values).where(values.c.field == "zone"))
                await refresh_tags(conn, [ids[0]])
                after = (
                    await conn.execute(select(goldens.c.tags).where(goldens.c.id == ids[0]))
                ).scalar_one()
                assert sorted(after) == ["mode_accueil:a-distance", f"zone:{NO_VALUE}"]
        finally:
            await engine.dispose()
