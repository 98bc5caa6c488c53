"""Survivorship: tables of members -> winner and reason, ids, visibility, rules-file validation."""

from __future__ import annotations

import copy
import itertools
import re
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from ingestion.members import Member, SourceFacts
from ingestion.survivorship import (
    DEFAULT_RULES,
    MODELS,
    NOT_MERGED,
    Golden,
    Rules,
    load_rules,
    merge,
    merge_views,
    parse_rules,
    public_id,
)

RULES = load_rules()
RAW_RULES = tomllib.loads(DEFAULT_RULES.read_text(encoding="utf-8"))
DORA, EMPLOIS, SOLIGUIDE = "dora", "emplois-de-linclusion", "soliguide"
FT, CD35, CARIF = "france-travail", "cd35", "carif-oref"
SOURCES = {
    slug: SourceFacts(slug)
    for slug in (DORA, EMPLOIS, CD35, CARIF, "unccas", "relais", "alpha", "zeta")
} | {
    SOLIGUIDE: SourceFacts(SOLIGUIDE, restreinte=True),
    FT: SourceFacts(FT, date_maj_fiable=False),
    "relais-flag": SourceFacts("relais-flag", agregateur=True),
}
T0 = datetime(2026, 1, 1, tzinfo=UTC)
_ids = itertools.count(1)

PHONE = "+33299286311"
OTHER_PHONE = "+33299286300"
SIRET = "26350160300017"
OTHER_SIRET = "13003013300016"


def member(
    source: str,
    pid: str | None = None,
    *,
    date_maj: str = "2026-01-01",
    seen: datetime = T0,
    kind: str = "structure",
    structure: str | None = None,
    **data: Any,
) -> Member:
    """A member with a fresh record id; `pid` defaults to a fresh producer id."""
    n = next(_ids)
    payload = {"nom": "Structure sans histoire", "date_maj": date_maj, **data}
    if kind == "service":
        payload.setdefault("description", "Un service décrit assez longuement.")
    return Member(
        record_id=n,
        version_id=1000 + n,
        source=source,
        kind=kind,
        public_id=f"{source}--{pid or n}",
        data=payload,
        first_seen_at=seen,
        last_confirmed_at=datetime(2026, 10, 31, tzinfo=UTC),
        field_since={"nom": datetime(2025, 3, 1, tzinfo=UTC)},
        structure_public_id=structure,
    )


def rules_with(**sections: Any) -> Rules:
    """The default rules with some top-level keys replaced."""
    raw = copy.deepcopy(RAW_RULES)
    raw.update(sections)
    return parse_rules(raw)


def winner(field: str, members: list[Member], rules: Rules = RULES) -> tuple[str, str, Any]:
    golden = merge(members[0].kind, members, SOURCES, rules, visibility="restricted")
    assert golden is not None
    p = golden.provenance[field]
    return p.public_id, p.strategy, p.value


# --- one table per strategy ----------------------------------------------------------------------

PRIORITY = [
    ("dora before emplois", [member(DORA, "a", nom="CCAS de Rennes"),
                             member(EMPLOIS, "b", nom="Centre communal de Rennes")],
     "dora--a", "source_priority"),
    ("emplois before france-travail", [member(FT, "a", nom="Agence de Rennes"),
                                       member(EMPLOIS, "b", nom="France Travail Rennes")],
     "emplois-de-linclusion--b", "source_priority"),
    ("unknown sources after known ones", [member("alpha", "a", nom="Nom alpha"),
                                          member(CD35, "b", nom="Nom cd35")],
     "cd35--b", "source_priority"),
    ("unknown sources by slug", [member("zeta", "a", nom="Nom zeta"),
                                 member("alpha", "b", nom="Nom alpha")],
     "alpha--b", "source_priority"),
    ("same source: the chain goes on",
     [member(DORA, "a", nom="Ancien nom", date_maj="2025-01-01"),
      member(DORA, "b", nom="Nouveau nom", date_maj="2026-02-01")],
     "dora--b", "most_recent"),
    ("equal once normalised", [member(EMPLOIS, "a", nom="CCAS  de RENNES"),
                               member(DORA, "b", nom="CCAS de Rennes")],
     "dora--b", "unanimous"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "members", "expected", "strategy"), PRIORITY)
