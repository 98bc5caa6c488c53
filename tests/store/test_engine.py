"""DATABASE_URL forms accepted and refused."""

import pytest

from store.engine import DatabaseURLError, normalize_url


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
