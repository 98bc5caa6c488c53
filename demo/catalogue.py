"""Service kinds of the demo world and the producers' own vocabularies that describe them.

The data is in two files beside this module, read once at import: `service_kinds.toml` (what
each service is, and how each producer names it) and `vocabularies.toml` (each producer's
words and the schema values the generator means by them, France Travail's national
catalogue). Every schema value they name is checked against data-inclusion-schema's
enumerations.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from data_inclusion.schema import v1

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class ServiceKind:
    """What a service is in the real world, and how each producer names it."""

    code: str
    noms: tuple[str, ...]  # the first is the usual name, others are variants producers use
    description: str  # "{structure}" and "{commune}" are filled in
    thematiques: tuple[str, ...]  # the first is always kept, the others often
    type: str
    publics: tuple[tuple[str, ...], ...]  # alternatives, one is drawn
    payant: float = 0.0  # probability the service is not free
    distance: float = 0.1  # probability it is also (or only) offered remotely
    professionnels: float = 0.3  # probability professionals can refer people to it
    soliguide: int | None = None
    unccas: str | None = None
    ft: str | None = None  # France Travail catalogue code
    ft_themes: tuple[str, ...] = ()
    ft_publics: tuple[str, ...] = ()
    formacode: str | None = None


def read_data(name: str) -> dict[str, Any]:
    """The TOML file `name` beside this module."""
    return tomllib.loads((HERE / name).read_text(encoding="utf-8"))


def schema_values(enum: type[Enum], values: list[str], where: str) -> tuple[str, ...]:
    """`values` as a tuple, each checked to be one of the schema enumeration's."""
    known = {m.value for m in enum}
    if unknown := [v for v in values if v not in known]:
        raise ValueError(f"{where}: not {enum.__name__} values: {unknown}")
    return tuple(values)


def _thematiques(values: list[str], where: str) -> tuple[str, ...]:
    return schema_values(v1.Thematique, values, where)


def _publics(values: list[str], where: str) -> tuple[str, ...]:
    return schema_values(v1.Public, values, where)


def _type(value: str, where: str) -> str:
    return schema_values(v1.TypeService, [value], where)[0]


def _kind(doc: dict[str, Any]) -> ServiceKind:
    where = f"service_kinds.toml {doc['code']}"
    return ServiceKind(
        **{
            **doc,
            "noms": tuple(doc["noms"]),
            "thematiques": _thematiques(doc["thematiques"], where),
            "type": _type(doc["type"], where),
            "publics": tuple(_publics(p, where) for p in doc["publics"]),
        }
    )


_vocabularies = read_data("vocabularies.toml")

# Soliguide categories: code -> (French label, thematiques the generator means by it)
SOLIGUIDE_CATEGORIES: dict[int, tuple[str, tuple[str, ...]]] = {
    c["code"]: (c["label"], _thematiques(c["thematiques"], f"soliguide {c['code']}"))
    for c in _vocabularies["soliguide_categories"]
}
# France Travail service themes (column "Thématique", several joined by "|")
FT_THEMES: dict[str, tuple[str, ...]] = {
    label: _thematiques(values, f"france_travail_themes {label}")
    for label, values in _vocabularies["france_travail_themes"].items()
}
# France Travail publics (column "Public", several joined by "|")
FT_PUBLICS: dict[str, tuple[str, ...]] = {
    label: _publics(values, f"france_travail_publics {label}")
    for label, values in _vocabularies["france_travail_publics"].items()
}
# carif-oref FORMACODE values used by the generator: code -> (label, thematiques)
FORMACODES: dict[str, tuple[str, tuple[str, ...]]] = {
    c["code"]: (c["label"], _thematiques(c["thematiques"], f"formacode {c['code']}"))
    for c in _vocabularies["formacodes"]
}
# unccas "Services proposés" labels -> (service id suffix, thematiques meant)
UNCCAS_LABELS: dict[str, tuple[str, tuple[str, ...]]] = {
    c["label"]: (c["suffix"], _thematiques(c["thematiques"], f"unccas {c['label']}"))
    for c in _vocabularies["unccas_labels"]
}
# cd35 "THEMATIQUE" labels (one per structure)
CD35_THEMES: tuple[str, ...] = tuple(_vocabularies["cd35"]["themes"])
# cd35's file fields: name -> alias, in the file's order
CD35_FIELDS: dict[str, str] = _vocabularies["cd35"]["fields"]


def _words(enum: type[Enum], name: str) -> dict[str, str]:
    """The table `name`: a producer's word for each of its schema values (checked)."""
    table: dict[str, str] = _vocabularies[name]
    schema_values(enum, list(table), name)
    return table


# dora's orientation words: ModeMobilisation value -> dora word
DORA_ORIENTATION = _words(v1.ModeMobilisation, "dora_orientation")
# carif-oref's "public" texts: Public value -> text
CARIF_OREF_PUBLICS = _words(v1.Public, "carif_oref_publics")


def _ft_kinds() -> list[ServiceKind]:
    """France Travail's national catalogue as service kinds, in the schema's values."""
    out = []
    for entry in _vocabularies["france_travail_catalogue"]:
        code, themes, publics = entry["code"], tuple(entry["themes"]), tuple(entry["publics"])
        thematiques: list[str] = []
        for theme in themes:
            thematiques += [t for t in FT_THEMES[theme] if t not in thematiques]
        pubs: list[str] = []
        for label in publics:
            pubs += [p for p in FT_PUBLICS[label] if p not in pubs]
        out.append(
            ServiceKind(
                code=f"ft-{code.lower()}",
                noms=(entry["nom"],),
                description=entry["description"],
                thematiques=tuple(thematiques),
                type=_type(entry.get("type", v1.TypeService.ACCOMPAGNEMENT.value), code),
                publics=(tuple(pubs),),
                distance=entry.get("distance", 0.2),
                professionnels=0.5,
                ft=code,
                ft_themes=themes,
                ft_publics=publics,
            )
        )
    return out


SERVICE_KINDS: dict[str, ServiceKind] = {
    k.code: k for k in [*map(_kind, read_data("service_kinds.toml")["kinds"]), *_ft_kinds()]
}
FT_CODES: tuple[str, ...] = tuple(e["code"] for e in _vocabularies["france_travail_catalogue"])