def test_source_priority(case: str, members: list[Member], expected: str, strategy: str) -> None:
    assert winner("nom", members)[:2] == (expected, strategy), case


RECENCY = [
    ("newest trusted date", [member(DORA, "a", courriel="a@x.fr", date_maj="2026-01-01"),
                             member(EMPLOIS, "b", courriel="b@x.fr", date_maj="2026-06-01")],
     "emplois-de-linclusion--b", "most_recent"),
    ("an export date never wins", [member(FT, "a", courriel="a@x.fr", date_maj="2026-11-01"),
                                   member(CD35, "b", courriel="b@x.fr", date_maj="2024-03-01")],
     "cd35--b", "most_recent"),
    ("untrusted loses even to an unknown source",
     [member(FT, "a", courriel="a@x.fr", date_maj="2026-11-01"),
      member("zeta", "b", courriel="b@x.fr", date_maj="2020-01-01")],
     "zeta--b", "most_recent"),
    ("same date: priority", [member(EMPLOIS, "a", courriel="a@x.fr", date_maj="2026-06-01"),
                             member(DORA, "b", courriel="b@x.fr", date_maj="2026-06-01")],
     "dora--b", "source_priority"),
    ("only value, untrusted", [member(FT, "a", courriel="a@x.fr", date_maj="2026-11-01"),
                               member(DORA, "b", date_maj="2026-06-01")],
     "france-travail--a", "only_value"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "members", "expected", "strategy"), RECENCY)
def test_most_recent(case: str, members: list[Member], expected: str, strategy: str) -> None:
    assert winner("courriel", members)[:2] == (expected, strategy), case


def test_an_untrusted_date_is_flagged_in_provenance() -> None:
    golden = merge("structure", [member(FT, "a", courriel="a@x.fr")], SOURCES, RULES,
                   visibility="public")  # fmt: skip
    assert golden is not None
    assert golden.provenance["courriel"].date_maj_fiable is False


LONG = "Accueil, information et orientation des personnes en difficulté sociale."
LONGEST = [
    ("longest text", [member(DORA, "a", description="Accueil social."),
                      member(CD35, "b", description=LONG)],
     "cd35--b", "longest"),
    ("padding does not count", [member(DORA, "a", description="Accueil social"),
                                member(CD35, "b", description="  Accueil    social  ")],
     "dora--a", "unanimous"),
    ("same length: priority", [member(CD35, "a", description="Accueil A"),
                               member(DORA, "b", description="Accueil B")],
     "dora--b", "source_priority"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "members", "expected", "strategy"), LONGEST)
def test_longest(case: str, members: list[Member], expected: str, strategy: str) -> None:
    assert winner("description", members)[:2] == (expected, strategy), case


RELAIS = rules_with(aggregators={"relais": [EMPLOIS]})
RELAIS_ELSEWHERE = rules_with(aggregators={"relais": [CARIF]})
MAJORITY = [
    ("two sources against one, formats differ",
     [member(DORA, "a", telephone=PHONE), member(EMPLOIS, "b", telephone="02 99 28 63 11"),
      member(CD35, "c", telephone=OTHER_PHONE, date_maj="2026-09-01")],
     RULES, "dora--a", "majority"),
    ("tie falls through to recency",
     [member(DORA, "a", telephone=PHONE, date_maj="2026-01-01"),
      member(CD35, "b", telephone=OTHER_PHONE, date_maj="2026-06-01")],
     RULES, "cd35--b", "most_recent"),
    ("tie and same date: priority",
     [member(CD35, "a", telephone=OTHER_PHONE), member(DORA, "b", telephone=PHONE)],
     RULES, "dora--b", "source_priority"),
    ("one source votes once",
     [member(CD35, "a", telephone=OTHER_PHONE), member(CD35, "b", telephone=OTHER_PHONE),
      member(DORA, "c", telephone=PHONE)],
     RULES, "dora--c", "source_priority"),
    ("an aggregator relaying a member does not vote twice",
     [member(DORA, "a", telephone=PHONE, date_maj="2026-06-01"),
      member(EMPLOIS, "b", telephone=OTHER_PHONE), member("relais", "c", telephone=OTHER_PHONE)],
     RELAIS, "dora--a", "most_recent"),
    ("an aggregator relaying an absent source votes",
     [member(DORA, "a", telephone=PHONE, date_maj="2026-06-01"),
      member(EMPLOIS, "b", telephone=OTHER_PHONE), member("relais", "c", telephone=OTHER_PHONE)],
     RELAIS_ELSEWHERE, "emplois-de-linclusion--b", "majority"),
    ("a flagged aggregator with unknown relays does not vote",
     [member(DORA, "a", telephone=PHONE, date_maj="2026-06-01"),
      member(EMPLOIS, "b", telephone=OTHER_PHONE),
      member("relais-flag", "c", telephone=OTHER_PHONE)],
     RULES, "dora--a", "most_recent"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "members", "rules", "expected", "strategy"), MAJORITY)
