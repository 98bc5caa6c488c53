"""The schema as an Apollo Federation v2 subgraph: `_service { sdl }` links federation 2.9 and
keys the seven entities; `_entities` resolves representations through the request's loaders
(a fixed number of statements whatever their number) and shows exactly what the root fields
show the same consumer (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

from tests.conftest import GraphQLClient
from tests.resolvers.conftest import APPS, counting

ENTITIES = """query($representations: [_Any!]!) { _entities(representations: $representations) {
  __typename
  ... on Structure { id nom commune { code } services(first: 2) { edges { node { id } } } }
  ... on Service { id nom contactNomPrenom structure { id } }
  ... on Source { slug nom }
  ... on Commune { code nom departement { code } }
  ... on Departement { code nom }
  ... on Region { code nom }
  ... on Epci { code nom }
} }"""


async def _entities(gql: GraphQLClient, representations: list[dict[str, Any]]) -> list[Any]:
    data = await gql.data(ENTITIES, {"representations": representations})
    found: list[Any] = data["_entities"]
    return found


async def test_the_subgraph_sdl_keys_the_entities(gql_example: GraphQLClient) -> None:
    sdl = (await gql_example.data("{ _service { sdl } }"))["_service"]["sdl"]
    assert '@link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"])' in sdl
    for entity, key in [
        ("Structure", "id"), ("Service", "id"), ("Source", "slug"), ("Commune", "code"),
        ("Epci", "code"), ("Departement", "code"), ("Region", "code"),
    ]:  # fmt: skip
        assert f'type {entity} @key(fields: "{key}") {{' in sdl


async def test_entities_answer_as_the_root_fields_do(gql_example: GraphQLClient) -> None:
    found = await _entities(
        gql_example,
        [
            {"__typename": "Structure", "id": "dora--a1"},
            {"__typename": "Structure", "id": "no--such"},
            {"__typename": "Service", "id": "dora--s1"},
            {"__typename": "Source", "slug": "dora"},
            {"__typename": "Commune", "code": "35238"},
            {"__typename": "Departement", "code": "35"},
            {"__typename": "Region", "code": "53"},
            {"__typename": "Epci", "code": "243500139"},
        ],
    )
    root = await gql_example.data(
        '{ structure(id: "dora--a1") { id nom commune { code } '
        "services(first: 2) { edges { node { id } } } } }"
    )
    assert {k: v for k, v in found[0].items() if k != "__typename"} == root["structure"]
    assert found[1] is None  # an unknown id: null, as `structure(id:)` answers
    assert found[2]["id"] == "dora--s1" and found[2]["structure"] is not None
    assert found[2]["contactNomPrenom"] is None  # personal data: no token, no value
    assert found[3]["slug"] == "dora"
    assert found[4] == {"__typename": "Commune", "code": "35238", "nom": "Rennes",
                        "departement": {"code": "35"}}  # fmt: skip
    assert [f["nom"] for f in found[5:]] == ["Ille-et-Vilaine", "Bretagne", "Rennes Métropole"]


async def test_a_restricted_record_is_no_side_door(gql_example: GraphQLClient) -> None:
    restricted = {"__typename": "Structure", "id": "soliguide--884"}
    assert await _entities(gql_example, [restricted]) == [None]
    root = await gql_example.data('{ structure(id: "soliguide--884") { id } }')
    assert root["structure"] is None


async def test_entities_cost_the_same_statements_whatever_their_number(
    gql_example: GraphQLClient,
) -> None:
    listed = await gql_example.data("{ structures(first: 100) { edges { node { id } } } }")
    ids = [e["node"]["id"] for e in listed["structures"]["edges"]]
    assert len(ids) >= 4
    counts = {}
    for n in (1, len(ids), 1, len(ids)):  # warm both sizes first (new connections' set-up)
        representations = [{"__typename": "Structure", "id": i} for i in ids[:n]]
        with counting(APPS["example"]) as statements:
            found = await _entities(gql_example, representations)
        assert [f["id"] for f in found] == ids[:n]
        counts[n] = statements.count
    assert counts[1] == counts[len(ids)], counts


async def test_malformed_representations_are_the_clients_mistake(
    gql_example: GraphQLClient,
) -> None:
    for representation, says in [
        ({}, "`__typename` must be one of"),
        ({"__typename": "Claim", "id": "x"}, "`__typename` must be one of"),
        ({"__typename": "Structure"}, "represented by its `id`"),
        ({"__typename": "Commune", "code": 35238}, "represented by its `code`, a string"),
        ({"__typename": "Structure", "id": "dora--a1", "nom": "x"}, "not nom"),
        ("dora--a1", "must be an object"),
    ]:
        body = await gql_example(ENTITIES, {"representations": [representation]})
        error = body["errors"][0]
        assert error["extensions"]["code"] == "BAD_USER_INPUT", body
        assert error["message"].startswith("representations[0]: ") and says in error["message"]


async def test_a_batch_of_representations_counts_in_the_cost(gql_example: GraphQLClient) -> None:
    heavy = """query($representations: [_Any!]!) { _entities(representations: $representations) {
      ... on Departement { services(first: 100) { edges { node { id nom claims { value } } } } }
    } }"""
    few = [{"__typename": "Departement", "code": "35"}]
    assert "errors" not in await gql_example(heavy, {"representations": few})
    many = few * 300  # each one a page of 100 services: 300 times the cost of one
    body = await gql_example(heavy, {"representations": many})
    assert body["errors"][0]["extensions"]["code"] == "QUERY_TOO_COSTLY"
    too_many = [{"__typename": "Region", "code": "53"}] * 1001
    body = await gql_example(ENTITIES, {"representations": too_many})
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["argument"] == "representations"
    assert "at most 1000" in error["message"]
