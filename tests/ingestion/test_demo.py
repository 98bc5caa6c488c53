"""The demo producer files: deterministic, laid out as documented, parseable, realistic, traps."""

from __future__ import annotations

import csv
import hashlib
import json
import re
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from data_inclusion.schema import v1

from demo import GROUND_TRUTH, SLUGS, generate
from demo.catalogue import UNCCAS_LABELS
from store.territory_file import read

TODAY = date(2026, 11, 1)
LHEO = "{http://www.lheo.org/2.2}"

DORA_STRUCTURE = {
    "id",
    "siret",
    "nom",
    "commune",
    "code_postal",
    "code_insee",
    "adresse",
    "complement_adresse",
    "longitude",
    "latitude",
    "telephone",
    "courriel",
    "site_web",
    "description",
    "horaires_accueil",
    "lien_source",
    "date_maj",
    "typologie",
    "labels_nationaux",
}
DORA_SERVICE = {
    "id",
    "structure_id",
    "nom",
    "presentation_resume",
    "presentation_detail",
    "thematiques",
    "types",
    "frais",
    "frais_autres",
    "profils",
    "modes_accueil",
    "modes_orientation_beneficiaire",
    "modes_orientation_accompagnateur",
    "zone_diffusion_type",
    "zone_diffusion_code",
    "lien_source",
    "date_maj",
}
EMPLOIS = {
    "id",
    "kind",
    "siret",
    "name",
    "address_line_1",
    "address_line_2",
    "post_code",
    "city",
    "department",
    "phone",
    "email",
    "website",
    "description",
    "updated_at",
    "latitude",
    "longitude",
}
SOLIGUIDE_SERVICE = {
    "serviceObjectId",
    "categorie",
    "description",
    "modalities",
    "publics",
    "updatedAt",
}
FT_AGENCES = [
    "Code agence",
    "Libellé agence",
    "Adresse",
    "Complément",
    "Code postal",
    "Commune",
    "Code INSEE",
    "Téléphone",
    "Courriel",
    "Horaires d'ouverture",
    "SIRET",
    "Latitude",
    "Longitude",
    "Date d'export",
]
FT_SERVICES = [
    "Code service",
    "Code agence",
    "Intitulé",
    "Description",
    "Thématique",
    "Public",
    "Date d'export",
]
CD35 = {
    "OBJECTID",
    "ORG_NOM",
    "ORG_SIGLE",
    "ORG_ADRES",
    "ORG_CP",
    "ORG_VILLE",
    "ORG_INSEE",
    "ORG_TEL",
    "ORG_MAIL",
    "ORG_WEB",
    "ORG_DESC",
    "ORG_HORAIRE",
    "THEMATIQUE",
    "DATE_MAJ",
}
UNCCAS = [
    "Identifiant",
    "Nom de la structure",
    "SIRET",
    "Adresse",
    "CP",
    "Ville",
    "Tél.",
    "Mél",
    "Horaires",
    "Mis à jour le",
    "Services proposés",
]
SUFFIXES = {label.casefold(): suffix for label, (suffix, _) in UNCCAS_LABELS.items()}
REASONS = {
    "nom-manquant",
    "nom-trop-court",
    "courriel-invalide",
    "siret-invalide",
    "date-future",
    "date-avant-2000",
    "code-postal-4-chiffres",
    "structure-absente",
    "description-trop-courte",
    "id-en-double",
    "thematique-inconnue",
}


def luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


@dataclass
class Record:
    """What the tests check of one structure record, in every producer's shape."""

    pid: str
    nom: Any
    siret: str | None
    postcode: str | None
    insee: str | None
    commune: str | None
    updated: date | None
    services: list[str] = field(default_factory=list)


@dataclass
class Demo:
    out: Path
    summary: dict[str, Any]
    truth: dict[str, Any]
    structures: dict[str, Record]
    services: dict[str, dict[str, Any]]  # public id -> {"structure": public id or None, ...}
    raw: dict[str, Any]


def _paris(text: str) -> date:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).date()


