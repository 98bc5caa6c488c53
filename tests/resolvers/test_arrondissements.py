"""Municipal arrondissements (Paris, Lyon, Marseille) kept from the producer's file to the graph:
the records' `commune` and `arrondissement` edges, the territory filters and connections, the
search around an arrondissement, its eligibility zones, and the facets (SQLite and PostgreSQL).
The same store has services without `frais`, `type` or any address, for the facets' null
option."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.conftest import BACKENDS, GraphQLClient
from tests.resolvers.conftest import counting
from tests.resolvers.places import (
    KM_PER_DEGREE,
    great_circle_km,
    served,
    service_row,
    structure_row,
    write_export,
)

PARIS_11 = (48.85912, 2.37975)  # the arrondissement 75111's centroid in the bundled territories
PARIS = (48.85659, 2.34292)  # the commune 75056's
GRAND_PARIS = "200054781"  # Métropole du Grand Paris, the EPCI of Paris
P11_POINT = (PARIS_11[0] + 1 / KM_PER_DEGREE, PARIS_11[1])  # 1 km north of the 11e's centre
P_POINT = (48.8566, 2.3522)

# id -> (code INSEE or None, (latitude, longitude) or None)
STRUCTURES: dict[str, tuple[str | None, tuple[float, float] | None]] = {
    "p11": ("75111", P11_POINT),
    "p": ("75056", P_POINT),
    "l1": ("69381", (45.7701, 4.82845)),
    "m1": ("13201", (43.2998, 5.38225)),
    "x": (None, None),  # no address: its services have no département
}

# id -> (structure, zone d'éligibilité or None, changes)
SERVICES: dict[str, tuple[str, str | None, dict[str, Any]]] = {
    "p11-paris": ("p11", "75056", {}),
    "p11-12e": ("p11", "75112", {}),
    "p-11e": ("p", "75111", {}),
    "p-nofrais": ("p", None, {"frais": []}),
    "l1": ("l1", None, {}),
    "m1-notype": ("m1", None, {"types": []}),
    "x": ("x", None, {}),
}


def _structure(producer_id: str) -> dict[str, Any]:
    code, point = STRUCTURES[producer_id]
    row = structure_row("r0")
    row.update(
        id=producer_id,
        nom=f"Structure {producer_id}",
        code_insee=code,
        latitude=point[0] if point else None,
        longitude=point[1] if point else None,
    )
    return row


def _service(producer_id: str) -> dict[str, Any]:
    structure, zone, changes = SERVICES[producer_id]
    return service_row(
        "r0-alim",
        id=producer_id,
        structure_id=structure,
        nom=f"Service {producer_id}",
        zone_diffusion_code=zone,
        **changes,
    )


APP: dict[str, Any] = {}


@pytest.fixture(scope="module", params=BACKENDS)
async def gql(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[GraphQLClient]:
    tmp = tmp_path_factory.mktemp("arrondissements")
    files = write_export(
        tmp / "dora", [_structure(s) for s in STRUCTURES], [_service(s) for s in SERVICES]
    )
    async with served(request.param, tmp, "gateway_arrondissements", files) as (client, app):
        APP["app"] = app
        yield client


def _ids(connection: dict[str, Any]) -> list[str]:
    return [e["node"]["id"] for e in connection["edges"]]


async def test_a_record_keeps_its_arrondissement_and_leads_to_its_commune(
    gql: GraphQLClient,
) -> None:
    query = """{
      p11: structure(id: "dora--p11") { ...place provenance { codeInsee { source { slug } } } }
      p: structure(id: "dora--p") { ...place }
      l1: structure(id: "dora--l1") { ...place }
      service(id: "dora--p11-paris") { codeInsee commune { code } arrondissement { code } }
    }
    fragment place on Structure {
      codeInsee
      commune { code nom epci { code } }
      arrondissement {
        code nom codeCommune codeDepartement codeRegion codeEpci zone
        centroide { latitude longitude }
        commune { code } departement { code } region { code } epci { code }
      }
    }"""
    data = await gql.data(query)
    p11 = data["p11"]
    assert p11["codeInsee"] == "75111"
    assert p11["provenance"]["codeInsee"]["source"]["slug"] == "dora"
    assert p11["commune"] == {"code": "75056", "nom": "Paris", "epci": {"code": GRAND_PARIS}}
    assert p11["arrondissement"] == {
        "code": "75111",
        "nom": "Paris 11e Arrondissement",
        "codeCommune": "75056",
        "codeDepartement": "75",
        "codeRegion": "11",
        "codeEpci": GRAND_PARIS,
        "zone": "METRO",
        "centroide": {"latitude": PARIS_11[0], "longitude": PARIS_11[1]},
        "commune": {"code": "75056"},
        "departement": {"code": "75"},
        "region": {"code": "11"},
        "epci": {"code": GRAND_PARIS},
    }
    assert data["p"]["codeInsee"] == "75056"
    assert data["p"]["commune"]["code"] == "75056"
    assert data["p"]["arrondissement"] is None
    assert data["l1"]["commune"]["code"] == "69123"
    assert data["l1"]["arrondissement"]["code"] == "69381"
    assert data["l1"]["arrondissement"]["codeEpci"] == "200046977"  # Métropole de Lyon
    assert data["service"] == {
        "codeInsee": None,  # a service without an address: found where its structure is
        "commune": None,
        "arrondissement": None,
    }


FILTERED = """query($commune: String, $departement: String, $epci: String) {
  structures(filter: {codeCommune: $commune, codeDepartement: $departement, codeEpci: $epci}) {
    totalCount edges { node { id } } }
  services(filter: {codeCommune: $commune, codeDepartement: $departement, codeEpci: $epci}) {
    totalCount edges { node { id } } }
}"""


@pytest.mark.parametrize(
    ("variables", "structures", "services"),
    [
        ({"commune": "75056"}, ["dora--p", "dora--p11"], 4),
        ({"commune": "75111"}, ["dora--p11"], 2),
        ({"commune": "75112"}, [], 0),
        ({"commune": "69123"}, ["dora--l1"], 1),
        ({"commune": "13201"}, ["dora--m1"], 1),
        ({"departement": "75"}, ["dora--p", "dora--p11"], 4),
        ({"departement": "13"}, ["dora--m1"], 1),
        ({"epci": GRAND_PARIS}, ["dora--p", "dora--p11"], 4),
        ({"epci": "200046977"}, ["dora--l1"], 1),
    ],
)
async def test_filters_find_a_commune_with_its_arrondissements(
    gql: GraphQLClient, variables: dict[str, str], structures: list[str], services: int
) -> None:
    data = await gql.data(FILTERED, variables)
    assert _ids(data["structures"]) == structures
    assert data["structures"]["totalCount"] == len(structures)
    assert data["services"]["totalCount"] == services


TERRITORY = """query($first: Int, $after: String) {
  commune(code: "75056") {
    structures(first: $first, after: $after) {
      totalCount pageInfo { hasNextPage endCursor } edges { node { id } } }
    services(first: 10) { totalCount }
    arrondissements { code structures { totalCount edges { node { id } } } services { totalCount } }
  }
  lyon: commune(code: "69123") { structures { totalCount } }
}"""


async def test_a_commune_lists_its_arrondissements_records_and_each_its_own(
    gql: GraphQLClient,
) -> None:
    data = await gql.data(TERRITORY, {"first": 1})
    paris = data["commune"]
    assert paris["structures"]["totalCount"] == 2
    assert _ids(paris["structures"]) == ["dora--p"]
    assert paris["structures"]["pageInfo"]["hasNextPage"]
    assert paris["services"]["totalCount"] == 4
    by_code = {a["code"]: a for a in paris["arrondissements"]}
    assert len(by_code) == 20
    assert _ids(by_code["75111"]["structures"]) == ["dora--p11"]
    assert by_code["75111"]["services"]["totalCount"] == 2
    assert by_code["75112"]["structures"]["totalCount"] == 0
    assert data["lyon"]["structures"]["totalCount"] == 1
    after = paris["structures"]["pageInfo"]["endCursor"]
    rest = (await gql.data(TERRITORY, {"first": 1, "after": after}))["commune"]["structures"]
    assert _ids(rest) == ["dora--p11"]
    assert not rest["pageInfo"]["hasNextPage"]


async def test_arrondissement_connections_cost_the_same_whatever_the_page(
    gql: GraphQLClient,
) -> None:
    counts = []
    for first in (1, 2):
        with counting(APP["app"]) as counter:
            await gql.data(TERRITORY, {"first": first})
        counts.append(counter.count)
    assert counts[0] == counts[1]


SEARCH = """query($commune: String!) {
  searchServices(codeCommune: $commune, rayonKm: 10, first: 20) {
    totalCount edges { distanceKm node { id zoneEligibilite } }
  }
}"""


async def test_the_search_around_an_arrondissement_starts_from_its_centre(
    gql: GraphQLClient,
) -> None:
    page = (await gql.data(SEARCH, {"commune": "75111"}))["searchServices"]
    # eligible: a zone naming Paris or the 11e, or no zone; left out: the one for the 12e
    assert _ids(page) == ["dora--p11-paris", "dora--p-11e", "dora--p-nofrais"]
    assert page["totalCount"] == 3
    expected = [P11_POINT, P_POINT, P_POINT]
    for edge, point in zip(page["edges"], expected, strict=True):
        assert edge["distanceKm"] == pytest.approx(great_circle_km(PARIS_11, point), rel=0.01)
    assert page["edges"][0]["distanceKm"] == pytest.approx(1.0, rel=0.01)


async def test_around_the_commune_a_zone_of_one_arrondissement_is_not_eligible(
    gql: GraphQLClient,
) -> None:
    page = (await gql.data(SEARCH, {"commune": "75056"}))["searchServices"]
    assert _ids(page) == ["dora--p-nofrais", "dora--p11-paris"]  # by distance from Paris
    assert page["edges"][0]["distanceKm"] == pytest.approx(great_circle_km(PARIS, P_POINT), 0.01)


FACETS = """query($filter: ServiceFilter) {
  facets(filter: $filter) {
    totalCount
    departements { value count } frais { value count } types { value count }
    thematiques { value count } sources { value count }
  }
}"""


def _counts(facet: list[dict[str, Any]]) -> dict[str | None, int]:
    return {c["value"]: c["count"] for c in facet}


async def test_facets_count_arrondissements_in_their_departement_and_the_unknown_apart(
    gql: GraphQLClient,
) -> None:
    facets = (await gql.data(FACETS))["facets"]
    assert facets["totalCount"] == len(SERVICES)
    assert _counts(facets["departements"]) == {"75": 4, "69": 1, "13": 1, None: 1}
    assert facets["departements"][-1] == {"value": None, "count": 1}  # most frequent first
    assert _counts(facets["frais"]) == {"gratuit": 6, None: 1}
    assert _counts(facets["types"]) == {"accompagnement": 6, None: 1}
    for name in ("departements", "frais", "types"):
        assert sum(c["count"] for c in facets[name]) == facets["totalCount"], name
    # every service has a thematique and a producer: no null option
    assert None not in _counts(facets["thematiques"])
    assert _counts(facets["sources"]) == {"dora": len(SERVICES)}


@pytest.mark.parametrize(
    ("filter", "departements", "frais"),
    [
        ({"codeCommune": "75056"}, {"75": 4}, {"gratuit": 3, None: 1}),
        ({"codeCommune": "75111"}, {"75": 2}, {"gratuit": 2}),
        ({"frais": ["gratuit"]}, {"75": 3, "69": 1, "13": 1, None: 1}, {"gratuit": 6}),
        ({"codeDepartement": "13"}, {"13": 1}, {"gratuit": 1}),
    ],
)
async def test_filtered_facets_add_up_to_the_total(
    gql: GraphQLClient,
    filter: dict[str, Any],
    departements: dict[str | None, int],
    frais: dict[str | None, int],
) -> None:
    facets = (await gql.data(FACETS, {"filter": filter}))["facets"]
    assert _counts(facets["departements"]) == departements
    assert _counts(facets["frais"]) == frais
    for name in ("departements", "frais"):
        assert sum(c["count"] for c in facets[name]) == facets["totalCount"], name


async def test_no_matching_service_means_no_null_option(
    gql: GraphQLClient,
) -> None:
    facets = (await gql.data(FACETS, {"filter": {"codeCommune": "75112"}}))["facets"]
    assert facets == {
        "totalCount": 0,
        "departements": [],
        "frais": [],
        "types": [],
        "thematiques": [],
        "sources": [],
    }
