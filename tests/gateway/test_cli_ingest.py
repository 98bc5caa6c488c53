"""The ingestion commands as a user runs them: exit codes, one JSON document, readable reports."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from ingestion import mapping_file
from tests.gateway.cli import ROOT, gateway

FIXTURES = ROOT / "tests" / "fixtures"


def samples(slug: str) -> Path:
    """A producer's sample files and what they map to (`producers/<slug>/samples/`)."""
    return mapping_file.PRODUCERS_DIR / mapping_file.folder_name(slug) / "samples"


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A store of its own (migrated and loaded by the first command)."""
    folder = tmp_path_factory.mktemp("cli")
    return {"DATABASE_URL": f"sqlite:///{folder / 'cli.db'}"}


def test_ingest_json_is_one_document_and_rejections_still_exit_0(env: dict[str, str]) -> None:
    files = sorted(str(p) for p in samples("dora").glob("*.json") if p.name != "expected.json")
    result = gateway("ingest", "dora", *files, "--json", env=env)
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)  # exactly one JSON document on stdout
    assert {"source", "seen", "new", "changed", "unchanged", "gone", "rejected"} <= set(doc)
    assert doc["source"] == "dora" and doc["new"] > 0 and doc["rejected"] == 2
    again = json.loads(gateway("ingest", "dora", *files, "--json", env=env).stdout)
    assert again["status"] == "unchanged" and again["new"] == 0


def test_ingest_summary_for_people(env: dict[str, str]) -> None:
    result = gateway("ingest", "unccas", str(samples("unccas") / "annuaire-ccas.xlsx"), env=env)
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
        (["ingest", "dora", str(samples("cd35") / "annuaire.json")], "matches none of dora's"),
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
    page = (samples("dora") / "structures-0001.json").read_text(encoding="utf-8")
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


@pytest.mark.parametrize("slug", mapping_file.known_slugs())
def test_assess_reads_every_demo_producer(slug: str, env: dict[str, str]) -> None:
    sample = next(p for p in sorted(samples(slug).iterdir()) if p.name != "expected.json")
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
    files = [str(p) for p in samples("france-travail").glob("*.csv")]
    ok = gateway("mapping", "check", "france-travail", *files, env=env)
    assert ok.returncode == 0 and "every producer value is covered" in ok.stdout
    producers = tmp_path / "producers"
    shutil.copytree(mapping_file.PRODUCERS_DIR, producers)
    toml = mapping_file.entry_path("france-travail", producers)
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


# --- files that must not be read, and ingests that must not run at once -------------------------


def test_a_spreadsheet_bomb_is_refused_in_one_line_and_the_run_recorded(
    env: dict[str, str], tmp_path: Path
) -> None:
    from tests.ingestion.test_sheet_limits import HEADER, text_cell, xlsx

    # 1.5 KB: a cell at the far corner of the sheet (the reader would allocate 512 GiB)
    far = '<row r="1048576">' + text_cell("XFD1048576", "x") + "</row>"
    bomb = xlsx(tmp_path / "annuaire-bombe.xlsx", HEADER + far, sheet="Structures")
    result = gateway("ingest", "unccas", str(bomb), env=env)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {bomb}: sheet 'Structures' spans")
    assert "the limit is 10,000,000 cells (`cells` in [reader.limits])" in lines[0]
    runs = json.loads(gateway("runs", "unccas", "--json", env=env).stdout)
    assert runs[0]["status"] == "failed" and str(bomb) in runs[0]["error"]
    assert runs[0]["counts"] == {}


def test_utf8_rows_in_a_cp1252_export_are_refused_in_one_line(
    env: dict[str, str], tmp_path: Path
) -> None:
    # France Travail declares CP1252; a few rows written as UTF-8 would be served "BesanÃ§on"
    lines = (samples("france-travail") / "agences.csv").read_bytes().splitlines(keepends=True)
    utf8 = (
        "25001;France Travail Besançon;3 allée de l'Île-de-France;;25000;BESANÇON;25056;;;;;;;"
        "01/11/2026\r\n"
    )
    mixed = tmp_path / "agences.csv"
    mixed.write_bytes(b"".join(lines[:3]) + utf8.encode() + b"".join(lines[3:]))
    result = gateway("ingest", "france-travail", str(mixed), env=env)
    assert result.returncode == 2, result.stderr
    error = result.stderr.strip().splitlines()
    assert len(error) == 1
    assert f"{mixed}, line 4: line 4 is UTF-8" in error[0] and "BesanÃ§on" in error[0]


HOLD_HOOK = """
import os, pathlib, time