def _parse(out: Path) -> Demo:
    structures: dict[str, Record] = {}
    services: dict[str, dict[str, Any]] = {}
    raw: dict[str, Any] = {}

    # dora
    pages = sorted((out / "dora").glob("structures-*.json"))
    dora_s = [json.loads(p.read_text("utf-8")) for p in pages]
    dora_v = [
        json.loads(p.read_text("utf-8")) for p in sorted((out / "dora").glob("services-*.json"))
    ]
    raw["dora"] = (dora_s, dora_v)
    for page in dora_s:
        for r in page["results"]:
            structures[f"dora--{r['id']}"] = Record(
                f"dora--{r['id']}",
                r["nom"],
                r["siret"],
                r["code_postal"],
                r["code_insee"],
                r["commune"],
                _paris(r["date_maj"]),
            )
    for page in dora_v:
        for r in page["results"]:
            services.setdefault(
                f"dora--{r['id']}",
                {"structure": f"dora--{r['structure_id']}", "date": _paris(r["date_maj"])},
            )

    # emplois
    emplois = json.loads((out / "emplois-de-linclusion/structures.json").read_text("utf-8"))
    raw["emplois"] = emplois
    for r in emplois:
        pid = f"emplois-de-linclusion--{r['id']}"
        structures[pid] = Record(
            pid, r["name"], r["siret"], r["post_code"], None, r["city"], _paris(r["updated_at"])
        )

    # soliguide
    soli = json.loads((out / "soliguide/lieux.json").read_text("utf-8"))
    raw["soliguide"] = soli
    for p in soli["places"]:
        pid = f"soliguide--{p['lieu_id']}"
        pos = p["position"]
        structures[pid] = Record(
            pid,
            p["name"],
            None,
            pos["postalCode"],
            pos.get("cityCode"),
            pos["city"],
            _paris(p["updatedAt"]),
        )
        for sv in p["services_all"]:
            services[f"soliguide--{sv['serviceObjectId']}"] = {
                "structure": pid,
                "date": _paris(sv["updatedAt"]),
            }

    # france-travail
    with (out / "france-travail/agences.csv").open(encoding="cp1252", newline="") as f:
        agences = list(csv.reader(f, delimiter=";"))
    with (out / "france-travail/services.csv").open(encoding="cp1252", newline="") as f:
        ft_services = list(csv.reader(f, delimiter=";"))
    raw["france-travail"] = (agences, ft_services)
    for row in agences[1:]:
        r = dict(zip(agences[0], row, strict=True))
        pid = f"france-travail--{r['Code agence']}"
        structures[pid] = Record(
            pid,
            r["Libellé agence"],
            r["SIRET"] or None,
            r["Code postal"],
            r["Code INSEE"],
            r["Commune"],
            datetime.strptime(r["Date d'export"], "%d/%m/%Y").date(),
        )
    for row in ft_services[1:]:
        r = dict(zip(ft_services[0], row, strict=True))
        services[f"france-travail--{r['Code service']}"] = {
            "structure": f"france-travail--{r['Code agence']}",
            "date": None,
        }

    # carif-oref
    root = ET.parse(out / "carif-oref/formations.xml").getroot()
    raw["carif-oref"] = root
    for o in root.iter(f"{LHEO}organisme"):
        pid = f"carif-oref--{o.get('numero')}"
        a = o.find(f"{LHEO}coordonnees/{LHEO}adresse")
        assert a is not None
        structures[pid] = Record(
            pid,
            o.findtext(f"{LHEO}raison-sociale"),
            o.findtext(f"{LHEO}SIRET"),
            a.findtext(f"{LHEO}codepostal"),
            a.findtext(f"{LHEO}code-INSEE-commune"),
            a.findtext(f"{LHEO}ville"),
            datetime.strptime(o.findtext(f"{LHEO}date-maj") or "", "%Y%m%d").date(),
        )
    for fo in root.iter(f"{LHEO}formation"):
        services[f"carif-oref--{fo.get('numero')}"] = {
            "structure": f"carif-oref--{fo.get('organisme')}",
            "date": datetime.strptime(fo.findtext(f"{LHEO}date-maj") or "", "%Y%m%d").date(),
        }

    # cd35
    cd35 = json.loads((out / "cd35/annuaire.json").read_text("utf-8"))
    raw["cd35"] = cd35
    for feat in cd35["features"]:
        a = feat["attributes"]
        pid = f"cd35--{a['OBJECTID']}"
        when = datetime.fromtimestamp(a["DATE_MAJ"] / 1000, tz=UTC).date()
        structures[pid] = Record(
            pid, a["ORG_NOM"], None, a["ORG_CP"], a["ORG_INSEE"], a["ORG_VILLE"], when
        )

    # unccas
    wb = openpyxl.load_workbook(out / "unccas/annuaire-ccas.xlsx")
    raw["unccas"] = wb
    rows = list(wb["Structures"].iter_rows(values_only=True))
    for row in rows[2:]:
        r = dict(zip(UNCCAS, row, strict=True))
        pid = f"unccas--{r['Identifiant']}"
        when = r["Mis à jour le"]
        when = (
            when.date()
            if isinstance(when, datetime)
            else datetime.strptime(when, "%d/%m/%Y").date()
        )
        siret = None if r["SIRET"] in (None, "") else str(r["SIRET"])
        structures[pid] = Record(
            pid, r["Nom de la structure"], siret, str(r["CP"]), None, r["Ville"], when
        )
        for label in (r["Services proposés"] or "").split(";"):
            if label.strip():
                suffix = SUFFIXES[label.strip().casefold()]
                services[f"{pid}-{suffix}"] = {"structure": pid, "date": None}

    truth = json.loads((out / GROUND_TRUTH).read_text("utf-8"))
    return Demo(out, {}, truth, structures, services, raw)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    out = tmp_path_factory.mktemp("demo") / "out"
    calls: list[tuple[str, int]] = []
    summary = generate(out, scale=1, seed=0, progress=lambda slug, n: calls.append((slug, n)))
    parsed = _parse(out)
    parsed.summary = summary
    parsed.summary["_progress"] = calls
    return parsed


