"""`changes`: the feed a consumer syncs from: merged records created, updated or deleted since a
time or since its last visit, with the fields that changed."""

import typing
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import strawberry

from resolvers.context import Info
from resolvers.errors import BadUserInput
from resolvers.merged.types import MergedRecord, graphql_name
from resolvers.pagination import PageInfo, decode_cursor, encode_cursor, page_info, page_size
from resolvers.root_pages import FIRST_ARG
from resolvers.row_fields import item
from store import changes as store

if TYPE_CHECKING:
    from resolvers.services.types import Service
    from resolvers.structures.types import Structure

M = TypeVar("M", bound=MergedRecord[Any, Any])

# stored field names that are not schema fields
SPECIAL_FIELDS = {"members": "sourceRecords", "structure_id": "structure"}


@strawberry.enum(description="What happened to a merged record.")
class ChangeOperation(Enum):
    CREATED = strawberry.enum_value(
        "created",
        description="It appeared (or came back). Treat as an upsert: a restricted consumer may "
        "see it for a record it already has, when a restricted producer joins it.",
    )
    UPDATED = strawberry.enum_value("updated", description="Some of its fields changed.")
    DELETED = strawberry.enum_value(
        "deleted", description="No producer publishes it any more: drop it."
    )


@strawberry.enum(description="The kinds of merged records.")
class RecordKind(Enum):
    STRUCTURE = strawberry.enum_value("structure", description="A merged structure.")
    SERVICE = strawberry.enum_value("service", description="A merged service.")


@strawberry.type(description="One entry of the change feed.")
class Change:
    row: strawberry.Private[dict[str, Any]]

    record_id = item(
        "public_id", strawberry.ID, "Id of the merged record that changed.", strawberry.ID
    )
    kind = item("kind", RecordKind, "Whether it is a structure or a service.", RecordKind)
    operation = item("operation", ChangeOperation, "What happened.", ChangeOperation)
    at = item(
        "at",
        datetime,
        "The time of the ingest run that made the change (when it started; its changes became "
        "visible when it committed, a little later). `since` compares with it: to miss nothing, "
        "follow the feed with `after` rather than with times.",
    )
    data_version = item(
        "data_version",
        int,
        "Which version of the data you read that run published: they count the runs that "
        "changed what you may see (1, 2, 3…).",
        int,
    )

    @strawberry.field(
        description="The fields whose merged value changed, named as in `Structure`/`Service` "
        "(`sourceRecords` when only the producer records behind it changed); every field it "
        "has for CREATED, none for DELETED."
    )
    def fields(self) -> list[str]:
        return [SPECIAL_FIELDS.get(f) or graphql_name(f) for f in self.row["fields"]]

    @strawberry.field(description="The structure as it is now (null once deleted).")
    async def structure(
        self, info: Info
    ) -> Annotated["Structure", strawberry.lazy("resolvers.structures.types")] | None:
        from resolvers.structures.types import Structure

        return await self._current(info, "structure", Structure)

    @strawberry.field(description="The service as it is now (null once deleted).")
    async def service(
        self, info: Info
    ) -> Annotated["Service", strawberry.lazy("resolvers.services.types")] | None:
        from resolvers.services.types import Service

        return await self._current(info, "service", Service)

    async def _current(self, info: Info, kind: str, node: type[M]) -> M | None:
        if self.row["kind"] != kind:
            return None
        row = await info.context.loaders.golden_by_id.load(
            (kind, info.context.visibility, self.row["public_id"])
        )
        # a lookup by id also finds records by member id: only the record itself is this one
        if row is None or row["public_id"] != self.row["public_id"]:
            return None
        return node(row=row)


@strawberry.type(description="An entry of the change feed and the cursor that points at it.")
class ChangeEdge:
    cursor: str = strawberry.field(description="Opaque position in the feed.")
    node: Change = strawberry.field(description="The change.")


