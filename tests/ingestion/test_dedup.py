"""Duplicate detection: tables of record pairs -> linked or not (and how), names, keys, clusters."""

from __future__ import annotations

import itertools
import math
import random
from datetime import datetime
from typing import Any

import orjson
import pytest

from ingestion import dedup
from ingestion.members import Member
from ingestion.normalize import luhn_ok
from store.text import fold

_ids = itertools.count(1)


def siret(prefix: str) -> str:
    """A Luhn-valid SIRET starting with `prefix` (13 digits)."""
    return next(prefix + d for d in "0123456789" if luhn_ok(prefix + d))


def structure(source: str = "dora", **data: Any) -> Member:
    """A structure member; `data` are schema fields (rennes by default)."""
    n = next(_ids)
    fields: dict[str, Any] = {"commune": "Rennes", "code_postal": "35000", "code_insee": "35238"}
    fields.update(data)
    fields = {k: v for k, v in fields.items() if v is not None}
    return Member(
        record_id=n,
        version_id=n,
        source=source,
        kind="structure",
        public_id=f"{source}--{n:04d}",
        data=fields,
        first_seen_at=datetime(2026, 1, 1),
    )


def service(source: str, structure_id: str, **data: Any) -> Member:
    n = next(_ids)
    return Member(
        record_id=n,
        version_id=n,
        source=source,
        kind="service",
        public_id=f"{source}--svc-{n:04d}",
        data=data,
        first_seen_at=datetime(2026, 1, 1),
        structure_public_id=structure_id,
    )


SIRET_CCAS = siret("2635016030001")
SIRET_MAIRIE = siret("2135023800001")
SIRET_HEAD = siret("7751234560001")  # a network's head office
VITRE = {"commune": "Vitré", "code_postal": "35500", "code_insee": "35360"}
GEO_RENNES = {"latitude": 48.1113, "longitude": -1.6800}
GEO_RENNES_10M = {"latitude": 48.11138, "longitude": -1.68004}
GEO_RENNES_1500M = {"latitude": 48.1200, "longitude": -1.6950}
GEO_VITRE = {"latitude": 48.1238, "longitude": -1.2090}