def _hashes(out: Path) -> dict[str, str]:
    return {
        str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(out.rglob("*"))
        if p.is_file()
    }


def _invalid(demo: Demo) -> dict[str, set[str]]:
    by_id: dict[str, set[str]] = {}
    for pid, reason in demo.truth["invalid"]:
        by_id.setdefault(pid, set()).add(reason)
    return by_id


# -- layout, determinism, refusal -----------------------------------------------------------
def test_layout_is_one_folder_per_producer_and_the_ground_truth(demo: Demo) -> None:
    entries = sorted(p.name for p in demo.out.iterdir())
    assert entries == sorted([*SLUGS, GROUND_TRUTH])
    listed = {f for p in demo.summary["producers"].values() for f in p["files"]}
    on_disk = {k for k in _hashes(demo.out) if k != GROUND_TRUTH}
    assert listed == on_disk
    assert set(demo.summary["producers"]) == set(SLUGS)
    assert {slug for slug, _ in demo.summary["_progress"]} == set(SLUGS)


def test_same_seed_same_bytes_and_previous_output_is_overwritten(demo: Demo) -> None:
    before = _hashes(demo.out)
    stale = demo.out / "dora" / "services-0099.json"  # a page from a bigger earlier run
    stale.write_text("{}")
    again = generate(demo.out, scale=1, seed=0)
    assert _hashes(demo.out) == before
    assert again["producers"] == {k: v for k, v in demo.summary["producers"].items()}
    assert again["entities"] == demo.summary["entities"]


def test_another_seed_gives_other_data(tmp_path: Path) -> None:
    a = generate(tmp_path / "a", scale=1, seed=1)
    b = _hashes(tmp_path / "a")
    assert a["seed"] == 1
    assert b["cd35/annuaire.json"] != ""
    assert json.loads((tmp_path / "a" / GROUND_TRUTH).read_text())["seed"] == 1


def test_refuses_a_folder_holding_something_else(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match=r"notes\.txt"):
        generate(tmp_path, scale=1)
    assert (tmp_path / "notes.txt").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]

    other = tmp_path / "other"
    (other / "dora").mkdir(parents=True)
    (other / "dora" / "my-export.json").write_text("{}")
    with pytest.raises(ValueError, match=r"my-export\.json"):
        generate(other, scale=1)
    assert (other / "dora" / "my-export.json").exists()


def test_refuses_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        generate(tmp_path / "x", scale=0)
    with pytest.raises(ValueError):
        generate(tmp_path / "x", scale=1, seed="0")  # type: ignore[arg-type]


