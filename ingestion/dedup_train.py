"""Learn the duplicate models (`rules/match-model.json`) from labelled records.

Structures: every pair sharing a blocking key is compared (`dedup.compare`). Services: the
pairs the merge compares (`dedup.service_pairs`) within the true structure clusters. Their
levels become terms (`match_model.TERMS`), and a logistic regression with a small L2 penalty
(Newton's method) fits one weight per term. Name frequencies are counted over the records.
numpy is needed here only (the `train` extra); scoring reads the weights with plain Python.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ingestion import dedup, match_model
from ingestion.members import Member

L2 = 1.0  # the penalty keeps weights of rare terms near 0 (a level seen twice says little)


def _entities(clusters: Iterable[Iterable[str]]) -> dict[str, int]:
    return {i: n for n, cluster in enumerate(clusters) for i in cluster}


def structure_pairs(
    members: Sequence[Member], truth_clusters: Iterable[Iterable[str]]
) -> tuple[list[dict[str, float]], list[bool], Counter[str]]:
    """(terms, is-a-match) of every blocked structure pair the model will score, and the name
    counts; pairs of different kinds of structure are left out (never linked)."""
    feats = [dedup.features(m) for m in members]
    counts: Counter[str] = Counter(f.core for f in feats if f.core)
    names = {core: n for core, n in counts.items() if n > 1}
    entity = _entities(truth_clusters)
    rows: list[dict[str, float]] = []
    labels: list[bool] = []
    keys = [dedup.keys_of(f) for f in feats]
    contacts = dedup.contact_counts(keys)
    for i, j in sorted(dedup.candidate_pairs(keys)):
        a, b = feats[i], feats[j]
        if a.types and b.types and not (a.types & b.types):
            continue
        n = max(names.get(a.core, 0), names.get(b.core, 0))
        ev = dedup.compare(a, b, contacts)
        rows.append(match_model.structure_terms(ev, math.log(n) if n else 0.0))
        labels.append(entity.get(a.public_id, a.public_id) == entity.get(b.public_id, b.public_id))
    return rows, labels, counts


def service_pairs(
    services: Sequence[Member],
    structure_clusters: Iterable[Iterable[str]],
    truth_clusters: Iterable[Iterable[str]],
) -> tuple[list[dict[str, float]], list[bool]]:
    """(terms, is-a-match) of the service pairs compared within the true structure clusters."""
    cluster_of = {i: min(c) for c in map(list, structure_clusters) for i in c}
    entity = _entities(truth_clusters)
    rows: list[dict[str, float]] = []
    labels: list[bool] = []
    for group in dedup.services_by_cluster(services, cluster_of).values():
        for a, b, unique in dedup.service_pairs(group):
            rows.append(match_model.service_terms(dedup.compare_services(a, b, unique)))
            labels.append(
                entity.get(a.public_id, a.public_id) == entity.get(b.public_id, b.public_id)
            )
    return rows, labels


def fit(
    kind: str,
    rows: Sequence[Mapping[str, float]],
    labels: Sequence[bool],
    name_counts: Mapping[str, int] | None = None,
    sample_weights: Sequence[float] | None = None,
) -> dict[str, Any]:
    """The model's parameters (the document `match_model.from_doc` reads); `sample_weights`
    make some pairs count less (a second data set that should inform, not dominate)."""
    import numpy as np

    names = sorted({t for r in rows for t in r})
    index = {t: k + 1 for k, t in enumerate(names)}
    x = np.zeros((len(rows), len(names) + 1))
    x[:, 0] = 1.0
    for n, row in enumerate(rows):
        for t, v in row.items():
            x[n, index[t]] = v
    y = np.array(labels, dtype=float)
    sw = np.ones(len(rows)) if sample_weights is None else np.array(sample_weights, dtype=float)
    penalty = np.diag(np.r_[0.0, np.full(len(names), L2)])
    w = np.zeros(x.shape[1])
    for _ in range(100):
        p = 1 / (1 + np.exp(-(x @ w)))
        gradient = x.T @ (sw * (p - y)) + penalty @ w
        hessian = (x.T * (sw * p * (1 - p))) @ x + penalty
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if float(np.abs(step).max()) < 1e-8:
            break
    return {
        "kind": kind,
        "model": f"logistic regression over comparison levels (L2 = {L2:g})",
        "bias": round(float(w[0]), 4),
        "weights": {t: round(float(w[index[t]]), 4) for t in names},
        "name_counts": {k: v for k, v in sorted((name_counts or {}).items()) if v > 1},
        "trained_on": {"pairs": len(rows), "matches": int(y.sum())},
    }


@dataclass(frozen=True)
class TrainingSet:
    """Labelled records to learn from; `weight` < 1 lets a set inform without dominating."""

    structures: Sequence[Member]
    services: Sequence[Member]
    structure_truth: Sequence[Sequence[str]]
    service_truth: Sequence[Sequence[str]]
    weight: float = 1.0


def train(*sets: TrainingSet) -> dict[str, dict[str, Any]]:
    """Both models learnt from these records and their true clusters: kind -> parameters.
    Name frequencies are counted over the sets of full weight."""
    rows: list[dict[str, float]] = []
    labels: list[bool] = []
    weights: list[float] = []
    s_rows: list[dict[str, float]] = []
    s_labels: list[bool] = []
    s_weights: list[float] = []
    counts: Counter[str] = Counter()
    for t in sets:
        r, lab, c = structure_pairs(t.structures, t.structure_truth)
        rows += r
        labels += lab
        weights += [t.weight] * len(r)
        if t.weight >= 1.0:
            counts += c
        sr, sl = service_pairs(t.services, t.structure_truth, t.service_truth)
        s_rows += sr
        s_labels += sl
        s_weights += [t.weight] * len(sr)
    return {
        "structure": fit("structure", rows, labels, counts, weights),
        "service": fit("service", s_rows, s_labels, None, s_weights),
    }


# the shipped models: the labelled linkage set at full weight, and the project's demo
# (scale 1, a seed no test evaluates on) at DEMO_WEIGHT, so that its producers' habits inform
# the models without outweighing data the project did not write
DEMO_WEIGHT = 0.2
DEMO_SEED = 1


def demo_set(workdir: Path) -> TrainingSet:
    """The demo's records and truth (scale 1, DEMO_SEED) at DEMO_WEIGHT, generated in `workdir`."""
    from ingestion import dedup_eval
    from ingestion.checkout import demo_generator

    demo_generator().generate(workdir, scale=1, seed=DEMO_SEED)
    structures, services = dedup_eval.members_from_files(workdir)
    truth = dedup_eval.load_truth(workdir / "ground-truth.json")
    return TrainingSet(structures, services, truth.structures, truth.services, DEMO_WEIGHT)


def train_shipped(labelled_dir: Path, workdir: Path) -> dict[str, dict[str, Any]]:
    """The recipe of `rules/match-model.json` (`gateway dedup train`)."""
    from ingestion import dedup_eval

    labelled = dedup_eval.load_labelled(labelled_dir)
    docs = train(
        TrainingSet(
            labelled.structures,
            labelled.services,
            labelled.truth.structures,
            labelled.truth.services,
        ),
        demo_set(workdir),
    )
    for doc in docs.values():
        doc["trained_on"]["sets"] = [
            {"labelled": labelled_dir.name, "weight": 1.0},
            {"demo": f"scale 1, seed {DEMO_SEED}", "weight": DEMO_WEIGHT},
        ]
    return docs