# (case, record a, record b, expected: "siret" | "linked" | "review" | "none")
PAIRS: list[tuple[str, dict[str, Any], dict[str, Any], str]] = [
    (
        "equal SIRET, same commune, similar name: deterministic rule",
        {"nom": "CCAS de Rennes", "siret": SIRET_CCAS},
        {"nom": "Centre communal d'action sociale de Rennes", "siret": SIRET_CCAS},
        "siret",
    ),
    (
        "equal SIRET, same commune given as postcode + name only (no INSEE code)",
        {"nom": "CCAS de Rennes", "siret": SIRET_CCAS},
        {"nom": "CCAS DE RENNES", "siret": SIRET_CCAS, "code_insee": None, "commune": "RENNES"},
        "siret",
    ),
    (
        "head-office SIRET in another commune: not a duplicate",
        {"nom": "Restos du cœur Rennes", "siret": SIRET_HEAD, **GEO_RENNES},
        {"nom": "Les Restaurants du Cœur – centre de Vitré", "siret": SIRET_HEAD, **VITRE},
        "none",
    ),
    (
        "head-office SIRET in another commune, same generic name: SIRET does not carry it",
        {"nom": "Secours populaire français", "siret": SIRET_HEAD, **GEO_RENNES},
        {"nom": "Secours populaire français", "siret": SIRET_HEAD, **VITRE, **GEO_VITRE},
        "none",
    ),
    (
        "a mairie and its CCAS at the same address, same phone",
        {"nom": "Mairie de Rennes", "adresse": "Place de la Mairie", "telephone": "+33299286311"},
        {"nom": "CCAS de Rennes", "adresse": "Place de la Mairie", "telephone": "+33299286311"},
        "none",
    ),
    (
        "the hôtel de ville and the centre communal d'action sociale, same coordinates",
        {"nom": "Hôtel de ville de Rennes", **GEO_RENNES, "siret": SIRET_MAIRIE},
        {"nom": "Centre communal d'action sociale de Rennes", **GEO_RENNES, "siret": SIRET_CCAS},
        "none",
    ),
    (
        "moved in the commune: new SIRET, new address, same name and phone",
        {
            "nom": "Association L'Escale",
            "siret": siret("4411223340001"),
            "adresse": "12 rue Jean Jaurès",
            "telephone": "+33299000001",
            **GEO_RENNES,
        },
        {
            "nom": "L'Escale",
            "siret": siret("4411223340002"),
            "adresse": "3 avenue Pasteur",
            "telephone": "+33299000001",
            **GEO_RENNES_1500M,
        },
        "name-and-contact",
    ),
    (
        "moved in the commune: new SIRET of another SIREN, same name and e-mail",
        {
            "nom": "Épicerie solidaire de Rennes",
            "siret": siret("5511223340001"),
            "adresse": "12 rue Jean Jaurès",
            "courriel": "contact@epicerie-rennes.fr",
        },
        {
            "nom": "EPICERIE SOLIDAIRE RENNES",
            "siret": siret("6611223340001"),
            "adresse": "8 place de la République",
            "courriel": "contact@epicerie-rennes.fr",
        },
        "name-and-contact",
    ),
    (
        "abbreviation CCAS, nothing else in common but the commune: one CCAS per commune",
        {"nom": "CCAS de Rennes"},
        {"nom": "Centre communal d'action sociale de Rennes"},
        "one-per-commune",
    ),
    (
        "a town hall at two addresses (producers disagree): one town hall per commune",
        {"nom": "Mairie de Vitré", **VITRE, "adresse": "5 place du Château"},
        {"nom": "Hôtel de ville - Vitré", **VITRE, "adresse": "2 rue de la Borderie"},
        "one-per-commune",
    ),
    (
        "a mission locale and the same street line",
        {"nom": "Mission locale de Rennes", "adresse": "12 bd de la Liberté"},
        {"nom": "ML Rennes", "adresse": "12, Boulevard Liberté - 2e étage"},
        "linked",
    ),
    (
        "an acronym and its words: PLIE / Plan local pour l'insertion et l'emploi",
        {"nom": "PLIE de Vitré", **VITRE, "telephone": "+33299000011"},
        {
            "nom": "Plan local pour l'insertion et l'emploi - Vitré",
            **VITRE,
            "telephone": "02 99 00 00 11",
        },
        "linked",
    ),
    (
        "a renamed network: MSAP / France services, same street line",
        {"nom": "MSAP de Vitré", **VITRE, "adresse": "3 rue Notre-Dame"},
        {"nom": "Maison France Services Vitré", **VITRE, "adresse": "3 r. Notre Dame"},
        "linked",
    ),
    (
        "one name at two addresses of a commune, nothing else shared: two sites",
        {"nom": "Maison de l'emploi de Rennes", "adresse": "12 rue Jean Jaurès", **GEO_RENNES},
        {"nom": "Maison de l'emploi - Rennes", "adresse": "3 avenue Pasteur", **GEO_RENNES_1500M},
        "none",
    ),
    (
        "a head office's SIRET at two streets of one commune is not the SIRET rule",
        {"nom": "Restos du cœur Rennes", "siret": SIRET_HEAD, "adresse": "1 rue A", **GEO_RENNES},
        {
            "nom": "Restos du cœur Rennes Nord",
            "siret": SIRET_HEAD,
            "adresse": "9 rue B",
            **GEO_RENNES_1500M,
        },
        "none",
    ),
    (
        "mission locale / ML",
        {"nom": "Mission locale de Vitré", **VITRE},
        {"nom": "ML Vitré", **VITRE, "code_insee": None},
        "linked",
    ),
    (
        "St / Saint, capitals, accents",
        {
            "nom": "CCAS de Saint-Grégoire",
            "commune": "Saint-Grégoire",
            "code_insee": "35278",
            "telephone": "+33299000003",
        },
        {
            "nom": "CCAS DE ST-GREGOIRE",
            "commune": "ST-GRÉGOIRE",
            "code_insee": None,
            "telephone": "02 99 00 00 03",
        },
        "one-per-commune",
    ),
    (
        "phone formats (one left as the producer wrote it)",
        {"nom": "Le Relais", "telephone": "+33299286311", "adresse": "4 rue de Paris"},
        {"nom": "Le Relais", "telephone": "02 99 28 63 11", "adresse": "4 r. de Paris"},
        "linked",
    ),
    (
        "same place, same contacts, names of one producer's style",
        {"nom": "France Travail Rennes", **GEO_RENNES, "courriel": "agence.rennes@ft.fr"},
        {"nom": "Agence France Travail de Rennes", **GEO_RENNES_10M},
        "linked",
    ),
    (
        "different structures in one commune",
        {"nom": "CHRS L'Escale", "adresse": "1 rue A", **GEO_RENNES, "telephone": "+33299000001"},
        {"nom": "La Passerelle", "adresse": "9 rue B", **GEO_RENNES_1500M},
        "none",
    ),
    (
        "a mission locale and a France Travail agency at one address",
        {"nom": "Mission locale de Rennes", "adresse": "4 rue de Paris", **GEO_RENNES},
        {"nom": "France Travail Rennes", "adresse": "4 rue de Paris", **GEO_RENNES_10M},
        "none",
    ),
    (
        "same name, far apart in another département",
        {"nom": "Association Le Goéland", "courriel": "le.goeland@gmail.com"},
        {"nom": "Le Goéland", "commune": "Béziers", "code_postal": "34500", "code_insee": "34032"},
        "none",
    ),
]


