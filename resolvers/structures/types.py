"""The merged `Structure` type: the schema's fields, its services, producer records, provenance."""

from typing import Annotated

import strawberry
from data_inclusion.schema import v1

from resolvers.context import Info
from resolvers.merged.types import (
    MergedRecord,
    SourceRecord,
    merged_type,
    quality_score,
    schema_fields,
)
from resolvers.pagination import (
    FIRST_ARG,
    Connection,
    build_connection,
    decode_id_cursor,
    page_size,
)
from resolvers.provenance import Provenance, provenance_type
from resolvers.services.types import Service, ServiceConnection


@strawberry.type(description="A structure as one producer published it.")
class SourceStructure(SourceRecord):
    pass


@provenance_type(schema_fields(v1.Structure), "structure")
class StructureProvenance(Provenance):
    pass


@merged_type(
    v1.Structure,
    kind="structure",
    description="A structure (CCAS, mission locale, association…) merged from every producer "
    "that publishes it, each value with its provenance.",
)
class Structure(MergedRecord[SourceStructure, StructureProvenance]):
    score_qualite = quality_score(
        "Quality score: the mean of its services' scores (null without services)."
    )

    @strawberry.field(
        description="The structure's merged services, a page at a time, ordered by id."
    )
    async def services(
        self,
        info: Info,
        first: Annotated[int | None, FIRST_ARG] = None,
        after: Annotated[
            str | None, strawberry.argument(description="`endCursor` of the previous page.")
        ] = None,
    ) -> ServiceConnection:
        size = page_size(first)
        key = decode_id_cursor(after)
        visibility = info.context.visibility
        rows = await info.context.loaders.services_by_structure_id.load(
            (visibility, self.row["public_id"], size + 1, tuple(key) if key else None)
        )

        totals = [row.pop("_total", None) for _key, row in rows]

        async def count() -> int:
            if key is None:  # a first page is counted with its rows (none: no service)
                return int(totals[0]) if totals and totals[0] is not None else 0
            n: int = await info.context.loaders.service_count_by_structure_id.load(
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


@strawberry.type(
    description="A page of merged structures, with cursors to go on and the total count."
)
class StructureConnection(Connection[Structure]):
    pass
