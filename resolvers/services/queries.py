"""Root fields of the merged services."""

from typing import Annotated

import strawberry

from resolvers.context import Info
from resolvers.filters import ServiceFilterArg
from resolvers.root_pages import AFTER_ARG, FIRST_ARG, ORDER_ARG, golden_page
from resolvers.services.types import Service, ServiceConnection

ID_ARG = strawberry.argument(
    description="A service id, or the id of any producer record merged into it."
)


@strawberry.type
class ServiceQueries:
    @strawberry.field(
        description="One merged service by its id or by the id of any producer record merged "
        "into it (`dora--s1`, `soliguide--884-aide-alimentaire`…); null when unknown."
    )
    async def service(self, info: Info, id: Annotated[strawberry.ID, ID_ARG]) -> Service | None:
        key = ("service", info.context.visibility, str(id))
        row = await info.context.loaders.golden_by_id.load(key)
        return Service(row=row) if row else None

    @strawberry.field(
        description="Merged services, a page at a time (by id unless `orderBy` says otherwise)."
    )
    async def services(
        self,
        info: Info,
        first: Annotated[int | None, FIRST_ARG] = None,
        after: Annotated[str | None, AFTER_ARG] = None,
        filter: ServiceFilterArg = None,
        order_by: ORDER_ARG = None,
    ) -> ServiceConnection:
        return await golden_page(
            info,
            "service",
            Service,
            first=first,
            after=after,
            where=filter,
            order=order_by,
            connection=ServiceConnection,
        )