@pytest.mark.parametrize(("case", "a", "b", "expected"), PAIRS, ids=[p[0] for p in PAIRS])
def test_pairs(case: str, a: dict[str, Any], b: dict[str, Any], expected: str) -> None:
    c = dedup.score_pair(structure("dora", **a), structure("emplois-de-linclusion", **b))
    if expected == "none":
        assert c is None or c.score < dedup.AUTO_LINK, c
        return
    assert c is not None
    assert c.a < c.b and 0 <= c.score <= 1
    if expected == "siret":
        assert (c.method, c.score, c.evidence["siret"]) == ("siret", 1.0, "equal")
    elif expected == "one-per-commune":
        assert (c.method, c.score, c.evidence["kind"]) == (expected, 1.0, expected)
    elif expected == "name-and-contact":
        assert (c.method, c.score) == (expected, 1.0)
        assert "equal" in (c.evidence.get("phone"), c.evidence.get("email"))
    elif expected == "review":
        assert c.method == "model" and dedup.REVIEW_FLOOR <= c.score < dedup.AUTO_LINK, c
    else:  # the model, or a rule that found it sound
        assert c.method in dedup.METHODS and c.score >= dedup.AUTO_LINK, c


def test_the_same_siret_in_another_commune_links_nothing() -> None:
    a = {"nom": "Croix-Rouge française – unité locale de Rennes", **GEO_RENNES}
    b = {"nom": "Croix-Rouge – Vitré", **VITRE, **GEO_VITRE}
    c = dedup.score_pair(
        structure(**a, siret=SIRET_HEAD), structure("soliguide", **b, siret=SIRET_HEAD)
    )
    assert c is None or (c.method == "model" and c.score < dedup.AUTO_LINK), c


def test_arrondissements_are_places_of_their_own_within_their_city() -> None:
    paris_11 = {"commune": "Paris", "code_postal": "75011", "code_insee": "75111"}
    paris_city = {"commune": "Paris", "code_postal": "75011", "code_insee": "75056"}
    paris_12 = {"commune": "Paris", "code_postal": "75012", "code_insee": "75112"}
    a = dedup.features(structure(nom="La Passerelle", **paris_11))
    assert a.insee == "75111" and dedup.city_of(a.insee) == "75056"
    same_city = dedup.compare(a, dedup.features(structure(nom="La Passerelle", **paris_city)))
    other = dedup.compare(a, dedup.features(structure(nom="La Passerelle", **paris_12)))
    # an arrondissement and its city may be one place; two arrondissements are two communes
    assert (same_city["commune"], other["commune"]) == ("same-city", "other")
    assert dedup.compare(a, a)["commune"] == "same"


