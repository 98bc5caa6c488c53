"""Ingest runs end to end on the real store: outcomes, versions, quarantine, gone, refusals."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from ingestion.run import IngestError, ingest
from models import IngestRun, ProducerRecord, ProducerRecordVersion, QuarantinedRow
from store import records as record_store
from tests.ingestion.conftest import Run


async def _count(engine: AsyncEngine, model: Any, *where: Any) -> int:
    async with engine.connect() as conn:
        stmt = select(func.count()).select_from(model).where(*where)
        return int((await conn.execute(stmt)).scalar_one())


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


async def test_first_run_counts_every_outcome(
    run: Run, store_engine: AsyncEngine, producer: Any
) -> None:
    slug = producer[0]
    report = await run()
    assert report.status == "succeeded"
    assert {k: report.counts[k] for k in ("seen", "new", "rejected")} == {
        "seen": 10,
        "new": 5,
        "rejected": 5,
    }
    assert await _count(store_engine, ProducerRecord, ProducerRecord.source_slug == slug) == 5
    rows = await _count(
        store_engine,
        QuarantinedRow,
        QuarantinedRow.run_id == report.run_id,
        QuarantinedRow.severity == "error",
    )
    assert rows == 5


async def test_values_are_normalised(run: Run, store_engine: AsyncEngine, producer: Any) -> None:
    await run()
    async with store_engine.connect() as conn:
        versions = await record_store.record_versions(conn, producer[0], "structure", "s1")
        s3 = await record_store.record_versions(conn, producer[0], "structure", "s3")
        v1 = await record_store.record_versions(conn, producer[0], "service", "v1")
    data = versions[0]["data"]
    assert data["id"] == f"{producer[0]}--s1"
    assert data["telephone"] == "+33299286311"
    assert data["courriel"] == "ccas@ville-rennes.fr"
    assert (data["latitude"], data["longitude"]) == (48.1118, -1.6819)
    assert data["date_maj"] == "2026-09-02"
    assert s3[0]["data"]["code_insee"] == "14581"  # a delegated commune's code, resolved
    assert "siret" not in s3[0]["data"]  # failed Luhn: dropped with a warning
    service = v1[0]["data"]
    assert service["description"] == "Colis alimentaires & bons d'achat"
    assert service["thematiques"] == sorted(
        [
            "equipement-et-alimentation--alimentation",
            "difficultes-administratives-ou-juridiques--accompagnement-pour-lacces-aux-droits",
            "difficultes-administratives-ou-juridiques--accompagnement-aux-demarches-administratives",
        ]
    )
    assert service["frais"] == "gratuit"


async def test_rejections_name_file_row_field_and_value(
    run: Run, store_engine: AsyncEngine
) -> None:
    report = await run()
    async with store_engine.connect() as conn:
        rows = await record_store.quarantined(conn, run_id=report.run_id, severity="error")
    found = {(Path(r["file"]).name, r["row_number"], r["field"], r["value"]) for r in rows}
    assert ("structures.csv", 5, "nom", "XY") in found
    assert ("structures.csv", 6, "date_maj", "2031-05-10") in found  # in the future
    assert ("services.csv", 4, "structure_id", "s4") in found  # its structure was rejected
    assert ("services.csv", 6, "id", "v1 (first at services.csv:2)") in found  # duplicate
    assert all(r["raw"] for r in rows)  # the rejected row is kept whole


async def test_identical_reingest_is_a_noop(
    run: Run, store_engine: AsyncEngine, producer: Any
) -> None:
    first = await run()
    versions = await _count(store_engine, ProducerRecordVersion)
    again = await run()
    assert again.status == "unchanged"
    assert again.counts["new"] == again.counts["changed"] == 0
    assert again.data_version is None or again.data_version == first.data_version
    assert await _count(store_engine, ProducerRecordVersion) == versions
    async with store_engine.connect() as conn:
        assert await record_store.data_version(conn) == first.data_version


async def test_a_changed_row_appends_a_version(
    run: Run, store_engine: AsyncEngine, producer: Any
) -> None:
    slug, _producers, files = producer
    await run()
    _edit(files / "structures.csv", "12 rue de Paris", "14 rue de Paris")
    report = await run()
    assert (report.counts["changed"], report.counts["unchanged"]) == (1, 4)
    async with store_engine.connect() as conn:
        versions = await record_store.record_versions(conn, slug, "structure", "s1")
    assert [v["version"] for v in versions] == [1, 2]
    assert versions[1]["changed_fields"] == ["adresse"]
    assert versions[0]["valid_to"] is not None and versions[1]["valid_to"] is None
    assert versions[1]["data"]["adresse"] == "14 rue de Paris"


async def test_absent_rows_are_gone_and_partial_keeps_them(run: Run, producer: Any) -> None:
    _slug, _producers, files = producer
    await run()
    lines = (files / "services.csv").read_text(encoding="utf-8").splitlines()
    (files / "services-delta.csv").write_text("\n".join(lines[:2]) + "\n", encoding="utf-8")
    partial = await run("services-delta.csv", partial=True)
    assert partial.counts["gone"] == 0 and partial.counts["unchanged"] == 1
    full = await run("structures.csv", "services-delta.csv", gone_threshold=0.9)
    assert full.counts["gone"] == 1  # v2 is absent from the full file
    assert full.by_kind["services"]["gone"] == 1


async def test_an_empty_full_export_is_refused_and_changes_nothing(
    run: Run, store_engine: AsyncEngine, producer: Any
) -> None:
    slug, _producers, files = producer
    await run()
    header = (files / "services.csv").read_text(encoding="utf-8").splitlines()[0]
    (files / "services-empty.csv").write_text(header + "\n", encoding="utf-8")
    active = await _count(
        store_engine,
        ProducerRecord,
        ProducerRecord.source_slug == slug,
        ProducerRecord.status == "active",
    )
    with pytest.raises(IngestError, match=r"would mark 2 of 2 active services .* gone"):
        await run("structures.csv", "services-empty.csv")
    after = await _count(
        store_engine,
        ProducerRecord,
        ProducerRecord.source_slug == slug,
        ProducerRecord.status == "active",
    )
    assert after == active
    async with store_engine.connect() as conn:
        last = (await record_store.runs_of(conn, slug, 1))[0]
    assert last["status"] == "refused" and "would mark" in last["error"]
    forced = await run("structures.csv", "services-empty.csv", force=True)
    assert forced.counts["gone"] == 2


async def test_a_failing_file_leaves_the_previous_state(
    run: Run, store_engine: AsyncEngine, producer: Any
) -> None:
    slug, _producers, files = producer
    await run()
    _edit(files / "structures.csv", "12 rue de Paris", "99 rue de Paris")
    (files / "services-broken.csv").write_bytes(b"ID;Structure;Nom\nv9;s1;a;b;c;d\n")
    versions = await _count(store_engine, ProducerRecordVersion)
    with pytest.raises(IngestError, match=r"services-broken\.csv, line 2"):
        await run("structures.csv", "services-broken.csv")
    assert await _count(store_engine, ProducerRecordVersion) == versions
    async with store_engine.connect() as conn:
        s1 = await record_store.record_versions(conn, slug, "structure", "s1")
        last = (await record_store.runs_of(conn, slug, 1))[0]
    assert s1[-1]["data"]["adresse"] == "12 rue de Paris"
    assert last["status"] == "failed"
    failed_rows = await _count(store_engine, QuarantinedRow, QuarantinedRow.run_id == last["id"])
    assert failed_rows == 0


async def test_a_mapping_naming_a_missing_column_stops_the_run(
    run: Run, store_engine: AsyncEngine, producer: Any
) -> None:
    slug, producers, _files = producer
    _edit(producers / f"{slug}.toml", 'adresse = "Adresse"', 'adresse = "Adresse postale"')
    with pytest.raises(
        IngestError, match="reads 'Adresse postale' but no record of this file has it"
    ):
        await run()
    assert await _count(store_engine, ProducerRecord, ProducerRecord.source_slug == slug) == 0


async def test_unknown_source_suggests_the_closest(
    store_engine: AsyncEngine, producer: Any
) -> None:
    slug, producers, files = producer
    with pytest.raises(IngestError, match=f"unknown source 'exempel'.*known sources: {slug}"):
        await ingest(store_engine, "exempel", [files / "structures.csv"], producers_dir=producers)


async def test_a_file_matching_no_pattern_is_refused(run: Run, producer: Any) -> None:
    (producer[2] / "autre.csv").write_text("a;b\n1;2\n", encoding="utf-8")
    with pytest.raises(IngestError, match="matches none of"):
        await run("autre.csv")


async def test_runs_are_recorded(run: Run, store_engine: AsyncEngine, producer: Any) -> None:
    report = await run()
    async with store_engine.connect() as conn:
        runs = await record_store.runs_of(conn, producer[0])
    assert runs[0]["id"] == report.run_id
    assert runs[0]["counts"]["new"] == 5
    assert await _count(store_engine, IngestRun, IngestRun.source_slug == producer[0]) == 1


async def test_two_ingests_of_one_source_never_run_at_once(
    run: Run, store_engine: AsyncEngine, producer: Any
) -> None:
    """A second ingest of the same source waits for the first, or stops with a clear message."""
    import asyncio
    import hashlib

    from sqlalchemy import text

    from store.engine import is_sqlite

    slug = producer[0]
    if is_sqlite(store_engine):
        # another ingest of the store holds its ingest lock
        async with record_store.ingest_lock(store_engine, wait=False):
            with pytest.raises(IngestError, match="another ingest is writing to this SQLite store"):
                await run(wait=False)
            waiting = asyncio.create_task(run())
            await asyncio.sleep(0.5)
            assert not waiting.done()  # blocked on the lock
        report = await asyncio.wait_for(waiting, timeout=30)
        assert report.status == "succeeded"
        # a writer that is not an ingest, holding SQLite's write lock past the busy timeout
        async with store_engine.connect() as holder:
            await holder.exec_driver_sql("BEGIN IMMEDIATE")
            with pytest.raises(IngestError, match="another process is writing to this SQLite"):
                await run(force=True)
            await holder.rollback()
        return
    async with store_engine.connect() as holder:
        digest = hashlib.sha256(f"ingest:{slug}".encode()).digest()[:8]
        key = int.from_bytes(digest, "big", signed=True)
        await holder.execute(text("SELECT pg_advisory_lock(:k)"), {"k": key})
        with pytest.raises(IngestError, match=f"another ingest of '{slug}' is running"):
            await run(wait=False)
        waiting = asyncio.create_task(run())
        await asyncio.sleep(0.5)
        assert not waiting.done()  # blocked on the lock
        await holder.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
        report = await asyncio.wait_for(waiting, timeout=30)
    assert report.status == "succeeded"
