"""Structure kinds of the demo world: share, services, networks and who publishes them.

The data is in `structure_kinds.toml` beside this module, read once at import; the service
kinds and networks it names are checked against the catalogue and the schema's enumerations.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from data_inclusion.schema import v1

from demo.catalogue import SERVICE_KINDS, read_data, schema_values

DORA = "dora"
EMPLOIS = "emplois-de-linclusion"
SOLIGUIDE = "soliguide"
FRANCE_TRAVAIL = "france-travail"
CARIF_OREF = "carif-oref"
CD35 = "cd35"
UNCCAS = "unccas"
SLUGS: tuple[str, ...] = (DORA, EMPLOIS, SOLIGUIDE, FRANCE_TRAVAIL, CARIF_OREF, CD35, UNCCAS)


@dataclass(frozen=True)
class StructureKind:
    """A kind of real-world structure and how the producers see it."""

    code: str
    weight: float  # share of the world (companions such as mairies have 0: never drawn)
    dora: str  # dora "typologie"
    emplois: str  # emplois "kind" (only used when emplois publishes it)
    cd35: str  # cd35 "THEMATIQUE" label
    sigle: str  # cd35 "ORG_SIGLE"
    hours: str  # family of opening hours (hours.PATTERNS)
    services: tuple[tuple[str, float], ...]  # (service kind code, weight)
    n_services: tuple[int, int]
    producers: dict[str, float]  # publication probability; cd35 only applies in Ille-et-Vilaine
    reseaux: tuple[str, ...] = ()
    siren_prefixes: tuple[str, ...] = ("7", "8", "5", "4", "3")
    network: str | None = None  # "departement" / "national": sites share a SIREN
    head_share: float = 0.0  # probability a producer shows the network's head-office SIRET
    website: float = 0.6  # probability the structure has a website
    required: tuple[str, ...] = field(default=())  # at least one of these services
    names: tuple[str, str] | None = None  # (long, short) templates, when they are always those
    flavour: str = ""  # the activity its description speaks of
    emails: tuple[str, ...] = ()  # templates of its usual addresses
    site: str | None = None  # template of its website's address
    description: str | None = None  # template of its description


def _kind(doc: dict[str, Any]) -> StructureKind:
    where = f"structure_kinds.toml {doc['code']}"
    if unknown := [code for code, _ in doc["services"] if code not in SERVICE_KINDS]:
        raise ValueError(f"{where}: unknown service kinds: {unknown}")
    if unknown := [slug for slug in doc["producers"] if slug not in SLUGS]:
        raise ValueError(f"{where}: unknown producers: {unknown}")
    fields: dict[str, Any] = {
        **doc,
        **{
            name: tuple(doc[name])
            for name in ("siren_prefixes", "required", "emails")
            if name in doc
        },
        "services": tuple((code, weight) for code, weight in doc["services"]),
        "n_services": (doc["n_services"][0], doc["n_services"][1]),
        **({"names": (doc["names"][0], doc["names"][1])} if "names" in doc else {}),
        "reseaux": schema_values(v1.ReseauPorteur, doc.get("reseaux", []), where),
    }
    return StructureKind(**fields)


KINDS: dict[str, StructureKind] = {
    k.code: k for k in map(_kind, read_data("structure_kinds.toml")["kinds"])
}

DRAWN_KINDS: tuple[StructureKind, ...] = tuple(k for k in KINDS.values() if k.weight > 0)
