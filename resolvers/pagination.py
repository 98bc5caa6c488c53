"""Relay-style cursor connections: opaque cursors over keyset sort keys."""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, TypeVar

import orjson
import strawberry
from strawberry.types.nodes import SelectedField

from resolvers.errors import BadUserInput

T = TypeVar("T")

DEFAULT_PAGE = 20
MAX_PAGE = 1000

FIRST_ARG = strawberry.argument(
    description=f"Page size (default {DEFAULT_PAGE}, at most {MAX_PAGE})."
)
AFTER_ARG = strawberry.argument(description="`endCursor` of the previous page, to go on.")


def encode_cursor(key: Sequence[Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(list(key))).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> list[Any] | None:
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = orjson.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, orjson.JSONDecodeError) as exc:
        raise BadUserInput(
            f"`after` is not a cursor of this API: {cursor!r}", argument="after"
        ) from exc
    if not isinstance(key, list) or not key:
        raise BadUserInput(f"`after` is not a cursor of this API: {cursor!r}", argument="after")
    return key


def decode_id_cursor(cursor: str | None) -> list[Any] | None:
    """A cursor of a list ordered by id alone (`[id]`)."""
    key = decode_cursor(cursor)
    if key is not None and (len(key) != 1 or not isinstance(key[0], str)):
        raise BadUserInput("`after` is not a cursor of this list", argument="after")
    return key


def page_size(first: int | None, *, default: int = DEFAULT_PAGE, maximum: int = MAX_PAGE) -> int:
    if first is None:
        return default
    if first < 0:
        raise BadUserInput("`first` must be zero or more", argument="first")
    if first > maximum:
        raise BadUserInput(f"`first` is capped at {maximum}; page with `after`", argument="first")
    return first


@strawberry.type(description="Where a page stands in the whole list.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="Whether a page follows this one.")
    has_previous_page: bool = strawberry.field(
        description="Whether this page was asked for with a cursor (`after`)."
    )
    start_cursor: str | None = strawberry.field(description="Cursor of the first edge.")
    end_cursor: str | None = strawberry.field(
        description="Cursor of the last edge: pass it as `after` for the next page."
    )


@strawberry.type(description="One item of a page and the cursor that points at it.")
class Edge(Generic[T]):
    cursor: str = strawberry.field(description="Opaque position of this item in the list.")
    node: T = strawberry.field(description="The item.")


@strawberry.type(description="A page of a list, with cursors to go on and the total count.")
class Connection(Generic[T]):
    edges: list[Edge[T]] = strawberry.field(description="The items of this page, in order.")
    page_info: PageInfo = strawberry.field(description="Cursors and whether more pages exist.")
    _count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="How many items the whole list holds (counted only if asked).")
    async def total_count(self) -> int:
        return await self._count()


C = TypeVar("C", bound=Connection[Any])


def build_connection(
    rows: Sequence[tuple[Sequence[Any], Any]],
    *,
    first: int,
    after: Sequence[Any] | None,
    count: Callable[[], Awaitable[int]],
    cls: type[C],
) -> C:
    """`rows` holds up to `first + 1` (sort key, node) pairs; the extra one only says more exist.
    `cls`: the connection type served (`ServiceConnection`, or a `Connection`)."""
    page = rows[:first]
    edges = [Edge(cursor=encode_cursor(key), node=node) for key, node in page]
    return cls(
        edges=edges,
        page_info=page_info(edges, has_next=len(rows) > first, has_previous=after is not None),
        _count=count,
    )


def page_info(edges: Sequence[Any], *, has_next: bool, has_previous: bool) -> PageInfo:
    """The `pageInfo` of a page of `edges` (each with its `cursor`)."""
    return PageInfo(
        has_next_page=has_next,
        has_previous_page=has_previous,
        start_cursor=edges[0].cursor if edges else None,
        end_cursor=edges[-1].cursor if edges else None,
    )


def asks_for(info: Any, name: str) -> bool:
    """Whether the current field's selection (fragments included) asks for the field `name`
    at its first level: a look-ahead, so a resolver can fetch it with the rest."""
    pending = [s for field in info.selected_fields for s in field.selections]
    while pending:
        selection = pending.pop()
        if isinstance(selection, SelectedField):
            if selection.name == name:
                return True
        else:  # a fragment: its own selections are at the same level
            pending += selection.selections
    return False
