"""Public ids survive re-ingests, a deleted bearer and its return (the worked example)."""

from __future__ import annotations

import json
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession

from gateway.bootstrap import prepare
from ingestion.run import IngestOptions, ingest
from models import GoldenRecord
from store import golden as golden_store
from store.engine import create_engine, normalize_url
from store.territory_file import DEFAULT_PATH

EXAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "merge"
SLUGS = ("dora", "emplois-de-linclusion", "soliguide")


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    eng = create_engine(normalize_url(f"sqlite:///{tmp_path / 'ids.db'}"))
    await prepare(eng, DEFAULT_PATH)
    for slug in SLUGS:
        await ingest(eng, slug, sorted((EXAMPLE / slug).iterdir()))
    yield eng
    await eng.dispose()


async def live_ids(engine: AsyncEngine) -> list[tuple[str, str, str]]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(GoldenRecord.kind, GoldenRecord.visibility, GoldenRecord.public_id).where(
                GoldenRecord.deleted_at.is_(None)  # type: ignore[union-attr]
            )
        )
        return sorted((k, v, p) for k, v, p in rows)


async def lookup(engine: AsyncEngine, visibility: str, ids: list[str]) -> dict[str, str]:
    async with AsyncSession(engine) as session:
        found = await golden_store.by_public_ids(session, "structure", visibility, ids)
    return {i: row["public_id"] for i, row in found.items()}


def dora_without_a1(tmp_path: Path) -> list[Path]:
    folder = tmp_path / "dora"
    shutil.copytree(EXAMPLE / "dora", folder)
    path = folder / "structures-0001.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["results"] = [r for r in doc["results"] if r["id"] != "a1"]
    doc["count"] = len(doc["results"])
    path.write_text(json.dumps(doc), encoding="utf-8")
    services = folder / "services-0001.json"
    doc = json.loads(services.read_text(encoding="utf-8"))
    doc["results"] = [r for r in doc["results"] if r.get("structure_id") != "a1"]
    doc["count"] = len(doc["results"])
    services.write_text(json.dumps(doc), encoding="utf-8")
    return sorted(folder.iterdir())


async def test_identical_re_ingests_keep_every_id(engine: AsyncEngine) -> None:
    before = await live_ids(engine)
    for slug in reversed(SLUGS):
        report = await ingest(engine, slug, sorted((EXAMPLE / slug).iterdir()), IngestOptions())
        assert report.status in ("unchanged", "succeeded"), report.errors
    assert await live_ids(engine) == before


async def test_the_id_outlives_its_bearer_and_comes_back_with_it(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    assert (await lookup(engine, "public", ["dora--a1"]))["dora--a1"] == "dora--a1"
    report = await ingest(engine, "dora", dora_without_a1(tmp_path), IngestOptions(force=True))
    assert report.status == "succeeded", report.errors
    # dora--a1 is gone; the CCAS lives on in emplois and soliguide under the id consumers stored
    found = await lookup(engine, "public", ["dora--a1", "emplois-de-linclusion--17"])
    assert found == {"dora--a1": "dora--a1", "emplois-de-linclusion--17": "dora--a1"}
    restricted = await lookup(engine, "restricted", ["soliguide--884"])
    assert restricted == {"soliguide--884": "dora--a1"}
    # dora sends it again: it joins its old record, which still carries its id
    report = await ingest(engine, "dora", sorted((EXAMPLE / "dora").iterdir()))
    assert report.status == "succeeded", report.errors
    found = await lookup(engine, "public", ["dora--a1", "emplois-de-linclusion--17"])
    assert found == {"dora--a1": "dora--a1", "emplois-de-linclusion--17": "dora--a1"}
