"""Shared fixtures: one migrated, territory-loaded store per backend (SQLite always; PostgreSQL
and Redis when TEST_DATABASE_URL / TEST_REDIS_URL are set), an app and an HTTP client on it."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
from sqlalchemy import event, make_url, text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel

import models  # noqa: F401  (registers the tables)
from gateway.app import create_app
from gateway.bootstrap import prepare
from gateway.settings import Settings
from ingestion.run import ingest
from store.engine import create_engine, is_sqlite, normalize_url
from store.territory_file import DEFAULT_PATH

# Under pytest-xdist (`make test` runs `-n 2`, see tests/README.md) each worker process gets
# its own PostgreSQL database and Redis database, derived from the ones named here: worker gwN
# uses the database `<name>_gwN` (created in pytest_configure, dropped at the end) and the Redis
# database `<n> - N`. A run without workers (`-n 0`) uses them as given.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")  # "gw0", "gw1"… or "" without xdist
WORKER_INDEX = int(WORKER.removeprefix("gw")) if WORKER else 0


def per_worker_database_url(url: str | None) -> str | None:
    if not url or not WORKER:
        return url
    parsed = make_url(url)
    assert parsed.database, f"TEST_DATABASE_URL names no database: {url}"
    return parsed.set(database=f"{parsed.database}_{WORKER}").render_as_string(hide_password=False)


def per_worker_redis_url(url: str | None) -> str | None:
    """Redis has 16 databases by default and tests may empty theirs: one for each worker,
    counting down from TEST_REDIS_URL's (15 → 15, 14; 10 → 10, 9)."""
    if not url or not WORKER:
        return url
    parts = urlsplit(url)
    base = int(parts.path.strip("/") or 0)
    db = base - WORKER_INDEX
    if db < 0:
        raise pytest.UsageError(
            f"TEST_REDIS_URL uses Redis database {base}: too low for worker {WORKER} (each "
            "worker takes the one below the previous); choose a higher database, e.g. /15"
        )
    return urlunsplit(parts._replace(path=f"/{db}"))


GIVEN_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")  # the worker databases' neighbour
for _name, _derive in (
    ("TEST_DATABASE_URL", per_worker_database_url),
    ("TEST_REDIS_URL", per_worker_redis_url),
):
    _value = _derive(os.environ.get(_name))
    if _value:  # also for what tests read from the environment, and the commands they run
        os.environ[_name] = _value

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL")

BACKENDS = ["sqlite"] + (["postgresql"] if TEST_DATABASE_URL else [])


@pytest.fixture(scope="session")
def sqlite_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("store") / "gateway.db"


