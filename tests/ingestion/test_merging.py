"""Linking and merging inside ingest runs, on a store of its own: the worked example of the
architecture guide (the CCAS of Rennes from dora, emplois and the restricted soliguide)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.bootstrap import prepare
from ingestion.merging import merge_run
from ingestion.run import ingest
from models import FieldProvenance, GoldenRecord
from models.merge import stored_views
from store import golden as golden_store
from store import merging as merging_store
from store import records as record_store
from store.engine import create_engine, normalize_url
from store.territory_file import DEFAULT_PATH

EXAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "merge"


@pytest.fixture(scope="module")
async def engine(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[AsyncEngine]:
    path = tmp_path_factory.mktemp("merge") / "merge.db"
    eng = create_engine(normalize_url(f"sqlite:///{path}"))
    await prepare(eng, DEFAULT_PATH)
    for slug in ("dora", "emplois-de-linclusion", "soliguide"):
        files = sorted((EXAMPLE / slug).iterdir())
        await ingest(eng, slug, files)
    yield eng
    await eng.dispose()


async def _golden(engine: AsyncEngine, visibility: str, member: str) -> dict[str, Any]:
    from sqlmodel.ext.asyncio.session import AsyncSession

    async with AsyncSession(engine) as session:
        found = await golden_store.by_public_ids(session, "structure", visibility, [member])
        assert member in found, f"no {visibility} golden record for {member}"
        row = found[member]
        row["provenance"] = (await golden_store.provenance_by_golden_ids(session, [row["id"]]))[
            row["id"]
        ]
        row["members"] = [
            r["public_id"]
            for r in (await golden_store.member_records_by_golden_ids(session, [row["id"]]))[
                row["id"]
            ]
        ]
    return row


async def test_three_producers_make_one_golden_record(engine: AsyncEngine) -> None:
    restricted = await _golden(engine, "restricted", "dora--a1")
    assert sorted(restricted["members"]) == [
        "dora--a1",
        "emplois-de-linclusion--17",
        "soliguide--884",
    ]
    public = await _golden(engine, "public", "dora--a1")
    assert sorted(public["members"]) == ["dora--a1", "emplois-de-linclusion--17"]
    assert public["public_id"] == restricted["public_id"] == "dora--a1"  # the oldest visible member
    assert public["data"]["nom"] == "CCAS de Rennes"
    assert public["data"]["telephone"] == "+33299286311"


async def test_every_value_says_where_it_came_from(engine: AsyncEngine) -> None:
    for visibility in ("public", "restricted"):
        golden = await _golden(engine, visibility, "dora--a1")
        fields = {k for k, v in golden["data"].items() if v is not None} - {"id", "source"}
        assert fields <= set(golden["provenance"]), fields - set(golden["provenance"])
        for name, p in golden["provenance"].items():
            assert p["source_slug"] and p["strategy"] and p["rule_set_version"], name
    phone = (await _golden(engine, "public", "dora--a1"))["provenance"]["telephone"]
    assert phone["source_slug"] in ("dora", "emplois-de-linclusion")
    assert sorted([phone["source_slug"], *phone["agreeing_sources"]]) == [
        "dora",
        "emplois-de-linclusion",
    ]
    assert phone["conflicting_sources"] == []
    restricted_phone = (await _golden(engine, "restricted", "dora--a1"))["provenance"]["telephone"]
    assert "soliguide" in restricted_phone["conflicting_sources"]


async def test_the_public_view_holds_no_restricted_value(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                select(GoldenRecord).where(
                    GoldenRecord.visibility.in_(stored_views("public"))  # type: ignore[attr-defined]
                )
            )
        ).all()
        ids = [r.id for r in rows]
        provenance = (
            await conn.execute(select(FieldProvenance).where(FieldProvenance.golden_id.in_(ids)))  # type: ignore[attr-defined]
        ).all()
    dumped = orjson.dumps([dict(r._mapping) for r in rows + provenance], default=str).decode()
    assert "soliguide" not in dumped
    assert "accueil.ccas@" not in dumped and "+33299286300" not in dumped


async def test_a_lookup_by_any_member_id_finds_the_merged_record(engine: AsyncEngine) -> None:
    by_emplois = await _golden(engine, "public", "emplois-de-linclusion--17")
    assert by_emplois["public_id"] == "dora--a1"


async def test_a_mairie_and_its_ccas_stay_apart(engine: AsyncEngine) -> None:
    mairie = await _golden(engine, "restricted", "dora--a2")
    assert mairie["members"] == ["dora--a2"]


async def test_a_head_office_siret_in_another_commune_does_not_link(engine: AsyncEngine) -> None:
    fougeres = await _golden(engine, "restricted", "dora--a3")
    assert fougeres["members"] == ["dora--a3"]


async def test_ids_are_stable_across_a_full_remerge(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        before = sorted(
            (r.kind, r.visibility, r.public_id)
            for r in (
                await conn.execute(select(GoldenRecord).where(GoldenRecord.deleted_at.is_(None)))  # type: ignore[union-attr]
            ).all()
        )
        provenance_ids = sorted((await conn.execute(select(FieldProvenance.id))).scalars())
        version = await record_store.bump_data_version(conn)
        report = await merge_run(conn, None, now=datetime.now(UTC), data_version=version)
        # nothing changed: the members and provenance rows were left as they were
        assert sorted((await conn.execute(select(FieldProvenance.id))).scalars()) == provenance_ids
        after = sorted(
            (r.kind, r.visibility, r.public_id)
            for r in (
                await conn.execute(select(GoldenRecord).where(GoldenRecord.deleted_at.is_(None)))  # type: ignore[union-attr]
            ).all()
        )
    assert before == after
    assert report.created == 0 and report.deleted == 0


async def test_services_get_a_quality_score_and_structures_their_mean(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        services = (
            await conn.execute(
                select(GoldenRecord).where(
                    GoldenRecord.kind == "service",
                    GoldenRecord.visibility.in_(stored_views("public")),  # type: ignore[attr-defined]
                )
            )
        ).all()
    assert services and all(s.score_qualite is not None for s in services)
    ccas = await _golden(engine, "public", "dora--a1")
    assert ccas["score_qualite"] == pytest.approx(
        sum(s.score_qualite for s in services if s.structure_public_id == "dora--a1")
        / len([s for s in services if s.structure_public_id == "dora--a1"])
    )


async def test_unlink_restores_both_records_with_their_own_values(engine: AsyncEngine) -> None:
    from ingestion import dedup  # noqa: F401  (the rule version is part of the link)

    async with engine.begin() as conn:
        ids = await merging_store.record_ids_by_public_id(
            conn, ["dora--a1", "emplois-de-linclusion--17"]
        )
        a, b = sorted(ids.values())
        await merging_store.add_links(
            conn,
            [
                {
                    "kind": "structure", "record_a_id": a, "record_b_id": b,
                    "decision": "different", "method": "manual", "decided_by": "test",
                    "reason": "two offices", "created_at": datetime.now(UTC),
                }
            ],
        )  # fmt: skip
        version = await record_store.bump_data_version(conn)
        await merge_run(conn, {"structure": {a, b}}, now=datetime.now(UTC), data_version=version)
    dora = await _golden(engine, "public", "dora--a1")
    emplois = await _golden(engine, "public", "emplois-de-linclusion--17")
    assert dora["members"] == ["dora--a1"]
    assert emplois["members"] == ["emplois-de-linclusion--17"]
    assert emplois["public_id"] == "emplois-de-linclusion--17"
    assert emplois["data"]["nom"] == "Centre communal d'action sociale de Rennes"
    assert dora["data"]["nom"] == "CCAS de Rennes"


async def test_an_unchanged_re_ingest_confirms_the_values_again(engine: AsyncEngine) -> None:
    before = (await _golden(engine, "public", "dora--a1"))["provenance"]["nom"]
    report = await ingest(engine, "dora", sorted((EXAMPLE / "dora").iterdir()))
    assert report.status == "unchanged"  # nothing to merge again, yet dora sent it once more
    after = (await _golden(engine, "public", "dora--a1"))["provenance"]["nom"]
    assert after["last_confirmed_at"] > before["last_confirmed_at"]
    assert after["value_since"] == before["value_since"]


async def test_a_service_inherits_its_structures_point_in_its_own_view(
    engine: AsyncEngine,
) -> None:
    """dora's service has no address: it is where its structure is, as the public view of that
    structure has it (dora's point), never the restricted view's (soliguide's point)."""
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                select(GoldenRecord.kind, GoldenRecord.visibility, GoldenRecord.latitude,
                       GoldenRecord.longitude)
                .where(GoldenRecord.public_id.in_(["dora--a1", "dora--s1"]))
            )
        ).all()  # fmt: skip
    points = {(kind, view): (lat, lon) for kind, view, lat, lon in rows}
    assert points[("structure", "public")] != points[("structure", "restricted")]
    assert points[("service", "all")] == points[("structure", "public")]


@pytest.mark.parametrize(
    ("view", "written", "entry"),
    [
        ("all", set(), "all"),  # gone for everybody
        ("all", {"restricted"}, "public"),  # only restricted members left: public loses it
        ("all", {"public", "restricted"}, None),  # a restricted member joined: nobody loses it
        ("restricted", {"all"}, None),  # the restricted member left: the shared row serves all
        ("restricted", set(), "restricted"),
        ("public", {"all"}, None),
        ("public", {"restricted"}, "public"),
    ],
)
def test_a_vanished_row_is_deleted_in_the_feed_only_for_who_loses_it(
    view: str, written: set[str], entry: str | None
) -> None:
    from ingestion.merging import _lost_by

    assert _lost_by(view, written) == entry
