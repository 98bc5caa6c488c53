"""The `Source` type: a producer from the registry."""

from typing import Any

import strawberry

from resolvers import federation
from resolvers.context import Info
from resolvers.records_of import records_of


@strawberry.type(
    description="A producer publishing structures and/or services.",
    directives=[federation.key("slug")],
)
class Source:
    row: strawberry.Private[dict[str, Any]]

    @classmethod
    async def resolve_reference(cls, info: Info, slug: str) -> "Source | None":
        """The entity for a federation router (`_entities`), by slug."""
        row = await info.context.loaders.source_by_slug.load(slug)
        return cls(row=row) if row else None

    @strawberry.field(description="Identifier of the producer, used in ids (`dora` in `dora--42`).")
    def slug(self) -> str:
        return str(self.row["slug"])

    @strawberry.field(description="Name of the producer.")
    def nom(self) -> str:
        return str(self.row["nom"])

    @strawberry.field(description="What the producer publishes.")
    def description(self) -> str | None:
        return self.row.get("description")

    @strawberry.field(description="Licence of the producer's data.")
    def licence(self) -> str | None:
        return self.row.get("licence")

    @strawberry.field(description="Home page of the producer.")
    def homepage(self) -> str | None:
        return self.row.get("homepage")

    @strawberry.field(
        description="False when the producer's `dateMaj` is an export date rather than the date "
        "the record was last updated: such dates never win by recency."
    )
    def date_maj_fiable(self) -> bool:
        return bool(self.row.get("date_maj_fiable", True))

    @strawberry.field(description="True for an aggregator relaying other producers.")
    def agregateur(self) -> bool:
        return bool(self.row.get("agregateur", False))

    @strawberry.field(description="True when only some consumers may see this producer's values.")
    def restreinte(self) -> bool:
        return bool(self.row.get("restreinte", False))

    @strawberry.field(
        description="True when only consumers with this producer's scope may see its records and "
        "values (the same as `restreinte`)."
    )
    def restricted(self) -> bool:
        return bool(self.restreinte())

    structures = records_of(
        "structure",
        "source",
        lambda self: self.row["slug"],
        "The merged structures this producer publishes (alone or with others), by id.",
    )
    services = records_of(
        "service",
        "source",
        lambda self: self.row["slug"],
        "The merged services this producer publishes (alone or with others), by id.",
    )