def database_url(backend: str, sqlite_path: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{sqlite_path}"
    assert TEST_DATABASE_URL
    return TEST_DATABASE_URL


async def _create_database(admin_url: str, database: str) -> None:
    """(Re)create `database` empty, through a connection to `admin_url`'s database."""
    admin = create_engine(normalize_url(admin_url))
    try:
        async with admin.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"))
            await conn.execute(text(f"CREATE DATABASE {database}"))
    finally:
        await admin.dispose()


async def _drop_database(admin_url: str, database: str) -> None:
    admin = create_engine(normalize_url(admin_url))
    try:
        async with admin.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"))
    finally:
        await admin.dispose()


def _worker_database() -> str | None:
    """The name of this worker's own database (None without workers or PostgreSQL)."""
    if not (WORKER and GIVEN_DATABASE_URL and TEST_DATABASE_URL):
        return None
    return make_url(TEST_DATABASE_URL).database


def pytest_configure(config: pytest.Config) -> None:
    """Under a worker: its own PostgreSQL database, created empty next to the given one."""
    database = _worker_database()
    if database and GIVEN_DATABASE_URL:
        asyncio.run(_create_database(GIVEN_DATABASE_URL, database))


def pytest_unconfigure(config: pytest.Config) -> None:
    database = _worker_database()
    if database and GIVEN_DATABASE_URL:
        asyncio.run(_drop_database(GIVEN_DATABASE_URL, database))


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """Under `--dist loadgroup` (pyproject.toml's addopts), the slowest tests first, each
    module's tests together (tests/scheduling.py)."""
    if config.getoption("dist") != "loadgroup":
        return None
    from tests.scheduling import SlowestFirst

    return SlowestFirst(config, log)


@asynccontextmanager
async def fresh_database(backend: str, tmp_path: Path, name: str) -> AsyncIterator[str]:
    """The URL of an empty database of its own: a file on SQLite, a database created next to
    TEST_DATABASE_URL's (and dropped afterwards) on PostgreSQL, named after the worker and
    the process so that concurrent runs and workers never share one."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / f'{name}.db'}"
        return
    assert TEST_DATABASE_URL
    database = f"{name}_{WORKER or 'main'}_{os.getpid()}"
    await _create_database(TEST_DATABASE_URL, database)
    try:
        yield (
            normalize_url(TEST_DATABASE_URL)
            .set(database=database)
            .render_as_string(hide_password=False)
        )
    finally:
        await _drop_database(TEST_DATABASE_URL, database)


EXAMPLE = Path(__file__).resolve().parent / "fixtures" / "merge"  # the worked example's files
EXAMPLE_PRODUCERS = ("dora", "emplois-de-linclusion", "soliguide")


async def prepared_store(url: str, producers: Sequence[str] = ()) -> None:
    """Migrate the store at `url`, load the territories, and ingest these producers' files of
    the worked example."""
    engine = create_engine(normalize_url(url))
    try:
        await prepare(engine, DEFAULT_PATH)
        for slug in producers:
            await ingest(engine, slug, sorted((EXAMPLE / slug).iterdir()))
    finally:
        await engine.dispose()


async def reset(engine: AsyncEngine) -> None:
    """Drop every table of ours (and Alembic's), so the suite starts from an empty store."""
    async with engine.begin() as conn:
        await conn.run_sync(SQLModel.metadata.drop_all)
        await conn.execute(text("DROP TABLE IF EXISTS alembic_version"))


@pytest.fixture(scope="session", params=BACKENDS)
async def store_url(request: pytest.FixtureRequest, sqlite_path: Path) -> AsyncIterator[str]:
    """A database URL whose store is migrated and holds the bundled territories."""
    url = database_url(request.param, sqlite_path)
    engine = create_engine(normalize_url(url))
    if not is_sqlite(engine):
        await reset(engine)
    await prepare(engine, DEFAULT_PATH)
    await engine.dispose()
    yield url


@pytest.fixture(scope="session")
async def store_engine(store_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(normalize_url(store_url))
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
def settings(store_url: str) -> Settings:
    # the whole suite talks to this app from one address: no per-address rate limit here
    # (tests/gateway/test_rate_limit.py sets its own)
    # (and no response cache: tests count statements and patch the store under this app;
    # tests/gateway/test_response_cache.py tests the cache)
    return Settings(
        database_url=store_url,
        redis_url=TEST_REDIS_URL,
        rate_limit_anonymous=0,
        response_cache_seconds=0,
    )


@pytest.fixture(scope="session")
async def app(settings: Settings) -> AsyncIterator[Any]:
    application = create_app(settings)
    yield application
    await application.state.cache.close()
    await application.state.engine.dispose()


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as c:
        yield c


@dataclass
class GraphQLClient:
    http: httpx.AsyncClient

    async def __call__(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        response = await self.http.post("/graphql", json={"query": query, "variables": variables})
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def data(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        body = await self(query, variables)
        assert "errors" not in body, body["errors"]
        result: dict[str, Any] = body["data"]
        return result


@pytest.fixture
def gql(client: httpx.AsyncClient) -> GraphQLClient:
    return GraphQLClient(client)


@dataclass
class StatementCounter:
    """Statements counted as a process that has not read territories yet would send them
    (the territories a gateway process keeps are dropped at the start and at each reset)."""

    statements: list[str]
    app: Any = None

    def __post_init__(self) -> None:
        self.forget_territories()

    @property
    def count(self) -> int:
        return len(self.statements)

    def reset(self) -> None:
        self.statements.clear()
        self.forget_territories()

    def forget_territories(self) -> None:
        shared = getattr(getattr(self.app, "state", None), "shared_reads", None)
        if shared is not None:
            shared.clear()


@pytest.fixture
def sql_statements(app: Any) -> Iterator[StatementCounter]:
    """Every SQL statement the app's engine runs while the test is active."""
    counter = StatementCounter([], app)

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.lstrip().upper().startswith(("PRAGMA", "BEGIN", "ROLLBACK", "COMMIT")):
            counter.statements.append(statement)

    sync_engine = app.state.engine.sync_engine
    event.listen(sync_engine, "before_cursor_execute", record)
    yield counter
    event.remove(sync_engine, "before_cursor_execute", record)