def hold(mapped, raw, kind):
    \"\"\"Once, keep the run inside its transaction until told to go on (at most 2 minutes).\"\"\"
    marker = os.environ.get("HOLD_MARKER")
    if marker and not pathlib.Path(marker).exists():
        pathlib.Path(marker).write_text("holding")
        deadline = time.monotonic() + 120
        while not pathlib.Path(marker + ".go").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
    return mapped
"""


def test_two_ingests_at_once_on_sqlite_take_turns(tmp_path: Path) -> None:
    """A second `gateway ingest` on the same SQLite file waits for the first (and says so); with
    --no-wait it stops with one line. Never a traceback."""
    import os
    import subprocess
    import sys
    import time

    producers, hooks = tmp_path / "producers", tmp_path / "hooks"
    producers.mkdir()
    hooks.mkdir()
    (hooks / "hold_hook.py").write_text(HOLD_HOOK, encoding="utf-8")
    exemple = (FIXTURES / "ingestion" / "producers" / "exemple.toml").read_text(encoding="utf-8")
    for slug, hook in (("lent", 'hook = "hold_hook:hold"\n'), ("rapide", "")):
        text = exemple.replace('slug = "exemple"', f'slug = "{slug}"')
        (producers / f"{slug}.toml").write_text(hook + text, encoding="utf-8")
    structures = str(FIXTURES / "ingestion" / "files" / "structures.csv")
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'turns.db'}",
        "GATEWAY_PRODUCERS_DIR": str(producers),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(hooks), os.environ.get("PYTHONPATH")])),
    }
    assert gateway("db", "upgrade", env=env).returncode == 0
    marker = tmp_path / "holding"

    def start(*args: str, **extra: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "gateway.cli", "ingest", *args],
            cwd=ROOT,
            env={**os.environ, **env, **extra},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    first = start("lent", structures, HOLD_MARKER=str(marker))
    second: subprocess.Popen[str] | None = None
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():  # the first run is inside its transaction, and stays there
            assert first.poll() is None, first.communicate()
            assert time.monotonic() < deadline
            time.sleep(0.05)
        second = start("rapide", structures, "--json")
        assert second.stderr is not None
        said = second.stderr.readline()  # it says it waits, and waits
        assert "waiting for it to finish" in said, said + second.stderr.read()
        assert second.poll() is None
        stopped = gateway("ingest", "rapide", structures, "--no-wait", env=env)
        assert stopped.returncode == 2
        assert stopped.stderr.strip().splitlines() == [
            f"error: another ingest is writing to this SQLite store ({tmp_path / 'turns.db'}); "
            "try again when it has finished"
        ]
        # a registry entry changed meanwhile must be written before the run: one line too
        rapide = producers / "rapide.toml"
        rapide.write_text(rapide.read_text(encoding="utf-8").replace("Exemple", "Rapide"))
        blocked = gateway("ingest", "rapide", structures, "--no-wait", env=env)
        assert blocked.returncode == 2
        assert blocked.stderr.strip().splitlines() == [
            "error: another process is writing to this SQLite store; try again when it has finished"
        ]
    finally:
        (tmp_path / "holding.go").touch()
        _first_out, first_err = first.communicate(timeout=120)
    assert first.returncode == 0, first_err
    assert second is not None
    second_out, second_err = second.communicate(timeout=120)
    assert second.returncode == 0, second_err
    assert "Traceback" not in second_err and "Traceback" not in first_err
    assert json.loads(second_out)["status"] == "succeeded"
    runs = json.loads(gateway("runs", "--json", env=env).stdout)
    assert [(r["source_slug"], r["status"]) for r in runs] == [
        ("rapide", "succeeded"),
        ("lent", "succeeded"),
    ]
