"""The change feed, a full walk while an ingest lands, and one producer's own records (SQLite and
PostgreSQL)."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ingestion.run import ingest
from store.merging import prune
from tests.conftest import BACKENDS, GraphQLClient
from tests.resolvers.conftest import counting
from tests.resolvers.places import (
    KM_PER_DEGREE,
    RENNES,
    SERVICES,
    STRUCTURES,
    default_export,
    great_circle_km,
    served,
    service_row,
    structure_row,
    write_export,
)

FEED = """query($since: DateTime, $after: String, $first: Int, $kinds: [RecordKind!]) {
  changes(since: $since, after: $after, first: $first, kinds: $kinds) {
    totalCount resumeCursor pageInfo { hasNextPage endCursor }
    edges { cursor node { recordId kind operation at dataVersion fields
      service { id nom } structure { id } } }
  }
}"""


async def _feed(gql: GraphQLClient, **variables: Any) -> list[dict[str, Any]]:
    """Every entry after `since`/`after`, walking the pages; returns them and the resume cursor."""
    entries: list[dict[str, Any]] = []
    while True:
        page = (await gql.data(FEED, variables))["changes"]
        entries += [e["node"] for e in page["edges"]]
        variables = {**variables, "after": page["resumeCursor"], "since": None}
        if not page["pageInfo"]["hasNextPage"]:
            return [*entries, {"resume": page["resumeCursor"]}]


def _modified_export(folder: Path) -> list[Path]:
    """dora's next export: one service renamed, one gone, one new; a structure moved."""
    services = [
        service_row(s, nom="Colis et paniers alimentaires") if s == "r0-alim" else service_row(s)
        for s in SERVICES
        if s != "p-pres"
    ]
    services.append({**service_row("r0-alim"), "id": "r0-zz-new", "nom": "Jardin partagé"})
    structures = [structure_row(s) for s in STRUCTURES]
    structures[0]["adresse"] = "1 place de la Mairie"
    return write_export(folder, structures, services)


@pytest.mark.parametrize("backend", BACKENDS)
async def test_sync_everything_then_only_changes(backend: str, tmp_path: Path) -> None:
    before = datetime.now(UTC) - timedelta(seconds=1)
    files = default_export(tmp_path / "v1")
    async with served(backend, tmp_path, "gateway_feed", files) as (gql, app):
        *first, resume = await _feed(gql, since=before.isoformat(), first=4)
        assert {e["operation"] for e in first} == {"CREATED"}
        assert {e["recordId"] for e in first if e["kind"] == "SERVICE"} == {
            f"dora--{s}" for s in SERVICES
        }
        assert len(first) == len(SERVICES) + len(STRUCTURES)
        created = next(e for e in first if e["recordId"] == "dora--r0-alim")
        assert {"nom", "thematiques", "structure"} <= set(created["fields"])
        assert created["service"]["id"] == "dora--r0-alim" and created["structure"] is None
        # nothing new: an empty page that resumes from the same place
        again = (await gql.data(FEED, {"after": resume["resume"]}))["changes"]
        assert again["edges"] == [] and again["resumeCursor"] == resume["resume"]
        assert again["totalCount"] == 0

        report = await ingest(app.state.engine, "dora", _modified_export(tmp_path / "v2"))
        assert report.status == "succeeded"
        *news, _ = await _feed(gql, after=resume["resume"], first=2)
        by_id: dict[tuple[str, str], dict[str, Any]] = {}
        for e in news:  # a record may change twice in a run (its data, then its mean score)
            seen = by_id.setdefault((e["recordId"], e["operation"]), {**e, "fields": []})
            seen["fields"] = sorted({*seen["fields"], *e["fields"]})
        renamed = by_id[("dora--r0-alim", "UPDATED")]
        assert "nom" in renamed["fields"] and "thematiques" not in renamed["fields"]
        assert renamed["service"]["nom"] == "Colis et paniers alimentaires"
        gone = by_id[("dora--p-pres", "DELETED")]
        assert gone["fields"] == [] and gone["service"] is None
        assert ("dora--r0-zz-new", "CREATED") in by_id
        assert "adresse" in by_id[("dora--r0", "UPDATED")]["fields"]
        # one version of the data this consumer reads per run, the next after the first load's
        assert {e["dataVersion"] for e in news} == {max(e["dataVersion"] for e in first) + 1}
        # untouched records are not in the feed
        assert not any(e["recordId"] == "dora--m70" for e in news)
        only = await gql.data(FEED, {"after": resume["resume"], "kinds": ["STRUCTURE"]})
        assert {e["node"]["kind"] for e in only["changes"]["edges"]} == {"STRUCTURE"}

        # statements per page do not grow with the page
        counts = []
        for size in (1, 5):
            with counting(app) as counter:
                await gql.data(FEED, {"since": before.isoformat(), "first": size})
            counts.append(counter.count)
        assert counts[0] == counts[1]

        for variables, argument in (
            ({}, "since"),
            ({"since": "2026-11-27T10:00:00"}, "since"),
            ({"after": "bm9wZQ"}, "after"),
            ({"after": resume["resume"], "first": 5000}, "first"),
        ):
            body = await gql(FEED, variables)
            assert body["errors"][0]["extensions"] == {
                "code": "BAD_USER_INPUT",
                "argument": argument,
            }, variables


