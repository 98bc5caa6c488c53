"""Execution a level at a time (gateway/execution.py) answers exactly as graphql-core does, on
the demo's producers, for pages, details, fragments, directives, aliases and errors; and the
search and detail pages cost a bounded number of statements, transaction control included."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import event
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

import demo
from gateway.app import create_app
from gateway.execution import LevelExecution
from gateway.settings import Settings
from ingestion.run import ingest
from store.engine import create_engine, normalize_url
from tests.conftest import BACKENDS, fresh_database, prepared_store

SEARCH_PAGE = """query($dep: String!, $first: Int) {
  services(filter: { codeDepartement: $dep }, first: $first) {
    totalCount
    edges { cursor node {
      id nom description thematiques frais modesAccueil codeInsee
      commune { code nom } scoreQualite
      structure { id nom telephone }
      sources { slug nom }
    } }
    pageInfo { endCursor hasNextPage }
  }
}"""

DETAIL = """query($id: ID!, $first: Int) {
  structure(id: $id) {
    id nom dateMaj description siret commune { code nom departement { nom } }
    codePostal codeInsee adresse longitude latitude telephone courriel siteWeb
    reseauxPorteurs scoreQualite sources { slug }
    services(first: $first) { totalCount edges { node { id nom thematiques publics frais } } }
  }
}"""

QUERIES: list[tuple[str, str]] = [
    ("search page", SEARCH_PAGE),
    ("detail", DETAIL),
    (
        "aliases, fragments, typename",
        """query($id: ID!) {
          a: structure(id: $id) { ...S  __typename n2: nom }
          b: structure(id: $id) {
            id ... on Structure { nom services(first: 2) { edges { node { id } } } }
          }
          structures(first: 3) { edges { node { ...S } } }
        }
        fragment S on Structure { id nom commune { code region { nom } } }""",
    ),
    (
        "skip and include",
        """query($id: ID!, $yes: Boolean!, $no: Boolean!) {
          structure(id: $id) {
            id nom @include(if: $yes) siret @skip(if: $yes) telephone @include(if: $no)
            commune @skip(if: $no) { code }
          }
        }""",
    ),
    (
        "provenance, claims, history, links, records",
        """query($id: ID!) {
          structure(id: $id) {
            provenance {
              nom { source { slug } strategy valueSince agreeingSources { slug } }
              telephone { source { slug } conflictingSources { slug } }
            }
            claims(fields: ["nom", "telephone"]) { field value chosen source { slug } }
            history(first: 3) { totalCount edges { cursor node { field value version } } }
            links { records method score evidence }
            sourceRecords { id version source { slug } }
            doublons { id }
          }
        }""",
    ),
    (
        "territories",
        """query($dep: String!) { departement(code: $dep) { nom region { nom }
             communes { code nom centroide { latitude longitude } epci { nom } }
             services(first: 3) { totalCount edges { node { id commune { code } } } } } }""",
    ),
    ("facets", """{ facets { totalCount frais { value count } sources { value count } } }"""),
    (
        "changes",
        """{ changes(since: "2000-01-01T00:00:00Z", first: 5) {
             edges { cursor node { operation kind recordId fields } } } }""",
    ),
    (
        "sources",
        """{ sources { slug nom structures(first: 2) { totalCount edges { node { id } } } } }""",
    ),
    (
        "an error inside a level",
        """query($id: ID!) {
             structure(id: $id) { id services(first: 2, after: "nope") { totalCount } }
           }""",
    ),
    ("an unknown id", """{ structure(id: "nobody--0") { id nom } service(id: "x") { id } }"""),
]

STATE: dict[str, Any] = {}


@pytest.fixture(scope="module", params=BACKENDS)
async def example(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[httpx.AsyncClient]:
    tmp = tmp_path_factory.mktemp("execution")
    files = tmp / "demo"
    demo.generate(files, scale=1, seed=0)
    async with fresh_database(request.param, tmp, "gateway_execution") as url:
        await prepared_store(url)
        engine = create_engine(normalize_url(url))
        try:
            for slug in ("dora", "emplois-de-linclusion", "unccas", "soliguide"):
                paths = sorted(p for p in (files / slug).iterdir() if p.is_file())
                await ingest(engine, slug, paths)
        finally:
            await engine.dispose()
        app = create_app(Settings(database_url=url, response_cache_seconds=0))
        STATE["app"] = app
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t"
        ) as client:
            STATE["variables"] = _variables(await _post(client, DISCOVER, {}))
            yield client
        await app.state.cache.close()
        await app.state.engine.dispose()


async def _post(client: httpx.AsyncClient, query: str, variables: dict[str, Any]) -> Any:
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code in (200, 400), response.text
    return response.json()


DISCOVER = """{ structures(first: 200) { edges { node {
  id codeInsee services(first: 1) { totalCount edges { node { id thematiques } } } } } } }"""


def _variables(page: Any) -> dict[str, Any]:
    """Variables that find data in the demo: a structure with services, its département and
    commune, one of its services and that service's thematiques."""
    node = next(
        e["node"]
        for e in page["data"]["structures"]["edges"]
        if e["node"]["codeInsee"]
        and e["node"]["services"]["totalCount"] >= 3
        and e["node"]["services"]["edges"][0]["node"]["thematiques"]
    )
    service = node["services"]["edges"][0]["node"]
    return {
        "dep": node["codeInsee"][:2],
        "commune": node["codeInsee"],
        "id": node["id"],
        "service": service["id"],
        "thematiques": service["thematiques"][:2],
        "first": 2,
        "yes": True,
        "no": False,
    }


