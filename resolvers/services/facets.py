"""`facets(filter)`: per-option counts of the services a filter matches, for filter UIs."""

from typing import Annotated

import strawberry

from resolvers.filters import ServiceFilter, build_filter
from resolvers.merged import Info
from store import listing as store


@strawberry.type(description="One option of a facet and how many matching services have it.")
class FacetCount:
    value: str = strawberry.field(
        description="The option: an enumeration value of the schema, a producer slug, a "
        "département code."
    )
    count: int = strawberry.field(description="How many matching services have it.")


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


def _facet(field: str) -> list[FacetCount]:
    return strawberry.field(
        description=f"Counts per {field.replace('_', ' ')} option, most frequent first."
    )


@strawberry.type(description="Per-option counts of the services a filter matches.")
class ServiceFacets:
    total_count: int = strawberry.field(description="How many services match the filter.")
    thematiques: list[FacetCount] = _facet("thematique")
    categories: list[FacetCount] = _facet("categorie")
    publics: list[FacetCount] = _facet("public")
    frais: list[FacetCount] = _facet("frais")
    types: list[FacetCount] = _facet("type")
    modes_accueil: list[FacetCount] = _facet("mode_accueil")
    sources: list[FacetCount] = _facet("source")
    departements: list[FacetCount] = _facet("departement")


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
            counts = await store.facets(
                session, "service", visibility, list(FACETS.values()), where
            )
            total = await store.count(session, "service", visibility, where)
        return ServiceFacets(
            total_count=total,
            **{
                name: [FacetCount(value=v, count=n) for v, n in counts[field]]
                for name, field in FACETS.items()
            },
        )
