"""Command-line commands of the ingestion side: assess, mapping check, ingest, demo data, runs."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.bootstrap import prepare
from gateway.settings import Settings
from store.engine import create_engine

if TYPE_CHECKING:
    from ingestion.run import IngestOptions


class CommandFailed(Exception):
    """A failure reported as one line (exit status 2)."""


def _print_json(doc: Any) -> None:
    sys.stdout.write(orjson.dumps(doc, option=orjson.OPT_INDENT_2, default=str).decode() + "\n")


class Progress:
    """A one-line progress counter on stderr, only when stderr is a terminal."""

    def __init__(self) -> None:
        self.enabled = sys.stderr.isatty()
        self.started = time.monotonic()
        self.last = 0.0

    def __call__(self, label: str, count: int) -> None:
        now = time.monotonic()
        if not self.enabled or now - self.last < 0.2:
            return
        self.last = now
        rate = count / max(now - self.started, 1e-6)
        sys.stderr.write(f"\r{label}: {count:,} records ({rate:,.0f}/s)".replace(",", " "))
        sys.stderr.flush()

    def done(self) -> None:
        if self.enabled:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()


def ingest_options(args: argparse.Namespace) -> IngestOptions:
    """The ingest options `gateway ingest` takes (of a file or of a producer's API)."""
    from ingestion.run import IngestOptions

    return IngestOptions(
        partial=args.partial,
        force=args.force,
        gone_threshold=args.gone_threshold,
        wait=not args.no_wait,
        merge=not args.no_merge,
    )


def _run(settings: Settings, work: Any) -> Any:
    async def main() -> Any:
        engine = create_engine(settings.database(), statement_timeout_ms=None, pool_size=2)
        try:
            await prepare(engine, settings.territories_file, settings.producers_dir)
            return await work(engine)
        finally:
            await engine.dispose()

    return asyncio.run(main())


# --- assess -------------------------------------------------------------------------------


def cmd_assess(settings: Settings, args: argparse.Namespace) -> None:
    from ingestion import assess
    from ingestion.normalize import Territories
    from ingestion.readers import ReaderOptions, ReadError
    from store import territories as territory_store

    options = ReaderOptions(
        format=args.format,
        encoding=args.encoding,
        delimiter=args.delimiter,
        records_path=args.records_path,
        sheet=_sheet(args.sheet),
        header_row=args.header_row,
    )

    async def work(engine: AsyncEngine) -> dict[str, Any]:
        async with engine.connect() as conn:
            current, aliases = await territory_store.code_tables(conn)
        return assess.profile(Path(args.file), options, Territories(current, aliases))

    try:
        report = _run(settings, work)
    except ReadError as exc:
        raise CommandFailed(str(exc)) from exc
    if args.json:
        _print_json(report)
    else:
        print(assess.render(report))


def _sheet(value: str | None) -> str | int | None:
    if value is None:
        return None
    return int(value) if value.isdigit() else value


# --- mapping check -----------------------------------------------------------------------


def cmd_mapping_check(settings: Settings, args: argparse.Namespace) -> None:
    from ingestion import check
    from ingestion.mapping_file import MappingError
    from ingestion.readers import ReadError
    from ingestion.run import IngestError

    try:
        report = check.check(args.source, [Path(f) for f in args.files], settings.producers_dir)
    except (MappingError, ReadError, IngestError) as exc:
        raise CommandFailed(str(exc)) from exc
    if args.json:
        _print_json(report.as_json())
    else:
        print(check.render(report))
    if report.missing_paths:
        raise SystemExit(1)


# --- ingest ------------------------------------------------------------------------------


def cmd_ingest(settings: Settings, args: argparse.Namespace) -> None:
    from gateway import cli_pull
    from ingestion.run import IngestError, ingest

    if any(cli_pull.is_url(f) for f in args.files):  # a producer's API, pulled
        cli_pull.cmd_ingest_urls(settings, args)
        return

    options = ingest_options(args)
    progress = Progress()

    async def work(engine: AsyncEngine) -> Any:
        return await ingest(
            engine,
            args.source,
            [Path(f) for f in args.files],
            options,
            progress=progress,
            producers_dir=settings.producers_dir,
        )

    try:
        report = _run(settings, work)
    except IngestError as exc:
        progress.done()
        raise CommandFailed(str(exc)) from exc
    except OperationalError as exc:
        # SQLite: getting the store ready had to write (a changed registry entry) while another
        # ingest held the store past the busy timeout
        if "database is locked" not in str(exc):
            raise
        progress.done()
        raise CommandFailed(
            "another process is writing to this SQLite store; try again when it has finished"
        ) from exc
    progress.done()
    if args.json:
        _print_json(report.as_json())
    else:
        print(render_ingest(report.as_json()))


def render_ingest(doc: dict[str, Any]) -> str:
    lines = [
        f"{doc['source']}: run {doc['run_id']} {doc['status']}"
        + (" (partial)" if doc["partial"] else "")
        + f" in {doc['duration_s']:.1f}s",
    ]
    if doc["message"]:
        lines.append(f"  {doc['message']}")
    lines.append(
        "  records: "
        + ", ".join(
            f"{doc[k]} {k}" for k in ("seen", "new", "changed", "unchanged", "gone", "rejected")
        )
        + f"; {doc['warnings']} warnings"
    )
    for kind, counts in doc["by_kind"].items():
        lines.append(f"    {kind}: " + ", ".join(f"{v} {k}" for k, v in counts.items() if v))
    if doc["top_rejections"]:
        lines.append("  top rejection reasons:")
        lines += [
            f"    {r['count']:>6} {r['field']}: {r['message']}" for r in doc["top_rejections"]
        ]
    if doc["top_warnings"]:
        lines.append("  top warnings:")
        lines += [f"    {r['count']:>6} {r['field']}: {r['message']}" for r in doc["top_warnings"]]
    if doc["unmapped_values"]:
        lines.append("  unmapped producer values (add them to the value maps):")
        lines += [
            f"    {u['count']:>6} {u['value_map']}: {u['value']!r}"
            for u in doc["unmapped_values"][:20]
        ]
    lines.append(f"  quarantined rows: gateway quarantine {doc['source']} --run {doc['run_id']}")
    return "\n".join(lines)


# --- demo data ---------------------------------------------------------------------------


def _demo() -> Any:
    from ingestion.checkout import NotACheckout, demo_generator

    try:
        return demo_generator()
    except NotACheckout as exc:
        raise CommandFailed(str(exc)) from exc


def cmd_demo_data(_settings: Settings, args: argparse.Namespace) -> None:
    demo = _demo()
    progress = Progress()
    try:
        summary = demo.generate(Path(args.out), scale=args.scale, seed=args.seed, progress=progress)
    except ValueError as exc:
        raise CommandFailed(str(exc)) from exc
    progress.done()
    if args.json:
        _print_json(summary)
        return
    for slug, p in summary["producers"].items():
        print(
            f"{slug:24} {p['structures']:>7} structures {p['services']:>7} services"
            f"  ({p['invalid']} invalid)"
        )
    print(f"ground truth: {Path(args.out) / 'ground-truth.json'}")


def cmd_demo_load(settings: Settings, args: argparse.Namespace) -> None:
    """Generate the demo (scale 1) once and ingest every producer not yet loaded."""
    from ingestion.run import IngestError, ingest
    from store import records as record_store

    out = Path(args.out)
    if not (out / "ground-truth.json").exists():
        _demo().generate(out, scale=args.scale, seed=args.seed)

    async def work(engine: AsyncEngine) -> list[str]:
        done = []
        for folder in sorted(p for p in out.iterdir() if p.is_dir()):
            async with engine.connect() as conn:
                if await record_store.last_succeeded_run(conn, folder.name):
                    continue
            files = sorted(p for p in folder.iterdir() if p.is_file())
            report = await ingest(engine, folder.name, files, producers_dir=settings.producers_dir)
            done.append(
                f"{folder.name}: {report.counts['new']} new, {report.counts['rejected']} rejected"
            )
        return done

    try:
        lines = _run(settings, work)
    except IngestError as exc:
        raise CommandFailed(str(exc)) from exc
    for line in lines or ["demo data already loaded"]:
        print(line)


# --- runs, quarantine, versions ----------------------------------------------------------


def cmd_runs(settings: Settings, args: argparse.Namespace) -> None:
    from store import records as record_store

    async def work(engine: AsyncEngine) -> list[dict[str, Any]]:
        async with engine.connect() as conn:
            return await record_store.runs_of(conn, args.source, args.limit)

    runs = _run(settings, work)
    if args.json:
        _print_json(runs)
        return
    for r in runs:
        counts = r["counts"] or {}
        summary = ", ".join(
            f"{counts[k]} {k}"
            for k in ("seen", "new", "changed", "gone", "rejected")
            if counts.get(k)
        )
        print(
            f"{r['id']:>5} {r['source_slug']:24} {r['status']:10} {r['started_at']!s:32} {summary}"
        )
        if r["error"]:
            print(f"      {r['error']}")


def cmd_quarantine(settings: Settings, args: argparse.Namespace) -> None:
    from store import records as record_store

    async def work(engine: AsyncEngine) -> list[dict[str, Any]]:
        async with engine.connect() as conn:
            return await record_store.quarantined(
                conn, slug=args.source, run_id=args.run, severity=args.severity, limit=args.limit
            )

    rows = _run(settings, work)
    if args.json:
        _print_json(rows)
        return
    for q in rows:
        where = f"{Path(q['file'] or '-').name}:{q['row_number']}"
        print(
            f"{q['severity']:7} {q['source_slug']}--{q['producer_id'] or '?'} ({where}) "
            f"{q['field'] or '-'}: {q['message']}" + (f" [{q['value']}]" if q["value"] else "")
        )


def cmd_versions(settings: Settings, args: argparse.Namespace) -> None:
    from store import records as record_store

    async def work(engine: AsyncEngine) -> list[dict[str, Any]]:
        async with engine.connect() as conn:
            return await record_store.record_versions(
                conn, args.source, args.kind, args.producer_id
            )

    rows = _run(settings, work)
    if not rows:
        raise CommandFailed(
            f"no {args.kind} {args.producer_id!r} from {args.source!r} in the store"
        )
    if args.json:
        _print_json(rows)
        return
    for v in rows:
        print(
            f"v{v['version']} run {v['run_id']} {v['valid_from']} → {v['valid_to'] or 'now'}: "
            f"changed {', '.join(v['changed_fields'])}"
        )


def register(sub: Any) -> None:
    assess = sub.add_parser("assess", help="profile a raw producer file (phase 0)")
    assess.add_argument("file")
    assess.add_argument(
        "--format", choices=["csv", "json", "jsonl", "json-pages", "xml", "xlsx", "ods"]
    )
    assess.add_argument("--encoding")
    assess.add_argument("--delimiter")
    assess.add_argument("--records-path", help="where the records are (JSON/XML), e.g. results")
    assess.add_argument("--sheet", help="spreadsheet sheet name or 0-based index")
    assess.add_argument("--header-row", type=int, default=0, help="0-based header row")
    assess.add_argument("--json", action="store_true", help="one JSON document on stdout")
    assess.set_defaults(func=cmd_assess)

    mapping = sub.add_parser("mapping", help="producer mappings")
    mapping_sub = mapping.add_subparsers(dest="mapping_command", required=True, metavar="ACTION")
    check = mapping_sub.add_parser(
        "check", help="validate a mapping; list uncovered values of files"
    )
    check.add_argument("source")
    check.add_argument("files", nargs="*")
    check.add_argument("--json", action="store_true")
    check.set_defaults(func=cmd_mapping_check)

    ingest = sub.add_parser("ingest", help="read, map, validate and store a producer's files")
    ingest.add_argument("source")
    ingest.add_argument(
        "files", nargs="+", help="files, or URLs of the producer's API (see `gateway pull`)"
    )
    ingest.add_argument("--partial", action="store_true", help="a delta file: absent records stay")
    ingest.add_argument("--force", action="store_true", help="accept marking many records gone")
    ingest.add_argument("--gone-threshold", type=float, default=0.20, help="default 0.20")
    ingest.add_argument("--no-wait", action="store_true", help="stop if the source is locked")
    ingest.add_argument(
        "--no-merge", action="store_true", help="store only; link and merge later (merge --all)"
    )
    ingest.add_argument("--json", action="store_true", help="one JSON document on stdout")
    ingest.set_defaults(func=cmd_ingest)

    demo = sub.add_parser("demo-data", help="write deterministic demo producer files")
    demo.add_argument("--out", required=True)
    demo.add_argument("--scale", type=int, default=1)
    demo.add_argument("--seed", type=int, default=0)
    demo.add_argument("--json", action="store_true")
    demo.set_defaults(func=cmd_demo_data, needs_settings=False)

    demo_load = sub.add_parser("demo-load", help="generate and ingest the bundled demo once")
    demo_load.add_argument("--out", default="var/demo")
    demo_load.add_argument("--scale", type=int, default=1)
    demo_load.add_argument("--seed", type=int, default=0)
    demo_load.set_defaults(func=cmd_demo_load)

    runs = sub.add_parser("runs", help="ingest runs, newest first")
    runs.add_argument("source", nargs="?")
    runs.add_argument("--limit", type=int, default=20)
    runs.add_argument("--json", action="store_true")
    runs.set_defaults(func=cmd_runs)

    quarantine = sub.add_parser("quarantine", help="rejected rows and warnings, with reasons")
    quarantine.add_argument("source", nargs="?")
    quarantine.add_argument("--run", type=int)
    quarantine.add_argument("--severity", choices=["error", "warning"])
    quarantine.add_argument("--limit", type=int, default=100)
    quarantine.add_argument("--json", action="store_true")
    quarantine.set_defaults(func=cmd_quarantine)

    versions = sub.add_parser("versions", help="the versions of one producer record")
    versions.add_argument("source")
    versions.add_argument("kind", choices=["structure", "service"])
    versions.add_argument("producer_id")
    versions.add_argument("--json", action="store_true")
    versions.set_defaults(func=cmd_versions)
