"""The `Source` type: a producer from the registry."""

from collections.abc import Callable
from typing import Any

import strawberry

from resolvers import federation
from resolvers.context import Info
from resolvers.records_of import records_in
from resolvers.row_fields import flag, item, optional_item


@strawberry.type(
    description="A producer publishing structures and/or services.",
    directives=[federation.key("slug")],
)
class Source:
    row: strawberry.Private[dict[str, Any]]

    @classmethod
    async def resolve_reference(cls, info: Info, slug: str | None) -> "Source | None":
        """The entity for a federation router (`_entities`), by slug."""
        row = await info.context.loaders.source_by_slug.load(slug)
        return cls(row=row) if row else None

    slug = item("slug", str, "Identifier of the producer, used in ids (`dora` in `dora--42`).", str)
    nom = item("nom", str, "Name of the producer.", str)
    description = optional_item("description", str | None, "What the producer publishes.")
    licence = optional_item("licence", str | None, "Licence of the producer's data.")
    homepage = optional_item("homepage", str | None, "Home page of the producer.")
    date_maj_fiable = flag(
        "date_maj_fiable",
        "False when the producer's `dateMaj` is an export date rather than the date the record "
        "was last updated: such dates never win by recency.",
        True,
    )
    agregateur = flag("agregateur", "True for an aggregator relaying other producers.", False)
    restreinte = flag(
        "restreinte", "True when only some consumers may see this producer's values.", False
    )
    restricted = flag(
        "restreinte",
        "True when only consumers with this producer's scope may see its records and values "
        "(the same as `restreinte`).",
        False,
    )
    structures, services = records_in(
        "source",
        lambda self: self.row["slug"],
        "The merged structures this producer publishes (alone or with others), by id.",
        "The merged services this producer publishes (alone or with others), by id.",
    )


def source_field(description: str, slug: Callable[[Any], str | None]) -> Any:
    """A field serving the producer whose slug is `slug(self.row)` (null when unknown)."""

    async def resolve(self: Any, info: Info) -> Source | None:
        found: Source | None = await Source.resolve_reference(info, slug(self.row))
        return found

    return strawberry.field(resolver=resolve, description=description)
