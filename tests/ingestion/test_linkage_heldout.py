"""Duplicate detection on data the project did not write (data/linkage-dev.tar.xz), held out.

Each département fold is scored by models learnt on the other folds (and the demo, as the shipped
models are): no figure here comes from records a model was fitted on. The bars are the targets
the merge must keep; `gateway dedup eval --labelled data/linkage-dev.tar.xz` prints the figures.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ingestion import dedup_eval, dedup_train, match_model

LABELLED = Path(__file__).parents[2] / "data" / "linkage-dev.tar.xz"


@pytest.fixture(scope="module")
def labelled() -> dedup_eval.Labelled:
    return dedup_eval.load_labelled(LABELLED)


@pytest.fixture(scope="module")
def report(labelled: dedup_eval.Labelled, tmp_path_factory: pytest.TempPathFactory) -> Any:
    demo = dedup_train.demo_set(tmp_path_factory.mktemp("demo"))
    return dedup_eval.cross_validate(labelled, also=[demo])


def test_every_row_of_the_producers_files_is_read(labelled: dedup_eval.Labelled) -> None:
    # files in the data·inclusion format, read with a registry entry alone: nothing rejected
    assert (len(labelled.structures), len(labelled.services)) == (1829 + 1108 + 958 + 293, 7352)
    assert {m.data["code_insee"] for m in labelled.structures} >= {"75111", "69381", "13201"}


def test_structures_held_out(report: Any) -> None:
    s = report["structures"]
    assert s["precision"] >= 0.98 and s["recall"] >= 0.93, s


def test_services_held_out(report: Any) -> None:
    s = report["services"]
    assert s["precision"] >= 0.97 and s["recall"] >= 0.90, s


@pytest.mark.parametrize("kind", ["structures", "services"])
def test_no_hard_negative_category_is_linked_above_2_percent(report: Any, kind: str) -> None:
    linked = report[kind]["hard_negatives_linked"]
    assert linked and all(h["share"] <= 0.02 for h in linked.values()), linked


def test_recall_by_difficulty(report: Any) -> None:
    tags = {t: v["recall"] for t, v in report["structures"]["recall_by_tag"].items()}
    assert tags["arrondissement-vs-commune-code"] >= 0.9
    assert tags["head-office-siret"] >= 0.9
    assert tags["renamed-network"] >= 0.9
    assert tags["siret-missing"] >= 0.9
    # establishments that moved (a stale producer keeps the old address and SIRET): found when
    # the name and a contact of their own remain; the target is 0.6
    assert tags["moved-establishment"] >= 0.45


def test_the_shipped_models_are_what_the_recipe_learns(tmp_path: Path) -> None:
    learnt = dedup_train.train_shipped(LABELLED, tmp_path)
    shipped = json.loads(match_model.MODEL_PATH.read_text(encoding="utf-8"))
    for kind in match_model.KINDS:
        assert shipped[kind]["weights"].keys() == learnt[kind]["weights"].keys()
        for term, weight in learnt[kind]["weights"].items():
            assert shipped[kind]["weights"][term] == pytest.approx(weight, abs=1e-3), term
        assert shipped[kind]["bias"] == pytest.approx(learnt[kind]["bias"], abs=1e-3)