@pytest.mark.parametrize(
    ("a", "b", "linked"),
    [
        # one producer, different SIRETs and names: two structures, even at one address
        (
            {"nom": "ACI Les Jardins", "siret": siret("8011223340001"), **GEO_RENNES},
            {"nom": "EI La Recyclerie", "siret": siret("8099887760001"), **GEO_RENNES_10M},
            False,
        ),
        # one producer listing one structure twice (no SIRET): a duplicate
        (
            {"nom": "Le Phare", "adresse": "2 rue du Port", "telephone": "+33299000002"},
            {"nom": "LE PHARE", "adresse": "2 rue du Port", "telephone": "02.99.00.00.02"},
            True,
        ),
    ],
)
def test_duplicates_within_one_producer(a: dict[str, Any], b: dict[str, Any], linked: bool) -> None:
    c = dedup.score_pair(structure("dora", **a), structure("dora", **b))
    assert (c is not None and c.score >= dedup.AUTO_LINK) is linked, c
    if c is not None:
        assert c.evidence["source"] == "same"


def test_evidence_is_readable() -> None:
    c = dedup.score_pair(
        structure(nom="ML Rennes", adresse="1 rue A", **GEO_RENNES),
        structure(
            "soliguide",
            nom="Mission locale de Rennes",
            adresse="1 rue A",
            **GEO_RENNES_10M,
        ),
    )
    assert c is not None and c.method == "model"
    weights = c.evidence.pop("weights")
    bias = c.evidence.pop("bias")
    assert c.evidence == {
        "name": "exact",
        "name_similarity": 1.0,
        "distance_m": 9,
        "distance": "<100m",
        "commune": "same",
        "address": "equal",
        "source": "other",
    }
    # every level is a term of the model, with the weight it added
    assert {"name=exact", "distance=<100m", "address=equal"} <= set(weights)
    total = bias + sum(weights.values())
    assert c.score == pytest.approx(1 / (1 + math.exp(-total)), abs=1e-3)


@pytest.mark.parametrize(
    ("nom", "normalized"),
    [
        ("Centre communal d'action sociale de Rennes", "ccas rennes"),
        ("CCAS de Rennes", "ccas rennes"),
        ("C.C.A.S. de Rennes", "ccas rennes"),
        ("CIAS du Pays de Vitré", "cias pays vitre"),
        ("Centre intercommunal d'action sociale du Pays de Vitré", "cias pays vitre"),
        ("Mission Locale du Pays de Vitré", "ml pays vitre"),
        ("ML Pays de Vitré", "ml pays vitre"),
        ("Agence France Travail de Saint-Malo", "ft saint malo"),
        ("Pôle emploi St-Malo", "ft saint malo"),
        ("Hôtel de ville de Rennes", "mairie rennes"),
        ("Mairie de Rennes", "mairie rennes"),
        ("Maison des jeunes et de la culture de Fougères", "mjc fougeres"),
        ("MJC de Fougères", "mjc fougeres"),
        ("Centre d'hébergement et de réinsertion sociale L'Escale", "chrs escale"),
        ("CHRS L'Escale", "chrs escale"),
        ("Association L'Escale", "escale"),
        ("SARL La Recyclerie", "recyclerie"),
        ("Point information médiation multi services de Rennes", "pimms rennes"),
        ("Atelier chantier d'insertion Les Jardins", "aci jardins"),
        ("Structure d'insertion par l'activité économique du Pays", "siae pays"),
        ("Espace public numérique de Dinan", "epn dinan"),
        ("EPN Dinan", "epn dinan"),
        ("Les Restaurants du Cœur – centre de Rennes", "rdc rennes"),
        ("Restos du cœur Rennes", "rdc rennes"),
        ("Sainte-Anne / Ste-Anne", "sainte anne sainte anne"),
        ("  ÉPICERIE   SOLIDAIRE  ", "epicerie solidaire"),
        ("", ""),
    ],
)
def test_normalize_name(nom: str, normalized: str) -> None:
    assert dedup.normalize_name(nom) == normalized


@pytest.mark.parametrize(
    "text",
    ["Saint-Étienne-du-Rouvray", "L’Escale", "Cap emploi – antenne", "Œuvre", "Straße", "ÀÉÎÕÜ"],
)
def test_fold_is_the_store_fold(text: str) -> None:
    assert dedup.fold(text) == fold(text)


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("+33299286311", "+33299286311"),
        ("02 99 28 63 11", "+33299286311"),
        ("02.99.28.63.11", "+33299286311"),
        ("+33 (0)2 99 28 63 11", "+33299286311"),
        ("0033299286311", "+33299286311"),
        ("+262 262 12 34 56", "+262262123456"),
        ("3949", None),
        ("", None),
    ],
)
def test_normalize_phone(raw: str, e164: str | None) -> None:
    assert dedup.normalize_phone(raw) == e164