@strawberry.type(description="A page of the change feed, oldest change first.")
class ChangeConnection:
    edges: list[ChangeEdge] = strawberry.field(description="The changes of this page.")
    page_info: PageInfo = strawberry.field(description="Cursors and whether more pages exist.")
    resume_cursor: str = strawberry.field(
        description="Where to come back from: pass it as `after` next time to get only what "
        "changed since this page (also when the page is empty)."
    )
    _count: strawberry.Private[Any]

    @strawberry.field(description="How many changes follow `since`/`after`, this page included.")
    async def total_count(self) -> int:
        n: int = await self._count()
        return n


def _position(after: str | None, visibility: str) -> int | None:
    key = decode_cursor(after)
    if key is None:
        return None
    if key and key[0] == "change":
        raise BadUserInput(
            "`after` is a cursor of an earlier numbering of the feed: sync again (walk the "
            "lists, then follow the feed from a new `resumeCursor`)",
            argument="after",
        )
    if (
        len(key) != 3
        or key[0] != "feed"
        or key[1] != visibility
        or isinstance(key[2], bool)
        or not isinstance(key[2], int)
        or not 0 <= key[2] < 2**63
    ):
        raise BadUserInput("`after` is not a cursor of your change feed", argument="after")
    return int(key[2])


def _cursor(visibility: str, position: int) -> str:
    return encode_cursor(["feed", visibility, position])


@strawberry.type
class ChangeQueries:
    @strawberry.field(
        description="The change feed: merged records created, updated or deleted after `since` "
        "or after a cursor, oldest first. Sync once with `structures`/`services` (note the "
        "`resumeCursor` of `changes(since: <time you started>)` first), then come back with "
        "`after: resumeCursor`. Entries are kept 90 days at least."
    )
    async def changes(
        self,
        info: Info,
        since: Annotated[
            datetime | None,
            strawberry.argument(description="Only changes after this time (ISO 8601, with zone)."),
        ] = None,
        after: Annotated[
            str | None,
            strawberry.argument(description="A `resumeCursor` or `endCursor` of this feed."),
        ] = None,
        first: Annotated[int | None, FIRST_ARG] = None,
        kinds: Annotated[
            list[RecordKind] | None,
            strawberry.argument(description="Only these kinds of records (default both)."),
        ] = None,
    ) -> ChangeConnection:
        size = page_size(first)
        visibility = info.context.visibility
        position = _position(after, visibility)
        if since is None and position is None:
            raise BadUserInput("give `since` (a time) or `after` (a cursor)", argument="since")
        if since is not None and since.tzinfo is None:
            raise BadUserInput(
                "`since` needs a time zone (`2026-11-27T10:00:00Z`)", argument="since"
            )
        wanted = [typing.cast(str, k.value) for k in kinds] if kinds else None
        async with info.context.db() as session:
            through, before = await store.pruned(session, visibility)
            if position is not None and position < through:
                raise BadUserInput(
                    "`after` points at changes `gateway prune` has dropped since: sync again "
                    "(walk the lists, then follow the feed from a new `resumeCursor`)",
                    argument="after",
                )
            if position is None and since is not None and before is not None and since < before:
                raise BadUserInput(
                    f"`since`: changes before {before.isoformat()} were pruned: sync again, or "
                    "ask from a later time",
                    argument="since",
                )
            # read before the page: an entry committed meanwhile has a larger position, so
            # resuming from here never skips it (runs that change data commit one after the
            # other) (an emptied feed resumes after what was pruned: positions never repeat)
            latest = (
                max(await store.last_position(session, visibility), through)
                if position is None
                else position
            )
            rows = await store.page(
                session,
                visibility,
                since=since,
                after=position,
                first=size + 1,
                kinds=wanted,
            )
        page = rows[:size]
        resume = page[-1]["position"] if page else latest

        async def count() -> int:
            async with info.context.db() as session:
                return await store.count(
                    session, visibility, since=since, after=position, kinds=wanted
                )

        edges = [
            ChangeEdge(cursor=_cursor(visibility, r["position"]), node=Change(row=r)) for r in page
        ]
        return ChangeConnection(
            edges=edges,
            page_info=page_info(
                edges, has_next=len(rows) > size, has_previous=position is not None
            ),
            resume_cursor=_cursor(visibility, resume),
            _count=count,
        )
