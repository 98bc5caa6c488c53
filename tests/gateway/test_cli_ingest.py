"""The ingestion commands as a user runs them: exit codes, one JSON document, readable reports."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.gateway.cli import ROOT, gateway

FIXTURES = ROOT / "tests" / "fixtures"
SAMPLES = FIXTURES / "producers"


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A store of its own (migrated and loaded by the first command)."""
    folder = tmp_path_factory.mktemp("cli")
    return {"DATABASE_URL": f"sqlite:///{folder / 'cli.db'}"}


def test_ingest_json_is_one_document_and_rejections_still_exit_0(env: dict[str, str]) -> None:
    files = sorted(str(p) for p in (SAMPLES / "dora").glob("*.json") if p.name != "expected.json")
    result = gateway("ingest", "dora", *files, "--json", env=env)
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)  # exactly one JSON document on stdout
    assert {"source", "seen", "new", "changed", "unchanged", "gone", "rejected"} <= set(doc)
    assert doc["source"] == "dora" and doc["new"] > 0 and doc["rejected"] == 2
    again = json.loads(gateway("ingest", "dora", *files, "--json", env=env).stdout)
    assert again["status"] == "unchanged" and again["new"] == 0


def test_ingest_summary_for_people(env: dict[str, str]) -> None:
    result = gateway("ingest", "unccas", str(SAMPLES / "unccas" / "annuaire-ccas.xlsx"), env=env)
    assert result.returncode == 0, result.stderr
    assert "unccas: run" in result.stdout and "succeeded" in result.stdout
    assert "formula-looking cell" in result.stdout
    quarantine = gateway("quarantine", "unccas", "--severity", "warning", env=env)
    assert "formula-looking cell: never evaluated" in quarantine.stdout
    versions = gateway("versions", "unccas", "structure", "CCAS-1", env=env)
    assert versions.stdout.startswith("v1 run")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ingest", "doro", "x.json"], "error: unknown source 'doro' (did you mean 'dora'?)"),
        (["ingest", "dora", "/nonexistent/structures-1.json"], "no such file or directory"),
        (["ingest", "dora", str(SAMPLES / "cd35" / "annuaire.json")], "matches none of dora's"),
        (["mapping", "check", "doro"], "error: unknown source 'doro'"),
        (["assess", "/nonexistent.csv"], "error: "),
    ],
    ids=["unknown-source", "missing-file", "wrong-file", "check-unknown", "assess-missing"],
)
def test_failures_exit_non_zero_with_one_line(
    args: list[str], message: str, env: dict[str, str]
) -> None:
    result = gateway(*args, env=env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr


def test_a_truncated_json_page_is_named(env: dict[str, str], tmp_path: Path) -> None:
    page = (SAMPLES / "dora" / "structures-0001.json").read_text(encoding="utf-8")
    broken = tmp_path / "structures-0009.json"
    broken.write_text(page[: len(page) // 2], encoding="utf-8")
    result = gateway("ingest", "dora", str(broken), env=env)
    assert result.returncode == 2
    assert "structures-0009.json" in result.stderr and "JSON" in result.stderr


def test_invalid_xml_is_named(env: dict[str, str], tmp_path: Path) -> None:
    broken = tmp_path / "formations.xml"
    broken.write_text("<lheo><offres><organisme numero='1'></offres>", encoding="utf-8")
    result = gateway("ingest", "carif-oref", str(broken), env=env)
    assert result.returncode == 2
    assert "formations.xml" in result.stderr and "line 1" in result.stderr


@pytest.mark.parametrize("slug", sorted(p.name for p in SAMPLES.iterdir() if p.is_dir()))
def test_assess_reads_every_demo_producer(slug: str, env: dict[str, str]) -> None:
    sample = next(p for p in sorted((SAMPLES / slug).iterdir()) if p.name != "expected.json")
    extra = ["--header-row", "1"] if sample.suffix == ".xlsx" else []
    if slug == "carif-oref":
        extra = ["--records-path", "offres/organisme"]
    result = gateway("assess", str(sample), "--json", *extra, env=env)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["rows"] > 0 and report["columns"]
    text = gateway("assess", str(sample), *extra, env=env).stdout
    assert "Phase 0 questions" in text


def test_mapping_check_exit_status(env: dict[str, str], tmp_path: Path) -> None:
    files = [str(p) for p in (SAMPLES / "france-travail").glob("*.csv")]
    ok = gateway("mapping", "check", "france-travail", *files, env=env)
    assert ok.returncode == 0 and "every producer value is covered" in ok.stdout
    producers = tmp_path / "producers"
    shutil.copytree(ROOT / "ingestion" / "producers", producers)
    toml = producers / "france-travail.toml"
    text = toml.read_text(encoding="utf-8")
    assert '"Tous publics" = "tous-publics"' in text
    toml.write_text(text.replace('"Tous publics" = "tous-publics"\n', ""), encoding="utf-8")
    env2 = {**env, "GATEWAY_PRODUCERS_DIR": str(producers)}
    gap = gateway("mapping", "check", "france-travail", *files, "--json", env=env2)
    assert gap.returncode == 0  # uncovered values are a report, not a failure
    doc = json.loads(gap.stdout)
    assert doc["unmapped_values"] == [
        {"value_map": "ft_publics", "value": "Tous publics", "count": 3}
    ]
    assert doc["ok"] is False
