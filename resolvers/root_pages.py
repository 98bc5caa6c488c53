"""A page of merged records of one kind, as the root list fields serve them."""

from typing import Any

import strawberry

from resolvers.filters import CommonFilter, build_filter
from resolvers.merged import Info
from resolvers.pagination import Connection, build_connection, decode_cursor, page_size
from store import golden as store

FIRST_ARG = strawberry.argument(description="Page size (default 20, at most 1000).")
AFTER_ARG = strawberry.argument(description="`endCursor` of the previous page, to go on.")


async def golden_page(
    info: Info,
    kind: str,
    node: Any,
    *,
    first: int | None,
    after: str | None,
    where: CommonFilter | None = None,
) -> Connection[Any]:
    """`first` merged records of `kind` after the cursor, ordered by id, in the consumer's view."""
    size = page_size(first)
    key = decode_cursor(after)
    visibility = info.context.visibility
    condition = await build_filter(info, where)
    async with info.context.db() as session:
        rows = await store.page(
            session, kind, visibility, first=size + 1, after=key, where=condition
        )

    async def count() -> int:
        async with info.context.db() as session:
            return await store.count(session, kind, visibility, condition)

    return build_connection([(k, node(row=r)) for k, r in rows], first=size, after=key, count=count)