@pytest.mark.parametrize(
    ("a", "b", "low", "high"),
    [
        ("ccas rennes", "ccas rennes", 1.0, 1.0),
        ("rennes ccas", "ccas rennes", 1.0, 1.0),
        ("escale", "chrs escale", 0.7, 0.8),
        ("ccas rennes", "ccas vitre", 0.5, 0.5),
        ("cyber base rennes", "cyberbase rennes", 0.6, 1.0),
        ("recyclerie rennes", "recylcerie rennes", 0.85, 0.95),  # a typo
        ("", "ccas", 0.0, 0.0),
    ],
)
def test_name_similarity(a: str, b: str, low: float, high: float) -> None:
    assert low <= dedup.name_similarity(a, b) <= high


def test_blocking_keys_are_plain_strings() -> None:
    m = structure(
        nom="CCAS de Rennes",
        siret=SIRET_CCAS,
        telephone="+33299286311",
        courriel="Accueil@CCAS-Rennes.fr",
        adresse="12 bd de la Liberté - Bâtiment B",
        **GEO_RENNES,
    )
    keys = dedup.blocking_keys(m)
    assert {
        f"siren:{SIRET_CCAS[:9]}",
        "tel:+33299286311",
        "mail:accueil@ccas-rennes.fr",
        "dom:ccas-rennes.fr",
        "nom:35:ccas-rennes",
        "cp:35000:ccas",
        "cp:35000:rennes",
        "com:rennes|35:ccas",
        "addr:35:12:boulevard-liberte",
    } <= keys
    assert sum(k.startswith("geo:") for k in keys) == 1
    assert all(isinstance(k, str) and " " not in k for k in keys)


def test_no_domain_key_for_webmail_and_no_phone_key_for_short_numbers() -> None:
    keys = dedup.blocking_keys(
        structure(nom="La Clé", courriel="la.cle@orange.fr", telephone="3949")
    )
    assert "mail:la.cle@orange.fr" in keys
    assert not any(k.startswith(("dom:", "tel:")) for k in keys)


def test_duplicates_written_differently_share_a_key() -> None:
    a = structure(nom="CCAS de Saint-Grégoire", commune="Saint-Grégoire", code_insee="35278")
    b = structure(
        "unccas", nom="CENTRE COMMUNAL D'ACTION SOCIALE DE ST-GRÉGOIRE", commune="ST GREGOIRE"
    )
    assert dedup.blocking_keys(a) & dedup.blocking_keys(b)


def test_giant_blocks_are_skipped() -> None:
    keys = [{"dom:francetravail.fr", f"own:{i}"} for i in range(dedup.MAX_BLOCK + 1)]
    assert dedup.candidate_pairs(keys) == set()
    assert dedup.candidate_pairs(keys[:3]) == {(0, 1), (0, 2), (1, 2)}


def test_structure_candidates_are_deterministic_and_need_a_shared_key() -> None:
    members = [
        structure(nom="CCAS de Rennes", siret=SIRET_CCAS),
        structure("unccas", nom="Centre communal d'action sociale de Rennes", siret=SIRET_CCAS),
        structure("cd35", nom="CCAS de Rennes", telephone="+33299286311"),
        structure("cd35", nom="Mairie de Rennes", telephone="+33299286311"),
        structure("dora", nom="Le Relais", **VITRE),
        structure("soliguide", nom="Le Relais", **VITRE),
        structure("soliguide", nom="Le Relais", commune="Pau", code_postal="64000"),
    ]
    first = dedup.structure_candidates(members)
    shuffled = members[:]
    random.Random(4).shuffle(shuffled)
    assert dedup.structure_candidates(shuffled) == first
    assert [(c.a, c.b) for c in first] == sorted((c.a, c.b) for c in first)
    linked = {(c.a, c.b) for c in first if c.score >= dedup.AUTO_LINK}
    ids = [m.public_id for m in members]
    expected = [(0, 1), (0, 2), (1, 2), (4, 5)]
    assert linked == {(min(ids[i], ids[j]), max(ids[i], ids[j])) for i, j in expected}


