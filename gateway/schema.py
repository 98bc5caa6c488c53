"""The strawberry schema: the root Query assembled from each domain's root fields."""

import strawberry
from strawberry.printer import print_schema

from resolvers.referential.queries import ReferentialQueries
from resolvers.services.facets import FacetQueries
from resolvers.services.queries import ServiceQueries
from resolvers.sources.queries import SourceQueries
from resolvers.structures.queries import StructureQueries
from resolvers.territories.queries import TerritoryQueries


@strawberry.type(
    description="Entry points of the referential of the offre d'insertion: merged structures "
    "and services with their provenance, producers, territories and the schema's enumerations."
)
class Query(
    StructureQueries,
    ServiceQueries,
    FacetQueries,
    SourceQueries,
    TerritoryQueries,
    ReferentialQueries,
):
    pass


schema = strawberry.Schema(query=Query)


def sdl() -> str:
    """The SDL as committed in schema.graphql."""
    return print_schema(schema) + "\n"
