"""The learnt duplicate models of structures and services: match weights per comparison level
(pure, no I/O besides reading their parameter file once).

A pair's comparison levels (`dedup.compare` for structures: name exact / same without place /
similarity bands, commune same / same city / other, distance bands, address, SIRET, phone,
e-mail, site, source; `dedup.compare_services`: name, thematiques, description, type) become
terms ("distance=<100m"); a model adds their weights, learnt from labelled pairs by
`ingestion.dedup_train` — a logistic regression: Fellegi–Sunter's match weights without its
independence assumption, which over-counts evidence that comes together, as a network's shared
SIRET, e-mail and name do. Structures also get a term-frequency term (a common name like
"ccas" weighs less than a rare one) and a few interactions (an equal SIRET at another street is
a head office). The parameters live in `rules/match-model.json`; `gateway dedup train` learns
them anew.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson

MODEL_PATH = Path(__file__).with_name("rules") / "match-model.json"
KINDS = ("structure", "service")
# the comparison fields whose level is a term of the model, in the order explanations list them
FIELDS = (
    "name", "commune", "arrondissement", "distance", "address", "siret", "phone", "email",
    "site_web", "source",
)  # fmt: skip
SERVICE_FIELDS = ("name", "thematiques", "thematiques_unique", "description", "type", "source")
AGREEING_NAMES = frozenset({"exact", "same-without-place"})
FAR = frozenset({"<3km", "<10km", "<50km", ">=50km"})


def structure_terms(ev: Mapping[str, Any], frequency: float = 0.0) -> dict[str, float]:
    """The structure model's inputs (term -> value) read from a pair's comparison levels.

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
    if ev.get("siret") == "equal":
        if ev.get("address") == "different":
            out["siret=equal&address=different"] = 1.0
        if ev.get("distance") in FAR:
            out["siret=equal&distance>=1km"] = 1.0
    if ev.get("name") == "different" and ev.get("address") == "equal":
        out["name=different&address=equal"] = 1.0
    if ev.get("email") == "equal" and ev.get("address") == "different":
        out["email=equal&address=different"] = 1.0
    own = [f for f in ("email", "phone") if ev.get(f) == "equal"]
    if ev.get("name") == "exact" and elsewhere and own:
        # a moved place keeps its name and its own line or mailbox; two sites of a network
        # share only the network's (held by many records: "equal-shared")
        out["name=exact&place=different&contact=own"] = float(len(own))
    return out


def service_terms(ev: Mapping[str, Any], _frequency: float = 0.0) -> dict[str, float]:
    """The service model's inputs (term -> value) read from a pair's comparison levels."""
    out = {f"{f}={ev[f]}": 1.0 for f in SERVICE_FIELDS if f in ev}
    if ev.get("name") in ("exact", ">=0.9") and ev.get("description") == "different":
        out["name=same&description=different"] = 1.0
    if ev.get("thematiques_unique") and ev.get("description") == "different":
        out["thematiques_unique&description=different"] = 1.0
    return out


TERMS: dict[str, Callable[..., dict[str, float]]] = {
    "structure": structure_terms,
    "service": service_terms,
}


@dataclass(frozen=True)
class Model:
    """Weights (log-odds) per term, the bias, and the name frequencies of the training data."""

    kind: str
    weights: dict[str, float]
    bias: float
    name_counts: dict[str, int]
    meta: dict[str, Any]

    def frequency(self, core_a: str, core_b: str) -> float:
        count = max(self.name_counts.get(core_a, 0), self.name_counts.get(core_b, 0))
        return math.log(count) if count > 1 else 0.0

    def probability(
        self, ev: Mapping[str, Any], core_a: str = "", core_b: str = ""
    ) -> tuple[float, dict[str, Any]]:
        """The pair's match probability, and the weights that made it (for the explanation)."""
        inputs = TERMS[self.kind](ev, self.frequency(core_a, core_b) if core_a else 0.0)
        contributions = {t: round(self.weights.get(t, 0.0) * v, 3) for t, v in inputs.items()}
        total = self.bias + sum(contributions.values())
        probability = 0.0 if total < -700 else 1 / (1 + math.exp(-total))
        return probability, {"weights": contributions, "bias": round(self.bias, 3)}


def from_doc(doc: Mapping[str, Any]) -> Model:
    """A model from its parameter document (what `dedup_train.fit` returns)."""
    return Model(
        kind=str(doc["kind"]),
        weights={k: float(v) for k, v in doc["weights"].items()},
        bias=float(doc["bias"]),
        name_counts={k: int(v) for k, v in doc.get("name_counts", {}).items()},
        meta={k: v for k, v in doc.items() if k not in ("weights", "bias", "name_counts")},
    )


def load(path: Path = MODEL_PATH) -> dict[str, Model]:
    """The models of a parameter file: kind -> model."""
    doc = orjson.loads(path.read_bytes())
    return {kind: from_doc(doc[kind]) for kind in KINDS}


_override: list[dict[str, Model]] = []


@lru_cache(maxsize=1)
def _shipped() -> dict[str, Model]:
    return load()


def model(kind: str) -> Model:
    """The model in use for a kind: the shipped one (read once), or one `using` put in place."""
    for models in reversed(_override):
        if kind in models:
            return models[kind]
    return _shipped()[kind]


def structure_model() -> Model:
    return model("structure")


def service_model() -> Model:
    return model("service")


@contextmanager
def using(*models: Model) -> Iterator[None]:
    """Score with these models inside the block (evaluation of models learnt on another split)."""
    _override.append({m.kind: m for m in models})
    try:
        yield
    finally:
        _override.pop()
