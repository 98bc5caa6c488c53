"""The `gateway` command line: serve, db upgrade, territories load, export-schema."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.exc import DBAPIError

from gateway import cli_access, cli_export, cli_ingest, cli_merge, cli_pull, tracing
from gateway.bootstrap import (
    DatabaseUnreachable,
    ReindexPending,
    load_territories,
    prepare,
    reindex_pending,
    upgrade,
)
from gateway.settings import Settings, SettingsError
from store.engine import create_engine
from store.territory_file import TerritoryFileError

T = TypeVar("T")


class CommandError(Exception):
    """A failure to report as one line, without a traceback."""


def _with_engine(settings: Settings, work: Callable[[Any], Awaitable[T]]) -> T:
    async def run() -> T:
        engine = create_engine(settings.database(), statement_timeout_ms=None, pool_size=2)
        try:
            return await work(engine)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def cmd_db_upgrade(settings: Settings, _args: argparse.Namespace) -> None:
    done = _with_engine(
        settings, lambda engine: upgrade(engine, settings.territories_file, settings.producers_dir)
    )
    for line in done or ["store already up to date"]:
        print(line)


def cmd_territories_load(settings: Settings, args: argparse.Namespace) -> None:
    path = Path(args.file) if args.file else settings.territories_file

    async def work(engine: Any) -> dict[str, int]:
        from gateway.bootstrap import check_reachable
        from store import migrate

        await check_reachable(engine)
        if not await migrate.is_current(engine):
            await migrate.upgrade(engine)
        return await load_territories(engine, path)

    counts = _with_engine(settings, work)
    print("territories loaded: " + ", ".join(f"{v} {k}" for k, v in counts.items()))


def cmd_export_schema(_settings: Settings, _args: argparse.Namespace) -> None:
    from gateway.schema import sdl

    sys.stdout.write(sdl())


def cmd_serve(settings: Settings, args: argparse.Namespace) -> None:
    settings = settings.with_overrides(host=args.host, port=args.port, workers=args.workers)
    tracing.check(settings.tracing)
    if settings.prepare_on_start:
        try:
            done = _with_engine(
                settings,
                lambda engine: prepare(engine, settings.territories_file, settings.producers_dir),
            )
        except DBAPIError as exc:
            if "read-only transaction" not in str(exc):
                raise
            raise cli_ingest.CommandFailed(
                "the database is read-only (a replica?): prepare the primary with `gateway db "
                "upgrade`, then start this gateway with GATEWAY_PREPARE_ON_START=0"
            ) from None
        for line in done:
            print(line, file=sys.stderr)
    else:  # nothing is written; the store must already be what this version reads
        from store import migrate

        current = _with_engine(settings, migrate.current_revision)
        if current != migrate.head_revision():
            raise cli_ingest.CommandFailed(
                f"the database is at migration {current or 'none'} and this gateway reads "
                f"{migrate.head_revision()}: run `gateway db upgrade` against the primary first "
                "(GATEWAY_PREPARE_ON_START=0 writes nothing)"
            )
    if _with_engine(settings, reindex_pending):
        raise ReindexPending()
    # workers rebuild their settings from the environment: hand the overrides down that way
    os.environ.update(
        GATEWAY_HOST=settings.host,
        GATEWAY_PORT=str(settings.port),
        GATEWAY_WORKERS=str(settings.workers),
    )
    print(
        f"serving GraphQL on http://{settings.host}:{settings.port}/graphql "
        f"(GraphiQL in a browser), {settings.workers} worker(s)",
        file=sys.stderr,
    )
    metrics_dir = fresh_metrics_dir()

    def removed_then_default(signum: int, _frame: Any) -> None:
        # uvicorn stops gracefully on SIGTERM, then raises the signal again to the handler it
        # found: this one, which removes the start's directory, then dies of the signal as
        # uvicorn meant
        shutil.rmtree(metrics_dir, ignore_errors=True)
        signal.signal(signum, signal.SIG_DFL)
        signal.raise_signal(signum)

    previous = signal.signal(signal.SIGTERM, removed_then_default)
    try:
        _run_uvicorn(settings)
    finally:
        signal.signal(signal.SIGTERM, previous)
        shutil.rmtree(metrics_dir, ignore_errors=True)


METRICS_DIR_PREFIX = "gateway-metrics-"


def fresh_metrics_dir(environ: Any = None) -> Path:
    """A fresh, empty directory for this server start's metric files (prometheus_client's
    multiprocess mode, gateway/metrics.py), inside the operator's `PROMETHEUS_MULTIPROC_DIR`
    when set, in the system's temporary folder otherwise; the variable is pointed at it so that
    every worker, and a single worker in this very process, counts there. Before the app, and
    so prometheus_client, is imported. The directories of earlier starts whose process is gone
    (killed before it could remove its own) are removed."""
    env = os.environ if environ is None else environ
    parent = Path(env.get("PROMETHEUS_MULTIPROC_DIR") or tempfile.gettempdir())
    parent.mkdir(parents=True, exist_ok=True)
    for old in parent.glob(f"{METRICS_DIR_PREFIX}*-*"):
        pid = old.name[len(METRICS_DIR_PREFIX) :].split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(old, ignore_errors=True)
    path = Path(tempfile.mkdtemp(prefix=f"{METRICS_DIR_PREFIX}{os.getpid()}-", dir=parent))
    env["PROMETHEUS_MULTIPROC_DIR"] = str(path)
    return path


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's
        return True
    return True


def _run_uvicorn(settings: Settings) -> None:
    import uvicorn

    from gateway.logs import log_config

    uvicorn.run(
        "gateway.app:app_from_env",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        loop="uvloop",
        http="httptools",
        log_level=settings.log_level,
        log_config=log_config(settings.log_level, settings.log_format == "json"),
        access_log=False,  # gateway.logs writes one line per request, with its request id
        proxy_headers=True,
        # SIGTERM: stop accepting, let requests in flight finish (up to this long), then exit
        timeout_graceful_shutdown=settings.shutdown_timeout_seconds,
    )


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="gateway",
        description="GraphQL gateway over the data·inclusion referential.",
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = sub.add_parser(
        "serve",
        help="migrate and load if needed, then serve /graphql (refuses while `db upgrade` has "
        "data to recompute)",
    )
    serve.add_argument("--host", help="interface to listen on (GATEWAY_HOST)")
    serve.add_argument("--port", type=int, help="port to listen on (GATEWAY_PORT)")
    serve.add_argument("--workers", type=int, help="worker processes (GATEWAY_WORKERS)")
    serve.set_defaults(func=cmd_serve)

    db = sub.add_parser("db", help="database schema")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db_upgrade = db_sub.add_parser(
        "upgrade",
        help="apply migrations; load the territories if the store has none; recompute the "
        "merged records a migration marked",
    )
    db_upgrade.set_defaults(func=cmd_db_upgrade)

    terr = sub.add_parser("territories", help="territory data")
    terr_sub = terr.add_subparsers(dest="territories_command", required=True, metavar="ACTION")
    load = terr_sub.add_parser("load", help="(re)load the territory file into the store")
    load.add_argument("--file", help="territory file (default: the bundled data file)")
    load.set_defaults(func=cmd_territories_load)

    export = sub.add_parser("export-schema", help="print the GraphQL SDL on stdout")
    export.set_defaults(func=cmd_export_schema, needs_settings=False)

    cli_ingest.register(sub)
    cli_pull.register(sub)
    cli_merge.register(sub)
    cli_access.register(sub)
    cli_export.register(sub)
    return p


def main(argv: Sequence[str] | None = None) -> None:
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        settings = Settings.from_env() if getattr(args, "needs_settings", True) else Settings()
        args.func(settings, args)
    except (
        SettingsError,
        DatabaseUnreachable,
        ReindexPending,
        TerritoryFileError,
        CommandError,
        cli_ingest.CommandFailed,
        tracing.TracingUnavailable,
    ) as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    except KeyboardInterrupt:
        raise SystemExit(130) from None
    except BrokenPipeError:  # `gateway … | head`: the reader has gone, nothing more to say
        sys.stderr.close()
        raise SystemExit(0) from None


if __name__ == "__main__":
    main()