WALK = """query($after: String) { services(first: 3, after: $after) {
  pageInfo { hasNextPage endCursor } edges { node { id } } } }"""


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_walk_through_all_services_survives_an_ingest(backend: str, tmp_path: Path) -> None:
    """A consumer pages through every service while dora's next export lands: no record twice,
    and every record that lived through the walk is met."""
    files = default_export(tmp_path / "v1")
    async with served(backend, tmp_path, "gateway_walk", files) as (gql, app):
        before = {f"dora--{s}" for s in SERVICES}
        seen: list[str] = []
        page = (await gql.data(WALK))["services"]
        seen += [e["node"]["id"] for e in page["edges"]]
        # gone: one before the cursor and one after; new: one before and one after
        services = [service_row(s) for s in SERVICES if s not in ("f40-dept", "r0-paris")]
        services += [
            {**service_row("r0-alim"), "id": "a-first", "nom": "Friperie"},
            {**service_row("r0-alim"), "id": "zz-last", "nom": "Repair café"},
        ]
        structures = [structure_row(s) for s in STRUCTURES]
        await ingest(app.state.engine, "dora", write_export(tmp_path / "v2", structures, services))
        after_ingest = {f"dora--{s['id']}" for s in services}
        while page["pageInfo"]["hasNextPage"]:
            page = (await gql.data(WALK, {"after": page["pageInfo"]["endCursor"]}))["services"]
            seen += [e["node"]["id"] for e in page["edges"]]
        assert len(seen) == len(set(seen)), "a record was met twice"
        assert before & after_ingest <= set(seen), "a record that lived through was missed"
        assert set(seen) <= before | after_ingest
        assert "dora--zz-last" in seen  # added after the cursor: met


PRODUCER = """query($source: String!, $first: Int, $after: String) {
  sourceServices(source: $source, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { id source { slug } version dateMaj data } } } }"""


@pytest.mark.parametrize("backend", BACKENDS)
async def test_one_producers_own_records(backend: str, tmp_path: Path) -> None:
    files = default_export(tmp_path / "v1")
    async with served(backend, tmp_path, "gateway_producer", files) as (gql, _app):
        seen: list[str] = []
        after = None
        while True:
            page = (await gql.data(PRODUCER, {"source": "dora", "first": 4, "after": after}))[
                "sourceServices"
            ]
            seen += [e["node"]["id"] for e in page["edges"]]
            assert page["totalCount"] == len(SERVICES)
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        assert seen == sorted(f"dora--{s}" for s in SERVICES)
        one = (await gql.data(PRODUCER, {"source": "dora", "first": 1}))["sourceServices"]
        node = one["edges"][0]["node"]
        assert node["source"]["slug"] == "dora" and node["version"] == 1
        assert node["data"]["nom"] == SERVICES["f40-dept"][1]
        unknown = await gql(PRODUCER, {"source": "nope"})
        assert unknown["errors"][0]["extensions"]["argument"] == "source"
        restricted = await gql(PRODUCER, {"source": "soliguide"})
        assert restricted["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert restricted["data"] is None


AROUND = (
    """{ searchServices(codeCommune: "35238", first: 3) { edges { distanceKm node { id } } } }"""
)


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_structure_that_moves_takes_its_services_along(
    backend: str, tmp_path: Path
) -> None:
    """r0's services have no address of their own: when r0 moves 10 km east, so do they (the
    east-west distance scales with the latitude's cosine); then a prune leaves old cursors
    stale, with a readable error, while the feed goes on."""
    files = default_export(tmp_path / "v1")
    async with served(backend, tmp_path, "gateway_move", files) as (gql, app):
        near = (await gql.data(AROUND))["searchServices"]["edges"]
        assert near[0]["node"]["id"] == "dora--r0-alim"
        assert near[0]["distanceKm"] == pytest.approx(2.0, abs=0.01)
        position = (await gql.data(FEED, {"since": "2000-01-01T00:00:00Z", "first": 0}))["changes"][
            "resumeCursor"
        ]

        structures = [structure_row(s) for s in STRUCTURES]
        east = math.radians(RENNES[0])
        structures[0]["latitude"] = RENNES[0]
        structures[0]["longitude"] = RENNES[1] + 10 / (KM_PER_DEGREE * math.cos(east))
        services = [service_row(s) for s in SERVICES]
        await ingest(app.state.engine, "dora", write_export(tmp_path / "v2", structures, services))
        moved = (await gql.data(AROUND))["searchServices"]["edges"]
        assert moved[0]["node"]["id"] == "dora--r0-alim"
        assert moved[0]["distanceKm"] == pytest.approx(
            great_circle_km(RENNES, (structures[0]["latitude"], structures[0]["longitude"])),
            rel=0.005,
        )

        async with app.state.engine.begin() as conn:
            await prune(conn, datetime.now(UTC))
        stale = await gql(FEED, {"after": position})
        assert stale["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "argument": "after"}
        assert "sync again" in stale["errors"][0]["message"]
        fresh = (await gql.data(FEED, {"since": datetime.now(UTC).isoformat(), "first": 0}))[
            "changes"
        ]["resumeCursor"]
        services[0] = service_row("r0-alim", nom="Colis alimentaires solidaires")
        await ingest(app.state.engine, "dora", write_export(tmp_path / "v3", structures, services))
        after_prune = (await gql.data(FEED, {"after": fresh}))["changes"]["edges"]
        assert [e["node"]["recordId"] for e in after_prune] == ["dora--r0-alim"]