# -- services ------------------------------------------------------------------------------------
def _service_links(services: list[Member], cluster_of: dict[str, str]) -> set[frozenset[str]]:
    return {
        frozenset((c.a, c.b))
        for c in dedup.service_candidates(services, cluster_of)
        if c.score >= dedup.AUTO_LINK
    }


ALIM = ["equipement-et-alimentation--alimentation"]
DOMI = ["difficultes-administratives-ou-juridiques--accompagnement-pour-lacces-aux-droits"]
DESC_ALIM = "Colis et bons d'achat pour les foyers en difficulté. Sur rendez-vous."


def test_services_are_compared_within_a_structure_cluster_only() -> None:
    cluster_of = {"dora--s1": "dora--s1", "unccas--s1": "dora--s1", "soliguide--s9": "soli"}
    a = service("dora", "dora--s1", nom="Aide alimentaire", thematiques=ALIM)
    b = service("unccas", "unccas--s1", nom="AIDE ALIMENTAIRE", thematiques=ALIM)
    c = service("soliguide", "soliguide--s9", nom="Aide alimentaire", thematiques=ALIM)
    assert _service_links([a, b, c], cluster_of) == {frozenset((a.public_id, b.public_id))}


@pytest.mark.parametrize(
    ("a", "b", "linked"),
    [
        # similar names (number, case), same thematiques
        (
            {"nom": "Aides financières", "thematiques": ALIM},
            {"nom": "Aide financière", "thematiques": ALIM},
            True,
        ),
        # other names, the same description: the same service
        (
            {"nom": "Colis alimentaires d'urgence", "thematiques": ALIM, "description": DESC_ALIM},
            {"nom": "Distribution alimentaire", "thematiques": ALIM, "description": DESC_ALIM},
            True,
        ),
        # other names, other thematiques, other descriptions
        (
            {"nom": "Domiciliation", "thematiques": DOMI, "description": "Une adresse postale."},
            {"nom": "Aide alimentaire", "thematiques": ALIM, "description": DESC_ALIM},
            False,
        ),
    ],
)
def test_service_pairs(a: dict[str, Any], b: dict[str, Any], linked: bool) -> None:
    cluster_of = {"dora--s1": "k", "soliguide--s1": "k"}
    x, y = service("dora", "dora--s1", **a), service("soliguide", "soliguide--s1", **b)
    assert bool(_service_links([x, y], cluster_of)) is linked


def test_a_service_keeps_its_best_match_in_another_record() -> None:
    cluster_of = {"dora--s1": "k", "unccas--s1": "k"}
    a = service("dora", "dora--s1", nom="Aide alimentaire", thematiques=ALIM)
    b1 = service("unccas", "unccas--s1", nom="Aide alimentaire", thematiques=ALIM)
    b2 = service("unccas", "unccas--s1", nom="Aide alimentaire d'urgence", thematiques=ALIM)
    assert _service_links([a, b1, b2], cluster_of) == {frozenset((a.public_id, b1.public_id))}


def test_one_record_lists_distinct_services_unless_it_repeats_one() -> None:
    cluster_of: dict[str, str] = {}
    a = service("soliguide", "soliguide--1", nom="Conseil", thematiques=DOMI, description="Un.")
    b = service("soliguide", "soliguide--1", nom="Conseil", thematiques=DOMI, description="Deux.")
    c = service("soliguide", "soliguide--1", nom="Conseil", thematiques=DOMI, description="Un.")
    assert _service_links([a, b, c], cluster_of) == {frozenset((a.public_id, c.public_id))}


