"""Root fields of the merged structures."""

from typing import Annotated

import strawberry

from resolvers.context import Info
from resolvers.filters import FilterArg
from resolvers.root_pages import AFTER_ARG, FIRST_ARG, ORDER_ARG, golden_page
from resolvers.structures.types import Structure, StructureConnection

ID_ARG = strawberry.argument(
    description="A structure id, or the id of any producer record merged into it."
)


@strawberry.type
class StructureQueries:
    @strawberry.field(
        description="One merged structure by its id or by the id of any producer record merged "
        "into it (`dora--42`, `emplois-de-linclusion--17`…); null when unknown."
    )
    async def structure(self, info: Info, id: Annotated[strawberry.ID, ID_ARG]) -> Structure | None:
        key = ("structure", info.context.visibility, str(id))
        row = await info.context.loaders.golden_by_id.load(key)
        return Structure(row=row) if row else None

    @strawberry.field(
        description="Merged structures, a page at a time (by id unless `orderBy` says otherwise)."
    )
    async def structures(
        self,
        info: Info,
        first: Annotated[int | None, FIRST_ARG] = None,
        after: Annotated[str | None, AFTER_ARG] = None,
        filter: FilterArg = None,
        order_by: ORDER_ARG = None,
    ) -> StructureConnection:
        return await golden_page(
            info,
            "structure",
            Structure,
            first=first,
            after=after,
            where=filter,
            order=order_by,
            connection=StructureConnection,
        )
