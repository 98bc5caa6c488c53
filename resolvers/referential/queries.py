"""Root fields listing the enumerations of `data-inclusion-schema`, read at runtime."""

from __future__ import annotations

from typing import Any

import strawberry

from models import referential
from resolvers.referential.types import Categorie, Thematique, Valeur, ValeurReferentiel


def _listing(name: str, node: type[Valeur], description: str) -> Any:
    """A root field listing the values of the enumeration `name` as `node`s."""

    def resolve() -> Any:
        return [node.of(v) for v in referential.values(name)]

    resolve.__annotations__ = {"return": list[node]}  # type: ignore[valid-type]
    return strawberry.field(resolver=resolve, description=description)


@strawberry.type
class ReferentialQueries:
    thematiques = _listing("thematiques", Thematique, "Thematiques (69), each with its category.")
    categories = _listing("categories", Categorie, "Categories of thematiques (16).")
    publics = _listing("publics", ValeurReferentiel, "Publics a service is meant for.")
    frais = _listing("frais", ValeurReferentiel, "Whether a service is free or paid.")
    types_services = _listing(
        "typesServices", ValeurReferentiel, "Types of service (accompagnement, aide financière…)."
    )
    modes_accueil = _listing(
        "modesAccueil", ValeurReferentiel, "How a service is delivered: in person or remotely."
    )
    modes_mobilisation = _listing(
        "modesMobilisation",
        ValeurReferentiel,
        "How a person gets to a service (phone, form, e-mail…).",
    )
    personnes_mobilisatrices = _listing(
        "personnesMobilisatrices",
        ValeurReferentiel,
        "Who mobilises a service: the person or a professional.",
    )
    reseaux_porteurs = _listing(
        "reseauxPorteurs", ValeurReferentiel, "Networks structures belong to (réseaux porteurs)."
    )
