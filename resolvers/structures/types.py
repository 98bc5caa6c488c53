"""The merged `Structure` type: the schema's fields, its services, producer records, provenance."""

import typing
from typing import Any

import strawberry
from data_inclusion.schema import v1

from resolvers.context import Info
from resolvers.merged import merged_type, resolver, source_record_type
from resolvers.pagination import Connection, build_connection, decode_id_cursor, page_size
from resolvers.services.types import Service, ServiceConnection

SourceStructure = source_record_type("SourceStructure", "structure")


def _score(self: Any) -> float | None:
    value = self.row.get("score_qualite")
    return None if value is None else float(value)


async def _services(
    self: Any, info: Info, first: int | None = None, after: str | None = None
) -> ServiceConnection:
    size = page_size(first)
    key = decode_id_cursor(after)
    visibility = info.context.visibility
    rows = await info.context.loaders.services_by_structure.load(
        (visibility, self.row["public_id"], size + 1, tuple(key) if key else None)
    )

    totals = [row.pop("_total", None) for _key, row in rows]

    async def count() -> int:
        if key is None:  # a first page is counted with its rows (none: no service)
            return int(totals[0]) if totals and totals[0] is not None else 0
        n: int = await info.context.loaders.service_count_by_structure.load(
            (visibility, self.row["public_id"])
        )
        return n

    return build_connection(
        [(k, Service(row=r)) for k, r in rows],
        first=size,
        after=key,
        count=count,
        cls=ServiceConnection,
    )


Structure = merged_type(
    "Structure",
    "structure",
    v1.Structure,
    what="structure",
    description="A structure (CCAS, mission locale, association…) merged from every producer "
    "that publishes it, each value with its provenance.",
    record_type=SourceStructure,
    extra={
        "score_qualite": resolver(
            _score,
            {"return": float | None},
            "Quality score: the mean of its services' scores (null without services).",
        ),
        "services": resolver(
            _services,
            {
                "info": Info,
                "first": typing.Annotated[
                    int | None,
                    strawberry.argument(description="Page size (default 20, at most 1000)."),
                ],
                "after": typing.Annotated[
                    str | None,
                    strawberry.argument(description="`endCursor` of the previous page."),
                ],
                "return": ServiceConnection,
            },
            "The structure's merged services, a page at a time, ordered by id.",
        ),
    },
)


@strawberry.type(
    description="A page of merged structures, with cursors to go on and the total count."
)
class StructureConnection(Connection[Structure]):  # type: ignore[valid-type]
    pass
