"""The referential's enumerations, read at runtime from the `data-inclusion-schema` package."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from data_inclusion.schema import v1
from data_inclusion.schema.base import EnhancedEnum

# GraphQL root field name -> enumeration of the package
ENUMERATIONS: dict[str, type[EnhancedEnum]] = {
    "thematiques": v1.Thematique,
    "categories": v1.Categorie,
    "publics": v1.Public,
    "frais": v1.Frais,
    "typesServices": v1.TypeService,
    "modesAccueil": v1.ModeAccueil,
    "modesMobilisation": v1.ModeMobilisation,
    "personnesMobilisatrices": v1.PersonneMobilisatrice,
    "reseauxPorteurs": v1.ReseauPorteur,
}


@dataclass(frozen=True)
class ReferentialValue:
    value: str
    label: str
    description: str | None


def _value(member: EnhancedEnum) -> ReferentialValue:
    return ReferentialValue(member.value, member.label, member.description or None)


@cache
def values(name: str) -> tuple[ReferentialValue, ...]:
    """Every value of one enumeration, sorted by value as the package's `as_dict_list` does."""
    return tuple(sorted((_value(m) for m in ENUMERATIONS[name]), key=lambda v: v.value))


@cache
def categorie_of(thematique: str) -> ReferentialValue:
    """The category of a thematique: its value is `<categorie>--<sous-thematique>`."""
    return _value(v1.Categorie(thematique.split("--", 1)[0]))


@cache
def thematiques_of(categorie: str) -> tuple[ReferentialValue, ...]:
    return tuple(v for v in values("thematiques") if v.value.split("--", 1)[0] == categorie)
