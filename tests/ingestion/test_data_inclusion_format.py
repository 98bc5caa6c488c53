"""Producers whose files are already in the data·inclusion schema: a registry entry alone,
ingested end to end on the real store (JSON, JSON Lines, CSV), and how such an entry loads."""

from __future__ import annotations

import csv
import hashlib
import itertools
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.bootstrap import sync_sources
from ingestion import mapping_file
from ingestion.check import check
from ingestion.mapping_file import MappingError
from ingestion.run import IngestError, IngestReport, ingest, plan_files
from models import ProducerRecord, Source
from store import records as record_store

_counter = itertools.count()
ENTRY = """[source]
slug = "{slug}"
nom = "Réseau d'entraide"
[reader]
format = "data-inclusion"
"""
ALIMENTATION = "equipement-et-alimentation--alimentation"
DEMARCHES = (
    "difficultes-administratives-ou-juridiques--accompagnement-aux-demarches-administratives"
)
EMPLOI = "trouver-un-emploi--repondre-a-des-offres-demploi"

# the same producer data, ids bare; lists as lists, coordinates as numbers
STRUCTURES: list[dict[str, Any]] = [
    {
        "id": "42",
        "nom": "CCAS de Rennes",
        "date_maj": "2026-09-02",
        "adresse": "12 rue de Paris",
        "code_postal": "35000",
        "commune": "Rennes",
        "code_insee": "35238",
        "latitude": 48.1118,
        "longitude": -1.6819,
        "reseaux_porteurs": ["ccas-cias"],
    },
    {
        "id": "43",
        "nom": "Épicerie solidaire",
        "date_maj": "2026-05-10",
        "code_postal": "35000",
        "commune": "Rennes",
        "code_insee": "35238",
        "reseaux_porteurs": ["ccas-cias", "mission-locale"],
    },
    {"id": "44", "date_maj": "2026-05-10", "commune": "Rennes"},  # no nom: rejected
]
SERVICES: list[dict[str, Any]] = [
    {
        "id": "7",
        "structure_id": "42",
        "nom": "Aide alimentaire",
        "description": "Colis alimentaires et bons d'achat",
        "date_maj": "2026-09-02",
        "frais": "gratuit",
        "thematiques": [ALIMENTATION, DEMARCHES],
        "publics": ["familles", "jeunes"],
        "modes_accueil": ["en-presentiel", "a-distance"],
        "zone_eligibilite": ["35238", "35"],
        "nombre_semaines": 12,
    },
    {
        "id": "8",
        "structure_id": "42",
        "nom": "Accompagnement aux démarches",
        "description": "Aide aux démarches administratives",
        "date_maj": "2026-05-10",
        "thematiques": [DEMARCHES, EMPLOI],
        "publics": ["seniors", "familles"],
    },
    {
        "id": "9",
        "structure_id": "43",
        "nom": "Épicerie",
        "description": "Produits à petit prix",
        "date_maj": "2026-05-10",
        "thematiques": [ALIMENTATION, EMPLOI],
        "publics": ["jeunes", "etudiants"],
    },
    {
        "id": "10",
        "structure_id": "43",
        "nom": "Atelier cuisine",
        "description": "Cuisiner avec peu",
        "date_maj": "2026-05-10",
        "thematiques": [ALIMENTATION, "alimentation"],  # not a value: dropped, row kept
        "publics": ["familles", "seniors"],
    },
    {
        "id": "11",
        "structure_id": "44",  # its structure was rejected: rejected too
        "nom": "Service orphelin",
        "description": "Une description",
        "date_maj": "2026-05-10",
    },
]
LISTS = ("thematiques", "publics", "modes_accueil", "zone_eligibilite", "reseaux_porteurs")
# the CSV cells of services 7, 8, 9 and 10: each list written another way
CSV_LIST_STYLES = {"7": "{a},{b}", "8": "{a}; {b}", "9": '["{a}", "{b}"]', "10": "{a}|{b}"}


def _new_producer(tmp_path: Path, entry: str = ENTRY) -> tuple[str, Path]:
    """A registry directory holding one data·inclusion entry and nothing else."""
    slug = f"di-{next(_counter)}-{tmp_path.name[-6:].lower()}"
    producers = tmp_path / "producers"
    producers.mkdir()
    (producers / f"{slug}.toml").write_text(entry.format(slug=slug), encoding="utf-8")
    return slug, producers