# -- volumes and overlaps -------------------------------------------------------------------
def test_counts_at_scale_one(demo: Demo) -> None:
    p = demo.summary["producers"]
    structures = sum(v["structures"] for v in p.values())
    services = sum(v["services"] for v in p.values())
    assert 900 <= structures <= 1200
    assert 2500 <= services <= 3400
    assert 600 <= demo.summary["entities"]["structures"] <= 700
    assert p["emplois-de-linclusion"]["services"] == 0 and p["cd35"]["services"] == 0
    assert p["cd35"]["structures"] >= 55  # Ille-et-Vilaine has enough structures
    assert p["france-travail"]["structures"] >= 25
    assert p["carif-oref"]["structures"] >= 25
    assert p["unccas"]["structures"] >= 80
    for slug, v in p.items():
        assert v["structures"] > 0, slug
    # the counts match the files
    assert len(demo.structures) == structures
    assert len(demo.services) == services - 1  # the one duplicated dora service id


def test_overlaps_between_producers(demo: Demo) -> None:
    clusters = demo.truth["structures"]
    multi = [c for c in clusters if len({pid.split("--")[0] for pid in c}) >= 2]
    assert len(multi) >= 150
    sizes = Counter(len(c) for c in multi)
    assert sizes[3] >= 10 and sizes[4] >= 1
    assert len(demo.truth["services"]) >= 150
    for c in clusters:
        assert all(pid in demo.structures for pid in c)
        assert len({pid.split("--")[0] for pid in c}) == len(c)  # one record per producer
    for c in demo.truth["services"]:
        assert len(c) >= 2
        for pid in c:
            assert pid in demo.services, pid
    seen = [pid for c in clusters for pid in c]
    assert len(seen) == len(set(seen))


def test_traps_that_are_not_duplicates(demo: Demo) -> None:
    pairs = demo.truth["not_duplicates"]
    reasons = Counter(r for _, _, r in pairs)
    assert any("mairie" in r for r in reasons) and any("SIRET" in r for r in reasons)
    cluster_of = {pid: i for i, c in enumerate(demo.truth["structures"]) for pid in c}
    for a, b, reason in pairs:
        assert a in demo.structures and b in demo.structures
        assert cluster_of.get(a, a) != cluster_of.get(b, b)
        if "SIRET" in reason:
            assert demo.structures[a].siret == demo.structures[b].siret
            assert demo.structures[a].insee != demo.structures[b].insee or (
                demo.structures[a].postcode != demo.structures[b].postcode
            )


# -- each producer's shape ------------------------------------------------------------------
def test_dora_pages(demo: Demo) -> None:
    dora_s, dora_v = demo.raw["dora"]
    for pages, name, fields in (
        (dora_s, "structures", DORA_STRUCTURE),
        (dora_v, "services", DORA_SERVICE),
    ):
        total = sum(len(p["results"]) for p in pages)
        for i, page in enumerate(pages, 1):
            assert page["count"] == total
            assert len(page["results"]) <= 500
            expected = None if i == len(pages) else f"https://api.dora.example/{name}/?page={i + 1}"
            assert page["next"] == expected
            for r in page["results"]:
                assert set(r) == fields
    assert len(dora_v) >= 2  # several pages of services at scale 1
    osm = re.compile(r"(Mo|Tu|We|Th|Fr|Sa|Su)([-,](Mo|Tu|We|Th|Fr|Sa|Su))* \d\d:\d\d-\d\d:\d\d")
    for page in dora_s:
        for r in page["results"]:
            for rule in (r["horaires_accueil"] or "Mo 09:00-12:00").split("; "):
                assert osm.match(rule), r["horaires_accueil"]
    thematiques = {t.value for t in v1.Thematique}
    invalid = _invalid(demo)
    for page in dora_v:
        for r in page["results"]:
            unknown = [t for t in r["thematiques"] if t not in thematiques]
            if unknown:
                assert "thematique-inconnue" in invalid[f"dora--{r['id']}"]
            assert set(r["profils"]) <= {p.value for p in v1.Public}
            assert set(r["types"]) <= {t.value for t in v1.TypeService}
            assert set(r["frais"]) <= {f.value for f in v1.Frais}
            assert set(r["modes_accueil"]) <= {m.value for m in v1.ModeAccueil}
            assert r["zone_diffusion_type"] in (None, "commune", "departement", "epci", "pays")


