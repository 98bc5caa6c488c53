"""DATABASE_URL forms accepted and refused; pooled connections checked only when idle."""

import os
from typing import Any

import pytest

from store.engine import DatabaseURLError, create_engine, normalize_url, ping_when_idle
from tests.servers import need

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")


@pytest.mark.parametrize(
    ("raw", "driver"),
    [
        ("sqlite:///var/gateway.db", "sqlite+aiosqlite"),
        ("sqlite+aiosqlite:////tmp/x.db", "sqlite+aiosqlite"),
        ("postgresql://postgres@127.0.0.1:5432/test", "postgresql+asyncpg"),
        ("postgres://postgres@127.0.0.1/test", "postgresql+asyncpg"),
        ("postgresql+asyncpg://u:p@db/referential", "postgresql+asyncpg"),
    ],
)
def test_accepted_urls_get_the_async_driver(raw: str, driver: str) -> None:
    assert normalize_url(raw).drivername == driver


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("not a url", "DATABASE_URL is not a database URL"),
        ("mysql://root@localhost/test", "scheme 'mysql' is not supported"),
        ("sqlite://", "must name a SQLite file"),
        ("sqlite:///:memory:", "must name a SQLite file"),
        ("postgresql://127.0.0.1", "names no database"),
    ],
)
def test_refused_urls_name_the_setting(raw: str, message: str) -> None:
    with pytest.raises(DatabaseURLError, match="DATABASE_URL") as err:
        normalize_url(raw)
    assert message in str(err.value)


@pytest.mark.postgres
async def test_a_connection_is_pinged_only_after_sitting_idle(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A connection given back a moment ago is reused without asyncpg's three-round-trip ping;
    one idle longer is pinged, and replaced when the ping fails."""
    need(TEST_DATABASE_URL is not None, "needs TEST_DATABASE_URL (PostgreSQL)")
    assert TEST_DATABASE_URL
    from sqlalchemy import text
    from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_connection

    pings: list[str] = []
    real_ping = AsyncAdapt_asyncpg_connection.ping

    def counted(self: Any) -> None:
        pings.append("ping")
        if fail_next:
            fail_next.clear()
            raise ConnectionError("the server went away")
        real_ping(self)

    fail_next: list[bool] = []
    monkeypatch.setattr(AsyncAdapt_asyncpg_connection, "ping", counted)

    engine = create_engine(normalize_url(TEST_DATABASE_URL), pool_size=1)
    try:
        for _ in range(3):  # fresh, then given back a moment ago: never pinged
            async with engine.connect() as conn:
                assert (await conn.execute(text("SELECT 1"))).scalar() == 1
        assert pings == []

        ping_when_idle(engine, idle_seconds=0.0)  # now every reuse counts as idle
        async with engine.connect() as conn:
            first = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar()
        assert pings == ["ping"]

        fail_next.append(True)  # the ping fails: the connection is replaced, the read succeeds
        async with engine.connect() as conn:
            second = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar()
        assert len(pings) >= 2 and second != first
    finally:
        await engine.dispose()