def test_majority(
    case: str, members: list[Member], rules: Rules, expected: str, strategy: str
) -> None:
    assert winner("telephone", members, rules)[:2] == (expected, strategy), case


def test_majority_provenance_lists_agreeing_and_conflicting_sources() -> None:
    members = [
        member(DORA, "a", telephone=PHONE),
        member(EMPLOIS, "b", telephone="02 99 28 63 11"),
        member(CD35, "c", telephone=OTHER_PHONE),
    ]
    golden = merge("structure", members, SOURCES, RULES, visibility="public")
    assert golden is not None
    p = golden.provenance["telephone"]
    assert (p.value, p.agreeing_sources, p.conflicting_sources) == (PHONE, (EMPLOIS,), (CD35,))


def test_union_keeps_every_element_with_its_sources() -> None:
    members = [
        member(CD35, "a", reseaux_porteurs=["ccas", "adie"]),
        member(DORA, "b", reseaux_porteurs=["adie"]),
        member(EMPLOIS, "c", reseaux_porteurs=["afpa"]),
    ]
    golden = merge("structure", members, SOURCES, RULES, visibility="public")
    assert golden is not None
    p = golden.provenance["reseaux_porteurs"]
    assert golden.data["reseaux_porteurs"] == ["adie", "afpa", "ccas"]
    assert p.strategy == "union" and p.source == DORA
    assert p.elements == (("adie", (DORA, CD35)), ("afpa", (EMPLOIS,)), ("ccas", (CD35,)))
    assert p.agreeing_sources == (EMPLOIS, CD35) and p.conflicting_sources == ()


def test_union_of_one_member_is_its_only_value() -> None:
    members = [member(DORA, "a", reseaux_porteurs=["adie"]), member(CD35, "b")]
    golden = merge("structure", members, SOURCES, RULES, visibility="public")
    assert golden is not None
    p = golden.provenance["reseaux_porteurs"]
    assert (p.strategy, p.elements) == ("only_value", (("adie", (DORA,)),))


ADDRESS = ("adresse", "complement_adresse", "code_postal", "commune", "code_insee", "latitude",
           "longitude")  # fmt: skip
FULL: dict[str, Any] = {
    "adresse": "12 rue Jean Jaurès",
    "complement_adresse": "Bâtiment B",
    "code_postal": "35000",
    "commune": "Rennes",
    "latitude": 48.11,
    "longitude": -1.68,
}
SHORT: dict[str, Any] = {
    "adresse": "1 place de la Mairie",
    "code_postal": "35000",
    "commune": "Rennes",
    "code_insee": "35238",
}
BLOCKS = [
    ("most complete block", [member(DORA, "a", **SHORT), member(CD35, "b", **FULL)],
     "cd35--b", "block:most_complete"),
    ("equally complete: most recent",
     [member(DORA, "a", **SHORT), member(EMPLOIS, "b", **{**SHORT, "adresse": "2 rue Haute"},
                                          date_maj="2026-05-01")],
     "emplois-de-linclusion--b", "block:most_recent"),
    ("an invalid field does not count",
     [member(DORA, "a", **SHORT, latitude=48.1),
      member(CD35, "b", **{**SHORT, "adresse": "3 rue Basse", "latitude": 123.0})],
     "dora--a", "block:most_complete"),
    ("one block", [member(DORA, "a"), member(CD35, "b", **SHORT)], "cd35--b", "block:only_value"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "members", "expected", "strategy"), BLOCKS)