def test_emplois_shape(demo: Demo) -> None:
    kinds = {
        "ACI",
        "EI",
        "ETTI",
        "AI",
        "EITI",
        "GEIQ",
        "PE",
        "ML",
        "CAP_EMPLOI",
        "DEPT",
        "CCAS",
        "OTHER",
    }
    for r in demo.raw["emplois"]:
        assert set(r) == EMPLOIS
        assert isinstance(r["id"], int) and r["kind"] in kinds
        assert r["siret"]  # every emplois structure has a SIRET


def test_soliguide_shape(demo: Demo) -> None:
    soli = demo.raw["soliguide"]
    assert soli["nbResults"] == len(soli["places"])
    for p in soli["places"]:
        assert isinstance(p["lieu_id"], int)
        assert {
            "lieu_id",
            "name",
            "description",
            "entity",
            "position",
            "updatedAt",
            "services_all",
        } <= set(p)
        lon, lat = p["position"]["location"]["coordinates"]
        assert -65 < lon < 60 and -25 < lat < 52
        assert p["services_all"]
        for sv in p["services_all"]:
            assert set(sv) >= SOLIGUIDE_SERVICE
            assert re.fullmatch(r"[0-9a-f]{24}", sv["serviceObjectId"])
            assert isinstance(sv["categorie"], int)
            assert sv["description"].startswith("<p>")
    codes = [p["position"].get("cityCode") for p in soli["places"]]
    assert None in codes  # some places lack the INSEE code


def test_france_travail_csv(demo: Demo) -> None:
    agences, services = demo.raw["france-travail"]
    assert agences[0] == FT_AGENCES and services[0] == FT_SERVICES
    raw = (demo.out / "france-travail/agences.csv").read_bytes()
    assert b"\r\n" in raw and b"\xe9" in raw  # CRLF, CP1252 "é"
    for row in agences[1:]:
        assert row[-1] == "01/11/2026"
        assert re.fullmatch(r"-?\d+,\d{4}", row[11]) and re.fullmatch(r"-?\d+,\d{4}", row[12])
    themes = {t for row in services[1:] for t in row[4].split("|")}
    assert "Trouver un emploi" in themes and "Se former" in themes


def test_carif_oref_xml(demo: Demo) -> None:
    root = demo.raw["carif-oref"]
    assert root.tag == f"{LHEO}lheo"
    formacodes = {
        f.findtext(f"{LHEO}domaine-formation/{LHEO}code-FORMACODE")
        for f in root.iter(f"{LHEO}formation")
    }
    assert formacodes <= {"15235", "15254", "15040", "15043"} and "15235" in formacodes
    for o in root.iter(f"{LHEO}organisme"):
        assert re.fullmatch(r"OF_\d+", o.get("numero") or "")
    for f in root.iter(f"{LHEO}formation"):
        assert f.findtext(f"{LHEO}modalites-enseignement") in ("0", "1", "2")
        assert f.find(f"{LHEO}extras/{LHEO}extra").get("info") == "gratuit"  # type: ignore[union-attr]


def test_cd35_featureserver(demo: Demo) -> None:
    doc = demo.raw["cd35"]
    assert doc["objectIdFieldName"] == "OBJECTID" and doc["spatialReference"] == {"wkid": 4326}
    assert {f["name"] for f in doc["fields"]} == CD35
    for feat in doc["features"]:
        assert set(feat["attributes"]) == CD35
        assert isinstance(feat["attributes"]["DATE_MAJ"], int)
        assert set(feat["geometry"]) == {"x", "y"}
        insee = feat["attributes"]["ORG_INSEE"]
        assert insee is None or insee.startswith("35")
        tel = feat["attributes"]["ORG_TEL"]
        assert tel is None or re.fullmatch(r"0[267]( \d\d){4}", tel)  # Brittany area code, mobiles


