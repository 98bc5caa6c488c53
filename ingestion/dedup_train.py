"""Learn the structure duplicate model (`rules/match-model.json`) from labelled records.

Every pair sharing a blocking key is compared (`dedup.compare`), its levels become terms
(`match_model.terms`), and a logistic regression with a small L2 penalty (Newton's method) fits
one weight per term. Name frequencies are counted over the records. numpy is needed here only
(the `train` extra); scoring reads the weights with plain Python.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from ingestion import dedup, match_model
from ingestion.members import Member

L2 = 1.0  # the penalty keeps weights of rare terms near 0 (a level seen twice says little)


def training_pairs(
    members: Sequence[Member], truth_clusters: Iterable[Iterable[str]]
) -> tuple[list[dict[str, Any]], list[tuple[str, str]], list[bool], Counter[str]]:
    """(comparison levels, pair ids, is-a-match) of every blocked pair the model will score,
    and the name counts; pairs of different kinds of structure are left out (never linked)."""
    feats = [dedup.features(m) for m in members]
    counts: Counter[str] = Counter(f.core for f in feats if f.core)
    entity = {i: n for n, cluster in enumerate(truth_clusters) for i in cluster}
    levels: list[dict[str, Any]] = []
    pairs: list[tuple[str, str]] = []
    labels: list[bool] = []
    for i, j in sorted(dedup.candidate_pairs([dedup.keys_of(f) for f in feats])):
        a, b = feats[i], feats[j]
        if a.types and b.types and not (a.types & b.types):
            continue
        levels.append({**dedup.compare(a, b), "_cores": (a.core, b.core)})
        pairs.append((a.public_id, b.public_id))
        labels.append(entity.get(a.public_id, a.public_id) == entity.get(b.public_id, b.public_id))
    return levels, pairs, labels, counts


def fit(
    levels: Sequence[dict[str, Any]], labels: Sequence[bool], counts: Counter[str]
) -> dict[str, Any]:
    """The model's parameters (the document `match_model.load` reads)."""
    import numpy as np

    name_counts = {core: n for core, n in sorted(counts.items()) if n > 1}

    def frequency(cores: tuple[str, str]) -> float:
        n = max(name_counts.get(cores[0], 0), name_counts.get(cores[1], 0))
        return math.log(n) if n > 1 else 0.0

    rows = [match_model.terms(ev, frequency(ev["_cores"])) for ev in levels]
    names = sorted({t for r in rows for t in r})
    index = {t: k + 1 for k, t in enumerate(names)}
    x = np.zeros((len(rows), len(names) + 1))
    x[:, 0] = 1.0
    for n, row in enumerate(rows):
        for t, v in row.items():
            x[n, index[t]] = v
    y = np.array(labels, dtype=float)
    penalty = np.diag(np.r_[0.0, np.full(len(names), L2)])
    w = np.zeros(x.shape[1])
    for _ in range(100):
        p = 1 / (1 + np.exp(-(x @ w)))
        gradient = x.T @ (p - y) + penalty @ w
        hessian = (x.T * (p * (1 - p))) @ x + penalty
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if float(np.abs(step).max()) < 1e-8:
            break
    return {
        "kind": "structure",
        "model": f"logistic regression over comparison levels (L2 = {L2:g})",
        "bias": round(float(w[0]), 4),
        "weights": {t: round(float(w[index[t]]), 4) for t in names},
        "name_counts": name_counts,
        "trained_on": {
            "pairs": len(rows),
            "matches": int(y.sum()),
            "records": sum(counts.values()),
        },
    }


def train(members: Sequence[Member], truth_clusters: Iterable[Iterable[str]]) -> dict[str, Any]:
    """Parameters learnt from these records and their true clusters."""
    levels, _pairs, labels, counts = training_pairs(members, truth_clusters)
    return fit(levels, labels, counts)
