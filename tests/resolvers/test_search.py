"""`searchServices` around a commune or a point, the territory and producer connections, and
the sort orders, on a dora export laid out around Rennes (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.conftest import BACKENDS, GraphQLClient
from tests.resolvers.conftest import counting
from tests.resolvers.places import (
    RENNES,
    STRUCTURES,
    default_export,
    great_circle_km,
    served,
)

APP: dict[str, Any] = {}


@pytest.fixture(scope="module", params=BACKENDS)
async def gql(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[GraphQLClient]:
    tmp = tmp_path_factory.mktemp("places")
    files = default_export(tmp / "dora")
    async with served(request.param, tmp, "gateway_places", files) as (client, app):
        APP["app"] = app
        yield client


SEARCH = """query($commune: String, $lat: Float, $lon: Float, $r: Float, $first: Int,
                  $after: String, $filter: ServiceFilter) {
  searchServices(codeCommune: $commune, latitude: $lat, longitude: $lon, rayonKm: $r,
                 first: $first, after: $after, filter: $filter) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor distanceKm node { id modesAccueil zoneEligibilite structure { id } } }
  }
}"""


async def _search(gql: GraphQLClient, **variables: Any) -> dict[str, Any]:
    found: dict[str, Any] = (await gql.data(SEARCH, variables))["searchServices"]
    return found


async def test_around_a_commune_eligible_near_then_remote(gql: GraphQLClient) -> None:
    page = await _search(gql, commune="35238", first=50)
    ids = [e["node"]["id"] for e in page["edges"]]
    # nearest first (three services 2 km away, by id), then Fougères' 40 km; then the services
    # kept only because they are offered remotely, by id. Left out: Saint-Malo (70 km), the
    # Paris service offered only in person, the one reserved for Paris (zone 75), and the one
    # whose structure has no coordinates.
    assert ids == [
        "dora--r0-alim",
        "dora--r0-epci",
        "dora--r0-nomode",
        "dora--f40-dept",
        "dora--p-both",
        "dora--p-remote",
    ]
    assert page["totalCount"] == 6
    distances = [e["distanceKm"] for e in page["edges"]]
    assert distances[4:] == [None, None]
    for edge, expected in zip(page["edges"][:4], ("r0", "r0", "r0", "f40"), strict=True):
        point = STRUCTURES[expected][2]
        assert point is not None
        assert edge["distanceKm"] == pytest.approx(great_circle_km(RENNES, point), rel=0.01)


async def test_radius_widens_and_a_point_skips_eligibility(gql: GraphQLClient) -> None:
    wide = await _search(gql, commune="35238", r=80, first=50)
    assert "dora--m70" in [e["node"]["id"] for e in wide["edges"]]
    assert wide["edges"][4]["node"]["id"] == "dora--m70"  # 70 km: after Fougères
    # around a bare point the zones are not checked: the Paris-only service shows
    point = await _search(gql, lat=RENNES[0], lon=RENNES[1], first=50)
    ids = [e["node"]["id"] for e in point["edges"]]
    assert "dora--r0-paris" in ids and "dora--m70" not in ids


async def test_search_pages_without_gaps_and_filters(gql: GraphQLClient) -> None:
    whole = [e["node"]["id"] for e in (await _search(gql, commune="35238", first=50))["edges"]]
    seen: list[str] = []
    after = None
    while True:
        page = await _search(gql, commune="35238", first=2, after=after)
        seen += [e["node"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == whole
    food = await _search(
        gql, commune="35238", first=50, filter={"thematiques": ["equipement-et-alimentation"]}
    )
    assert [e["node"]["id"] for e in food["edges"]] == ["dora--r0-alim", "dora--f40-dept"]


@pytest.mark.parametrize(
    ("variables", "argument"),
    [
        ({"commune": "35238", "r": 0}, "rayonKm"),
        ({"commune": "35238", "r": 5000}, "rayonKm"),
        ({"commune": "99999"}, "codeCommune"),
        ({}, "codeCommune"),
        ({"lat": 48.1}, "longitude"),
        ({"lat": 123.0, "lon": 2.0}, "latitude"),
        ({"commune": "35238", "after": "bm90LWEtY3Vyc29y"}, "after"),
    ],
)
async def test_bad_search_arguments_are_named(
    gql: GraphQLClient, variables: dict[str, Any], argument: str
) -> None:
    body = await gql(SEARCH, variables)
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["argument"] == argument


async def test_search_statements_do_not_grow_with_the_page(gql: GraphQLClient) -> None:
    query = """query($first: Int) { searchServices(codeCommune: "35238", rayonKm: 80,
        first: $first) { totalCount edges { distanceKm node { id structure { id nom }
        sources { slug } } } } }"""
    counts = []
    for first in (1, 7):
        with counting(APP["app"]) as counter:
            data = await gql.data(query, {"first": first})
        assert len(data["searchServices"]["edges"]) == first
        counts.append(counter.count)
    assert counts[0] == counts[1]


TERRITORY = """query($first: Int) {
  departement(code: "35") {
    structures(first: $first) { totalCount edges { node { id } } }
    services(first: $first) { totalCount edges { node { id } } }
  }
  epci(code: "243500139") { services(first: $first) { totalCount edges { node { id } } } }
  region(code: "11") { services(first: $first) { totalCount edges { node { id } } } }
  sources { slug structures(first: $first) { totalCount edges { node { id } } } }
}"""


async def test_territories_and_producers_list_their_records(gql: GraphQLClient) -> None:
    data = await gql.data(TERRITORY, {"first": 20})
    d35 = data["departement"]
    # Rennes, Fougères, Saint-Malo, and the one without coordinates (found by its commune)
    assert [e["node"]["id"] for e in d35["structures"]["edges"]] == [
        "dora--f40",
        "dora--m70",
        "dora--nc",
        "dora--r0",
    ]
    assert d35["structures"]["totalCount"] == 4 and d35["services"]["totalCount"] == 7
    assert data["epci"]["services"]["totalCount"] == 5  # r0's four and nc's one
    assert {e["node"]["id"] for e in data["region"]["services"]["edges"]} == {
        "dora--p-both",
        "dora--p-pres",
        "dora--p-remote",
    }
    dora = next(s for s in data["sources"] if s["slug"] == "dora")
    assert dora["structures"]["totalCount"] == 5


async def test_territory_connections_cost_the_same_whatever_the_page(gql: GraphQLClient) -> None:
    counts = []
    for first in (1, 3):
        with counting(APP["app"]) as counter:
            await gql.data(TERRITORY, {"first": first})
        counts.append(counter.count)
    assert counts[0] == counts[1]


ORDERED = """query($order: Order, $first: Int, $after: String) {
  structures(orderBy: $order, first: $first, after: $after) {
    pageInfo { hasNextPage endCursor } edges { node { id nom } } } }"""


async def test_structures_in_alphabetical_order_page_through(gql: GraphQLClient) -> None:
    seen: list[str] = []
    after = None
    while True:
        page = (await gql.data(ORDERED, {"order": "NOM", "first": 2, "after": after}))["structures"]
        seen += [e["node"]["nom"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    # "Épicerie" sorts among the e's: accent-blind
    assert seen == [
        "Association parisienne pour l'emploi",
        "Centre communal d'action sociale de Rennes",
        "Épicerie solidaire sans adresse",
        "Mission locale de Saint-Malo",
        "Secours populaire de Fougères",
    ]
    # a cursor of one order is refused by another
    body = await gql(ORDERED, {"order": "SCORE_QUALITE_DESC", "after": after})
    assert body["errors"][0]["extensions"]["argument"] == "after"


async def test_french_text_search_matches_other_forms_of_a_word(gql: GraphQLClient) -> None:
    query = """query($t: String) { services(filter: { texte: $t }) { edges { node { id } } } }"""
    found = await gql.data(query, {"t": "colis ALIMENTAIRE"})
    assert [e["node"]["id"] for e in found["services"]["edges"]] == ["dora--r0-alim"]
    found = await gql.data(query, {"t": "épiceries solidaires"})
    assert found["services"]["edges"] == []  # a structure's name, not a service's
    found = await gql.data(
        """{ structures(filter: { texte: "epiceries solidaires" }) { edges { node { id } } } }"""
    )
    assert [e["node"]["id"] for e in found["structures"]["edges"]] == ["dora--nc"]


LISTS = {
    "services": """query($first: Int) { services(first: $first) { totalCount edges { node {
        id structure { id nom services(first: $first) { totalCount edges { node { id } } } }
        sources { slug } source { slug } doublons { id }
        sourceRecords { id source { slug } }
        provenance { nom { source { slug } agreeingSources { slug } conflictingSources { slug } }
                     thematiques { strategy elements { value sources } } }
        claims(fields: ["nom", "telephone"]) { field chosen source { slug } }
        history(first: $first) { totalCount edges { node { field value } } }
    } } } }""",
    "structures": """query($first: Int) { structures(first: $first, orderBy: NOM) {
        totalCount edges { node { id
          services(first: $first) { totalCount edges { node { id structure { id }
            provenance { nom { source { slug } } } } } }
          sourceRecords { id } claims { field } provenance { adresse { strategy } } } } } }""",
    "producer": """query($first: Int) { sources { slug
        services(first: $first) { totalCount edges { node { id sources { slug } } } }
        structures(first: $first) { edges { node { id services(first: $first) {
          edges { node { id } } } } } } } }""",
    "sourceServices": """query($first: Int) { sourceServices(source: "dora", first: $first) {
        totalCount edges { node { id source { slug } } } } }""",
    "facets+filter": """query($first: Int) {
        facets(filter: { codeDepartement: "35" }) { totalCount thematiques { value count } }
        services(first: $first, filter: { codeDepartement: "35", texte: "solidaire" }) {
          edges { node { id } } } }""",
}


@pytest.mark.parametrize("name", sorted(LISTS))
async def test_every_list_costs_the_same_whatever_the_page(gql: GraphQLClient, name: str) -> None:
    """The statements a query runs do not depend on the page size, nested lists included."""
    counts = []
    for first in (1, 4):
        with counting(APP["app"]) as counter:
            await gql.data(LISTS[name], {"first": first})
        counts.append(counter.count)
    assert counts[0] == counts[1], counts


@pytest.mark.parametrize(
    ("lat", "lon", "r"),
    [(48.1118, -1.68189, 20), (48.1, -1.7, 3), (48.2, -1.6, 60), (48.0999, -1.6001, 0.5)],
)
async def test_the_grid_index_finds_what_the_box_finds(
    gql: GraphQLClient, monkeypatch: pytest.MonkeyPatch, lat: float, lon: float, r: float
) -> None:
    """Searches read the grid cells around the centre (west of Greenwich too, where a cell's
    number is negative, and a centre on a cell's corner); the answers are the bounding box's."""
    from store import search

    with_cells = await _search(gql, lat=lat, lon=lon, r=r, first=100)
    monkeypatch.setattr(search, "MAX_CELLS", 0)  # no cell: the bounding box alone
    without = await _search(gql, lat=lat, lon=lon, r=r, first=100)
    assert with_cells == without
    assert with_cells["totalCount"] > 0 or r < 1
