"""`gateway export`: the merged referential as files in the data·inclusion v1 format.

Open data by default: the public view (no restricted producer) without the values that may be
personal data; `--restricted` and `--personal-data` make files that are not open data. Every
file is written aside (a hidden temporary file in the same folder) and renamed into place only
once all of them are complete, so a failure or an interruption leaves no partial file and the
previous export as it was. Both kinds come from one snapshot of the store."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
from pathlib import Path
from typing import IO, Any

from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.cli_ingest import CommandFailed, Progress, _print_json, _run
from gateway.exports.filters import FilterError, split_pairs, store_filter
from gateway.exports.formats import FORMATS, WRITERS, FormatUnavailable, Writer, check_formats
from gateway.exports.rows import KINDS, STORE_KIND
from gateway.exports.stream import Audience, rows
from gateway.settings import Settings
from store import exports as store
from store.cache import InProcessCache
from store.reads import reading


def _names(text: str, allowed: tuple[str, ...], what: str) -> list[str]:
    names = [n.strip().lower() for n in text.split(",") if n.strip()]
    if not names:
        raise CommandFailed(f"--{what}: name at least one of {', '.join(allowed)}")
    unknown = sorted(set(names) - set(allowed))
    if unknown:
        raise CommandFailed(
            f"--{what}: unknown {', '.join(unknown)}; choose among {', '.join(allowed)}"
        )
    return list(dict.fromkeys(names))


class _Staged:
    """The files of an export, written aside and renamed into place together."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.staged: list[tuple[Path, Path]] = []  # (temporary, final)
        self.handles: list[IO[bytes]] = []

    def open(self, name: str) -> IO[bytes]:
        fd, temporary = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=self.folder)
        handle = os.fdopen(fd, "wb")
        self.handles.append(handle)
        self.staged.append((Path(temporary), self.folder / name))
        return handle

    def commit(self) -> list[Path]:
        for handle in self.handles:
            handle.flush()
            os.fsync(handle.fileno())
            handle.close()
        mask = os.umask(0)
        os.umask(mask)
        for temporary, final in self.staged:
            os.chmod(temporary, 0o666 & ~mask)  # as any new file (mkstemp makes it private)
            os.replace(temporary, final)
        return [final for _t, final in self.staged]

    def discard(self) -> None:
        for handle in self.handles:
            with contextlib.suppress(OSError):
                handle.close()
        for temporary, _final in self.staged:
            with contextlib.suppress(FileNotFoundError):
                temporary.unlink()


async def export(
    engine: AsyncEngine,
    folder: Path,
    formats: list[str],
    kinds: list[str],
    audience: Audience,
    filters: list[tuple[str, str]],
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Write `kinds` × `formats` into `folder`, all or nothing; a summary of what was written."""
    db_reads = reading(engine)

    @contextlib.asynccontextmanager
    async def reads() -> Any:
        from sqlmodel.ext.asyncio.session import AsyncSession

        async with AsyncSession(db_reads, expire_on_commit=False) as session:
            yield session

    try:
        wheres = {k: await store_filter(k, filters, reads, InProcessCache()) for k in kinds}
    except FilterError as exc:
        hint = " (a filter of services only: add --kind services)" if len(kinds) > 1 else ""
        raise CommandFailed(f"--filter: {exc}{hint}") from None
    folder.mkdir(parents=True, exist_ok=True)
    staged = _Staged(folder)
    counts: dict[str, int] = {}
    writers: list[Writer] = []
    try:
        async with store.snapshot(engine) as session:
            version = await store.data_version(session)
            for kind in kinds:
                total = await store.count(
                    session, STORE_KIND[kind], audience.visibility, wheres[kind]
                )
                writers = [WRITERS[f](staged.open(f"{kind}.{f}"), kind) for f in formats]
                done = 0
                async for page in rows(session, kind, audience, wheres[kind]):
                    for writer in writers:
                        writer.write(page)
                    done += len(page)
                    if progress is not None:
                        progress(f"{kind} ({done:,} of {total:,})".replace(",", " "), done)
                for writer in writers:
                    writer.close()
                counts[kind] = done
        written = staged.commit()
    except BaseException as exc:
        for writer in writers:
            writer.discard()
        staged.discard()
        if isinstance(exc, FormatUnavailable):
            raise CommandFailed(str(exc)) from None
        raise
    finally:
        if progress is not None:
            progress.done()
    return {
        "data_version": version,
        "visibility": audience.visibility,
        "personal_data": audience.has_token,
        "open_data": audience.open_data,
        "rows": counts,
        "files": [{"path": str(p), "bytes": p.stat().st_size} for p in written],
    }


def cmd_export(settings: Settings, args: argparse.Namespace) -> None:
    formats = _names(args.format, FORMATS, "format")
    try:
        check_formats(formats)
    except ValueError as exc:
        raise CommandFailed(str(exc)) from None
    kinds = _names(args.kind, KINDS, "kind")
    try:
        filters = split_pairs(args.filter or [])
    except FilterError as exc:
        raise CommandFailed(f"--filter: {exc}") from None
    audience = Audience(
        visibility="restricted" if args.restricted else "public", has_token=args.personal_data
    )
    folder = Path(args.out)
    if folder.exists() and not folder.is_dir():
        raise CommandFailed(f"--out {folder}: exists and is not a folder")

    async def work(engine: AsyncEngine) -> dict[str, Any]:
        return await export(engine, folder, formats, kinds, audience, filters, Progress())

    doc = _run(settings, work)
    if args.json:
        _print_json(doc)
        return
    for f in doc["files"]:
        print(f"{f['path']}: {f['bytes']:,} bytes".replace(",", " "))
    what = ", ".join(f"{n} {k}" for k, n in doc["rows"].items())
    note = "open data" if doc["open_data"] else "NOT open data (restricted or personal data)"
    print(f"exported {what} at data version {doc['data_version']}: {note}")
    if not doc["open_data"]:
        print(
            "warning: these files hold restricted producers' records or personal data; "
            "do not publish them",
            file=sys.stderr,
        )


def register(sub: Any) -> None:
    p = sub.add_parser(
        "export",
        help="write the merged referential as data·inclusion files (open data by default)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--out", required=True, help="folder to write structures.<ext>, services.<ext>")
    p.add_argument(
        "--format",
        default=",".join(FORMATS),
        help=f"formats, comma-separated, among {','.join(FORMATS)} (default: all)",
    )
    p.add_argument("--kind", default=",".join(KINDS), help="structures, services or both (default)")
    p.add_argument(
        "--filter",
        action="append",
        metavar="NAME=VALUE",
        help="the API's filters (codeDepartement=35, codeCommune=35238, thematiques=famille, "
        "sources=dora,cd35…; repeat for several)",
    )
    p.add_argument(
        "--restricted",
        action="store_true",
        help="include the restricted producers (the files are then not open data)",
    )
    p.add_argument(
        "--personal-data",
        action="store_true",
        help="keep values that may be personal data (the files are then not open data)",
    )
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(func=cmd_export)
