"""One snapshot per demo producer: its sample files through its mapping, as the store gets them.

Set UPDATE_SNAPSHOTS=1 to rewrite `expected.json` after an intended mapping change, then review
the diff like code.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from ingestion import mapping_file
from ingestion.check import check
from ingestion.normalize import Territories
from ingestion.preview import preview
from store import territories as territory_store

SLUGS = mapping_file.known_slugs()


def samples(slug: str) -> Path:
    """A producer's sample files and what they map to (`producers/<slug>/samples/`)."""
    return mapping_file.PRODUCERS_DIR / mapping_file.folder_name(slug) / "samples"


def test_every_producer_has_a_sample() -> None:
    assert len(SLUGS) == 7
    for slug in SLUGS:
        names = {p.name for p in samples(slug).iterdir()}
        assert "expected.json" in names and len(names) > 1, slug


@pytest.fixture(scope="module")
async def territories(store_engine: AsyncEngine) -> Territories:
    async with store_engine.connect() as conn:
        current, aliases = await territory_store.code_tables(conn)
    return Territories(current, aliases)


@pytest.mark.parametrize("slug", SLUGS)
async def test_mapped_records_match_the_snapshot(slug: str, territories: Territories) -> None:
    files = sorted(p for p in samples(slug).iterdir() if p.name != "expected.json")
    records = preview(mapping_file.load(slug), files, territories)
    expected_path = samples(slug) / "expected.json"
    text = json.dumps(records, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    if os.environ.get("UPDATE_SNAPSHOTS"):
        expected_path.write_text(text, encoding="utf-8")
    assert json.loads(expected_path.read_text(encoding="utf-8")) == json.loads(text)
    valid = [r for r in records if r["record"]]
    assert valid, "a sample must map to at least one valid record"


@pytest.mark.parametrize("slug", SLUGS)
def test_sample_values_are_covered_by_the_value_maps(slug: str) -> None:
    files = sorted(p for p in samples(slug).iterdir() if p.name != "expected.json")
    report = check(slug, files)
    assert report.ok, report.as_json()
