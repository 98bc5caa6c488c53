"""Merged services in the graph: lookups, the structure edge both ways, paging, statements."""

from __future__ import annotations

from typing import Any

from tests.conftest import GraphQLClient
from tests.resolvers.conftest import APPS, counting

SERVICE = """query($id: ID!) {
  service(id: $id) {
    id nom description thematiques frais modesAccueil dateMaj scoreQualite
    source { slug }
    sources { slug }
    structure { id nom }
    sourceRecords { id source { slug } data }
    doublons { id }
    provenance { nom { source { slug } strategy } thematiques { strategy } }
  }
}"""


async def test_a_service_with_its_structure_and_provenance(gql_example: GraphQLClient) -> None:
    s: dict[str, Any] = (await gql_example.data(SERVICE, {"id": "dora--s1"}))["service"]
    assert (s["id"], s["nom"]) == ("dora--s1", "Aide alimentaire")
    assert s["thematiques"] == ["equipement-et-alimentation--alimentation"]
    assert s["structure"]["id"] == "dora--a1"  # the merged CCAS, not only dora's record
    assert s["source"]["slug"] == "dora" and [x["slug"] for x in s["sources"]] == ["dora"]
    assert [r["id"] for r in s["sourceRecords"]] == ["dora--s1"] and s["doublons"] == []
    assert s["provenance"]["nom"] == {"source": {"slug": "dora"}, "strategy": "only_value"}
    assert isinstance(s["scoreQualite"], float) and 0 <= s["scoreQualite"] <= 1


async def test_unknown_service_ids_answer_null(gql_example: GraphQLClient) -> None:
    assert (await gql_example.data(SERVICE, {"id": "dora--nope"}))["service"] is None


async def test_a_structure_lists_its_services_and_its_duplicates(
    gql_example: GraphQLClient,
) -> None:
    query = """{ structure(id: "emplois-de-linclusion--17") {
        id doublons { id source { slug } } sources { slug }
        services(first: 10) { totalCount edges { node { id structure { id } } } }
        scoreQualite } }"""
    s = (await gql_example.data(query))["structure"]
    assert s["id"] == "dora--a1"
    # the public view: soliguide is restricted, so neither its record nor its slug shows
    assert [d["id"] for d in s["doublons"]] == ["emplois-de-linclusion--17"]
    assert [x["slug"] for x in s["sources"]] == ["dora", "emplois-de-linclusion"]
    services = s["services"]
    assert services["totalCount"] == len(services["edges"]) >= 1
    assert {e["node"]["structure"]["id"] for e in services["edges"]} == {"dora--a1"}


async def test_services_page_through_everything(gql_example: GraphQLClient) -> None:
    query = """query($after: String) { services(first: 1, after: $after) {
        totalCount pageInfo { hasNextPage endCursor } edges { node { id } } } }"""
    seen: list[str] = []
    after = None
    while True:
        page = (await gql_example.data(query, {"after": after}))["services"]
        seen += [e["node"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == sorted(set(seen)) and len(seen) == page["totalCount"] >= 1


async def test_nested_services_cost_the_same_statements_whatever_the_page_size(
    gql_example: GraphQLClient,
) -> None:
    query = """query($first: Int) { structures(first: $first) { edges { node {
        id services(first: 5) { totalCount edges { node {
          id nom structure { id } sources { slug } provenance { nom { source { slug } } }
        } } } } } } }"""
    await gql_example.data(query, {"first": 1})  # a first connection runs dialect set-up queries
    counts = {}
    for first in (1, 4):
        with counting(APPS["example"]) as statements:
            data = await gql_example.data(query, {"first": first})
        assert len(data["structures"]["edges"]) == min(first, 4)
        counts[first] = statements.count
    assert counts[1] == counts[4], counts
    # structures page; services page; service counts; the structures behind the services
    # (by id and, for unknown ids, by member id); member records; provenance; sources
    assert counts[4] <= 9, counts


async def test_a_restricted_consumer_sees_the_restricted_producer(
    gql_example: GraphQLClient,
) -> None:
    """The visibility is a context value (tokens and scopes come with the access issue)."""
    from sqlmodel.ext.asyncio.session import AsyncSession

    from gateway.schema import schema
    from resolvers.context import Context
    from store.cache import InProcessCache

    app = APPS["example"]
    query = """{ structure(id: "soliguide--884") { id doublons { id } sources { slug }
        provenance { courriel { source { slug } } } } }"""

    def db() -> AsyncSession:
        return AsyncSession(app.state.engine)

    async def run(visibility: str) -> Any:
        context = Context.build(db, InProcessCache(), visibility=visibility)
        result = await schema.execute(query, context_value=context)
        assert result.errors is None, result.errors
        return result.data["structure"] if result.data else None

    assert await run("public") is None  # a restricted record's id leads nowhere in public
    restricted = await run("restricted")
    assert restricted["id"] == "dora--a1"
    assert {d["id"] for d in restricted["doublons"]} == {
        "emplois-de-linclusion--17",
        "soliguide--884",
    }
    assert "soliguide" in [s["slug"] for s in restricted["sources"]]