def _as_written(slug: str, row: dict[str, Any], prefixed: bool) -> dict[str, Any]:
    out = {"source": slug, **row}
    if prefixed:
        for key in ("id", "structure_id"):
            if key in out:
                out[key] = f"{slug}--{out[key]}"
    return out


def _write_json(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def _write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    lines = [json.dumps(row, ensure_ascii=False) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _write_csv(path: Path, rows: list[dict[str, Any]]) -> Path:
    columns = list(dict.fromkeys(k for row in rows for k in row))
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, columns)
        writer.writeheader()
        for row in rows:
            cells = {}
            for key, value in row.items():
                if isinstance(value, list):
                    style = CSV_LIST_STYLES.get(row["id"], "{a},{b}")
                    value = style.format(a=value[0], b=value[1]) if len(value) == 2 else value[0]
                cells[key] = "" if value is None else str(value)  # numbers as text too
            writer.writerow(cells)
    return path


async def _ingest(engine: AsyncEngine, slug: str, producers: Path, *files: Path) -> IngestReport:
    return await ingest(engine, slug, list(files), producers_dir=producers)


async def _stored(engine: AsyncEngine, slug: str) -> dict[tuple[str, str], Any]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(ProducerRecord).where(ProducerRecord.source_slug == slug)  # type: ignore[arg-type]
        )
        return {(r.kind, r.producer_id): r for r in rows}


async def _check_stored(engine: AsyncEngine, report: IngestReport, slug: str) -> None:
    assert report.status == "succeeded", report.as_json()
    assert dict(report.by_kind["structures"]) == {"seen": 3, "new": 2, "rejected": 1}
    assert dict(report.by_kind["services"]) == {"seen": 5, "new": 4, "rejected": 1}
    stored = await _stored(engine, slug)
    assert sorted(stored) == [
        ("service", "10"),
        ("service", "7"),
        ("service", "8"),
        ("service", "9"),
        ("structure", "42"),
        ("structure", "43"),
    ]
    ccas = stored["structure", "42"]
    assert ccas.public_id == ccas.data["id"] == f"{slug}--42"  # one prefix, never two
    assert ccas.data["source"] == slug
    assert ccas.data["nom"] == "CCAS de Rennes"
    assert (ccas.data["code_insee"], ccas.data["code_postal"]) == ("35238", "35000")
    assert ccas.data["date_maj"] == "2026-09-02" and str(ccas.date_maj) == "2026-09-02"
    assert (ccas.data["latitude"], ccas.data["longitude"]) == (48.1118, -1.6819)
    assert ccas.data["reseaux_porteurs"] == ["ccas-cias"]
    assert stored["structure", "43"].data["reseaux_porteurs"] == ["ccas-cias", "mission-locale"]
    aide = stored["service", "7"]
    assert aide.data["id"] == f"{slug}--7"
    assert aide.structure_producer_id == "42"
    assert aide.data["structure_id"] == f"{slug}--42"
    assert aide.data["thematiques"] == sorted([ALIMENTATION, DEMARCHES])
    assert aide.data["publics"] == ["familles", "jeunes"]
    assert aide.data["modes_accueil"] == ["a-distance", "en-presentiel"]
    assert aide.data["zone_eligibilite"] == ["35238", "35"]
    assert aide.data["frais"] == "gratuit" and aide.data["nombre_semaines"] == 12
    for pid, thematiques, publics in (
        ("8", [DEMARCHES, EMPLOI], ["familles", "seniors"]),
        ("9", [ALIMENTATION, EMPLOI], ["etudiants", "jeunes"]),
        ("10", [ALIMENTATION], ["familles", "seniors"]),
    ):
        data = stored["service", pid].data
        assert (data["thematiques"], data["publics"]) == (sorted(thematiques), publics), pid
        assert data["structure_id"] == f"{slug}--{stored['service', pid].structure_producer_id}"
    assert stored["service", "9"].structure_producer_id == "43"

    async with engine.connect() as conn:
        quarantined = await record_store.quarantined(conn, run_id=report.run_id)
    errors = {
        (q["kind"], q["producer_id"], q["field"]): q
        for q in quarantined
        if q["severity"] == "error"
    }
    assert set(errors) == {("structure", "44", "nom"), ("service", "11", "structure_id")}
    missing_nom = errors["structure", "44", "nom"]
    assert missing_nom["raw"]["id"] in ("44", f"{slug}--44")  # the row kept whole
    assert errors["service", "11", "structure_id"]["value"] == "44"
    warnings = [q for q in quarantined if q["severity"] == "warning"]
    enum = [q for q in warnings if q["producer_id"] == "10" and q["field"] == "thematiques"]
    assert len(enum) == 1 and "'alimentation' is not a value" in enum[0]["message"]
    assert "element dropped" in enum[0]["message"]