def test_address_block_survives_whole(
    case: str, members: list[Member], expected: str, strategy: str
) -> None:
    golden = merge("structure", members, SOURCES, RULES, visibility="public")
    assert golden is not None
    block_winner = next(m for m in members if m.public_id == expected)
    for name in ADDRESS:
        value = block_winner.data.get(name)
        if name == "latitude" and value == 123.0:
            value = None  # refused by the validator: not taken from another member either
        assert golden.data.get(name) == value, (case, name)
        if value is not None:
            p = golden.provenance[name]
            assert (p.public_id, p.record_id, p.strategy) == (
                expected,
                block_winner.record_id,
                strategy,
            ), (case, name)


def test_block_provenance_per_field() -> None:
    members = [member(DORA, "a", **SHORT), member(CD35, "b", **FULL)]
    golden = merge("structure", members, SOURCES, RULES, visibility="public")
    assert golden is not None
    assert "code_insee" not in golden.data  # the winning block has none: not borrowed from dora
    assert golden.provenance["code_postal"].agreeing_sources == (DORA,)
    assert golden.provenance["adresse"].conflicting_sources == (DORA,)


VALIDATORS = [
    ("telephone", "0299", PHONE, "invalid phone number"),
    ("telephone", "+442071234567", PHONE, "not a French number (GB)"),
    ("courriel", "ccas@ville-rennes", "ccas@ville-rennes.fr", "invalid e-mail address"),
    ("siret", "26350160300018", SIRET, "invalid SIRET (14 digits, Luhn)"),
    ("site_web", "pas une url", "https://ccas.example.fr", "invalid URL"),
]


@pytest.mark.parametrize(("field", "bad", "good", "reason"), VALIDATORS)
def test_an_invalid_value_never_wins(field: str, bad: Any, good: Any, reason: str) -> None:
    members = [
        member(DORA, "a", date_maj="2026-09-01", **{field: bad}),
        member(FT, "b", **{field: good}),
    ]
    golden = merge("structure", members, SOURCES, RULES, visibility="public")
    assert golden is not None
    p = golden.provenance[field]
    assert (p.source, p.value, p.strategy) == (FT, good, "only_value")
    assert p.rejected_sources == ((DORA, reason),)
    assert DORA not in p.conflicting_sources + p.agreeing_sources


def test_only_invalid_values_leave_the_field_empty() -> None:
    golden = merge("structure", [member(DORA, "a", siret="123")], SOURCES, RULES,
                   visibility="public")  # fmt: skip
    assert golden is not None
    assert "siret" not in golden.data and "siret" not in golden.provenance


def test_an_invalid_postcode_is_rejected_inside_the_block() -> None:
    members = [member(DORA, "a", **{**SHORT, "code_postal": "3500"}), member(CD35, "b")]
    golden = merge("structure", members, SOURCES, RULES, visibility="public")
    assert golden is not None
    assert "code_postal" not in golden.data
    assert golden.provenance["commune"].source == DORA


# --- ids ----------------------------------------------------------------------------------------


def seen(day: int) -> datetime:
    return datetime(2025, 1, day, tzinfo=UTC)


IDS = [
    ("oldest member", [member(DORA, "a", seen=seen(5)), member(CD35, "b", seen=seen(2))],
     "cd35--b", "cd35--b"),
    ("same age: by public id", [member(DORA, "a", seen=seen(2)), member(CD35, "b", seen=seen(2))],
     "cd35--b", "cd35--b"),
    ("a restricted member is never the id when another is visible",
     [member(SOLIGUIDE, "1", seen=seen(1)), member(DORA, "a", seen=seen(5))],
     "dora--a", "dora--a"),
    ("all restricted", [member(SOLIGUIDE, "2", seen=seen(3)), member(SOLIGUIDE, "1", seen=seen(4))],
     None, "soliguide--2"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "members", "public", "restricted"), IDS)
