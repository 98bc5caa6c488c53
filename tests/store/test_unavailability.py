"""Which failures mean "the database cannot answer now" (a 503 for the client) rather than a
mistake in a statement (a bug, masked as INTERNAL_SERVER_ERROR)."""

from __future__ import annotations

import asyncpg
import pytest
from sqlalchemy import exc as sa_exc

from store.engine import unavailability


def _wrapped(original: BaseException) -> BaseException:
    """As SQLAlchemy raises it: its own error, caused by the driver's."""
    try:
        try:
            raise original
        except BaseException as inner:
            raise sa_exc.DBAPIError("statement", {}, inner) from inner
    except sa_exc.DBAPIError as outer:
        return outer


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (ConnectionRefusedError(111, "Connect call failed"), "unavailable"),
        (TimeoutError(), "unavailable"),
        (_wrapped(asyncpg.exceptions.CannotConnectNowError("starting up")), "unavailable"),
        (_wrapped(asyncpg.exceptions.ConnectionDoesNotExistError("closed")), "unavailable"),
        (_wrapped(asyncpg.exceptions.TooManyConnectionsError("too many")), "unavailable"),
        (sa_exc.TimeoutError("QueuePool limit reached"), "unavailable"),
        (sa_exc.OperationalError("stmt", {}, Exception("database is locked")), "unavailable"),
        (_wrapped(asyncpg.exceptions.SerializationError("conflict with recovery")), "unavailable"),
        (_wrapped(asyncpg.exceptions.QueryCanceledError("statement timeout")), "timeout"),
        (_wrapped(asyncpg.exceptions.UndefinedColumnError("no such column")), None),
        (sa_exc.OperationalError("stmt", {}, Exception("no such table: x")), None),
        (KeyError("a bug"), None),
    ],
)
def test_what_a_failure_means(error: BaseException, kind: str | None) -> None:
    assert unavailability(error) == kind