async def test_json_and_json_lines_with_prefixed_ids(
    store_engine: AsyncEngine, tmp_path: Path
) -> None:
    slug, producers = _new_producer(tmp_path)
    structures = _write_json(
        tmp_path / "structures.json", [_as_written(slug, r, True) for r in STRUCTURES]
    )
    services = _write_jsonl(
        tmp_path / "services.jsonl", [_as_written(slug, r, True) for r in SERVICES]
    )
    report = await _ingest(store_engine, slug, producers, services, structures)
    await _check_stored(store_engine, report, slug)
    again = await _ingest(store_engine, slug, producers, structures, services)
    assert again.status == "unchanged"


async def test_csv_with_bare_ids_text_lists_and_text_coordinates(
    store_engine: AsyncEngine, tmp_path: Path
) -> None:
    slug, producers = _new_producer(tmp_path)
    structures = _write_csv(
        tmp_path / "Export_Structures.csv", [_as_written(slug, r, False) for r in STRUCTURES]
    )
    services = _write_csv(
        tmp_path / "export-services.csv", [_as_written(slug, r, False) for r in SERVICES]
    )
    text = services.read_text(encoding="utf-8")
    for cell in (f'"{ALIMENTATION},{DEMARCHES}"', f"{DEMARCHES}; {EMPLOI}", "|"):
        assert cell in text  # each list encoding is really in the file
    assert '"[""' in text
    assert "48.1118" in structures.read_text(encoding="utf-8")
    report = await _ingest(store_engine, slug, producers, structures, services)
    await _check_stored(store_engine, report, slug)


async def test_csv_rows_rejected_or_warned_with_their_reason(
    store_engine: AsyncEngine, tmp_path: Path
) -> None:
    slug, producers = _new_producer(tmp_path)
    structures = [
        *STRUCTURES[:2],
        {"id": "45", "nom": "Date illisible", "date_maj": "bientôt"},
        {"id": "46", "nom": "Latitude illisible", "date_maj": "2026-05-10", "latitude": "nord"},
    ]
    services = [
        {**SERVICES[0], "frais": "gratuitement"},  # an invalid value of an optional enum
        {**SERVICES[1], "thematiques": '["trouver-un-emploi'},  # a broken JSON list
        {**SERVICES[2], "description": None},  # a service's description is required
    ]
    rows_s = [_as_written(slug, r, False) for r in structures]
    rows_v = [_as_written(slug, r, False) for r in services]
    files = [_write_csv(tmp_path / "structures.csv", rows_s)]
    with (tmp_path / "services.csv").open("w", encoding="utf-8", newline="") as f:
        columns = list(dict.fromkeys(k for row in rows_v for k in row))
        writer = csv.DictWriter(f, columns)
        writer.writeheader()
        for row in rows_v:
            writer.writerow(
                {
                    k: ",".join(v) if isinstance(v, list) else ("" if v is None else v)
                    for k, v in row.items()
                }
            )
    files.append(tmp_path / "services.csv")
    report = await _ingest(store_engine, slug, producers, *files)
    assert report.status == "succeeded"
    stored = await _stored(store_engine, slug)
    assert sorted(stored) == [
        ("service", "7"),
        ("service", "8"),
        ("structure", "42"),
        ("structure", "43"),
        ("structure", "46"),
    ]
    assert "latitude" not in stored["structure", "46"].data
    assert "frais" not in stored["service", "7"].data
    assert "thematiques" not in stored["service", "8"].data
    async with store_engine.connect() as conn:
        rows = await record_store.quarantined(conn, run_id=report.run_id)
    found = {(q["severity"], q["producer_id"], q["field"]): q for q in rows}
    assert "not a date" in found["error", "45", "date_maj"]["message"]
    assert found["error", "45", "date_maj"]["raw"]["nom"] == "Date illisible"
    assert found["error", "9", "description"]["raw"]["id"] == "9"
    assert "'gratuitement' is not a value" in found["warning", "7", "frais"]["message"]
    assert "not a JSON list" in found["warning", "8", "thematiques"]["message"]
    assert "nord" in found["warning", "46", "latitude"]["value"]


