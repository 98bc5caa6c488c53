"""Real communes weighted by population, per-kind commune orders, jitter and phone area codes."""

from __future__ import annotations

import bisect
import functools
import heapq
import itertools
import math
import random
from dataclasses import dataclass

from store.territory_file import read

# Ille-et-Vilaine weighs more, so that the cd35 producer has enough to publish
BOOST_DEPARTEMENT = "35"
BOOST_FACTOR = 11.0

_OVERSEAS_PREFIX = {"971": "0590", "972": "0596", "973": "0594", "974": "0262", "976": "0269"}
_OVERSEAS_MOBILE = {"971": "0690", "972": "0696", "973": "0694", "974": "0692", "976": "0639"}
_REGION_AREA = {
    "11": "1",
    "24": "2",
    "28": "2",
    "52": "2",
    "53": "2",
    "27": "3",
    "32": "3",
    "44": "3",
    "84": "4",
    "93": "4",
    "94": "4",
    "75": "5",
    "76": "5",
}
_OCCITANIE_EAST = ("11", "30", "34", "48", "66")


@dataclass(frozen=True, slots=True)
class Commune:
    code: str
    nom: str
    departement: str
    region: str
    epci: str | None
    codes_postaux: tuple[str, ...]
    population: int
    lat: float
    lon: float
    zone: str


@dataclass(frozen=True)
class Territory:
    communes: tuple[Commune, ...]
    cumulative: tuple[float, ...]
    by_departement: dict[str, tuple[Commune, ...]]
    by_code: dict[str, Commune]
    aliases: dict[str, tuple[tuple[str, str, str], ...]]  # commune -> (alias code, kind, nom)
    arrondissements: dict[tuple[str, str], str]  # (commune, postcode) -> arrondissement code
    departement_names: dict[str, str]
    epci_names: dict[str, str]
    epci_types: dict[str, str]  # "CC", "CA", "CU", "METRO"...
    all_codes: frozenset[str]  # communes, arrondissements and alias codes

    def weight(self, c: Commune) -> float:
        w = float(max(c.population, 1))
        return w * BOOST_FACTOR if c.departement == BOOST_DEPARTEMENT else w

    def order(self, key: str, count: int) -> list[Commune]:
        """The first `count` communes of a population-weighted shuffle without replacement."""
        rng = random.Random(f"order/{key}")
        keyed = ((rng.expovariate(1.0) / self.weight(c), i) for i, c in enumerate(self.communes))
        return [self.communes[i] for _, i in heapq.nsmallest(count, keyed)]

    def pick(self, rng: random.Random) -> Commune:
        """One commune drawn with probability proportional to its (boosted) population."""
        x = rng.random() * self.cumulative[-1]
        return self.communes[min(bisect.bisect_right(self.cumulative, x), len(self.communes) - 1)]

    def pick_near(self, rng: random.Random, c: Commune) -> Commune:
        """Another commune of the same département (a move), the same one if it is alone."""
        others = [o for o in self.by_departement[c.departement] if o.code != c.code]
        if not others:
            return c
        weights = list(itertools.accumulate(max(o.population, 1) for o in others))
        x = rng.random() * weights[-1]
        return others[min(bisect.bisect_right(weights, x), len(others) - 1)]


@functools.cache
def territory() -> Territory:
    """The metropolitan and DROM communes of the bundled territory file (read once)."""
    data = read()
    communes = tuple(
        Commune(
            code=c["code"],
            nom=c["nom"],
            departement=c["departement"],
            region=c["region"],
            epci=c.get("epci"),
            codes_postaux=tuple(c["codesPostaux"]),
            population=int(c.get("population") or 0),
            lat=float(c["lat"]),
            lon=float(c["lon"]),
            zone=c["zone"],
        )
        for c in data.communes
        if c["type"] == "commune-actuelle"
        and c["zone"] in ("metro", "drom")
        and c["lat"] is not None
        and c["codesPostaux"]
    )
    by_dep: dict[str, list[Commune]] = {}
    for c in communes:
        by_dep.setdefault(c.departement, []).append(c)
    aliases: dict[str, list[tuple[str, str, str]]] = {}
    for code, kind, nom, target in data.aliases:
        if code != target and kind != "arrondissement-municipal":
            aliases.setdefault(target, []).append((code, kind, nom))
    arrondissements = {
        (c["parent"], cp): c["code"]
        for c in data.communes
        if c["type"] == "arrondissement-municipal" and c.get("parent")
        for cp in c["codesPostaux"]
    }
    all_codes = {c["code"] for c in data.communes} | {a[0] for a in data.aliases}
    provisional = Territory(
        communes=communes,
        cumulative=(),
        by_departement={k: tuple(v) for k, v in by_dep.items()},
        by_code={c.code: c for c in communes},
        aliases={k: tuple(v) for k, v in aliases.items()},
        arrondissements=arrondissements,
        departement_names={d["code"]: d["nom"] for d in data.departements},
        epci_names={e["code"]: e["nom"] for e in data.epcis},
        epci_types={e["code"]: e["type"] for e in data.epcis},
        all_codes=frozenset(all_codes),
    )
    cumulative = tuple(itertools.accumulate(provisional.weight(c) for c in communes))
    return Territory(**{**provisional.__dict__, "cumulative": cumulative})


def jitter(rng: random.Random, lat: float, lon: float, max_km: float = 1.8) -> tuple[float, float]:
    """A point at most max_km from (lat, lon), uniformly over the disc."""
    d = max_km * math.sqrt(rng.random())
    a = rng.random() * 2 * math.pi
    dlat = d * math.cos(a) / 111.32
    dlon = d * math.sin(a) / (111.32 * max(math.cos(math.radians(lat)), 0.2))
    return round(lat + dlat, 6), round(lon + dlon, 6)


def landline(rng: random.Random, c: Commune) -> str:
    """A 10-digit French landline number ("0299286311") with the commune's area code."""
    if c.departement in _OVERSEAS_PREFIX:
        return _OVERSEAS_PREFIX[c.departement] + f"{rng.randrange(10**6):06d}"
    area = _REGION_AREA.get(c.region, "1")
    if c.region == "76" and c.departement in _OCCITANIE_EAST:
        area = "4"
    return "0" + area + str(rng.randrange(1, 10)) + f"{rng.randrange(10**7):07d}"


def mobile(rng: random.Random, c: Commune) -> str:
    """A 10-digit French mobile number (06/07, or the overseas mobile prefix)."""
    if c.departement in _OVERSEAS_MOBILE:
        return _OVERSEAS_MOBILE[c.departement] + f"{rng.randrange(10**6):06d}"
    return rng.choice(("06", "07")) + f"{rng.randrange(10**8):08d}"
