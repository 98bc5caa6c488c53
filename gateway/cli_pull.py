"""`gateway pull`: a producer's API pulled into the store (its `[pull]` table), now or when due
(`--due`, for cron); and `gateway ingest SLUG URL`, one pull from a URL given by hand."""

from __future__ import annotations

import argparse
import re
import sys
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.cli_ingest import (
    CommandFailed,
    Progress,
    _print_json,
    _run,
    ingest_options,
    render_ingest,
)
from gateway.settings import Settings

_URL = re.compile(r"^(?:(structures|services)=)?(https?://.+)$")


def is_url(argument: str) -> bool:
    return _URL.match(argument) is not None


def cmd_ingest_urls(settings: Settings, args: argparse.Namespace) -> None:
    """`gateway ingest SLUG URL…`: each URL pulled as the producer's [pull] says (pagination,
    records path, authentication), or as one page when it has no [pull]. `structures=URL` /
    `services=URL` say which records a URL holds when the producer maps both."""
    from ingestion import mapping_file, pull

    if not all(is_url(f) for f in args.files):
        raise CommandFailed("give files or URLs, not both")
    try:
        producer = mapping_file.load(args.source, settings.producers_dir)
        specs = {}
        for argument in args.files:
            found = _URL.match(argument)
            assert found is not None
            kind = found.group(1) or _only_kind(producer)
            specs[kind] = pull.spec_for(producer, kind, found.group(2))
    except mapping_file.MappingError as exc:
        raise CommandFailed(str(exc)) from None
    options = ingest_options(args)
    report = _pull(settings, producer, specs, options)
    _show(report.as_json(), args.json)
    if report.error:
        raise SystemExit(1)


def _only_kind(producer: Any) -> str:
    pulled: list[str] = list(producer.pull or producer.kinds)
    if len(pulled) != 1:
        raise CommandFailed(
            f"{producer.source.slug} has structures and services: say which records the URL "
            "holds, `structures=URL` or `services=URL`"
        )
    return pulled[0]


def _pull(settings: Settings, producer: Any, specs: dict[str, Any], options: Any = None) -> Any:
    from ingestion import pull

    progress = Progress()

    async def work(engine: AsyncEngine) -> Any:
        return await pull.pull(
            engine,
            producer,
            specs,
            producers_dir=settings.producers_dir,
            options=options,
            progress=progress,
        )

    try:
        return _run(settings, work)
    finally:
        progress.done()


def cmd_pull(settings: Settings, args: argparse.Namespace) -> None:
    from ingestion import mapping_file, pull

    slugs = args.sources or mapping_file.known_slugs(settings.producers_dir)
    try:
        producers = [mapping_file.load(slug, settings.producers_dir) for slug in slugs]
    except mapping_file.MappingError as exc:
        raise CommandFailed(str(exc)) from None
    pulled = [p for p in producers if p.pull]
    if args.sources and len(pulled) < len(producers):
        missing = sorted(p.source.slug for p in producers if not p.pull)
        raise CommandFailed(f"no [pull] table in the registry entry of {', '.join(missing)}")
    if args.due:

        async def last_pulls(engine: AsyncEngine) -> dict[str, datetime | None]:
            async with engine.connect() as conn:
                return {p.source.slug: await pull.last_pull(conn, p.source.slug) for p in pulled}

        last = _run(settings, last_pulls)
        now = datetime.now(UTC)
        pulled = [
            p
            for p in pulled
            if any(pull.due(spec, last[p.source.slug], now) for spec in (p.pull or {}).values())
        ]
    reports = [_pull(settings, p, p.pull or {}) for p in pulled]
    if args.json:
        _print_json([r.as_json() for r in reports])
    else:
        for r in reports:
            _show(r.as_json(), False)
        if not reports:
            print("nothing to pull" + (" (nothing due)" if args.due else ""))
    failed = [r.source for r in reports if r.error]
    if failed:
        print(f"pull failed: {', '.join(failed)}", file=sys.stderr)
        raise SystemExit(1)


def _show(doc: dict[str, Any], as_json: bool) -> None:
    if as_json:
        _print_json(doc)
        return
    for f in doc["fetched"]:
        print(
            f"{doc['source']} {f['kind']}: {f['pages']} page(s), {f['records']} records from "
            f"{f['url']}" + (f" ({f['retries']} retries)" if f["retries"] else "")
        )
    if doc["error"]:
        print(f"{doc['source']}: refused: {doc['error']}", file=sys.stderr)
    elif doc["ingest"]:
        print(render_ingest(doc["ingest"]))


def register(sub: Any) -> None:
    pull = sub.add_parser("pull", help="pull producers' APIs (their [pull] table) into the store")
    pull.add_argument("sources", nargs="*", help="these producers (default: every one pulled)")
    pull.add_argument(
        "--due", action="store_true", help="only those whose `every` has passed (for cron)"
    )
    pull.add_argument("--json", action="store_true", help="one JSON document on stdout")
    pull.set_defaults(func=cmd_pull)