def _used(query: str) -> dict[str, Any]:
    return {k: v for k, v in STATE["variables"].items() if f"${k}" in query}


@contextmanager
def by_graphql_core() -> Iterator[None]:
    """Every operation executed by graphql-core itself, field by field."""
    level = LevelExecution.execute_root_grouped_field_set
    LevelExecution.execute_root_grouped_field_set = (  # type: ignore[method-assign]
        StrawberryGraphQLCoreExecutionContext.execute_root_grouped_field_set
    )
    try:
        yield
    finally:
        LevelExecution.execute_root_grouped_field_set = level  # type: ignore[method-assign]


@pytest.mark.parametrize(("name", "query"), QUERIES, ids=[n for n, _q in QUERIES])
async def test_answers_as_graphql_core(example: httpx.AsyncClient, name: str, query: str) -> None:
    variables = _used(query)
    with by_graphql_core():
        expected = await _post(example, query, variables)
    before = (LevelExecution.unplanned, LevelExecution.fallbacks)
    got = await _post(example, query, variables)
    assert got == expected
    assert "errors" not in expected or expected.get("data") is not None, expected["errors"]
    if "errors" not in expected:
        if name != "an unknown id":  # something was found
            assert any(v is not None for v in expected["data"].values()), name
        # answered a level at a time, not handed back to graphql-core
        assert (LevelExecution.unplanned, LevelExecution.fallbacks) == before, name
    else:
        assert LevelExecution.fallbacks > before[1], name


@contextmanager
def all_statements(app: Any) -> Iterator[list[str]]:
    """Every statement the app sends, transaction control included (an autocommit
    connection's BEGIN and COMMIT are not sent, so not counted)."""
    sent: list[str] = []

    def statement(_c: Any, _cur: Any, text: str, *_a: Any) -> None:
        if not text.lstrip().upper().startswith("PRAGMA"):
            sent.append(text)

    def control(name: str) -> Any:
        def record(conn: Any, *_a: Any) -> None:
            if conn.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
                sent.append(name)

        return record

    engine = app.state.engine.sync_engine
    listeners = [
        ("before_cursor_execute", statement),
        ("begin", control("BEGIN")),
        ("commit", control("COMMIT")),
        ("rollback", control("ROLLBACK")),
    ]
    for name, fn in listeners:
        event.listen(engine, name, fn)
    try:
        yield sent
    finally:
        for name, fn in listeners:
            event.remove(engine, name, fn)


@pytest.mark.parametrize("query", [SEARCH_PAGE, DETAIL], ids=["search page", "detail"])
async def test_a_page_costs_at_most_three_statements(
    example: httpx.AsyncClient, query: str
) -> None:
    counts = {}
    for first in (1, 20):
        variables = {**_used(query), "first": first}
        await _post(example, query, variables)  # the process keeps the territories it read
        with all_statements(STATE["app"]) as sent:
            body = await _post(example, query, variables)
        assert "errors" not in body
        counts[first] = len(sent)
        assert 1 <= len(sent) <= 3, sent
    assert counts[1] == counts[20], counts


BENCH = Path(__file__).resolve().parents[2] / "bench"
# the benchmark operations (bench/*.graphql) and the statements each may send, whatever its
# page sizes: a page, its count and the nested records' batches, never a statement per row
BENCH_STATEMENTS = {
    "search_page": 3,
    "structure_detail": 3,
    "search_around": 4,
    "sync_page": 2,
    "territory_fanout": 6,
    "provenance_audit": 5,
}


def _bench_variables(name: str) -> dict[str, Any]:
    """The operation's own variables, with ids and places of the test's demo store."""
    variables = json.loads((BENCH / f"{name}.json").read_text(encoding="utf-8"))
    found = STATE["variables"]
    for key in ("codeDepartement", "code"):
        if key in variables:
            variables[key] = found["dep"]
    if "codeCommune" in variables:
        variables["codeCommune"] = found["commune"]
    if "thematiques" in variables:
        variables["thematiques"] = found["thematiques"]
    if "id" in variables:
        variables["id"] = found["service"] if name == "provenance_audit" else found["id"]
    return variables


@pytest.mark.parametrize("name", sorted(BENCH_STATEMENTS))
async def test_each_benchmark_operation_costs_the_same_statements_at_any_page_size(
    example: httpx.AsyncClient, name: str
) -> None:
    document = (BENCH / f"{name}.graphql").read_text(encoding="utf-8")
    variables = _bench_variables(name)
    counts = {}
    for size in (2, 40):
        sized = re.sub(r"first: \d+", f"first: {size}", document)
        await _post(example, sized, variables)  # the process keeps the territories it read
        with all_statements(STATE["app"]) as sent:
            body = await _post(example, sized, variables)
        assert "errors" not in body, body
        assert any(v for v in body["data"].values()), body  # something was found
        counts[size] = len(sent)
        assert 1 <= len(sent) <= BENCH_STATEMENTS[name], sent
    assert counts[2] == counts[40], counts
