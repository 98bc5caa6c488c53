"""Root fields of the producers."""

from typing import Annotated

import strawberry

from resolvers.context import Info
from resolvers.sources.types import Source
from store import golden as store


@strawberry.type
class SourceQueries:
    @strawberry.field(description="Every producer of the registry, by slug.")
    async def sources(self, info: Info) -> list[Source]:
        async with info.context.db() as session:
            rows = await store.all_sources(session)
        return [Source(row=r) for r in rows]

    @strawberry.field(description="One producer by slug; null when unknown.")
    async def source(
        self,
        info: Info,
        slug: Annotated[str, strawberry.argument(description="The producer's slug (`dora`).")],
    ) -> Source | None:
        found: Source | None = await Source.resolve_reference(info, slug)
        return found
