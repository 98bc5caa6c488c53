"""Ingest benchmark: full ingest, identical re-ingest, 5 % changed, peak memory.

Usage: python scripts/bench_ingest.py [--rows 50000] [--database-url URL]…
Writes a deterministic CSV producer file of ROWS structures (French shapes: `;`, dd/mm/yyyy
dates, phones in national format), then times three runs on a fresh store per database.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel

from gateway.bootstrap import prepare
from ingestion.run import IngestOptions, ingest
from store.engine import create_engine, is_sqlite, normalize_url
from store.territory_file import DEFAULT_PATH, read

ROOT = Path(__file__).resolve().parents[1]
MAPPING = ROOT / "tests" / "fixtures" / "ingestion" / "producers" / "exemple.toml"


def write_file(path: Path, rows: int, changed_share: float = 0.0, seed: int = 1) -> None:
    rng = random.Random(seed)
    communes = [
        c for c in read(DEFAULT_PATH).communes if c["type"] == "commune-actuelle" and c["lat"]
    ]
    changed = set(random.Random(99).sample(range(rows), int(rows * changed_share)))
    with path.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh, delimiter=";")
        out.writerow(["ID", "Nom", "SIRET", "Adresse", "CP", "Ville", "INSEE", "Téléphone",
                      "Courriel", "Mis à jour", "Coordonnées"])  # fmt: skip
        for i in range(rows):
            c = communes[rng.randrange(len(communes))]
            street = rng.randrange(1, 200)
            if i in changed:
                street += 1000
            out.writerow(
                [
                    f"b{i:07d}",
                    f"Structure d'insertion n°{i} de {c['nom']}",
                    "",
                    f"{street} rue de la République",
                    c["codesPostaux"][0] if c["codesPostaux"] else "",
                    c["nom"],
                    c["code"],
                    "02 99 " + " ".join(str(rng.randrange(10, 99)) for _ in range(3)),
                    f"contact{i}@structure.example.fr",
                    f"{rng.randrange(1, 28):02d}/{rng.randrange(1, 12):02d}/2025",
                    f"{c['lat']:.5f};{c['lon']:.5f}".replace(".", ","),
                ]
            )


async def _create_database(url: str) -> None:
    """PostgreSQL: create the benchmark's database when it does not exist yet."""
    target = normalize_url(url)
    admin = create_engine(target.set(database="postgres"))
    try:
        async with admin.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            exists = (
                await conn.execute(
                    text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": target.database}
                )
            ).scalar()
            if not exists:
                await conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    finally:
        await admin.dispose()


async def fresh(url: str) -> AsyncEngine:
    """An empty, migrated store with the territories."""
    parsed = normalize_url(url)
    if parsed.drivername.startswith("sqlite"):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{parsed.database}{suffix}").unlink(missing_ok=True)
    else:
        await _create_database(url)
    engine = create_engine(normalize_url(url))
    if not is_sqlite(engine):
        async with engine.begin() as conn:
            await conn.run_sync(SQLModel.metadata.drop_all)
            await conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    await prepare(engine, DEFAULT_PATH)
    return engine


async def one_phase(url: str, path: Path, producers: Path, merge: bool) -> None:
    """Run in a child process: one ingest, then print seconds, counts and the peak RSS."""
    engine = create_engine(normalize_url(url))
    try:
        started = time.perf_counter()
        options = IngestOptions(merge=merge)
        report = await ingest(engine, "bench", [path], options, producers_dir=producers)
        elapsed = time.perf_counter() - started
    finally:
        await engine.dispose()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    counts = ", ".join(f"{report.counts[k]} {k}" for k in ("new", "changed", "unchanged"))
    merged = report.merge or {}
    link_merge = f"   link + merge {merged['duration_s']:6.2f} s" if merged else ""
    print(f"{elapsed:7.2f} s{link_merge}   peak RSS {rss:5.0f} MiB   ({counts})")


def bench(url: str, files: dict[str, Path], producers: Path, merge: bool) -> list[str]:
    asyncio.run(_prepare(url))
    lines = []
    for label, path in files.items():
        out = subprocess.run(
            [sys.executable, __file__, "--phase", str(path), "--producers", str(producers),
             *([] if merge else ["--no-merge"]),
             "--database-url", url],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        lines.append(f"  {label:<22} {out.stdout.strip()}")
    return lines


async def _prepare(url: str) -> None:
    engine = await fresh(url)
    await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--database-url", action="append", dest="urls")
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument(
        "--no-merge", action="store_true", help="ingest only: no linking or golden records"
    )
    parser.add_argument("--producers", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        asyncio.run(
            one_phase(args.urls[0], Path(args.phase), Path(args.producers), not args.no_merge)
        )
        return
    work = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    try:
        producers = work / "producers"
        producers.mkdir()
        mapping = MAPPING.read_text(encoding="utf-8").replace('slug = "exemple"', 'slug = "bench"')
        (producers / "bench.toml").write_text(mapping, encoding="utf-8")
        full = work / "structures.csv"
        write_file(full, args.rows)
        changed_dir = work / "changed"
        changed_dir.mkdir()
        changed = changed_dir / "structures.csv"
        write_file(changed, args.rows, changed_share=0.05)
        files = {"full ingest": full, "identical re-ingest": full, "5 % changed": changed}
        urls = args.urls or [f"sqlite:///{work / 'bench.db'}"]
        what = "ingest only" if args.no_merge else "ingest + link + merge"
        print(f"{args.rows} rows, {full.stat().st_size / 2**20:.1f} MiB file, {what}")
        for url in urls:
            print(normalize_url(url).render_as_string(hide_password=True))
            for line in bench(url, files, producers, not args.no_merge):
                print(line)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
