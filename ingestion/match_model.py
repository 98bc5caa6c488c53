"""The learnt duplicate model of structures: match weights per comparison level (pure, no I/O
besides reading its parameter file once).

A pair's comparison levels (`dedup.compare`: name exact / same without place / similarity bands,
commune same / same city / other, distance bands, address, SIRET, phone, e-mail, site, source)
become terms ("distance=<100m"); the model adds their weights, learnt from labelled pairs by
`ingestion.dedup_train` (a logistic regression: Fellegi–Sunter's match weights without its
independence assumption, which over-counts evidence that comes together, as a network's shared
SIRET, e-mail and name do), plus a term-frequency term (a common name like "ccas" weighs less
than a rare one) and a few interactions (an equal SIRET at another street is a head office).
The parameters live in `rules/match-model.json`; `gateway dedup train` learns them anew.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson

MODEL_PATH = Path(__file__).with_name("rules") / "match-model.json"
# the comparison fields whose level is a term of the model, in the order explanations list them
FIELDS = ("name", "commune", "distance", "address", "siret", "phone", "email", "site_web", "source")
AGREEING_NAMES = frozenset({"exact", "same-without-place"})
FAR = frozenset({"<3km", "<10km", ">=10km"})


def terms(ev: Mapping[str, Any], frequency: float = 0.0) -> dict[str, float]:
    """The model's inputs (term -> value) read from a pair's comparison levels.

    `frequency`: how common the two names are when they agree (log of how many records of the
    training data carry that name without its place; 0 for a name seen once or not at all).
    """
    out = {f"{f}={ev[f]}": 1.0 for f in FIELDS if f in ev}
    agree = ev.get("name") in AGREEING_NAMES
    if agree and frequency > 0:
        out["name_frequency"] = frequency
    elsewhere = (
        ev.get("address") == "different"
        or ev.get("commune") in ("other", "other-department")
        or ev.get("distance") in FAR
    )
    if agree and elsewhere:
        # one name in two places: a moved place when the name is rare, two sites of a network
        # when it is common
        out["name=agree&place=different"] = 1.0
        if frequency > 0:
            out["name_frequency&place=different"] = frequency
    if agree and ev.get("kind") == "one-per-commune" and ev.get("commune") == "same":
        out["name=agree&kind=one-per-commune&commune=same"] = 1.0
    if ev.get("siret") == "equal":
        if ev.get("address") == "different":
            out["siret=equal&address=different"] = 1.0
        if ev.get("distance") in FAR:
            out["siret=equal&distance>=1km"] = 1.0
    if ev.get("name") == "different" and ev.get("address") == "equal":
        out["name=different&address=equal"] = 1.0
    if ev.get("email") == "equal" and ev.get("address") == "different":
        out["email=equal&address=different"] = 1.0
    return out


@dataclass(frozen=True)
class Model:
    """Weights (log-odds) per term, the bias, and the name frequencies of the training data."""

    weights: dict[str, float]
    bias: float
    name_counts: dict[str, int]
    meta: dict[str, Any]

    def frequency(self, core_a: str, core_b: str) -> float:
        count = max(self.name_counts.get(core_a, 0), self.name_counts.get(core_b, 0))
        return math.log(count) if count > 1 else 0.0

    def probability(
        self, ev: Mapping[str, Any], core_a: str, core_b: str
    ) -> tuple[float, dict[str, Any]]:
        """The pair's match probability, and the weights that made it (for the explanation)."""
        inputs = terms(ev, self.frequency(core_a, core_b))
        contributions = {t: round(self.weights.get(t, 0.0) * v, 3) for t, v in inputs.items()}
        total = self.bias + sum(contributions.values())
        probability = 0.0 if total < -700 else 1 / (1 + math.exp(-total))
        return probability, {"weights": contributions, "bias": round(self.bias, 3)}


def load(path: Path = MODEL_PATH) -> Model:
    return from_doc(orjson.loads(path.read_bytes()))


_override: list[Model] = []


@lru_cache(maxsize=1)
def _shipped() -> Model:
    return load()


def structure_model() -> Model:
    """The model in use: the shipped one (read once), or one `using` put in place."""
    return _override[-1] if _override else _shipped()


@contextmanager
def using(model: Model) -> Iterator[None]:
    """Score with `model` inside the block (evaluation of a model learnt on another split)."""
    _override.append(model)
    try:
        yield
    finally:
        _override.pop()


def from_doc(doc: Mapping[str, Any]) -> Model:
    """A model from its parameter document (what `dedup_train.fit` returns)."""
    return Model(
        weights={k: float(v) for k, v in doc["weights"].items()},
        bias=float(doc["bias"]),
        name_counts={k: int(v) for k, v in doc.get("name_counts", {}).items()},
        meta={k: v for k, v in doc.items() if k not in ("weights", "bias", "name_counts")},
    )