# -- clusters ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("links", "cannot", "expected"),
    [
        ([("a", "b"), ("c", "b")], [], [["a", "b", "c"], ["d"]]),
        ([], [], [["a"], ["b"], ["c"], ["d"]]),
        # a manual split: the weakest link on the path a-b-c is dropped
        ([("a", "b", 0.9), ("b", "c", 0.8)], [("a", "c")], [["a", "b"], ["c"], ["d"]]),
        ([("a", "b", 0.8), ("b", "c", 0.9)], [("a", "c")], [["a"], ["b", "c"], ["d"]]),
        # a direct link between a cannot-link pair is refused
        ([("a", "c", 1.0)], [("c", "a")], [["a"], ["b"], ["c"], ["d"]]),
        # ids only known from links are kept
        ([("d", "e", 0.9)], [], [["a"], ["b"], ["c"], ["d", "e"]]),
    ],
)
def test_clusters(
    links: list[tuple[Any, ...]], cannot: list[tuple[str, str]], expected: list[list[str]]
) -> None:
    assert dedup.clusters(["d", "c", "b", "a"], links, cannot) == expected
    assert dedup.clusters(["a", "b", "c", "d"], list(reversed(links)), cannot) == expected


def test_stored_features_read_back_equal_and_other_versions_are_redone() -> None:
    m = structure(nom="CCAS de Saint-Malo", code_insee="35288", code_postal="35400",
                  commune="Saint-Malo", telephone="02 99 00 00 01", courriel="ccas@saint-malo.fr",
                  latitude=48.65, longitude=-2.02, siret=SIRET_CCAS)  # fmt: skip
    f = dedup.features(m)
    doc = orjson.loads(orjson.dumps(dedup.features_to_json(f)))  # as a JSON column returns it
    assert dedup.features_from_json(doc) == f
    assert dedup.features_from_json([dedup.FEATURES_VERSION + 1, *doc[1:]]) is None
    assert dedup.features_from_json(None) is None
    assert dedup.features_from_json(doc[:-1]) is None


def test_a_cluster_holds_together_as_a_whole_and_a_persons_link_stands() -> None:
    # a—b and b—c are strong links, but the model is strongly against a and c together: the
    # weaker of the two links is the one refused, unless a person decided it
    links = [("a", "b", 0.99), ("b", "c", 0.9)]
    against = {frozenset(("a", "c"))}

    def apart(x: str, y: str) -> bool:
        return frozenset((x, y)) in against

    assert dedup.clusters(["a", "b", "c"], links) == [["a", "b", "c"]]
    assert dedup.clusters(["a", "b", "c"], links, apart=apart) == [["a", "b"], ["c"]]
    forced = [("b", "c")]
    assert dedup.clusters(["a", "b", "c"], links, apart=apart, forced=forced) == [["a", "b", "c"]]


def test_kept_apart_vetoes_what_the_model_is_strongly_against() -> None:
    a = dedup.features(structure(nom="Mairie de Rennes", adresse="1 place de la Mairie"))
    b = dedup.features(structure("soliguide", nom="CCAS de Rennes", adresse="1 place de la Mairie"))
    c = dedup.features(structure("cd35", nom="Hôtel de ville de Rennes"))
    apart = dedup.kept_apart({f.public_id: f for f in (a, b, c)})
    assert apart(a.public_id, b.public_id)  # a town hall and its CCAS: two kinds
    assert not apart(a.public_id, c.public_id)  # one town hall per commune


def test_a_restricted_record_never_bridges_two_visible_groups() -> None:
    # dora--1 and unccas--1 are linked only through a restricted soliguide record
    links = [("dora--1", "soliguide--1", 0.9985), ("soliguide--1", "unccas--1", 0.982)]
    ids = ["dora--1", "soliguide--1", "unccas--1", "dora--2"]
    assert dedup.clusters(ids, links) == [["dora--1", "soliguide--1", "unccas--1"], ["dora--2"]]
    split = dedup.clusters(ids, links, restricted=["soliguide--1"])
    assert split == [["dora--1", "soliguide--1"], ["dora--2"], ["unccas--1"]]
    # the visible groups are those of a world without the restricted records
    without = dedup.clusters(["dora--1", "unccas--1", "dora--2"], [])
    assert [[i for i in c if i != "soliguide--1"] for c in split] == without
    # a direct link between the visible records still joins them, the restricted one with them
    direct = [*links, ("dora--1", "unccas--1", 0.9)]
    assert dedup.clusters(ids, direct, restricted=["soliguide--1"]) == [
        ["dora--1", "soliguide--1", "unccas--1"],
        ["dora--2"],
    ]
