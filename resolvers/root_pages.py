"""Pages of merged records as the list fields serve them: the root lists (filtered, ordered) and
the records of one territory or producer (through the per-request loaders)."""

import typing
from enum import Enum
from typing import Annotated, Any

import strawberry

from resolvers.context import Info
from resolvers.errors import BadUserInput
from resolvers.filters import CommonFilter, build_filter
from resolvers.pagination import (
    AFTER_ARG,
    FIRST_ARG,
    C,
    asks_for,
    build_connection,
    decode_cursor,
    decode_id_cursor,
    page_size,
)
from store import listing as store

__all__ = ["AFTER_ARG", "FIRST_ARG", "ORDER_ARG", "Order", "golden_page", "value_page"]


@strawberry.enum(description="How a list of merged records is sorted (then by id).")
class Order(Enum):
    ID = strawberry.enum_value(
        "id",
        description="By id: the default, and the order to sync with (a walk through it meets "
        "every record that lives through the walk exactly once, even while ingests land).",
    )
    NOM = strawberry.enum_value(
        "nom", description="Alphabetically by name (accent- and case-blind)."
    )
    DATE_MAJ_DESC = strawberry.enum_value(
        "date_maj_desc", description="Most recently updated first (no date last)."
    )
    SCORE_QUALITE_DESC = strawberry.enum_value(
        "score_qualite_desc", description="Best quality score first (no score last)."
    )


ORDER_ARG = Annotated[
    Order | None,
    strawberry.argument(
        description="Sort order (default `ID`). Sorts other than `ID` follow values an ingest "
        "may change, so a walk through them may meet a record twice or miss one."
    ),
]


def _after(after: str | None, order: str) -> list[Any] | None:
    key = decode_cursor(after)
    if key is None:
        return None
    try:
        store.ORDERS[order].after(key)
    except ValueError as exc:
        raise BadUserInput(
            f"`after` is not a cursor of this list in the order {order.upper()}",
            argument="after",
        ) from exc
    return key


async def golden_page(
    info: Info,
    kind: str,
    node: Any,
    *,
    first: int | None,
    after: str | None,
    where: CommonFilter | None = None,
    order: Order | None = None,
    connection: type[C],
) -> C:
    """`first` merged records of `kind` after the cursor, in the consumer's view."""
    size = page_size(first)
    sort = typing.cast(str, (order or Order.ID).value)
    key = _after(after, sort)
    visibility = info.context.visibility
    condition = await build_filter(info, where)
    with_total = asks_for(info, "totalCount")  # then counted by the page's own statement
    async with info.context.db() as session:
        rows = await store.page(
            session,
            kind,
            visibility,
            first=size + 1,
            after=key,
            where=condition,
            order=sort,
            with_total=with_total,
        )
    totals = [row.pop("_total", None) for _key, row in rows]
    total = totals[0] if totals else None

    async def count() -> int:
        if total is not None:
            return int(total)
        async with info.context.db() as session:
            return await store.count(session, kind, visibility, condition)

    return build_connection(
        [(k, node(row=r)) for k, r in rows], first=size, after=key, count=count, cls=connection
    )


async def value_page(
    info: Info,
    kind: str,
    node: Any,
    field: str,
    value: str,
    *,
    first: int | None,
    after: str | None,
    connection: type[C],
) -> C:
    """The merged records of `kind` holding `value` in the filter field `field` (a territory's
    code, a producer's slug), by id; batched with every other such page of the request."""
    size = page_size(first)
    key = decode_id_cursor(after)
    visibility = info.context.visibility
    loaders = info.context.loaders
    rows = await loaders.golden_pages_by_value.load(
        (kind, visibility, field, value, size + 1, tuple(key) if key else None)
    )

    async def count() -> int:
        n: int = await loaders.golden_count_by_value.load((kind, visibility, field, value))
        return n

    return build_connection(
        [(k, node(row=r)) for k, r in rows], first=size, after=key, count=count, cls=connection
    )


def record_field(node: Any, description: str, id_description: str) -> Any:
    """The root field of one merged record of the type `node` (`structure(id:)`), found by its
    id or a member record's id as a federation router finds it (`resolve_reference`)."""

    async def resolve(self: Any, info: Info, id: strawberry.ID) -> Any:
        return await node.resolve_reference(info, id)

    resolve.__annotations__ = {
        "info": Info,
        "id": Annotated[strawberry.ID, strawberry.argument(description=id_description)],
        "return": node | None,
    }
    return strawberry.field(resolver=resolve, description=description)


def records_field(node: Any, connection: Any, filter_arg: Any, description: str) -> Any:
    """The root list of the merged records of the type `node` (`structures`), served as
    `connection` pages, filtered by an argument typed `filter_arg` and ordered by `orderBy`."""

    async def resolve(
        self: Any,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: CommonFilter | None = None,
        order_by: Order | None = None,
    ) -> Any:
        return await golden_page(
            info,
            node.kind,
            node,
            first=first,
            after=after,
            where=filter,
            order=order_by,
            connection=connection,
        )

    resolve.__annotations__ = {
        "info": Info,
        "first": Annotated[int | None, FIRST_ARG],
        "after": Annotated[str | None, AFTER_ARG],
        "filter": filter_arg,
        "order_by": ORDER_ARG,
        "return": connection,
    }
    return strawberry.field(resolver=resolve, description=description)
