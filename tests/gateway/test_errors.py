"""An unexpected failure reaches the client masked (no SQL, no stack trace, a stable code), while
the client's own mistakes keep their readable message."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import GraphQLClient


async def test_an_unexpected_error_is_masked(
    gql: GraphQLClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("SELECT secret FROM producer_record -- connection to 10.0.0.7 lost")

    monkeypatch.setattr("store.golden.all_sources", broken)
    body = await gql("{ sources { slug } }")
    (error,) = body["errors"]
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR"}
    assert "SELECT" not in str(body) and "10.0.0.7" not in str(body)
    assert error["path"] == ["sources"]
    assert any("SELECT secret" in str(r.exc_info) for r in caplog.records if r.exc_info)


async def test_client_mistakes_stay_readable(gql: GraphQLClient) -> None:
    body = await gql("{ services(first: 5000) { totalCount } }")
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "capped at 1000" in body["errors"][0]["message"]
    body = await gql("{ services { nope } }")
    assert "Cannot query field 'nope'" in body["errors"][0]["message"]
