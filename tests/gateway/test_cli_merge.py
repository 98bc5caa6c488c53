"""The merge commands as a user runs them, on the worked example of the architecture guide."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.gateway.cli import ROOT, gateway

EXAMPLE = ROOT / "tests" / "fixtures" / "merge"


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("cli-merge")
    environment = {"DATABASE_URL": f"sqlite:///{folder / 'm.db'}"}
    for slug in ("dora", "emplois-de-linclusion", "soliguide"):
        files = [str(p) for p in sorted((EXAMPLE / slug).iterdir())]
        done = gateway("ingest", slug, *files, "--json", env=environment)
        assert done.returncode == 0, done.stderr
        merged = json.loads(done.stdout)["merge"]
        assert merged["created"] + merged["updated"] > 0
    return environment


def test_merge_all_changes_nothing_after_incremental_merges(env: dict[str, str]) -> None:
    doc = json.loads(gateway("merge", "--all", "--json", env=env).stdout)
    assert doc["created"] == doc["deleted"] == doc["updated"] == 0
    assert doc["unchanged"] > 0


def test_dedup_eval_against_a_truth_file(env: dict[str, str], tmp_path: Path) -> None:
    truth = tmp_path / "truth.json"
    truth.write_text(
        json.dumps(
            {
                "structures": [["dora--a1", "emplois-de-linclusion--17", "soliguide--884"]],
                "services": [],
                "not_duplicates": [["dora--a1", "dora--a2", "mairie et CCAS"]],
                "invalid": [],
            }
        ),
        encoding="utf-8",
    )
    ids = tmp_path / "ids.json"
    result = gateway(
        "dedup", "eval", "--truth", str(truth), "--json", "--save-ids", str(ids), env=env
    )
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert {"precision", "recall", "f1"} <= set(doc)
    assert doc["precision"] == 1.0 and doc["recall"] == 1.0
    saved = json.loads(ids.read_text(encoding="utf-8"))["golden_ids"]["structures"]
    assert saved["soliguide--884"] == saved["emplois-de-linclusion--17"] == "dora--a1"

    # a second run (a full re-merge) keeps every id
    assert gateway("merge", "--all", env=env).returncode == 0
    again = gateway("dedup", "eval", "--truth", str(truth), "--previous", str(ids), env=env)
    assert again.returncode == 0, again.stderr
    records = len(saved)
    assert f"id stability of structures: 1.0000 of {records} records" in again.stdout
    bad = gateway("dedup", "eval", "--truth", str(truth), "--previous", str(truth), env=env)
    assert bad.returncode == 2 and "not a file written by --save-ids" in bad.stderr


def test_dedup_eval_on_a_labelled_set_says_what_is_wrong(
    env: dict[str, str], tmp_path: Path
) -> None:
    nowhere = gateway("dedup", "eval", "--labelled", str(tmp_path / "nope"), env=env)
    assert nowhere.returncode == 2 and "no such file or folder" in nowhere.stderr
    (tmp_path / "empty").mkdir()
    empty = gateway("dedup", "eval", "--labelled", str(tmp_path / "empty"), env=env)
    assert empty.returncode == 2 and "not a labelled set" in empty.stderr
    neither = gateway("dedup", "eval", env=env)
    assert neither.returncode == 2 and "--truth" in neither.stderr


def test_link_and_unlink_with_a_reason(env: dict[str, str]) -> None:
    split = gateway(
        "unlink", "dora--a1", "emplois-de-linclusion--17", "--reason", "two offices", env=env
    )
    assert split.returncode == 0, split.stderr
    assert "split" in split.stdout
    joined = gateway(
        "link", "dora--a1", "emplois-de-linclusion--17", "--reason", "same CCAS", "--json", env=env
    )
    assert joined.returncode == 0, joined.stderr
    assert json.loads(joined.stdout)["decision"] == "same"
    missing = gateway("link", "dora--a1", "dora--nope", "--reason", "x", env=env)
    assert missing.returncode == 2 and "no producer record 'dora--nope'" in missing.stderr


def test_dedup_review_lists_pairs_or_says_none(env: dict[str, str]) -> None:
    result = gateway("dedup", "review", "--json", env=env)
    assert result.returncode == 0, result.stderr
    assert isinstance(json.loads(result.stdout), list)


def test_prune_keeps_90_days_of_tombstones(env: dict[str, str]) -> None:
    refused = gateway("prune", "--before", "2099-01-01", env=env)
    assert refused.returncode == 2 and "kept at least 90 days" in refused.stderr
    done = gateway("prune", "--before", "2000-01-01", env=env)
    assert done.returncode == 0 and done.stdout.startswith("pruned 0 tombstones")


@pytest.mark.parametrize("fmt", ["md", "json", "csv"])
def test_overlap_report(env: dict[str, str], fmt: str) -> None:
    result = gateway("report", "overlap", "emplois-de-linclusion", "--format", fmt, env=env)
    assert result.returncode == 0, result.stderr
    if fmt == "json":
        doc = json.loads(result.stdout)
        structures = doc["structures"]
        assert structures["total"] == 2 and structures["published_by_others_too"] == 1
        assert structures["shared_with"] == {"dora": 1, "soliguide": 1}
        assert "nom" in structures["disagreements"]
    elif fmt == "md":
        assert "# Cross-analysis of `emplois-de-linclusion`" in result.stdout
    else:
        assert result.stdout.startswith("kind,departement,records,published_elsewhere_too")
