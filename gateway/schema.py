"""The strawberry schema: the root Query assembled from each domain's root fields, served as an
Apollo Federation v2 subgraph (`_service` and `_entities` only add fields: direct consumers see
the same API)."""

from collections.abc import Sequence
from typing import Any

import strawberry
from strawberry.federation.schema import FederationAny
from strawberry.printer import print_schema
from strawberry.types.info import Info

from gateway.documents import Documents, documents_extension
from gateway.errors import MaskUnexpectedErrors
from gateway.execution import LevelExecution
from resolvers import federation
from resolvers.changes import ChangeQueries
from resolvers.errors import BadUserInput
from resolvers.pagination import MAX_PAGE
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


class SubgraphSchema(strawberry.federation.Schema):
    """The federation schema, refusing malformed representations with BAD_USER_INPUT (rather
    than failing inside strawberry's resolver)."""

    def entities_resolver(
        self, info: Info, representations: list[FederationAny]
    ) -> list[FederationAny]:
        if len(representations) > MAX_PAGE:
            raise BadUserInput(
                f"at most {MAX_PAGE} representations per `_entities` (got "
                f"{len(representations)}); send smaller batches",
                argument="representations",
            )
        for index, representation in enumerate(representations):
            problem = federation.representation_problem(representation)
            if problem is not None:
                raise BadUserInput(
                    f"representations[{index}]: {problem}", argument="representations"
                )
        return super().entities_resolver(info, representations)

    def process_errors(self, errors: list[Any], execution_context: Any = None) -> None:
        """No second log line per error: gateway.errors logs the unexpected ones (a bug with its
        stack trace, an unavailable database in one line); the client's own are not logged."""


def build_schema(extensions: Sequence[Any] = ()) -> SubgraphSchema:
    """The schema, with these extensions (the SDL does not depend on them), after the parsing
    and validation of documents off the event loop, remembered (gateway/documents.py: a
    front-end sends the same few documents again and again), and with unexpected errors
    masked."""
    documents = documents_extension(Documents())
    return SubgraphSchema(
        query=Query,
        extensions=[documents, MaskUnexpectedErrors, *extensions],
        federation_version=federation.FEDERATION_VERSION,
        execution_context_class=LevelExecution,
    )


schema = build_schema()


def sdl() -> str:
    """The SDL as committed in schema.graphql."""
    return print_schema(schema) + "\n"