def test_id_rule(case: str, members: list[Member], public: str | None, restricted: str) -> None:
    for order in itertools.permutations(members):
        views = merge_views("structure", list(order), SOURCES, RULES)
        assert (views["public"].public_id if "public" in views else None) == public, case
        assert views["restricted"].public_id == restricted, case
        assert views["restricted"].data["id"] == restricted
        assert views["restricted"].data["source"] == restricted.split("--")[0]
        assert public_id(list(order), SOURCES, visibility="restricted") == restricted


def test_public_id_refuses_a_view_with_no_visible_member() -> None:
    with pytest.raises(ValueError, match="no member is visible"):
        public_id([member(SOLIGUIDE, "1")], SOURCES, visibility="public")


def test_a_service_points_at_the_structure_of_its_id_member() -> None:
    dora = member(DORA, "s1", kind="service", structure="dora--st1", seen=seen(5))
    soliguide = member(SOLIGUIDE, "s9", kind="service", structure="soliguide--9", seen=seen(1))
    views = merge_views("service", [soliguide, dora], SOURCES, RULES)
    assert {v: g.data["structure_id"] for v, g in views.items()} == {
        "public": "dora--st1",
        "restricted": "dora--st1",
    }
    alone = merge("service", [soliguide], SOURCES, RULES, visibility="restricted")
    assert alone is not None and alone.data["structure_id"] == "soliguide--9"
    assert "structure_id" not in alone.provenance


def test_merge_is_deterministic_whatever_the_order() -> None:
    members = [
        member(DORA, "a", telephone=PHONE, reseaux_porteurs=["adie"], **SHORT),
        member(EMPLOIS, "b", telephone=OTHER_PHONE, reseaux_porteurs=["ccas"], **FULL),
        member(CD35, "c", telephone=OTHER_PHONE, courriel="c@x.fr"),
        member(SOLIGUIDE, "d", telephone=PHONE, courriel="d@x.fr", date_maj="2026-03-01"),
    ]
    results = {
        orjson.dumps(merge_views("structure", list(order), SOURCES, RULES))
        for order in itertools.permutations(members)
    }
    assert len(results) == 1


# --- visibility: the worked example of architecture.md §4 ---------------------------------------


def worked_example() -> list[Member]:
    return [
        member(DORA, "a1", date_maj="2026-09-02", seen=seen(10), nom="CCAS de Rennes",
               siret=SIRET, telephone=PHONE, courriel="ccas@ville-rennes.fr"),
        member(EMPLOIS, "17", date_maj="2026-05-10", seen=seen(12),
               nom="Centre communal d'action sociale de Rennes", siret=SIRET,
               telephone="02 99 28 63 11", horaires_accueil="Mo-Fr 08:30-17:00"),
        member(SOLIGUIDE, "884", date_maj="2026-10-30", seen=seen(1), nom="CCAS Rennes",
               telephone=OTHER_PHONE, courriel="accueil.ccas@ville-rennes.fr",
               horaires_accueil="Mo-Fr 09:00-17:00", siret="123"),
    ]  # fmt: skip


def test_public_view_shows_no_trace_of_a_restricted_source() -> None:
    members = worked_example()
    views = merge_views("structure", members, SOURCES, RULES)
    public = views["public"]
    assert public == merge("structure", members[:2], SOURCES, RULES, visibility="public")
    assert b"soliguide" not in orjson.dumps(public).lower()
    assert public.public_id == "dora--a1"
    assert public.member_ids == ("dora--a1", "emplois-de-linclusion--17")
    expected = {
        "nom": ("CCAS de Rennes", DORA, "source_priority", (), (EMPLOIS,)),
        "telephone": (PHONE, DORA, "unanimous", (EMPLOIS,), ()),
        "horaires_accueil": ("Mo-Fr 08:30-17:00", EMPLOIS, "only_value", (), ()),
        "courriel": ("ccas@ville-rennes.fr", DORA, "only_value", (), ()),
        "siret": (SIRET, DORA, "unanimous", (EMPLOIS,), ()),
    }
    for name, row in expected.items():
        p = public.provenance[name]
        assert (p.value, p.source, p.strategy, p.agreeing_sources, p.conflicting_sources) == row
        assert p.rejected_sources == ()


