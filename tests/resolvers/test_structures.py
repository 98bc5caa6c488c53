"""The first GraphQL view of merged structures: lookups by any member id, provenance, records."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ingestion.run import ingest
from store.engine import create_engine, normalize_url
from tests.conftest import EXAMPLE, GraphQLClient
from tests.resolvers.conftest import APPS, counting

QUERY = """query($id: ID!) {
  structure(id: $id) {
    id nom telephone courriel dateMaj scoreQualite reseauxPorteurs
    source { slug }
    sourceRecords { id source { slug } }
    provenance {
      nom { source { slug } sourceUpdatedAt sourceUpdatedAtTrusted valueSince lastConfirmedAt
            strategy ruleSetVersion agreeingSources { slug } conflictingSources { slug }
            sourceRecordId }
      telephone { source { slug } agreeingSources { slug } conflictingSources { slug } }
      reseauxPorteurs { strategy elements { value sources } }
    }
  }
}"""


async def test_a_structure_with_its_provenance(gql_example: GraphQLClient) -> None:
    data = await gql_example.data(QUERY, {"id": "dora--a1"})
    s: dict[str, Any] = data["structure"]
    assert (s["id"], s["nom"], s["telephone"]) == ("dora--a1", "CCAS de Rennes", "+33299286311")
    assert s["source"] == {"slug": "dora"}
    assert sorted(r["id"] for r in s["sourceRecords"]) == ["dora--a1", "emplois-de-linclusion--17"]
    nom = s["provenance"]["nom"]
    assert nom["source"] == {"slug": "dora"} and nom["sourceRecordId"] == "dora--a1"
    assert nom["sourceUpdatedAt"] == "2026-09-02" and nom["sourceUpdatedAtTrusted"] is True
    assert nom["valueSince"] and nom["lastConfirmedAt"] and nom["ruleSetVersion"]
    assert nom["agreeingSources"] == [] and nom["conflictingSources"] == [
        {"slug": "emplois-de-linclusion"}
    ]  # "CCAS de Rennes" / "Centre communal d'action sociale de Rennes"
    phone = s["provenance"]["telephone"]
    assert phone["conflictingSources"] == []
    assert "soliguide" not in str(data)


async def test_any_member_id_finds_the_merged_structure(gql_example: GraphQLClient) -> None:
    data = await gql_example.data(QUERY, {"id": "emplois-de-linclusion--17"})
    assert data["structure"]["id"] == "dora--a1"


async def test_unknown_ids_answer_null(gql_example: GraphQLClient) -> None:
    assert (await gql_example.data(QUERY, {"id": "dora--nope"}))["structure"] is None


async def test_structures_page_through_everything(gql_example: GraphQLClient) -> None:
    query = """query($after: String) { structures(first: 2, after: $after) {
        totalCount edges { node { id } } pageInfo { hasNextPage endCursor } } }"""
    seen: list[str] = []
    after = None
    while True:
        page = (await gql_example.data(query, {"after": after}))["structures"]
        seen += [e["node"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) == page["totalCount"] >= 4
    assert "dora--a1" in seen and "emplois-de-linclusion--17" not in seen


async def test_sources_are_listed(gql_example: GraphQLClient) -> None:
    data = await gql_example.data("{ sources { slug restreinte restricted dateMajFiable } }")
    slugs = {s["slug"]: s for s in data["sources"]}
    assert slugs["soliguide"]["restreinte"] is True and slugs["soliguide"]["restricted"] is True
    assert slugs["dora"]["dateMajFiable"] is True


async def test_a_page_costs_the_same_statements_whatever_its_size(
    gql_example: GraphQLClient,
) -> None:
    query = """query($first: Int) { structures(first: $first) { edges { node {
        id nom sourceRecords { id source { slug } }
        provenance { nom { source { slug } } telephone { strategy } } } } } }"""
    counts = {}
    for first in (1, 4):  # a new pooled connection runs dialect set-up queries: open them first
        await gql_example.data(query, {"first": first})
    for first in (1, 4):
        with counting(APPS["example"]) as statements:
            data = await gql_example.data(query, {"first": first})
        assert len(data["structures"]["edges"]) == min(first, 4)
        counts[first] = statements.count
    # the page, its member records, its provenance, and the sources (asked at two depths, so
    # one or two batches depending on scheduling): bounded, whatever the page size
    assert max(counts.values()) <= 5, counts


async def test_claims_show_what_every_producer_says(gql_example: GraphQLClient) -> None:
    query = """{ structure(id: "dora--a1") { nom telephone reseauxPorteurs
        claims(fields: ["nom", "telephone", "reseauxPorteurs"]) {
          field value chosen sourceRecordId sourceUpdatedAt source { slug } } } }"""
    s = (await gql_example.data(query))["structure"]
    claims = s["claims"]
    assert {c["field"] for c in claims} <= {"nom", "telephone", "reseauxPorteurs"}
    # the public view: the restricted producer's claims are not there
    assert {c["source"]["slug"] for c in claims} == {"dora", "emplois-de-linclusion"}
    for field in ("nom", "telephone"):
        chosen = [c for c in claims if c["field"] == field and c["chosen"]]
        assert len(chosen) == 1 and chosen[0]["value"] == s[field]
    names = {c["sourceRecordId"]: c["value"] for c in claims if c["field"] == "nom"}
    assert set(names) == {"dora--a1", "emplois-de-linclusion--17"}
    bad = await gql_example('{ structure(id: "dora--a1") { claims(fields: ["nope"]) { field } } }')
    assert bad["errors"][0]["extensions"]["argument"] == "fields"


async def test_history_of_a_field_across_versions(
    gql_example: GraphQLClient, tmp_path: Path
) -> None:
    """Runs last in this module: it changes dora's phone number with a second ingest."""
    import shutil

    folder = tmp_path / "dora"
    shutil.copytree(EXAMPLE / "dora", folder)
    page = folder / "structures-0001.json"
    page.write_text(page.read_text(encoding="utf-8").replace("+33299286311", "+33299286399"))
    engine = create_engine(normalize_url(APPS["url"]))
    await ingest(engine, "dora", sorted(folder.iterdir()))
    await engine.dispose()
    query = """{ structure(id: "dora--a1") { history(field: "telephone") { totalCount edges {
        node { field source sourceRecordId value version validFrom validTo } } } } }"""
    found = (await gql_example.data(query))["structure"]["history"]
    history = [e["node"] for e in found["edges"]]
    assert found["totalCount"] == len(history) and {h["field"] for h in history} == {"telephone"}
    dora = [h for h in history if h["source"] == "dora"]
    assert [(h["value"], h["version"]) for h in dora] == [("+33299286311", 1), ("+33299286399", 2)]
    assert dora[0]["validTo"] is not None and dora[1]["validTo"] is None
    assert [h["value"] for h in history if h["source"] == "emplois-de-linclusion"] == [
        "+33299286311"
    ]
    # every field, a page at a time: the same entries as asking field by field, oldest first
    walk = """query($after: String) { structure(id: "dora--a1") { history(first: 4,
        after: $after) { pageInfo { hasNextPage endCursor } edges { node { field value
        validFrom } } } } }"""
    entries: list[dict[str, Any]] = []
    after = None
    while True:
        page = (await gql_example.data(walk, {"after": after}))["structure"]["history"]
        entries += [e["node"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    phones = [e["value"] for e in entries if e["field"] == "telephone"]
    assert sorted(phones) == sorted(h["value"] for h in history)
    assert [e["validFrom"] for e in entries] == sorted(e["validFrom"] for e in entries)
    assert {"nom", "telephone", "adresse"} <= {e["field"] for e in entries}
    bad = await gql_example(
        '{ structure(id: "dora--a1") { history(field: "nope") { totalCount } } }'
    )
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
