"""Settings come from the environment, in one class, and bad values name their variable."""

from pathlib import Path

import pytest

from gateway.settings import DEFAULT_DATABASE_URL, Settings, SettingsError


def test_defaults_need_nothing_installed() -> None:
    s = Settings.from_env({})
    assert s.database_url == DEFAULT_DATABASE_URL
    assert s.database().drivername == "sqlite+aiosqlite"
    assert s.redis_url is None
    assert (s.host, s.port, s.workers) == ("127.0.0.1", 8000, 1)


def test_environment_is_read() -> None:
    s = Settings.from_env(
        {
            "DATABASE_URL": "postgresql://postgres@db/ref",
            "REDIS_URL": "redis://cache:6379/0",
            "GATEWAY_HOST": "0.0.0.0",
            "GATEWAY_PORT": "9000",
            "GATEWAY_WORKERS": "4",
            "GATEWAY_GRAPHIQL_ASSETS": "/srv/graphiql",
        }
    )
    assert s.database().drivername == "postgresql+asyncpg"
    assert s.redis_url == "redis://cache:6379/0"
    assert (s.host, s.port, s.workers) == ("0.0.0.0", 9000, 4)
    assert s.graphiql_assets == Path("/srv/graphiql")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"GATEWAY_PORT": "eighty"}, "GATEWAY_PORT must be an integer"),
        ({"GATEWAY_PORT": "70000"}, "GATEWAY_PORT must be between 1 and 65535"),
        ({"GATEWAY_WORKERS": "0"}, "GATEWAY_WORKERS must be between 1 and 64"),
        ({"DATABASE_URL": "mysql://x/y"}, "DATABASE_URL scheme 'mysql' is not supported"),
    ],
)
def test_bad_values_name_the_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(env)


def test_overrides_ignore_unset_flags() -> None:
    s = Settings.from_env({}).with_overrides(host=None, port=8123, workers=None)
    assert (s.host, s.port, s.workers) == ("127.0.0.1", 8123, 1)
