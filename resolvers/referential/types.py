"""GraphQL types of the referential values."""

from __future__ import annotations

from typing import Self

import strawberry

from models import referential


@strawberry.type
class Valeur:
    """What every referential value has: the value, its label and its explanation (each type
    describes its own `value`)."""

    value: str
    label: str = strawberry.field(description="Human-readable label, in French.")
    description: str | None = strawberry.field(
        description="Longer explanation; null where the schema gives none."
    )

    @classmethod
    def of(cls, v: referential.ReferentialValue) -> Self:
        return cls(value=v.value, label=v.label, description=v.description)


@strawberry.type(description="A value of one of the schema's enumerations.")
class ValeurReferentiel(Valeur):
    value: str = strawberry.field(
        description="The value as written in data (`gratuit`, `tous-publics`…)."
    )


@strawberry.type(description="A thematique: `<categorie>--<sous-thematique>`.")
class Thematique(Valeur):
    value: str = strawberry.field(
        description="The value as written in data (`famille--garde-denfants`)."
    )

    @strawberry.field(description="The category the thematique belongs to.")
    def categorie(self) -> ValeurReferentiel:
        return ValeurReferentiel.of(referential.categorie_of(self.value))


@strawberry.type(description="A category of thematiques; filtering on it means all of them.")
class Categorie(Valeur):
    value: str = strawberry.field(description="The value as written in data (`famille`).")

    @strawberry.field(description="The thematiques of this category.")
    def thematiques(self) -> list[Thematique]:
        return [Thematique.of(v) for v in referential.thematiques_of(self.value)]
