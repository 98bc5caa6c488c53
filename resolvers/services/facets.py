"""`facets(filter)`: per-option counts of the services a filter matches, for filter UIs."""

import typing
from typing import Annotated

import strawberry

from resolvers.context import Info
from resolvers.filters import ServiceFilter, build_filter
from store import listing as store


@strawberry.type(description="One option of a facet and how many matching services have it.")
class FacetCount:
    value: str | None = strawberry.field(
        description="The option: an enumeration value of the schema, a producer slug, a "
        "département code; null for the matching services that have none (no `frais`, no "
        "address and no structure address for `departements`…)."
    )
    count: int = strawberry.field(
        description="How many matching services have it (with a null `value`: have none)."
    )


# GraphQL field -> golden_value field
FACETS = {
    "thematiques": "thematique",
    "categories": "categorie",
    "publics": "public",
    "frais": "frais",
    "types": "type",
    "modes_accueil": "mode_accueil",
    "sources": "source",
    "departements": "departement",
}


SINGLE = "a service has one at most, so the counts add up to `totalCount`"
MULTIPLE = "a service may have several, so the counts may add up to more than `totalCount`"


def _facet(field: str, how_many: str) -> list[FacetCount]:
    """A facet's field (typed as the list its resolver gives, for the dataclass)."""
    return typing.cast(
        list[FacetCount],
        strawberry.field(
            description=f"Counts per {field.replace('_', ' ')} option, most frequent first, and a "
            f"null `value` counting the services with none (left out when there are none); "
            f"{how_many}."
        ),
    )


@strawberry.type(
    description="Per-option counts of the services a filter matches; each facet has a null "
    "option for the services without a value."
)
class ServiceFacets:
    total_count: int = strawberry.field(description="How many services match the filter.")
    thematiques: list[FacetCount] = _facet("thematique", MULTIPLE)
    categories: list[FacetCount] = _facet("categorie", MULTIPLE)
    publics: list[FacetCount] = _facet("public", MULTIPLE)
    frais: list[FacetCount] = _facet("frais", SINGLE)
    types: list[FacetCount] = _facet("type", SINGLE)
    modes_accueil: list[FacetCount] = _facet("mode_accueil", MULTIPLE)
    sources: list[FacetCount] = _facet(
        "source",
        "every service has one, and one merged from several producers' records counts under "
        "each, so the counts may add up to more than `totalCount`",
    )
    departements: list[FacetCount] = _facet("departement", SINGLE)


@strawberry.type
class FacetQueries:
    @strawberry.field(
        description="For a services filter: how many services match, and per option of each "
        "facet how many of them have it (what a search page's filter panel shows)."
    )
    async def facets(
        self,
        info: Info,
        filter: Annotated[
            ServiceFilter | None, strawberry.argument(description="The services to count.")
        ] = None,
    ) -> ServiceFacets:
        where = await build_filter(info, filter)
        visibility = info.context.visibility
        async with info.context.db() as session:
            found = await store.facets(session, "service", visibility, list(FACETS.values()), where)
        return ServiceFacets(
            total_count=found.total,
            **{
                name: [FacetCount(value=v, count=n) for v, n in found.counts[field]]
                for name, field in FACETS.items()
            },
        )