def test_restricted_view_may_take_restricted_values() -> None:
    restricted = merge_views("structure", worked_example(), SOURCES, RULES)["restricted"]
    assert restricted.public_id == "dora--a1"  # same id as the public view
    courriel = restricted.provenance["courriel"]
    assert (courriel.value, courriel.source, courriel.strategy) == (
        "accueil.ccas@ville-rennes.fr",
        SOLIGUIDE,
        "most_recent",
    )
    telephone = restricted.provenance["telephone"]
    assert (telephone.value, telephone.strategy) == (PHONE, "majority")
    assert telephone.conflicting_sources == (SOLIGUIDE,)
    assert restricted.provenance["siret"].rejected_sources == (
        (SOLIGUIDE, "invalid SIRET (14 digits, Luhn)"),
    )


def test_a_view_without_visible_member_is_none() -> None:
    only = [member(SOLIGUIDE, "1")]
    assert merge("structure", only, SOURCES, RULES, visibility="public") is None
    assert set(merge_views("structure", only, SOURCES, RULES)) == {"restricted"}
    assert merge_views("structure", [], SOURCES, RULES) == {}


# --- provenance ---------------------------------------------------------------------------------


def service_members() -> list[Member]:
    common: dict[str, Any] = {
        "kind": "service",
        "thematiques": ["numerique--acquerir-un-equipement"],
    }
    return [
        member(DORA, "s1", **common, structure="dora--st1", frais="payant",
               frais_precisions="5 € par mois",
               modes_mobilisation=["telephoner"], telephone=PHONE, publics=["jeunes"],
               volume_horaire_hebdomadaire=3.5, **FULL),
        member(CD35, "s2", **common, structure="cd35--st2", frais="gratuit", date_maj="2026-04-01",
               modes_mobilisation=["se-presenter"], publics=["tous-publics"], nombre_semaines=4,
               zone_eligibilite=["35"], **SHORT),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "members"), [("structure", worked_example()), ("service", service_members())]
)
def test_every_golden_field_has_its_provenance(kind: str, members: list[Member]) -> None:
    for golden in merge_views(kind, members, SOURCES, RULES).values():
        assert set(golden.data) - {"id", "source", "structure_id"} == set(golden.provenance)
        by_id = {m.public_id: m for m in members}
        for name, p in golden.provenance.items():
            assert p.field == name and p.value == golden.data[name] is not None
            assert p.rule_set_version == RULES.version == "2026.11-1"
            origin = by_id[p.public_id]
            assert (p.source, p.record_id, p.version_id) == (
                origin.source,
                origin.record_id,
                origin.version_id,
            )
            assert p.source_date_maj == origin.date_maj
            assert p.last_confirmed_at == origin.last_confirmed_at
            assert p.value_since == origin.field_since.get(name)


def test_service_blocks_keep_price_and_details_together() -> None:
    golden = merge("service", service_members(), SOURCES, RULES, visibility="public")
    assert golden is not None
    assert golden.data["frais"] == "gratuit" and "frais_precisions" not in golden.data
    assert golden.provenance["frais"].strategy == "block:most_recent"
    assert golden.data["modes_mobilisation"] == ["se-presenter", "telephoner"]
    assert golden.data["thematiques"] == ["numerique--acquerir-un-equipement"]
    assert golden.data["nombre_semaines"] == 4  # equally complete duration blocks: the newest
    assert "volume_horaire_hebdomadaire" not in golden.data  # not borrowed from the other one
    # the id member's producer structure: the caller maps it to the golden structure of the view
    assert golden.data["structure_id"] == "cd35--st2" and golden.public_id == "cd35--s2"


