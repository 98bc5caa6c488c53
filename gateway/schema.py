"""The strawberry schema: the root Query assembled from each domain's root fields."""

import strawberry
from strawberry.printer import print_schema

from resolvers.referential.queries import ReferentialQueries
from resolvers.territories.queries import TerritoryQueries


@strawberry.type(
    description="Entry points of the referential of the offre d'insertion: territories and the "
    "schema's enumerations."
)
class Query(TerritoryQueries, ReferentialQueries):
    pass


schema = strawberry.Schema(query=Query)


def sdl() -> str:
    """The SDL as committed in schema.graphql."""
    return print_schema(schema) + "\n"
