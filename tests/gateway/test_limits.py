"""Abusive requests are refused with a stable code, never a 500; ordinary ones never reach a
limit."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import get_introspection_query

from gateway.app import create_app
from gateway.settings import Settings
from tests.conftest import GraphQLClient

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
EXAMPLES = [
    block
    for path in DOCS
    for block in re.findall(r"```graphql\n(.*?)```", path.read_text(encoding="utf-8"), re.S)
]
LIMIT_CODES = {
    "QUERY_TOO_DEEP",
    "TOO_MANY_ALIASES",
    "TOO_MANY_DIRECTIVES",
    "QUERY_TOO_COSTLY",
    "TOO_MANY_TOKENS",
}


def _codes(body: dict[str, Any]) -> set[str]:
    return {e.get("extensions", {}).get("code") for e in body.get("errors", [])}


@pytest.mark.parametrize("document", EXAMPLES, ids=lambda d: d.split("{")[0].strip() or "query")
async def test_the_guides_queries_never_reach_a_limit(gql: GraphQLClient, document: str) -> None:
    operations = re.findall(r"query (\w+)", document) or [None]
    for name in operations:
        variables = {"after": "WyJ4Il0"} if name == "Changes" else {}
        body = await gql.http.post(
            "/graphql",
            json={"query": document, "operationName": name, "variables": variables},
        )
        assert body.status_code == 200
        assert not _codes(body.json()) & LIMIT_CODES, body.json()


DEEP = "{ regions { " + "departements { region { " * 6 + "code" + " } }" * 6 + " } }"


@pytest.mark.parametrize(
    ("query", "variables", "code"),
    [
        (DEEP, None, "QUERY_TOO_DEEP"),
        ("{ " + " ".join(f"a{i}: regions {{ code }}" for i in range(31)) + " }", None,
         "TOO_MANY_ALIASES"),
        ("{ regions { " + " ".join("code @include(if: true)" for _ in range(31)) + " } }", None,
         "TOO_MANY_DIRECTIVES"),
        ("""{ services(first: 1000) { edges { node { structure { services(first: 1000) {
            edges { node { id nom } } } } } } } }""", None, "QUERY_TOO_COSTLY"),
        ("""query($n: Int) { services(first: $n) { edges { node { structure {
            services(first: $n) { edges { node { id nom } } } } } } } }""", {"n": 500},
         "QUERY_TOO_COSTLY"),
        ("{ " + "regions { code } " * 1700 + "}", None, "TOO_MANY_TOKENS"),
        ("fragment A on Region { departements { region { ...A } } } { regions { ...A } }", None,
         "GRAPHQL_VALIDATION_FAILED"),
        ("{ regions { code ", None, "GRAPHQL_PARSE_FAILED"),
    ],
    ids=["depth", "aliases", "directives", "cost", "cost-variables", "tokens", "cycle", "syntax"],
)  # fmt: skip
async def test_abusive_queries_are_refused_with_a_code(
    gql: GraphQLClient, query: str, variables: dict[str, Any] | None, code: str
) -> None:
    response = await gql.http.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code < 500
    assert code in _codes(response.json()), response.json()


async def test_introspection_passes_the_limits_but_its_fan_out_does_not(
    gql: GraphQLClient,
) -> None:
    """GraphiQL's introspection (seven `ofType` links) passes the default limits; a query that
    nests `fields { type { fields … } } }` (each level multiplying the answer) does not: the
    validation rule of graphql-core refuses it (and the depth limit would)."""
    schema = await gql.data(get_introspection_query(descriptions=True))
    assert schema["__schema"]["queryType"]["name"] == "Query"
    fan_out = "{ __schema { types { " + "fields { type { " * 6 + "name" + " } }" * 6 + " } } }"
    response = await gql.http.post("/graphql", json={"query": fan_out})
    assert response.status_code < 500
    assert _codes(response.json()) == {"GRAPHQL_VALIDATION_FAILED"}
    assert "introspection depth" in response.text


async def test_injection_strings_are_plain_values(gql: GraphQLClient) -> None:
    query = "query($id: ID!) { structure(id: $id) { id } service(id: $id) { id } }"
    for value in ("x' OR 1=1 --", "'; DROP TABLE golden_record; --", "\\x00%_*"):
        body = await gql(query, {"id": value})
        assert body == {"data": {"structure": None, "service": None}}


async def test_field_duplication_and_batching_are_refused(gql: GraphQLClient) -> None:
    # the same field asked thousands of times: the document is too long before anything runs
    duplicated = "{ regions { " + "code " * 6_000 + "} }"
    response = await gql.http.post("/graphql", json={"query": duplicated})
    assert response.status_code < 500 and _codes(response.json()) == {"TOO_MANY_TOKENS"}
    # operations batched in one array: one request, one operation
    batch = [{"query": "{ regions { code } }"}] * 50
    response = await gql.http.post("/graphql", json=batch)
    assert response.status_code == 400
    assert _codes(response.json()) == {"BAD_REQUEST"}


async def _app(settings: Settings, method: str, **kwargs: Any) -> httpx.Response:
    app = create_app(settings)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t"
        ) as client:
            return await client.request(method, "/graphql", **kwargs)
    finally:
        await app.state.engine.dispose()


async def test_a_large_body_is_refused_before_anything(settings: Settings) -> None:
    small = Settings(database_url=settings.database_url, max_body_bytes=2_000)
    response = await _app(small, "POST", json={"query": "{ regions { code } }" + " " * 3_000})
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "REQUEST_TOO_LARGE"


async def test_introspection_can_be_turned_off(settings: Settings) -> None:
    closed = Settings(database_url=settings.database_url, introspection=False)
    body = (await _app(closed, "POST", json={"query": "{ __schema { types { name } } }"})).json()
    assert "GRAPHQL_VALIDATION_FAILED" in _codes(body)
    typo = (await _app(closed, "POST", json={"query": "{ regionz { code } }"})).json()
    assert "Did you mean" not in str(typo) and "regionz" in str(typo)
    opened = (await _app(settings, "POST", json={"query": "{ regionz { code } }"})).json()
    assert "Did you mean" in str(opened)
    # the federation SDL is the schema too
    sdl = (await _app(closed, "POST", json={"query": "{ _service { sdl } }"})).json()
    assert _codes(sdl) == {"GRAPHQL_VALIDATION_FAILED"} and sdl["data"] is None
    assert "type Structure" not in str(sdl)


async def test_a_request_past_its_deadline_gets_a_clean_503(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def slow(*_args: Any, **_kwargs: Any) -> Any:
        await asyncio.sleep(5)

    monkeypatch.setattr("store.golden.all_sources", slow)
    hurried = Settings(database_url=settings.database_url, request_deadline_ms=200)
    response = await _app(hurried, "POST", json={"query": "{ sources { slug } }"})
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert response.json()["errors"][0]["extensions"]["code"] == "DEADLINE_EXCEEDED"
