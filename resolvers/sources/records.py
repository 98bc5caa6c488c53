"""`sourceStructures` and `sourceServices`: one producer's records as it published them (after
mapping to the schema), before any merge: what a producer checks and what its consumers sync."""

from typing import Annotated, Any

import strawberry

from resolvers.context import Info
from resolvers.errors import BadUserInput, Forbidden
from resolvers.pagination import (
    AFTER_ARG,
    FIRST_ARG,
    Connection,
    build_connection,
    decode_id_cursor,
    page_size,
)
from resolvers.services.types import SourceService
from resolvers.structures.types import SourceStructure
from store import golden as store

SOURCE_ARG = strawberry.argument(description="The producer's slug (`dora`).")


async def _page(
    info: Info, source: str, kind: str, node: Any, first: int | None, after: str | None
) -> Connection[Any]:
    size = page_size(first)
    key = decode_id_cursor(after)
    row = await info.context.loaders.source_by_slug.load(source)
    if row is None:
        raise BadUserInput(
            f"`source`: unknown producer {source!r}; the `sources` root field lists them",
            argument="source",
        )
    if row.get("restreinte") and info.context.visibility != "restricted":
        raise Forbidden(
            f"the records of {source!r} are restricted: only consumers with its scope may read them"
        )
    async with info.context.db() as session:
        rows = await store.producer_records_page(
            session, source, kind, first=size + 1, after=key[0] if key else None
        )

    async def count() -> int:
        async with info.context.db() as session:
            return await store.producer_records_count(session, source, kind)

    return build_connection(
        [(k, node(row=r)) for k, r in rows], first=size, after=key, count=count, cls=Connection
    )


def _records_of(kind: str, node: Any, description: str) -> Any:
    """The root field of one producer's records of `kind` (`node`s), a page at a time."""

    async def resolve(
        self: Any, info: Info, source: str, first: int | None = None, after: str | None = None
    ) -> Connection[Any]:
        return await _page(info, source, kind, node, first, after)

    resolve.__annotations__ = {
        "info": Info,
        "source": Annotated[str, SOURCE_ARG],
        "first": Annotated[int | None, FIRST_ARG],
        "after": Annotated[str | None, AFTER_ARG],
        "return": Connection[node],
    }
    return strawberry.field(resolver=resolve, description=description)


@strawberry.type
class SourceRecordQueries:
    source_structures = _records_of(
        "structure",
        SourceStructure,
        "One producer's structures as it published them (mapped to the schema, not merged), "
        "by id; restricted producers only for consumers with their scope.",
    )
    source_services = _records_of(
        "service",
        SourceService,
        "One producer's services as it published them (mapped to the schema, not merged), by "
        "id; restricted producers only for consumers with their scope.",
    )
