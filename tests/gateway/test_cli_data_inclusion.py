"""A producer in the data·inclusion format on the command line: a registry entry alone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.gateway.cli import gateway

ENTRY = """[source]
slug = "mon-producteur"
nom = "Mon producteur"
[reader]
format = "data-inclusion"
"""
STRUCTURES = [
    {"id": "mon-producteur--1", "nom": "CCAS de Rennes", "date_maj": "2026-09-02"},
    {"id": "2", "nom": "Épicerie solidaire", "date_maj": "2026-05-10"},
]
SERVICES_CSV = (
    "id,structure_id,nom,description,date_maj,thematiques\n"
    '10,1,Aide alimentaire,Colis,2026-09-02,"[""equipement-et-alimentation--alimentation""]"\n'
    "11,mon-producteur--2,Épicerie,Petits prix,10/05/2026,"
    "equipement-et-alimentation--alimentation|trouver-un-emploi--repondre-a-des-offres-demploi\n"
)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    producers = tmp_path / "producers"
    producers.mkdir()
    (producers / "mon-producteur.toml").write_text(ENTRY, encoding="utf-8")
    return {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "GATEWAY_PRODUCERS_DIR": str(producers),
    }


@pytest.fixture
def files(tmp_path: Path) -> list[str]:
    structures = tmp_path / "structures.json"
    structures.write_text(json.dumps(STRUCTURES, ensure_ascii=False), encoding="utf-8")
    services = tmp_path / "services.csv"
    services.write_text(SERVICES_CSV, encoding="utf-8")
    return [str(structures), str(services)]


def test_mapping_check_and_ingest(env: dict[str, str], files: list[str]) -> None:
    checked = gateway("mapping", "check", "mon-producteur", *files, "--json", env=env)
    assert checked.returncode == 0, checked.stderr
    doc = json.loads(checked.stdout)
    assert doc["records"] == {"structures": 2, "services": 2}
    assert doc["ok"] is True and doc["paths_never_present"] == {}
    assert doc["mapping_file"] == str(Path(env["GATEWAY_PRODUCERS_DIR"]) / "mon-producteur.toml")

    ingested = gateway("ingest", "mon-producteur", *files, "--json", env=env)
    assert ingested.returncode == 0, ingested.stderr
    report = json.loads(ingested.stdout)
    assert (report["status"], report["new"], report["rejected"]) == ("succeeded", 4, 0)
    versions = gateway("versions", "mon-producteur", "service", "11", "--json", env=env)
    assert versions.returncode == 0, versions.stderr
    data = json.loads(versions.stdout)[0]["data"]
    assert (data["id"], data["structure_id"]) == ("mon-producteur--11", "mon-producteur--2")
    assert data["date_maj"] == "2026-05-10"
    assert len(data["thematiques"]) == 2


def test_an_unknown_key_is_one_line_naming_it(env: dict[str, str], files: list[str]) -> None:
    toml = Path(env["GATEWAY_PRODUCERS_DIR"]) / "mon-producteur.toml"
    toml.write_text(ENTRY + '[structures]\nid = "ID"\n', encoding="utf-8")
    result = gateway("mapping", "check", "mon-producteur", *files, env=env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "mon-producteur.toml [structures]: unknown key(s) ['id']" in lines[0]