def test_merge_refuses_inconsistent_input() -> None:
    with pytest.raises(ValueError, match="no SourceFacts for source 'inconnue'"):
        merge("structure", [member("inconnue")], SOURCES, RULES, visibility="public")
    with pytest.raises(ValueError, match="is a service, not a structure"):
        merge("structure", [member(DORA, kind="service")], SOURCES, RULES, visibility="public")
    with pytest.raises(ValueError, match="unknown visibility"):
        merge("structure", [member(DORA)], SOURCES, RULES, visibility="open")


def test_golden_is_a_plain_value() -> None:
    golden = merge("structure", [member(DORA, "a")], SOURCES, RULES, visibility="public")
    assert isinstance(golden, Golden)
    assert golden.data == {
        "source": DORA,
        "id": "dora--a",
        "nom": "Structure sans histoire",
        "date_maj": "2026-01-01",
    }


# --- the rules file -----------------------------------------------------------------------------


def test_default_rules_cover_every_model_field() -> None:
    for kind, model in MODELS.items():
        covered = set(RULES.fields[kind]) | {n for b in RULES.blocks[kind].values() for n in b}
        assert covered == set(model.model_fields) - NOT_MERGED
    assert RULES.source_priority[0] == DORA and RULES.source_priority[-1] == FT


def _set(raw: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for key in parents:
        raw = raw.setdefault(key, {})
    if value is None:
        del raw[last]
    else:
        raw[last] = value


RULE_ERRORS = [
    ("structures.fields.nomm", ["source_priority"], "structures.fields.nomm: unknown field"),
    ("structures.fields.nom", ["fastest"], "structures.fields.nom: unknown strategy 'fastest'"),
    ("structures.fields.nom", ["most_complete"], "structures.fields.nom: strategy 'most_complete'"),
    ("structures.fields.nom", [], "structures.fields.nom: empty strategy chain"),
    ("structures.fields.id", ["source_priority"], "structures.fields.id: 'id' is not merged"),
    ("services.fields.frais_precisions", ["longest"],
     "services.blocks.frais.frais_precisions: also has a rule"),
    ("structures.fields.siret", ["union"], "structures.fields.siret: 'union' must be alone"),
    ("structures.fields.reseaux_porteurs", ["union", "source_priority"],
     "structures.fields.reseaux_porteurs: 'union' must be alone"),
    ("structures.fields.latitude", ["source_priority"],
     "structures.blocks.adresse.latitude: also has a rule"),
    ("structures.fields.siret", ["longest"], "structures.fields.siret: 'longest' applies"),
    ("structures.fields.telephone", None, "structures: fields without a rule: telephone"),
    ("structures.blocks.contact", ["adresse"],
     "structures.blocks.contact.adresse: already in block 'adresse'"),
    ("structures.block_rules.adresse", None, "structures.block_rules.adresse: rule missing"),
    ("structures.block_rules.adresse", ["union"], "strategy 'union' is not allowed here"),
    ("structures.block_rules.ailleurs", ["source_priority"], "structures.block_rules.ailleurs"),
    ("services.fields.horaires", ["most_recent"], "services.fields.horaires: unknown field"),
    ("services", None, "services: section missing"),
    ("version", None, "version:"),
    ("version", "x" * 33, "version:"),
    ("source_priority", ["dora", "dora"], "source_priority: a source is listed twice"),
    ("aggregators.relais", ["relais"], "aggregators.relais: an aggregator cannot relay itself"),
    ("politique", "x", "politique: unknown key"),
]  # fmt: skip


@pytest.mark.parametrize(("path", "value", "message"), RULE_ERRORS)
def test_rules_validation_names_the_key(path: str, value: Any, message: str) -> None:
    raw = copy.deepcopy(RAW_RULES)
    _set(raw, path, value)
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_rules(raw)


def test_load_rules_reads_a_file(tmp_path: Path) -> None:
    text = DEFAULT_RULES.read_text(encoding="utf-8")
    path = tmp_path / "rules.toml"
    path.write_text(text.replace('version = "2026.11-1"', 'version = "2026.12-1"'), "utf-8")
    assert load_rules(path).version == "2026.12-1"
    path.write_text(text.replace("nom = [", "nomm = [", 1), "utf-8")
    with pytest.raises(ValueError, match=r"structures\.fields\.nomm"):
        load_rules(path)
