"""Root fields listing the enumerations of `data-inclusion-schema`, read at runtime."""

from __future__ import annotations

import strawberry

from models import referential
from resolvers.referential.types import Categorie, Thematique, ValeurReferentiel


def _values(name: str) -> list[ValeurReferentiel]:
    return [ValeurReferentiel.of(v) for v in referential.values(name)]


@strawberry.type
class ReferentialQueries:
    @strawberry.field(description="Thematiques (69), each with its category.")
    def thematiques(self) -> list[Thematique]:
        return [Thematique.of(v) for v in referential.values("thematiques")]

    @strawberry.field(description="Categories of thematiques (16).")
    def categories(self) -> list[Categorie]:
        return [Categorie.of(v) for v in referential.values("categories")]

    @strawberry.field(description="Publics a service is meant for.")
    def publics(self) -> list[ValeurReferentiel]:
        return _values("publics")

    @strawberry.field(description="Whether a service is free or paid.")
    def frais(self) -> list[ValeurReferentiel]:
        return _values("frais")

    @strawberry.field(description="Types of service (accompagnement, aide financière…).")
    def types_services(self) -> list[ValeurReferentiel]:
        return _values("typesServices")

    @strawberry.field(description="How a service is delivered: in person or remotely.")
    def modes_accueil(self) -> list[ValeurReferentiel]:
        return _values("modesAccueil")

    @strawberry.field(description="How a person gets to a service (phone, form, e-mail…).")
    def modes_mobilisation(self) -> list[ValeurReferentiel]:
        return _values("modesMobilisation")

    @strawberry.field(description="Who mobilises a service: the person or a professional.")
    def personnes_mobilisatrices(self) -> list[ValeurReferentiel]:
        return _values("personnesMobilisatrices")

    @strawberry.field(description="Networks structures belong to (réseaux porteurs).")
    def reseaux_porteurs(self) -> list[ValeurReferentiel]:
        return _values("reseauxPorteurs")