async def test_a_services_only_file_links_to_stored_structures(
    store_engine: AsyncEngine, tmp_path: Path
) -> None:
    slug, producers = _new_producer(tmp_path)
    structures = _write_json(tmp_path / "structures.json", STRUCTURES[:1])
    await _ingest(store_engine, slug, producers, structures)
    delta = _write_jsonl(tmp_path / "services-delta.jsonl", [_as_written(slug, SERVICES[0], True)])
    report = await ingest(store_engine, slug, [delta], producers_dir=producers)
    assert report.counts["new"] == 1, report.as_json()
    stored = await _stored(store_engine, slug)
    assert stored["service", "7"].data["structure_id"] == f"{slug}--42"


async def test_a_file_named_for_neither_kind_is_refused(
    store_engine: AsyncEngine, tmp_path: Path
) -> None:
    slug, producers = _new_producer(tmp_path)
    lieux = _write_json(tmp_path / "lieux.json", STRUCTURES)
    with pytest.raises(IngestError, match=r"matches none of .*\*structure\*"):
        await _ingest(store_engine, slug, producers, lieux)


async def test_a_file_without_a_required_column_names_it(
    store_engine: AsyncEngine, tmp_path: Path
) -> None:
    slug, producers = _new_producer(tmp_path)
    rows = [{k: v for k, v in r.items() if k != "nom"} for r in STRUCTURES]
    nameless = _write_json(tmp_path / "structures.json", rows)
    with pytest.raises(IngestError, match=r"need the schema's required column\(s\) 'nom'"):
        await _ingest(store_engine, slug, producers, nameless)
    assert not await _stored(store_engine, slug)  # a failed run changes nothing


async def test_files_patterns_and_reader_options_of_a_kind(
    store_engine: AsyncEngine, tmp_path: Path
) -> None:
    entry = ENTRY + '\n[structures]\nfiles = ["lieux*"]\ndelimiter = ";"\nformat = "csv"\n'
    slug, producers = _new_producer(tmp_path, entry)
    path = tmp_path / "lieux.dat"
    path.write_text(
        "id;nom;date_maj;latitude\n42;CCAS de Rennes;02/09/2026;48,1118\n", encoding="utf-8"
    )
    report = await _ingest(store_engine, slug, producers, path)
    assert report.counts["new"] == 1, report.as_json()
    stored = await _stored(store_engine, slug)
    assert stored["structure", "42"].data["latitude"] == 48.1118
    assert stored["structure", "42"].data["date_maj"] == "2026-09-02"


# --- the entry itself ------------------------------------------------------------------------


def test_the_entry_maps_every_schema_field_from_its_own_column(tmp_path: Path) -> None:
    slug, producers = _new_producer(tmp_path)
    producer = mapping_file.load(slug, producers)
    assert producer.source.nom == "Réseau d'entraide"
    assert producer.reader == {} and producer.value_maps == {} and producer.hook is None
    assert set(producer.kinds) == {"structures", "services"}
    services = producer.kinds["services"]
    rules = {r.target: r for r in services.fields}
    assert set(rules) == set(mapping_file.MODELS["services"].model_fields) - mapping_file.RESERVED
    assert all(r.paths == (r.target,) for r in rules.values())
    transforms = {t: [n for n, _p in r.transforms] for t, r in rules.items()}
    assert transforms["date_maj"] == ["date"]
    assert transforms["latitude"] == transforms["volume_horaire_hebdomadaire"] == ["float"]
    assert transforms["nombre_semaines"] == ["int"]
    assert transforms["thematiques"] == transforms["zone_eligibilite"] == ["list"]
    assert transforms["code_postal"] == transforms["frais"] == transforms["courriel"] == []
    assert not rules["nom"].optional and not rules["description"].optional
    assert rules["telephone"].optional
    assert services.id.transforms == (("unprefix", {"text": f"{slug}--"}),)
    assert services.structure_id is not None
    assert producer.kinds["structures"].structure_id is None


def test_data_inclusion_producer_builds_the_same_entry(tmp_path: Path) -> None:
    slug, producers = _new_producer(tmp_path)
    loaded = mapping_file.load(slug, producers)
    built = mapping_file.data_inclusion_producer(slug)
    assert built.kinds == loaded.kinds
    assert (built.source.slug, built.reader, built.value_maps) == (slug, {}, {})


