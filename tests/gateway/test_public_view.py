"""The public view is the world without restricted producers.

Two stores get the same public producers' files (the demo's dora, emplois and unccas, in
that order); one also gets the restricted producer (soliguide), between them and again after a
rename. Every root field of the schema, with every field it leads to (to a few levels, lists
paged), is asked anonymously of both: the answers must be equal once times and cursors are set
aside. Clustering, survivorship, ids, facets, the change feed and the caches all follow from it.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import (
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    Undefined,
    get_named_type,
    is_leaf_type,
)

import demo
from gateway.app import create_app
from gateway.schema import schema
from gateway.settings import Settings
from ingestion.run import ingest
from store.engine import create_engine, normalize_url
from tests.conftest import BACKENDS, fresh_database, prepared_store

PUBLIC = ("dora", "emplois-de-linclusion", "unccas")
RESTRICTED = "soliguide"
DEPTH = 4  # object levels below a root field
PAGE = 8  # `first` of every paged list
# required arguments, by name (and by root field where one name means two things)
ARGUMENTS: dict[str, Any] = {
    "code": "35",
    "codeCommune": "35238",
    "source": "dora",
    "slug": "dora",
    "since": "2000-01-01T00:00:00Z",
}
TERRITORIES = {"Region", "Departement", "Epci", "Commune", "ArrondissementMunicipal"}
# optional arguments given anyway, by field: without them the field answers an error
WANTED = {"changes": ("since",), "searchServices": ("codeCommune",)}
ROOT_CODES = {"region": "53", "departement": "35", "commune": "35238", "epci": "243500139"}
SKIPPED_ROOTS = {"_entities", "_service"}
TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}")
CURSOR_KEYS = {"cursor", "endCursor", "startCursor", "resumeCursor"}


def _selection(field_type: Any, depth: int, seen: tuple[str, ...]) -> str | None:
    """Every field of a type reachable without required arguments, to `depth` object levels."""
    named = get_named_type(field_type)
    if is_leaf_type(named):
        return ""
    if not isinstance(named, GraphQLObjectType) or depth == 0 or named.name in seen:
        return None
    parts = []
    for name, field in named.fields.items():
        arguments = _arguments(name, field)
        if arguments is None:
            continue
        if _unpaged_list(field) and get_named_type(field.type).name in TERRITORIES:
            continue  # all the communes of every département: the paged connections suffice
        inner = _selection(field.type, depth - 1, (*seen, named.name))
        if inner is None:
            continue
        parts.append(f"{name}{arguments}{' { ' + inner + ' }' if inner else ''}")
    return " ".join(parts) or None


def _unpaged_list(field: GraphQLField) -> bool:
    inner = field.type.of_type if isinstance(field.type, GraphQLNonNull) else field.type
    return (
        isinstance(inner, GraphQLList)
        and not is_leaf_type(get_named_type(inner))
        and "first" not in field.args
    )


def _arguments(name: str, field: GraphQLField) -> str | None:
    given = []
    for arg_name, arg in field.args.items():
        required = isinstance(arg.type, GraphQLNonNull) and arg.default_value is Undefined
        if arg_name == "first":
            given.append(f"first: {PAGE}")
        elif arg_name in ARGUMENTS and (required or arg_name in WANTED.get(name, ())):
            given.append(f"{arg_name}: {json.dumps(ARGUMENTS[arg_name])}")
        elif required:
            return None
    return f"({', '.join(given)})" if given else ""


def root_queries(gql_schema: GraphQLSchema, ids: dict[str, list[str]]) -> Iterator[tuple[str, str]]:
    """(name, document) of one query per root field, and per known id for the lookups."""
    query_type = gql_schema.query_type
    assert query_type is not None
    for name, field in query_type.fields.items():
        if name in SKIPPED_ROOTS:
            continue
        # every département of France, each with its pages: two levels are enough there
        inner = _selection(field.type, 2 if name in ("regions", "departements") else DEPTH, ())
        if inner is None:
            continue
        body = f" {{ {inner} }}" if inner else ""
        if name in ids:
            for value in ids[name]:
                yield f"{name}({value})", f'{{ {name}(id: "{value}"){body} }}'
            continue
        if name in ROOT_CODES:
            yield name, f'{{ {name}(code: "{ROOT_CODES[name]}"){body} }}'
            continue
        arguments = _arguments(name, field)
        if arguments is None:
            continue
        yield name, f"{{ {name}{arguments}{body} }}"


def normalised(value: Any, key: str = "") -> Any:
    """An answer with what differs between two loads of the same data set aside: times and
    cursors (they say when, not what)."""
    if key in CURSOR_KEYS and isinstance(value, str):
        return "<cursor>"
    if isinstance(value, dict):
        return {k: normalised(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [normalised(v, key) for v in value]
    if isinstance(value, str) and TIME.match(value):
        return "<time>"
    return value


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo")
    demo.generate(folder, scale=1, seed=0)
    return folder


async def _load(url: str, files: Path, producers: list[str]) -> None:
    await prepared_store(url)
    engine = create_engine(normalize_url(url))
    try:
        for slug in producers:
            folder = files / slug if (files / slug).is_dir() else files / slug.split("@")[0]
            paths = sorted(p for p in folder.iterdir() if p.is_file())
            report = await ingest(engine, slug.split("@")[0], paths)
            assert report.status in ("succeeded", "unchanged"), report
    finally:
        await engine.dispose()


def _renamed(files: Path) -> str:
    """The restricted producer's file again, a tenth of its places renamed: a later run that
    changes only what restricted consumers see."""
    source = files / RESTRICTED / "lieux.json"
    doc = json.loads(source.read_text(encoding="utf-8"))
    for place in doc["places"][::10]:
        place["name"] = f"{place['name']} (nouveau nom)"
    folder = files / f"{RESTRICTED}@renamed"
    folder.mkdir(exist_ok=True)
    (folder / "lieux.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return folder.name


@pytest.fixture(scope="module", params=BACKENDS)
async def two_stores(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, demo_files: Path
) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    tmp = tmp_path_factory.mktemp("public-view")
    async with (
        fresh_database(request.param, tmp, "public_only") as without,
        fresh_database(request.param, tmp, "with_restricted") as with_restricted,
    ):
        await _load(without, demo_files, list(PUBLIC))
        # the restricted producer arrives between the public ones, then renames some places
        renamed = _renamed(demo_files)
        await _load(with_restricted, demo_files, [*PUBLIC[:2], RESTRICTED, *PUBLIC[2:], renamed])
        apps = [
            create_app(Settings(database_url=u, response_cache_seconds=60))
            for u in (without, with_restricted)
        ]
        clients = [
            httpx.AsyncClient(transport=httpx.ASGITransport(app=a), base_url="http://t")
            for a in apps
        ]
        try:
            yield clients[0], clients[1]
        finally:
            for client, app in zip(clients, apps, strict=True):
                await client.aclose()
                await app.state.cache.close()
                await app.state.engine.dispose()


async def _ask(client: httpx.AsyncClient, document: str) -> Any:
    response = await client.post("/graphql", json={"query": document})
    return response.status_code, normalised(response.json())


async def _some_ids(client: httpx.AsyncClient) -> dict[str, list[str]]:
    doc = (
        "{ structures(first: 4) { edges { node { id } } }"
        " services(first: 4) { edges { node { id } } } }"
    )
    data = (await client.post("/graphql", json={"query": doc})).json()["data"]
    return {
        "structure": [e["node"]["id"] for e in data["structures"]["edges"]],
        "service": [e["node"]["id"] for e in data["services"]["edges"]],
    }


async def test_anonymous_answers_are_those_of_a_world_without_restricted_producers(
    two_stores: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    without, with_restricted = two_stores
    ids = await _some_ids(without)
    differences = []
    asked = set()
    for name, document in root_queries(schema._schema, ids):
        expected = await _ask(without, document)
        got = await _ask(with_restricted, document)
        # each root field answers data, not an error both stores share
        assert expected[0] == 200 and "errors" not in expected[1], (name, expected)
        asked.add(name.split("(")[0])
        if got != expected:
            differences.append((name, document, expected, got))
    assert {"structure", "services", "searchServices", "facets", "changes", "regions"} <= asked
    assert not differences, _explain(differences)


def _explain(differences: list[tuple[str, str, Any, Any]]) -> str:
    lines = []
    for name, _document, expected, got in differences[:10]:
        lines.append(f"{name}: {_first_difference(expected, got)}")
    return f"{len(differences)} root fields differ:\n" + "\n".join(lines)


def _first_difference(a: Any, b: Any, path: str = "") -> str:
    if type(a) is not type(b):
        return f"{path}: {str(a)[:200]} != {str(b)[:200]}"
    if isinstance(a, dict):
        for k in sorted(set(a) | set(b)):
            if a.get(k) != b.get(k):
                return _first_difference(a.get(k), b.get(k), f"{path}.{k}")
    if isinstance(a, list | tuple):
        if len(a) != len(b):
            return f"{path}: {len(a)} items != {len(b)}"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            if x != y:
                return _first_difference(x, y, f"{path}[{i}]")
    return f"{path}: {str(a)[:200]} != {str(b)[:200]}"


FEED = """query($after: String) {
  changes(since: "2000-01-01T00:00:00Z", after: $after, first: 500) {
    edges { cursor node { recordId kind operation fields dataVersion } }
    pageInfo { hasNextPage endCursor }
    resumeCursor
  }
}"""


async def _walk(client: httpx.AsyncClient) -> list[Any]:
    entries: list[Any] = []
    after = None
    while True:
        body = await client.post("/graphql", json={"query": FEED, "variables": {"after": after}})
        page = body.json()["data"]["changes"]
        entries += page["edges"]
        if not page["pageInfo"]["hasNextPage"]:
            return [*entries, page["resumeCursor"]]
        after = page["pageInfo"]["endCursor"]


async def test_an_anonymous_feed_is_that_of_a_world_without_restricted_producers(
    two_stores: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    """Entry by entry, cursors and data versions included: no entry, gap or version tells that
    a restricted producer came, changed or went."""
    without, with_restricted = two_stores
    expected, got = await _walk(without), await _walk(with_restricted)
    assert len(expected) > 100
    assert got == expected, _first_difference(expected, got)


async def test_an_unchanged_answer_keeps_its_etag(
    two_stores: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    without, with_restricted = two_stores
    query = {"query": '{ departement(code: "35") { nom structures(first: 5) { totalCount } } }'}
    tags = [(await c.get("/graphql", params=query)).headers["etag"] for c in two_stores]
    assert tags[0] == tags[1]
    assert without is not with_restricted
