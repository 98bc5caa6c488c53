"""Bad producer files: a clear message naming file/row/field, and nothing stored from the run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from ingestion.run import IngestError
from models import ProducerRecord, ProducerRecordVersion
from store import records as record_store
from tests.ingestion.conftest import Run

HEADER = "ID;Nom;SIRET;Adresse;CP;Ville;INSEE;Téléphone;Courriel;Mis à jour;Coordonnées\n"


async def _versions(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int(
            (
                await conn.execute(select(func.count()).select_from(ProducerRecordVersion))
            ).scalar_one()
        )


async def _records(engine: AsyncEngine, slug: str) -> int:
    async with engine.connect() as conn:
        stmt = (
            select(func.count())
            .select_from(ProducerRecord)
            .where(ProducerRecord.source_slug == slug)
        )
        return int((await conn.execute(stmt)).scalar_one())


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", r"structures-bad\.csv: file is empty"),
        (bytes(range(256)) * 40, r"structures-bad\.csv.*not a text file"),
        (
            HEADER.encode() + b's1;"CCAS de Rennes;;;35000\ns2;Autre;;;35000\ns3;Encore\n',
            r"structures-bad\.csv, line 2: the quoted field of line 2 is never closed",
        ),
    ],
    ids=["empty", "binary-junk", "unclosed-quote"],
)
async def test_unreadable_files_store_nothing(
    run: Run, store_engine: AsyncEngine, producer: Any, content: bytes, message: str
) -> None:
    slug, _producers, files = producer
    (files / "structures-bad.csv").write_bytes(content)
    before = await _versions(store_engine)
    with pytest.raises(IngestError, match=message):
        await run("structures-bad.csv")
    assert await _versions(store_engine) == before
    assert await _records(store_engine, slug) == 0


async def test_delimiters_are_sniffed_and_a_wrong_one_is_named(run: Run, producer: Any) -> None:
    files = producer[2]
    text = (files / "structures.csv").read_text(encoding="utf-8")
    (files / "structures-tab.csv").write_text(text.replace(";", "\t"), encoding="utf-8")
    # a tab-separated file read with the mapping's columns: detection finds the tabs and maps
    report = await run("structures-tab.csv")
    assert report.counts["new"] == 3
    (files / "structures-one.csv").write_text(text.replace(";", " "), encoding="utf-8")
    with pytest.raises(IngestError, match=r"structures-one\.csv, line 2: line 2 has 3 fields"):
        await run("structures-one.csv")


async def test_mixed_encodings_are_refused_and_nothing_is_stored(
    run: Run, store_engine: AsyncEngine, producer: Any
) -> None:
    slug, _producers, files = producer
    utf8 = (HEADER + "s1;CCAS de Besançon;;;25000;Besançon;25056;;;01/02/2026;\n").encode()
    cp1252 = "s2;Épicerie solidaire;;;35000;Rennes;35238;;;01/02/2026;\n".encode("cp1252")
    (files / "structures-mixed.csv").write_bytes(utf8 + cp1252)
    before = await _versions(store_engine)
    with pytest.raises(IngestError, match=r"structures-mixed\.csv, line 3: mixed encodings"):
        await run("structures-mixed.csv")
    assert await _versions(store_engine) == before
    assert await _records(store_engine, slug) == 0
    async with store_engine.connect() as conn:
        runs = await record_store.runs_of(conn, slug)
    assert [r["status"] for r in runs] == ["failed"]
    assert "line 1 is UTF-8" in runs[0]["error"] and "line 3 is not" in runs[0]["error"]


async def test_a_producer_declaring_cp1252_is_not_served_mojibake(
    run: Run, store_engine: AsyncEngine, producer: Any
) -> None:
    slug, producers, files = producer
    toml = producers / f"{slug}.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8").replace(
            'format = "csv"', 'format = "csv"\nencoding = "cp1252"'
        ),
        encoding="utf-8",
    )
    rows = "".join(
        f"s{n};CCAS {n};;12 allée des Tilleuls;25000;Besançon;25056;;;01/02/2026;\n"
        for n in range(8)
    )
    (files / "structures-utf8.csv").write_bytes(HEADER.encode("cp1252") + rows.encode())
    with pytest.raises(IngestError, match=r"line 2 is UTF-8 \(.*allée.*\), which cp1252 would"):
        await run("structures-utf8.csv")
    assert await _records(store_engine, slug) == 0


async def test_a_10_mb_field_is_rejected_with_a_short_preview(
    run: Run, store_engine: AsyncEngine, producer: Any
) -> None:
    files = producer[2]
    huge = "A" * (10 * 1024 * 1024)
    (files / "structures-huge.csv").write_text(
        HEADER + f"s1;{huge};;;35000;Rennes;35238;;;01/02/2026;\n"
        "s2;CCAS de Rennes;;;35000;Rennes;35238;;;01/02/2026;\n",
        encoding="utf-8",
    )
    report = await run("structures-huge.csv")
    assert (report.counts["new"], report.counts["rejected"]) == (1, 1)
    async with store_engine.connect() as conn:
        rows = await record_store.quarantined(conn, run_id=report.run_id, severity="error")
    assert rows[0]["field"] == "nom" and rows[0]["row_number"] == 2
    assert len(rows[0]["value"]) < 300 and "characters)" in rows[0]["value"]
    assert len(str(rows[0]["raw"])) < 10_000


async def test_dates_in_the_future_are_rejected(
    run: Run, store_engine: AsyncEngine, producer: Any
) -> None:
    files = producer[2]
    (files / "structures-future.csv").write_text(
        HEADER + "s1;CCAS de Rennes;;;35000;Rennes;35238;;;01/02/2099;\n", encoding="utf-8"
    )
    report = await run("structures-future.csv")
    async with store_engine.connect() as conn:
        rows = await record_store.quarantined(conn, run_id=report.run_id)
    assert [(r["field"], r["message"]) for r in rows] == [
        ("date_maj", "La date de dernière modification ne peut pas être dans le futur.")
    ]


def test_fixture_files_exist() -> None:
    assert (Path(__file__).resolve().parents[1] / "fixtures" / "ingestion" / "files").is_dir()


def test_a_killed_ingest_leaves_the_previous_state(tmp_path: Path) -> None:
    """SIGKILL halfway through a run: the store keeps what it had, and the next run works."""
    import os
    import signal
    import subprocess
    import sys
    import time

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
    import bench_ingest

    producers = tmp_path / "producers"
    producers.mkdir()
    mapping = bench_ingest.MAPPING.read_text(encoding="utf-8")
    (producers / "killed.toml").write_text(
        mapping.replace('"exemple"', '"killed"'), encoding="utf-8"
    )
    small, big = tmp_path / "small" / "structures.csv", tmp_path / "big" / "structures.csv"
    small.parent.mkdir()
    big.parent.mkdir()
    bench_ingest.write_file(small, 50)
    bench_ingest.write_file(big, 40_000, changed_share=0.5)
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'k.db'}",
        "GATEWAY_PRODUCERS_DIR": str(producers),
    }
    command = [sys.executable, "-m", "gateway.cli", "ingest", "killed", "--json"]
    first = subprocess.run([*command, str(small)], env=env, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    proc = subprocess.Popen(
        [*command, str(big)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    time.sleep(4)  # the migrated store is ready; the run is mapping and writing
    assert proc.poll() is None, "the big run finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    runs = subprocess.run(
        [sys.executable, "-m", "gateway.cli", "runs", "killed", "--json"],
        env=env,
        capture_output=True,
        text=True,
    )
    import json

    listed = json.loads(runs.stdout)
    assert [r["status"] for r in listed] == ["succeeded"]  # the killed run left no trace
    again = subprocess.run([*command, str(small)], env=env, capture_output=True, text=True)
    assert json.loads(again.stdout)["status"] == "unchanged"