def test_files_are_assigned_to_kinds_by_name_whatever_the_case(tmp_path: Path) -> None:
    producer = mapping_file.data_inclusion_producer("mon-producteur")
    names = ["STRUCTURES.CSV", "services-2026.jsonl", "export_Structure.json", "Services.xlsx"]
    paths = []
    for name in names:
        (tmp_path / name).write_text("x", encoding="utf-8")
        paths.append(tmp_path / name)
    plan = [(k.kind, p.name) for k, p in plan_files(producer, paths)]
    assert plan == [
        ("structures", "STRUCTURES.CSV"),
        ("structures", "export_Structure.json"),
        ("services", "Services.xlsx"),
        ("services", "services-2026.jsonl"),
    ]


def test_the_mapping_fingerprint_follows_the_schema_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    slug, producers = _new_producer(tmp_path)
    raw = (producers / f"{slug}.toml").read_bytes()
    first = mapping_file.load(slug, producers).sha256
    assert first != hashlib.sha256(raw).hexdigest()
    assert mapping_file.load(slug, producers).sha256 == first
    monkeypatch.setattr(mapping_file.metadata, "version", lambda _name: "99.0.0")
    assert mapping_file.load(slug, producers).sha256 != first


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ('[structures]\nid = "ID"\n', r"\[structures\]: unknown key\(s\) \['id'\]"),
        (
            '[services]\nfiles = "services*"\n[services.fields]\nnom = "Nom"\n',
            r"\[services\]: unknown key\(s\) \['fields'\]",
        ),
        ("[structures]\nfiles = 3\n", r"`files` must be a file name pattern or a list"),
        (
            '[value_maps.publics]\nenum = "Public"\n'
            '[value_maps.publics.values]\n"Tous" = "tous-publics"\n',
            r"\[value_maps\] has no use",
        ),
        ("[annexes]\nx = 1\n", r"unknown table\(s\) \['annexes'\]"),
    ],
    ids=["id", "fields", "files-type", "value-maps", "unknown-table"],
)
def test_what_a_data_inclusion_entry_refuses(tmp_path: Path, extra: str, message: str) -> None:
    slug, producers = _new_producer(tmp_path, ENTRY + extra)
    with pytest.raises(MappingError, match=message) as caught:
        mapping_file.load(slug, producers)
    assert f"{slug}.toml" in str(caught.value)


def test_the_format_belongs_in_the_reader_table(tmp_path: Path) -> None:
    entry = '[source]\nslug = "{slug}"\nnom = "X"\n[structures]\nformat = "data-inclusion"\n'
    slug, producers = _new_producer(tmp_path, entry)
    with pytest.raises(MappingError, match=r'\[structures\]: `format = "data-inclusion"` goes in'):
        mapping_file.load(slug, producers)


# --- everything that loads the registry ------------------------------------------------------


def test_mapping_check_maps_the_files(tmp_path: Path) -> None:
    slug, producers = _new_producer(tmp_path)
    structures = _write_csv(tmp_path / "structures.csv", STRUCTURES)
    services = _write_jsonl(tmp_path / "services.jsonl", SERVICES)
    report = check(slug, [structures, services], producers)
    assert report.mapping_file == str(producers / f"{slug}.toml")
    assert dict(report.records) == {"structures": 3, "services": 5}
    assert report.ok, report.as_json()


def test_mapping_check_names_a_required_column_absent_from_a_file(tmp_path: Path) -> None:
    slug, producers = _new_producer(tmp_path)
    rows = [{k: v for k, v in r.items() if k != "description"} for r in SERVICES]
    services = _write_jsonl(tmp_path / "services.jsonl", rows)
    report = check(slug, [services], producers)
    assert report.missing_paths == {f"services: {services}": ["description"]}


async def test_the_registry_sync_and_listings_take_the_entry(
    store_engine: AsyncEngine, tmp_path: Path
) -> None:
    slug, producers = _new_producer(tmp_path)
    for bundled in map(mapping_file.entry_path, mapping_file.known_slugs()):
        (producers / bundled.name).write_bytes(bundled.read_bytes())  # flat, beside the new one
    slugs = mapping_file.known_slugs(producers)
    assert slug in slugs and "dora" in slugs
    assert len(slugs) == len(mapping_file.known_slugs()) + 1
    for known in slugs:  # every entry of the directory loads
        mapping_file.load(known, producers)
    assert await sync_sources(store_engine, producers) == len(slugs)
    async with store_engine.connect() as conn:
        row = (
            await conn.execute(select(Source).where(Source.slug == slug))  # type: ignore[arg-type]
        ).one()
    assert (row.nom, row.agregateur, row.restreinte, row.date_maj_fiable) == (
        "Réseau d'entraide",
        False,
        False,
        True,
    )
