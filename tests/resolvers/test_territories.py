"""Territory root fields and edges, through HTTP and GraphQL."""

from typing import Any

from tests.conftest import GraphQLClient

RENNES = """
{ commune(code: "35238") {
    nom codesPostaux departement { nom region { nom } } epci { nom }
} }
"""


async def test_the_readme_query_answers_rennes(gql: GraphQLClient) -> None:
    data = await gql.data(RENNES)
    assert data["commune"] == {
        "nom": "Rennes",
        "codesPostaux": ["35000", "35200", "35700"],
        "departement": {"nom": "Ille-et-Vilaine", "region": {"nom": "Bretagne"}},
        "epci": {"nom": "Rennes Métropole"},
    }


async def test_old_delegated_and_arrondissement_codes_resolve(gql: GraphQLClient) -> None:
    data = await gql.data(
        '{ a: commune(code: "14011") { code nom } b: commune(code: "75111") { code nom }'
        ' c: commune(code: "01120") { code } }'
    )
    assert data == {
        "a": {"code": "14581", "nom": "Aurseulles"},
        "b": {"code": "75056", "nom": "Paris"},
        "c": {"code": "01262"},
    }


async def test_unknown_codes_answer_null(gql: GraphQLClient) -> None:
    data = await gql.data(
        '{ commune(code: "00000") { nom } departement(code: "XX") { nom }'
        ' region(code: "99") { nom } epci(code: "123") { nom } }'
    )
    assert data == {"commune": None, "departement": None, "region": None, "epci": None}


async def test_unknown_search_gives_an_empty_connection(gql: GraphQLClient) -> None:
    data = await gql.data(
        '{ communes(search: "zzzqqq") { totalCount edges { node { code } }'
        " pageInfo { hasNextPage endCursor } }"
        ' bad: communes(codePostal: "nope") { totalCount } }'
    )
    assert data["communes"] == {
        "totalCount": 0,
        "edges": [],
        "pageInfo": {"hasNextPage": False, "endCursor": None},
    }
    assert data["bad"] == {"totalCount": 0}


async def test_counts_are_exact(gql: GraphQLClient) -> None:
    data = await gql.data(
        "{ communes { totalCount } regions { code } departements { code }"
        " all: departements(inclureCollectivitesOutreMer: true) { code zone } }"
    )
    assert data["communes"]["totalCount"] == 34969
    assert len(data["regions"]) == 18
    assert len(data["departements"]) == 101
    assert len([d for d in data["all"] if d["zone"] == "COM"]) == 8


async def test_pages_walk_the_whole_search_without_gaps(gql: GraphQLClient) -> None:
    query = """query($after: String) {
      communes(search: "sur mer", first: 40, after: $after) {
        totalCount edges { node { code } } pageInfo { hasNextPage endCursor }
      } }"""
    seen: list[str] = []
    after = None
    while True:
        page = (await gql.data(query, {"after": after}))["communes"]
        seen += [e["node"]["code"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) == page["totalCount"] > 40


async def test_search_ranks_exact_names_first(gql: GraphQLClient) -> None:
    data = await gql.data('{ communes(search: "LILLE", first: 2) { edges { node { code } } } }')
    assert data["communes"]["edges"][0]["node"]["code"] == "59350"


async def test_postcode_and_departement_filters(gql: GraphQLClient) -> None:
    data = await gql.data(
        '{ p: communes(codePostal: "35000") { edges { node { code } } }'
        ' d: communes(codeDepartement: "2a", first: 1000) { totalCount edges { node { code } } } }'
    )
    assert [e["node"]["code"] for e in data["p"]["edges"]] == ["35238"]
    assert data["d"]["totalCount"] == len(data["d"]["edges"]) > 100
    assert all(e["node"]["code"].startswith("2A") for e in data["d"]["edges"])


async def test_bad_pagination_arguments_are_readable_errors(gql: GraphQLClient) -> None:
    body = await gql('{ communes(after: "not-a-cursor") { totalCount } }')
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "`after` is not a cursor" in body["errors"][0]["message"]
    body = await gql("{ communes(first: 100000) { totalCount } }")
    assert "capped at 1000" in body["errors"][0]["message"]
    body = await gql("{ communes(first: -1) { totalCount } }")
    assert "zero or more" in body["errors"][0]["message"]


async def test_edges_go_both_ways(gql: GraphQLClient) -> None:
    data = await gql.data(
        '{ region(code: "53") { departements { code communes { code } } }'
        ' epci(code: "243500139") { nom communes { code epci { code } } } }'
    )
    departements = data["region"]["departements"]
    assert [d["code"] for d in departements] == ["22", "29", "35", "56"]
    ille = next(d for d in departements if d["code"] == "35")
    assert {"code": "35238"} in ille["communes"]
    rennes_metropole: dict[str, Any] = data["epci"]
    assert rennes_metropole["nom"] == "Rennes Métropole"
    assert {c["epci"]["code"] for c in rennes_metropole["communes"]} == {"243500139"}
    assert {"code": "35238", "epci": {"code": "243500139"}} in rennes_metropole["communes"]


async def test_paris_lists_its_arrondissements_with_centroids(gql: GraphQLClient) -> None:
    data = await gql.data(
        '{ commune(code: "75056") { centroide { latitude longitude origine }'
        " arrondissements { code centroide { latitude } commune { code } } } }"
    )
    paris = data["commune"]
    assert abs(paris["centroide"]["latitude"] - 48.86) < 0.03
    assert abs(paris["centroide"]["longitude"] - 2.35) < 0.03
    assert len(paris["arrondissements"]) == 20
    assert all(a["centroide"] and a["commune"]["code"] == "75056" for a in paris["arrondissements"])


async def test_overseas_collectivity_communes_have_no_centroid(gql: GraphQLClient) -> None:
    data = await gql.data('{ commune(code: "97502") { nom zone centroide { latitude } } }')
    assert data["commune"] == {"nom": "Saint-Pierre", "zone": "COM", "centroide": None}
