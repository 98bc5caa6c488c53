"""A restricted producer (soliguide) never shows to a public consumer through the API's newer
paths: the change feed, claims, history, producer and territory connections and the producer's own
records; a restricted consumer sees it everywhere."""

from __future__ import annotations

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from gateway.schema import schema
from resolvers.context import Context
from store.cache import InProcessCache
from tests.conftest import GraphQLClient
from tests.resolvers.conftest import APPS

QUERY = """{
  changes(since: "2000-01-01T00:00:00Z", first: 1000) { edges { node { recordId kind operation
    structure { sources { slug } } service { id } } } }
  structure(id: "dora--a1") {
    claims { source { slug } }
    history(first: 1000) { edges { node { source } } }
  }
  source(slug: "soliguide") {
    structures(first: 100) { totalCount edges { node { id } } }
    services(first: 100) { totalCount }
  }
  departement(code: "35") { structures(first: 1000) { edges { node { id sources { slug } } } } }
}"""


async def _run(visibility: str, query: str = QUERY) -> Any:
    app = APPS["example"]

    def db() -> AsyncSession:
        return AsyncSession(app.state.engine)

    context = Context.build(db, InProcessCache(), visibility=visibility)
    return await schema.execute(query, context_value=context)


async def test_restricted_values_stay_out_of_the_public_view(gql_example: GraphQLClient) -> None:
    public = await _run("public")
    restricted = await _run("restricted")
    assert public.errors is None and restricted.errors is None
    p, r = public.data, restricted.data
    assert p is not None and r is not None

    def feed_sources(data: dict[str, Any]) -> set[str]:
        return {
            s["slug"]
            for e in data["changes"]["edges"]
            if e["node"]["structure"]
            for s in e["node"]["structure"]["sources"]
        }

    assert "soliguide" not in feed_sources(p) and "soliguide" in feed_sources(r)
    # every entry a public consumer reads is about a record it can read (a restricted-only
    # record's entry would lead to nothing)
    for data in (p, r):
        for edge in data["changes"]["edges"]:
            node = edge["node"]
            if node["operation"] != "DELETED":
                assert node[node["kind"].lower()] is not None, node

    assert {c["source"]["slug"] for c in p["structure"]["claims"]} == {
        "dora",
        "emplois-de-linclusion",
    }
    assert "soliguide" in {c["source"]["slug"] for c in r["structure"]["claims"]}
    assert "soliguide" not in {e["node"]["source"] for e in p["structure"]["history"]["edges"]}
    assert "soliguide" in {e["node"]["source"] for e in r["structure"]["history"]["edges"]}

    assert p["source"]["structures"]["totalCount"] == 0 == p["source"]["services"]["totalCount"]
    assert r["source"]["structures"]["totalCount"] > 0

    def slugs(edges: list[dict[str, Any]]) -> set[str]:
        return {s["slug"] for e in edges for s in e["node"]["sources"]}

    assert "soliguide" not in slugs(p["departement"]["structures"]["edges"])
    assert "soliguide" in slugs(r["departement"]["structures"]["edges"])


async def test_a_restricted_producers_own_records_need_its_scope(
    gql_example: GraphQLClient,
) -> None:
    query = '{ sourceStructures(source: "soliguide") { totalCount } }'
    public = await _run("public", query)
    assert public.errors and public.errors[0].extensions == {"code": "FORBIDDEN"}
    restricted = await _run("restricted", query)
    assert restricted.errors is None and restricted.data is not None
    assert restricted.data["sourceStructures"]["totalCount"] > 0


LINKS = """{
  structure(id: "dora--a1") {
    sourceRecords { id }
    links { records method score ruleVersion evidence reason decidedBy createdAt }
  }
}"""


async def test_links_say_why_records_were_merged_within_what_a_consumer_sees(
    gql_example: GraphQLClient,
) -> None:
    public, restricted = await _run("public", LINKS), await _run("restricted", LINKS)
    assert public.errors is None and restricted.errors is None
    assert public.data is not None and restricted.data is not None
    for data in (public.data, restricted.data):
        structure = data["structure"]
        members = {r["id"] for r in structure["sourceRecords"]}
        assert structure["links"], structure
        for link in structure["links"]:
            # a link joins two records this consumer sees, and says how it was decided
            assert set(link["records"]) <= members, link
            assert link["method"] in ("model", "siret", "one-per-commune", "name-and-contact")
            assert link["score"] is not None and link["createdAt"]
            assert link["evidence"]["name"] and link["evidence"]["source"] == "other"
            assert link["reason"] is None and link["decidedBy"] is None  # automatic, no token
    public_records = {r for link in public.data["structure"]["links"] for r in link["records"]}
    restricted_records = {
        r for link in restricted.data["structure"]["links"] for r in link["records"]
    }
    assert not any(r.startswith("soliguide--") for r in public_records)
    assert any(r.startswith("soliguide--") for r in restricted_records)
