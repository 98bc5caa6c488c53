"""Property-based fuzzing of the schema: queries written by hypothesis-graphql from
schema.graphql (valid ones, and ones with one schema violation), weird strings, cursors and
numbers in the variables of every root field that takes arguments, federation representations
of any shape for `_entities`, and request bodies of any shape, each POSTed to the app in
process. Whatever the request, the answer is never a 500 nor a masked internal error; a GraphQL
answer is JSON with `data` and/or `errors`, every error with a stable code; and nothing
internal (stack trace, SQL, driver, Python exception) shows in it.

Bounded and repeatable: a fixed number of examples, derandomized (the same examples on every
run), no example database; on every backend, against the worked example (three producers), with
neither a rate limit nor a response cache in the way."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import graphql
import httpx
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, nodes, queries

from gateway.app import create_app
from gateway.http import GRAPHQL_RESPONSE
from gateway.settings import Settings
from tests.conftest import (
    BACKENDS,
    EXAMPLE_PRODUCERS,
    TEST_REDIS_URL,
    fresh_database,
    prepared_store,
)

ROOT = Path(__file__).resolve().parents[2]
SDL = (ROOT / "schema.graphql").read_text(encoding="utf-8")
# a federation subgraph's SDL uses the spec's directives (`@link`, `@key`) without defining them
SCHEMA = graphql.build_schema(SDL, assume_valid_sdl=True)

FUZZ = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    phases=[Phase.explicit, Phase.generate, Phase.shrink],
)

# what a client may send where a date is expected: real ones (valid documents), and anything
DATES = st.dates().map(date.isoformat)
DATETIMES = st.one_of(
    st.datetimes().map(datetime.isoformat),
    st.datetimes(timezones=st.just(UTC)).map(datetime.isoformat),
)
BAD_DATES = st.one_of(
    st.sampled_from(["", "2024-02-30", "2024-13-01", "0000-01-01", "99999-01-01", "today"]),
    st.text(max_size=12),
)
BAD_DATETIMES = st.one_of(
    st.sampled_from(["", "2024-01-01T25:00:00", "2024-01-01T00:00:00+99:00", "now", "0"]),
    st.text(max_size=25),
)
NASTY = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "'",
    '"',
    "\\",
    "%",
    "_",
    "%_%",
    "*",
    "x' OR 1=1 --",
    "'; DROP TABLE golden_record; --",
    "\ud800",  # a lone surrogate: valid JSON (`"\\ud800"`), not valid UTF-8
    "\u202e\u0301\ufeff",
    "🙂" * 50,
    "NaN",
    "null",
    "[]",
    "{}",
    "1e309",
    "-1",
    "99999999999999999999",
    "x" * 10_000,
    "%" * 5_000,
    "a " * 2_000,
]
IDS = ["dora--a1", "dora--s1", "emplois-de-linclusion--17", "soliguide--884", "dora--nope"]
CODES = ["35238", "75056", "75111", "35", "2A", "971", "975", "53", "243500139", "35000"]
SLUGS = ["dora", "emplois-de-linclusion", "soliguide", "nope"]
VALUES = [
    "famille",
    "famille--garde-denfants",
    "equipement-et-alimentation--alimentation",
    "tous-publics",
    "gratuit",
    "en-presentiel",
    "a-distance",
]


def _cursor(key: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


TEXTS = st.one_of(st.text(), st.sampled_from(NASTY))
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | TEXTS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=6,
)
ENTITY_KEYS = {
    "Structure": ("id", IDS),
    "Service": ("id", IDS),
    "Source": ("slug", SLUGS),
    "Commune": ("code", CODES),
    "Departement": ("code", CODES),
    "Epci": ("code", CODES),
    "Region": ("code", CODES),
}
# what a federation router sends to `_entities`: the type and its key
REPRESENTATIONS = st.one_of(
    *(
        st.fixed_dictionaries(
            {"__typename": st.just(name), key: st.sampled_from(known) | st.text()}
        )
        for name, (key, known) in ENTITY_KEYS.items()
    )
)


def _object(value: dict[str, str]) -> graphql.ValueNode:
    """A representation written as a GraphQL object literal."""
    name = graphql.NameNode
    return nodes.Object(
        [
            graphql.ObjectFieldNode(name=name(value=k), value=nodes.String(v))
            for k, v in value.items()
        ]
    )


VALID_SCALARS = {
    "Date": DATES.map(nodes.String),
    "DateTime": DATETIMES.map(nodes.String),
    "_Any": REPRESENTATIONS.map(_object),
}
ANY_SCALARS = {
    "Date": (DATES | BAD_DATES).map(nodes.String),
    "DateTime": (DATETIMES | BAD_DATETIMES).map(nodes.String),
    "_Any": REPRESENTATIONS.map(_object),
}
# what `after` may be: garbage, base64 of garbage, keys shaped like this API's cursors
AFTER = st.one_of(
    st.none(),
    TEXTS,
    st.binary(max_size=40).map(lambda b: base64.urlsafe_b64encode(b).decode()),
    JSON_VALUES.map(_cursor),
    st.lists(JSON_VALUES, min_size=1, max_size=4).map(_cursor),
    st.tuples(st.sampled_from(["change", "h"]), JSON_VALUES).map(lambda k: _cursor(list(k))),
    st.tuples(st.just("change"), st.integers()).map(lambda k: _cursor(list(k))),
    st.tuples(st.sampled_from(IDS) | TEXTS).map(lambda k: _cursor(list(k))),
    st.tuples(TEXTS | st.none(), st.sampled_from(IDS) | TEXTS).map(lambda k: _cursor(list(k))),
    st.tuples(st.floats() | st.none(), st.sampled_from(IDS)).map(lambda k: _cursor(list(k))),
)
FIRST = st.one_of(
    st.none(), st.integers(min_value=-5, max_value=1005), st.integers(-(2**31), 2**31 - 1)
)
FLOATS = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False),
    st.floats(min_value=-200, max_value=200),
    st.integers(),
)
ID = st.sampled_from(IDS) | TEXTS
CODE = st.sampled_from(CODES) | TEXTS
SLUG = st.sampled_from(SLUGS) | TEXTS
VALUE = st.sampled_from(VALUES) | TEXTS
FIELD = st.sampled_from(["nom", "telephone", "thematiques", "sourceRecords", "dateMaj"]) | TEXTS
ORDER = st.none() | st.sampled_from(["ID", "NOM", "DATE_MAJ_DESC", "SCORE_QUALITE_DESC"]) | TEXTS
COMMON_FILTER = {
    "sources": st.lists(SLUG, max_size=3),
    "codeRegion": CODE,
    "codeDepartement": CODE,
    "codeEpci": CODE,
    "codeCommune": CODE,
    "scoreQualiteMin": FLOATS,
    "dateMajApres": DATES | BAD_DATES,
    "texte": TEXTS,
}
STRUCTURE_FILTER = st.none() | st.fixed_dictionaries(
    {}, optional={**COMMON_FILTER, "reseauxPorteurs": st.lists(TEXTS, max_size=3)}
)
SERVICE_FILTER = st.none() | st.fixed_dictionaries(
    {},
    optional={
        **COMMON_FILTER,
        **{
            name: st.lists(VALUE, max_size=3)
            for name in ("thematiques", "frais", "publics", "modesAccueil", "types")
        },
    },
)
PAGE = {"first": FIRST, "after": AFTER}

# one root field per document (a failing non-null root field nulls the whole `data`, and the
# others with it): every argument a client types, as a variable
CASES: list[tuple[str, dict[str, st.SearchStrategy[Any]]]] = [
    (
        "query($id: ID!) { structure(id: $id) { id nom dateMaj commune { code } "
        "sources { slug } provenance { nom { source { slug } } } } }",
        {"id": ID},
    ),
    ("query($id: ID!) { service(id: $id) { id nom thematiques structure { id } } }", {"id": ID}),
    (
        "query($first: Int, $after: String, $filter: StructureFilter, $order: Order) "
        "{ structures(first: $first, after: $after, filter: $filter, orderBy: $order) "
        "{ totalCount pageInfo { endCursor } edges { cursor node { id } } } }",
        {**PAGE, "filter": STRUCTURE_FILTER, "order": ORDER},
    ),
    (
        "query($first: Int, $after: String, $filter: ServiceFilter, $order: Order) "
        "{ services(first: $first, after: $after, filter: $filter, orderBy: $order) "
        "{ totalCount pageInfo { endCursor } edges { cursor node { id } } } }",
        {**PAGE, "filter": SERVICE_FILTER, "order": ORDER},
    ),
    (
        "query($code: String, $lat: Float, $lon: Float, $r: Float!, $filter: ServiceFilter, "
        "$first: Int, $after: String) { searchServices(codeCommune: $code, latitude: $lat, "
        "longitude: $lon, rayonKm: $r, filter: $filter, first: $first, after: $after) "
        "{ totalCount edges { cursor distanceKm node { id } } } }",
        {
            "code": st.none() | CODE,
            "lat": st.none() | FLOATS,
            "lon": st.none() | FLOATS,
            "r": FLOATS,
            "filter": SERVICE_FILTER,
            **PAGE,
        },
    ),
    (
        "query($filter: ServiceFilter) { facets(filter: $filter) { totalCount "
        "thematiques { value count } sources { value count } departements { value count } } }",
        {"filter": SERVICE_FILTER},
    ),
    (
        "query($since: DateTime, $after: String, $first: Int, $kinds: [RecordKind!]) "
        "{ changes(since: $since, after: $after, first: $first, kinds: $kinds) "
        "{ totalCount resumeCursor edges { cursor node { recordId operation fields } } } }",
        {
            "since": st.none() | DATETIMES | BAD_DATETIMES,
            **PAGE,
            "kinds": st.none() | st.lists(st.sampled_from(["STRUCTURE", "SERVICE"]) | TEXTS),
        },
    ),
    (
        "query($s: String!, $first: Int, $after: String) { source(slug: $s) { slug "
        "structures(first: $first, after: $after) { totalCount edges { cursor } } "
        "services(first: $first, after: $after) { totalCount } } }",
        {"s": SLUG, **PAGE},
    ),
    (
        "query($s: String!, $first: Int, $after: String) { sourceStructures(source: $s, "
        "first: $first, after: $after) { totalCount edges { cursor node { id data } } } }",
        {"s": SLUG, **PAGE},
    ),
    (
        "query($s: String!, $first: Int, $after: String) { sourceServices(source: $s, "
        "first: $first, after: $after) { totalCount edges { cursor node { id } } } }",
        {"s": SLUG, **PAGE},
    ),
    (
        "query($code: String!, $first: Int, $after: String) { region(code: $code) { code "
        "structures(first: $first, after: $after) { totalCount edges { cursor } } } }",
        {"code": CODE, **PAGE},
    ),
    (
        "query($code: String!, $first: Int, $after: String) { departement(code: $code) { code "
        "services(first: $first, after: $after) { totalCount edges { cursor } } } }",
        {"code": CODE, **PAGE},
    ),
    (
        "query($code: String!, $first: Int, $after: String) { epci(code: $code) { code "
        "structures(first: $first, after: $after) { totalCount } } }",
        {"code": CODE, **PAGE},
    ),
    (
        "query($code: String!, $first: Int, $after: String) { commune(code: $code) { code nom "
        "structures(first: $first, after: $after) { totalCount } "
        "services(first: $first, after: $after) { totalCount } } }",
        {"code": CODE, **PAGE},
    ),
    (
        "query($search: String, $cp: String, $d: String, $first: Int, $after: String) "
        "{ communes(search: $search, codePostal: $cp, codeDepartement: $d, first: $first, "
        "after: $after) { totalCount pageInfo { endCursor } edges { cursor node { code } } } }",
        {
            "search": st.none() | st.sampled_from(["Rennes", "saint", "é"]) | TEXTS,
            "cp": st.none() | CODE,
            "d": st.none() | CODE,
            **PAGE,
        },
    ),
    (
        "query($id: ID!, $field: String, $first: Int, $after: String) { structure(id: $id) "
        "{ history(field: $field, first: $first, after: $after) { totalCount edges { cursor } } "
        "} }",
        {"id": ID, "field": st.none() | FIELD, **PAGE},
    ),
    (
        "query($id: ID!, $field: String, $first: Int, $after: String) { service(id: $id) "
        "{ history(field: $field, first: $first, after: $after) { totalCount } } }",
        {"id": ID, "field": st.none() | FIELD, **PAGE},
    ),
    (
        "query($id: ID!, $fields: [String!], $sources: [String!]) { structure(id: $id) "
        "{ claims(fields: $fields) { field chosen } sourceRecords(sources: $sources) { id } } }",
        {
            "id": ID,
            "fields": st.none() | st.lists(FIELD, max_size=3),
            "sources": st.none() | st.lists(SLUG, max_size=3),
        },
    ),
    (
        "query($id: ID!, $fields: [String!], $sources: [String!]) { service(id: $id) "
        "{ claims(fields: $fields) { field } sourceRecords(sources: $sources) { id } } }",
        {
            "id": ID,
            "fields": st.none() | st.lists(FIELD, max_size=3),
            "sources": st.none() | st.lists(SLUG, max_size=3),
        },
    ),
    (
        "query($id: ID!, $first: Int, $after: String) { structure(id: $id) "
        "{ services(first: $first, after: $after) { totalCount edges { cursor } } } }",
        {"id": ID, **PAGE},
    ),
    (
        "query($com: Boolean!) { regions(inclureCollectivitesOutreMer: $com) { code } "
        "departements(inclureCollectivitesOutreMer: $com) { code } }",
        {"com": st.booleans()},
    ),
]


@st.composite
def operations(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """A document of CASES and its variables, one of them now and then of a wrong JSON type."""
    document, strategies = draw(st.sampled_from(CASES))
    variables = {name: draw(strategy) for name, strategy in strategies.items()}
    if draw(st.integers(min_value=0, max_value=9)) == 0:
        variables[draw(st.sampled_from(sorted(variables)))] = draw(JSON_VALUES)
    return document, variables


# what must never reach a client: stack traces, SQL, drivers, Python's own exceptions
LEAKS_EXACT = re.compile(
    r"Traceback|File \"|SELECT |INSERT |UPDATE |DELETE FROM| WHERE |\.py\b|object at 0x"
    r"|<class |site-packages|\b(Key|Type|Attribute|Value|Index|Runtime|Lookup|Name|Assertion"
    r"|ZeroDivision|Overflow|Unicode\w*|Recursion|NotImplemented|Import|OS|IO)Error\b"
    r"|\bException\b"
)
LEAKS_ANY_CASE = re.compile(
    r"sqlalchemy|asyncpg|sqlite3|aiosqlite|psycopg|sqlmodel|greenlet|strawberry|graphql\.error"
    r"|orjson|redis\.|starlette",
    re.IGNORECASE,
)
# answered with `errors` alone: the request was refused before execution
REQUEST_ERRORS = {
    "GRAPHQL_PARSE_FAILED",
    "GRAPHQL_VALIDATION_FAILED",
    "QUERY_TOO_DEEP",
    "TOO_MANY_ALIASES",
    "TOO_MANY_DIRECTIVES",
    "QUERY_TOO_COSTLY",
    "TOO_MANY_TOKENS",
    "BAD_USER_INPUT",
}
RETRY_LATER = {"DATABASE_UNAVAILABLE", "DEADLINE_EXCEEDED"}


@pytest.fixture(scope="module", params=BACKENDS)
async def fuzz_client(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[httpx.AsyncClient]:
    """The worked example in a store of its own, served by an app with neither a rate limit nor
    a response cache (each example must reach the resolvers, and none be refused for its rate)."""
    tmp = tmp_path_factory.mktemp("fuzz")
    async with fresh_database(request.param, tmp, "gateway_fuzz") as url:
        await prepared_store(url, EXAMPLE_PRODUCERS)
        app_settings = Settings(
            database_url=url,
            redis_url=TEST_REDIS_URL,
            rate_limit_anonymous=0,
            response_cache_seconds=0,
        )
        app = create_app(app_settings)
        assert app.state.settings.rate_limit_anonymous == 0
        assert app.state.settings.response_cache_seconds == 0
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as c:
            yield c
        await app.state.cache.close()
        await app.state.engine.dispose()


async def _post(
    client: httpx.AsyncClient, payload: Any, *, graphql_response: bool
) -> tuple[httpx.Response, str]:
    """POSTs `payload` as JSON (`ensure_ascii`: a lone surrogate travels as `\\ud800`, as a
    browser's JSON.stringify sends it; bytes: as they are); returns the response and the body
    sent, as text."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    accept = GRAPHQL_RESPONSE if graphql_response else "application/json"
    response = await client.post(
        "/graphql", content=body, headers={"content-type": "application/json", "accept": accept}
    )
    if isinstance(payload, bytes):
        return response, payload.decode(errors="replace")
    return response, json.dumps(payload, ensure_ascii=False)


def _no_leak(shown: str, sent: str, what: str) -> None:
    """Nothing internal in what the gateway wrote (what it echoes of the request aside)."""
    for pattern in (LEAKS_EXACT, LEAKS_ANY_CASE):
        for match in pattern.finditer(shown):
            assert match.group(0).lower() in sent.lower(), f"leaks {match.group(0)!r}: {what}"


def _check(response: httpx.Response, sent: str, *, graphql_response: bool) -> dict[str, Any]:
    """The invariants of every answer to a GraphQL request; returns its body."""
    status = response.status_code
    what = f"{status} for {sent[:2000]}\n-> {response.text[:2000]}"
    assert status != 500, what
    assert status in {200, 400, 503}, what
    assert response.headers["content-type"].startswith(
        GRAPHQL_RESPONSE if graphql_response else "application/json"
    ), what
    body = response.json()
    assert isinstance(body, dict), what
    assert set(body) <= {"data", "errors", "extensions"}, what
    assert "data" in body or body.get("errors"), what
    errors = body.get("errors") or []
    codes = set()
    for error in errors:
        assert isinstance(error.get("message"), str) and error["message"], what
        code = (error.get("extensions") or {}).get("code")
        assert isinstance(code, str) and re.fullmatch(r"[A-Z_]+", code), what
        codes.add(code)
    # a masked error is a bug a client met: the fuzzing must find none
    assert "INTERNAL_SERVER_ERROR" not in codes, what
    request_error = body.get("data") is None and all("path" not in e for e in errors)
    if status == 503:
        assert codes and codes <= RETRY_LATER and response.headers.get("retry-after"), what
    elif status == 400:
        assert request_error, what
    if graphql_response and request_error and status != 503:
        assert status == 400, what  # GraphQL over HTTP: a request error is a 400
    if body.get("data") is not None:
        assert status == 200, what
    _no_leak(json.dumps([errors, body.get("extensions")], ensure_ascii=False), sent, what)
    return body


def _codes(body: dict[str, Any]) -> set[str]:
    return {e["extensions"]["code"] for e in body.get("errors") or []}


def test_the_fuzzed_documents_are_valid() -> None:
    """Each document of CASES validates, and draws a value for each of its variables."""
    for document, strategies in CASES:
        parsed = graphql.parse(document)
        assert graphql.validate(SCHEMA, parsed) == [], document
        (operation,) = parsed.definitions
        assert isinstance(operation, graphql.OperationDefinitionNode)
        declared = {v.variable.name.value for v in operation.variable_definitions or ()}
        assert set(strategies) == declared, document


@FUZZ
@given(
    query=queries(SCHEMA, custom_scalars=VALID_SCALARS),
    graphql_response=st.booleans(),
)
async def test_valid_queries_never_fail_inside(
    fuzz_client: httpx.AsyncClient, query: str, graphql_response: bool
) -> None:
    """Any valid document (any root fields, arguments, nesting, fragments on `_Entity`)."""
    response, sent = await _post(fuzz_client, {"query": query}, graphql_response=graphql_response)
    body = _check(response, sent, graphql_response=graphql_response)
    # a valid document parses and validates against the served schema
    assert not _codes(body) & {"GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED"}, (query, body)


@FUZZ
@given(
    query=queries(SCHEMA, custom_scalars=ANY_SCALARS, mode=Mode.NEGATIVE),
    graphql_response=st.booleans(),
)
async def test_invalid_queries_are_refused_cleanly(
    fuzz_client: httpx.AsyncClient, query: str, graphql_response: bool
) -> None:
    """A document with one violation (wrong argument type, unknown enum value, missing
    argument…) is refused before execution, with a code that says why."""
    response, sent = await _post(fuzz_client, {"query": query}, graphql_response=graphql_response)
    body = _check(response, sent, graphql_response=graphql_response)
    if body.get("data") is None:
        assert _codes(body) & REQUEST_ERRORS, (query, body)


@settings(FUZZ, max_examples=250)
@given(operation=operations(), graphql_response=st.booleans())
async def test_weird_variables_are_plain_values(
    fuzz_client: httpx.AsyncClient,
    operation: tuple[str, dict[str, Any]],
    graphql_response: bool,
) -> None:
    """NUL, lone surrogates, quotes, LIKE wildcards, 10k-character strings, forged cursors,
    out-of-range numbers, bad dates, a value of the wrong JSON type: a plain value each time,
    answered or refused as the client's own mistake."""
    document, variables = operation
    payload = {"query": document, "variables": variables}
    response, sent = await _post(fuzz_client, payload, graphql_response=graphql_response)
    body = _check(response, sent, graphql_response=graphql_response)
    for error in body.get("errors") or []:
        if error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED":  # the documents are valid
            assert error["message"].startswith("Variable '$"), (payload, body)


ENTITIES = """query($representations: [_Any!]!) { _entities(representations: $representations) {
  __typename
  ... on Structure { id nom }
  ... on Service { id nom }
  ... on Source { slug }
  ... on Commune { code }
  ... on Departement { code }
  ... on Epci { code }
  ... on Region { code }
} }"""
# what anyone may send in place of a router: a wrong type name, a missing or extra key, a key
# of another type, a value of any JSON type, not an object at all
BAD_REPRESENTATIONS = st.one_of(
    st.fixed_dictionaries(
        {},
        optional={
            "__typename": st.sampled_from([*ENTITY_KEYS, "Query", "Claim", "_Service"]) | TEXTS,
            "id": st.sampled_from(IDS) | JSON_VALUES,
            "slug": st.sampled_from(SLUGS) | JSON_VALUES,
            "code": st.sampled_from(CODES) | JSON_VALUES,
            "nom": TEXTS,
        },
    ),
    JSON_VALUES,
)


@settings(FUZZ, max_examples=100)
@given(
    representations=st.lists(REPRESENTATIONS | BAD_REPRESENTATIONS, max_size=4),
    graphql_response=st.booleans(),
)
async def test_entity_representations_are_checked(
    fuzz_client: httpx.AsyncClient, representations: list[Any], graphql_response: bool
) -> None:
    """`_entities` is open to anyone, not only to a router: a representation it cannot resolve
    is the client's mistake (a null entity with an error that says so), never an internal one."""
    payload = {"query": ENTITIES, "variables": {"representations": representations}}
    response, sent = await _post(fuzz_client, payload, graphql_response=graphql_response)
    _check(response, sent, graphql_response=graphql_response)


HEX = "0123456789abcdef"
ENVELOPES = st.one_of(
    st.binary(max_size=64),
    JSON_VALUES,  # any JSON document at all
    st.fixed_dictionaries(
        {},
        optional={
            "query": st.sampled_from(
                [
                    *(document for document, _ in CASES),
                    "{ regions { code } }",
                    "query A { sources { slug } } query B { regions { code } }",
                ]
            )
            | TEXTS
            | JSON_VALUES,
            "variables": st.dictionaries(TEXTS, JSON_VALUES, max_size=3) | JSON_VALUES,
            "operationName": st.sampled_from(["A", "B"]) | TEXTS | JSON_VALUES,
            "extensions": JSON_VALUES
            | st.fixed_dictionaries(
                {
                    "persistedQuery": st.fixed_dictionaries(
                        {
                            "version": st.just(1) | JSON_VALUES,
                            "sha256Hash": st.text(HEX, min_size=64, max_size=64) | TEXTS,
                        }
                    )
                }
            ),
            "documentId": st.text(HEX, min_size=64, max_size=64).map("sha256:".__add__)
            | TEXTS
            | JSON_VALUES,
        },
    ),
)


@settings(FUZZ, max_examples=200)
@given(payload=ENVELOPES, graphql_response=st.booleans())
async def test_any_request_body_is_answered_cleanly(
    fuzz_client: httpx.AsyncClient, payload: Any, graphql_response: bool
) -> None:
    """Not only documents: whatever the body of a POST (not JSON, JSON but not an object, an
    object whose members have any type), a 4xx or an answer, never a 500 nor a leak."""
    response, sent = await _post(fuzz_client, payload, graphql_response=graphql_response)
    what = f"{response.status_code} for {sent[:2000]}\n-> {response.text[:2000]}"
    if response.headers.get("content-type", "").startswith("text/plain"):
        # the GraphQL view's own refusals of a malformed request (no code: plain text)
        assert response.status_code == 400, what
        _no_leak(response.text, sent, what)
    else:
        _check(response, sent, graphql_response=graphql_response)
