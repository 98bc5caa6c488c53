"""Filters and facets of the merged lists, with the real API's semantics, on the worked example."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import GraphQLClient
from tests.resolvers.conftest import APPS, counting

VITRE = "emplois-de-linclusion--18"  # Secours populaire de Vitré
STRUCTURES = """query($filter: StructureFilter) {
  structures(first: 50, filter: $filter) { totalCount edges { node { id } } } }"""
SERVICES = """query($filter: ServiceFilter) {
  services(first: 50, filter: $filter) { totalCount edges { node { id } } } }"""


async def ids(gql: GraphQLClient, query: str, where: dict[str, Any]) -> list[str]:
    data = await gql.data(query, {"filter": where})
    connection = next(iter(data.values()))
    found = [e["node"]["id"] for e in connection["edges"]]
    assert connection["totalCount"] == len(found)  # the count applies the same filter
    return found


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ({}, ["dora--a1", "dora--a2", "dora--a3", VITRE]),
        ({"codeCommune": "35238"}, ["dora--a1", "dora--a2"]),
        # emplois gives Vitré's name and postcode, no INSEE code: no territory filter finds it
        ({"codeDepartement": "35", "codeRegion": "53"}, ["dora--a1", "dora--a2", "dora--a3"]),
        ({"codeEpci": "243500139"}, ["dora--a1", "dora--a2"]),  # Rennes Métropole
        ({"sources": ["emplois-de-linclusion"]}, ["dora--a1", VITRE]),
        ({"texte": "secours vitre"}, [VITRE]),
        ({"sources": ["soliguide"]}, []),  # restricted: nothing of it in the public view
        ({"texte": "Centre  COMMUNAL"}, ["dora--a1"]),
        ({"texte": "fougeres"}, ["dora--a3"]),  # accent-blind
        ({"dateMajApres": "2099-01-01"}, []),
    ],
)
async def test_structure_filters(
    gql_example: GraphQLClient, where: dict[str, Any], expected: list[str]
) -> None:
    assert await ids(gql_example, STRUCTURES, where) == expected


@pytest.mark.parametrize(
    ("where", "found"),
    [
        ({"thematiques": ["equipement-et-alimentation--alimentation"]}, True),
        ({"thematiques": ["equipement-et-alimentation"]}, True),  # a category: its thematiques
        ({"thematiques": ["famille--garde-denfants"]}, False),
        ({"frais": ["gratuit"], "modesAccueil": ["en-presentiel"]}, True),
        ({"frais": ["payant"]}, False),
        ({"types": ["aide-materielle"]}, True),
        ({"sources": ["dora"], "codeCommune": "35238"}, True),
    ],
)
async def test_service_filters(
    gql_example: GraphQLClient, where: dict[str, Any], found: bool
) -> None:
    assert ("dora--s1" in await ids(gql_example, SERVICES, where)) is found


@pytest.mark.parametrize(
    ("where", "argument", "message"),
    [
        ({"thematiques": ["nope"]}, "filter.thematiques", "unknown value 'nope'"),
        ({"frais": ["cher"]}, "filter.frais", "unknown value(s) 'cher'"),
        ({"publics": ["martiens"]}, "filter.publics", "unknown value(s) 'martiens'"),
        ({"codeCommune": "00000"}, "filter.codeCommune", "no commune has the code '00000'"),
        ({"codeDepartement": "00"}, "filter.codeDepartement", "no departement has the code"),
        ({"sources": ["nope"]}, "filter.sources", "unknown producer(s) 'nope'"),
        ({"scoreQualiteMin": 2}, "filter.scoreQualiteMin", "between 0 and 1"),
    ],
)
async def test_bad_filters_say_what_and_where(
    gql_example: GraphQLClient, where: dict[str, Any], argument: str, message: str
) -> None:
    body = await gql_example(SERVICES, {"filter": where})
    [error] = body["errors"]
    assert message in error["message"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "argument": argument}


async def test_a_former_commune_code_finds_the_current_commune(
    gql_example: GraphQLClient,
) -> None:
    # 35115 is Fougères; any alias of a current commune resolves the same way
    assert await ids(gql_example, STRUCTURES, {"codeCommune": "35115"}) == ["dora--a3"]


async def test_facets_count_the_matching_services(gql_example: GraphQLClient) -> None:
    query = """query($filter: ServiceFilter) { facets(filter: $filter) {
        totalCount thematiques { value count } categories { value count }
        sources { value count } departements { value count } frais { value count } } }"""
    facets = (await gql_example.data(query, {"filter": {"codeDepartement": "35"}}))["facets"]
    assert facets["totalCount"] >= 1
    assert {"value": "equipement-et-alimentation", "count": 1} in facets["categories"]
    assert {"value": "35", "count": facets["totalCount"]} in facets["departements"]
    assert "soliguide" not in {s["value"] for s in facets["sources"]}
    with counting(APPS["example"]) as statements:
        await gql_example.data(query, {"filter": {"frais": ["gratuit"]}})
    assert statements.count == 1, statements.statements  # the counts and the total at once