def test_unccas_spreadsheet(demo: Demo) -> None:
    wb = demo.raw["unccas"]
    assert wb.sheetnames == ["Structures", "Lisez-moi"]
    rows = list(wb["Structures"].iter_rows(values_only=True))
    assert rows[0][0].startswith("Annuaire des CCAS et CIAS")
    assert list(rows[1]) == UNCCAS
    data = rows[2:]
    assert any(str(r[7]).startswith("=HYPERLINK(") for r in data)
    assert any(isinstance(r[1], str) and r[1] != r[1].strip() for r in data)
    assert any(isinstance(r[9], datetime) for r in data) and any(
        isinstance(r[9], str) for r in data
    )
    assert any(isinstance(r[4], int) for r in data) and any(isinstance(r[2], int) for r in data)
    assert all(re.fullmatch(r"CCAS-\d+", r[0]) for r in data)
    labels = {x.strip() for r in data if r[10] for x in r[10].split(";")}
    assert "Aide alimentaire" in labels


# -- values ---------------------------------------------------------------------------------
def test_sirets_meant_valid_pass_luhn(demo: Demo) -> None:
    invalid = _invalid(demo)
    checked = 0
    for pid, r in demo.structures.items():
        if r.siret is None or "siret-invalide" in invalid.get(pid, set()):
            continue
        assert re.fullmatch(r"\d{14}", r.siret), (pid, r.siret)
        assert luhn(r.siret) and luhn(r.siret[:9]), (pid, r.siret)
        checked += 1
    assert checked > 250
    with_siret = sum(1 for r in demo.structures.values() if r.siret)
    assert 0.25 <= with_siret / len(demo.structures) <= 0.45


def test_places_exist_in_the_territory_file(demo: Demo) -> None:
    t = read()
    codes = {c["code"] for c in t.communes} | {a[0] for a in t.aliases}
    postcodes = {cp for c in t.communes for cp in c["codesPostaux"]}
    names = {c["nom"].casefold() for c in t.communes} | {a[2].casefold() for a in t.aliases}
    invalid = _invalid(demo)
    for pid, r in demo.structures.items():
        if r.insee is not None:
            assert r.insee in codes, (pid, r.insee)
        if "code-postal-4-chiffres" not in invalid.get(pid, set()):
            assert r.postcode in postcodes, (pid, r.postcode)
        else:
            assert r.postcode and len(r.postcode) == 4
        assert r.commune and " ".join(r.commune.split()).casefold() in names, (pid, r.commune)


def test_dates_are_past_and_recent_unless_flagged(demo: Demo) -> None:
    invalid = _invalid(demo)
    for pid, item in [
        *((p, r.updated) for p, r in demo.structures.items()),
        *((p, s["date"]) for p, s in demo.services.items()),
    ]:
        if item is None:
            continue
        reasons = invalid.get(pid, set())
        if "date-future" in reasons:
            assert item > TODAY
        elif "date-avant-2000" in reasons:
            assert item < date(2000, 1, 1)
        else:
            assert date(2020, 1, 1) <= item <= TODAY, (pid, item)
    cd35 = [r.updated for p, r in demo.structures.items() if p.startswith("cd35--")]
    assert sum(1 for d in cd35 if d and d.year <= 2025) > len(cd35) * 0.9  # a stale producer


def test_invalid_sprinkle(demo: Demo) -> None:
    invalid = demo.truth["invalid"]
    reasons = Counter(r for _, r in invalid)
    assert set(reasons) >= REASONS
    assert reasons["id-en-double"] == 1
    for slug, v in demo.summary["producers"].items():
        flagged = [pid for pid, _ in invalid if pid.startswith(f"{slug}--")]
        assert len(flagged) == v["invalid"]
        assert 0.005 <= v["invalid"] / (v["structures"] + v["services"]) <= 0.06, slug
    # the flags describe what is really in the files
    by_id = _invalid(demo)
    for pid, rs in by_id.items():
        if "structure-absente" in rs:
            assert demo.services[pid]["structure"] not in demo.structures
        if "nom-manquant" in rs:
            assert not demo.structures[pid].nom
        if "nom-trop-court" in rs:
            assert len(demo.structures[pid].nom) == 2
    _, dora_v = demo.raw["dora"]
    ids = Counter(r["id"] for page in dora_v for r in page["results"])
    assert [k for k, n in ids.items() if n > 1] == [
        pid.split("--", 1)[1] for pid, r in invalid if r == "id-en-double"
    ]
    # services of the known structures point at them
    orphans = [
        pid
        for pid, s in demo.services.items()
        if s["structure"] not in demo.structures
        and "structure-absente" not in by_id.get(pid, set())
    ]
    assert orphans == []
