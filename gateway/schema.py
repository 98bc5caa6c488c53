"""The strawberry schema: the root Query assembled from each domain's root fields, served as an
Apollo Federation v2 subgraph (`_service` and `_entities` only add fields: direct consumers see
the same API)."""

from collections.abc import Sequence
from typing import Any

import strawberry
from strawberry.extensions import ParserCache, ValidationCache
from strawberry.printer import print_schema

from gateway.errors import MaskUnexpectedErrors
from resolvers import federation
from resolvers.changes import ChangeQueries
from resolvers.referential.queries import ReferentialQueries
from resolvers.services.facets import FacetQueries
from resolvers.services.queries import ServiceQueries
from resolvers.services.search import SearchQueries
from resolvers.sources.queries import SourceQueries
from resolvers.sources.records import SourceRecordQueries
from resolvers.structures.queries import StructureQueries
from resolvers.territories.queries import TerritoryQueries


@strawberry.type(
    description="Entry points of the referential of the offre d'insertion: merged structures "
    "and services with their provenance, producers, territories and the schema's enumerations."
)
class Query(
    StructureQueries,
    ServiceQueries,
    SearchQueries,
    FacetQueries,
    ChangeQueries,
    SourceQueries,
    SourceRecordQueries,
    TerritoryQueries,
    ReferentialQueries,
):
    pass


def build_schema(extensions: Sequence[Any] = ()) -> strawberry.federation.Schema:
    """The schema, with these extensions (the SDL does not depend on them), after the caches of
    parsed and validated documents (a front-end sends the same few documents again and again:
    parsing and validating a search page's document cost several milliseconds each time), and
    with unexpected errors masked."""
    caches: list[Any] = [lambda: ParserCache(maxsize=1000), lambda: ValidationCache(maxsize=1000)]
    return strawberry.federation.Schema(
        query=Query,
        extensions=[*caches, MaskUnexpectedErrors, *extensions],
        federation_version=federation.FEDERATION_VERSION,
    )


schema = build_schema()


def sdl() -> str:
    """The SDL as committed in schema.graphql."""
    return print_schema(schema) + "\n"
