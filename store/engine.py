"""Database URLs and async engines for PostgreSQL (asyncpg) and SQLite (aiosqlite)."""

from __future__ import annotations

from pathlib import Path
from time import monotonic
from typing import Any

import orjson
from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
}


class DatabaseURLError(ValueError):
    """DATABASE_URL cannot be used; the message names what is wrong."""


def normalize_url(raw: str) -> URL:
    """Accept sqlite://, sqlite+aiosqlite://, postgresql://, postgresql+asyncpg:// URLs."""
    try:
        url = make_url(raw.strip())
    except ArgumentError as exc:
        raise DatabaseURLError(f"DATABASE_URL is not a database URL: {raw!r}") from exc
    driver = DRIVERS.get(url.drivername)
    if driver is None:
        accepted = ", ".join(f"{d}://" for d in DRIVERS)
        raise DatabaseURLError(
            f"DATABASE_URL scheme {url.drivername!r} is not supported (accepted: {accepted})"
        )
    url = url.set(drivername=driver)
    if driver.startswith("sqlite"):
        if not url.database or url.database == ":memory:":
            raise DatabaseURLError(
                "DATABASE_URL must name a SQLite file (sqlite:///path/to/file.db); "
                "an in-memory database would vanish between connections"
            )
    elif not url.database:
        raise DatabaseURLError(f"DATABASE_URL names no database: {raw!r}")
    return url


def is_sqlite(url: URL | AsyncEngine) -> bool:
    name = url.url.drivername if isinstance(url, AsyncEngine) else url.drivername
    return name.startswith("sqlite")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers never block the one writer
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA cache_size=-65536")  # 64 MiB of pages (the default is 2 MiB)
    cursor.execute("PRAGMA temp_store=MEMORY")
    cursor.close()


def dumps_json(value: Any) -> str:
    """JSON columns through orjson: ingest and merge read and write records in bulk."""
    return orjson.dumps(value, default=str, option=orjson.OPT_NON_STR_KEYS).decode()


def create_engine(
    url: URL, *, statement_timeout_ms: int | None = None, pool_size: int = 10
) -> AsyncEngine:
    """An async engine; SQLite gets WAL and foreign keys, PostgreSQL a statement timeout."""
    if is_sqlite(url):
        assert url.database is not None
        Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(
            url,
            connect_args={"timeout": 30},
            json_serializer=dumps_json,
            json_deserializer=orjson.loads,
        )
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    # Statements are prepared once per connection (asyncpg), and after five runs PostgreSQL
    # may switch a prepared statement to a generic plan, blind to its values: a search around
    # a place (cells, tags) then took 220-360 ms instead of 40 at scale 100. A plan made for
    # each run's values costs a millisecond or two of planning at most.
    server_settings = {
        "application_name": "inclusion-gateway",
        "plan_cache_mode": "force_custom_plan",
    }
    if statement_timeout_ms:
        server_settings["statement_timeout"] = str(statement_timeout_ms)
    engine = create_async_engine(
        url,
        json_serializer=dumps_json,
        json_deserializer=orjson.loads,
        pool_size=pool_size,
        max_overflow=pool_size,
        connect_args={"server_settings": server_settings, "timeout": 5},
    )
    ping_when_idle(engine)
    return engine


# A pooled connection given back less than this long ago is handed out without a ping.
PING_AFTER_IDLE_SECONDS = 1.0


def ping_when_idle(engine: AsyncEngine, idle_seconds: float = PING_AFTER_IDLE_SECONDS) -> None:
    """Check a pooled connection before use only when it sat idle in the pool.

    SQLAlchemy's `pool_pre_ping` pings at every checkout, and asyncpg's ping is three round
    trips (BEGIN, an empty statement, ROLLBACK): as many as a whole detail page's reads. A
    connection given back a moment ago is all but certainly alive; one idle for longer (the
    server may have restarted, a proxy may have cut it) is pinged, and replaced when the ping
    fails. A connection lost in that moment fails its statement, which invalidates the pool
    as any disconnection does."""
    pool = engine.sync_engine.pool

    @event.listens_for(pool, "connect")
    def _fresh(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = monotonic()

    @event.listens_for(pool, "checkin")
    def _given_back(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info["idle_since"] = monotonic()

    @event.listens_for(pool, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        driver = getattr(dbapi_connection, "driver_connection", None)
        if getattr(driver, "is_closed", lambda: False)():  # closed after a read was cut short
            raise sa_exc.DisconnectionError("pooled connection closed")
        since = record.info.get("idle_since")
        if since is not None and monotonic() - since < idle_seconds:
            return
        try:
            dbapi_connection.ping()
        except Exception as error:  # the pool replaces the connection and tries again
            raise sa_exc.DisconnectionError(f"pooled connection lost: {error}") from error


# What says "the database cannot answer now" (down, restarting, frozen past a timeout, pool
# exhausted), as opposed to a bad statement or a bug. The gateway turns these into 503.
_UNAVAILABLE_NAMES = frozenset(
    {
        "CannotConnectNowError",  # asyncpg: the server is starting or shutting down
        "ConnectionDoesNotExistError",  # asyncpg: the connection closed mid-query
        "ConnectionFailureError",
        "AdminShutdownError",
        "CrashShutdownError",
        "TooManyConnectionsError",
        # a hot-standby replica cancelling a read that conflicts with replay: try again
        "SerializationError",
    }
)
_TIMED_OUT_NAMES = frozenset({"QueryCanceledError"})  # statement_timeout


def unavailability(exc: BaseException) -> str | None:
    """ "unavailable", "timeout" or None: whether `exc` (or what caused it) means the database
    could not answer, rather than a mistake in the statement."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        name = type(current).__name__
        if name in _TIMED_OUT_NAMES:
            return "timeout"
        if isinstance(current, sa_exc.DBAPIError) and current.connection_invalidated:
            return "unavailable"
        if (
            isinstance(current, OSError | TimeoutError | sa_exc.TimeoutError)
            or name in _UNAVAILABLE_NAMES
            or (name == "OperationalError" and "database is locked" in str(current))
        ):
            return "unavailable"
        current = current.__cause__ or current.__context__
    return None
