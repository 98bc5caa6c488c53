"""Root fields of the merged structures."""

from typing import Annotated, Any

import strawberry

from resolvers.pagination import Connection, build_connection, decode_cursor, page_size
from resolvers.structures.types import VISIBILITY, Info, Structure
from store import golden as store


@strawberry.type
class StructureQueries:
    @strawberry.field(
        description="One merged structure by its id or by the id of any producer record merged "
        "into it (`dora--42`, `emplois-de-linclusion--17`…); null when unknown."
    )
    async def structure(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="A structure id.")],
    ) -> Structure | None:  # type: ignore[valid-type]
        row = await info.context.loaders.golden_by_id.load(("structure", VISIBILITY, str(id)))
        return Structure(row=row) if row else None

    @strawberry.field(description="Merged structures, a page at a time, ordered by id.")
    async def structures(
        self,
        info: Info,
        first: Annotated[
            int | None, strawberry.argument(description="Page size (default 20, at most 1000).")
        ] = None,
        after: Annotated[
            str | None,
            strawberry.argument(description="`endCursor` of the previous page, to go on."),
        ] = None,
    ) -> Connection[Structure]:  # type: ignore[valid-type]
        size = page_size(first)
        key = decode_cursor(after)
        async with info.context.db() as session:
            rows = await store.page(session, "structure", VISIBILITY, first=size + 1, after=key)

        async def count() -> int:
            async with info.context.db() as session:
                return await store.count(session, "structure", VISIBILITY)

        nodes: list[tuple[list[Any], Any]] = [(k, Structure(row=r)) for k, r in rows]
        return build_connection(nodes, first=size, after=key, count=count)
