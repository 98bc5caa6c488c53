"""The merged `Service` type: the schema's fields, its structure, producer records, provenance."""

from typing import TYPE_CHECKING, Annotated

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
from resolvers.pagination import Connection
from resolvers.provenance import Provenance, provenance_type

if TYPE_CHECKING:
    from resolvers.structures.types import Structure


@strawberry.type(description="A service as one producer published it.")
class SourceService(SourceRecord):
    pass


@provenance_type(schema_fields(v1.Service), "service")
class ServiceProvenance(Provenance):
    pass


@merged_type(
    v1.Service,
    kind="service",
    description="A service (aide alimentaire, accompagnement vers l'emploi…) merged from every "
    "producer that publishes it, each value with its provenance.",
)
class Service(MergedRecord[SourceService, ServiceProvenance]):
    @strawberry.field(description="The merged structure that offers this service.")
    async def structure(
        self, info: Info
    ) -> Annotated["Structure", strawberry.lazy("resolvers.structures.types")] | None:
        from resolvers.structures.types import Structure

        structure_id = self.row.get("structure_public_id")
        if not structure_id:
            return None
        row = await info.context.loaders.golden_by_id.load(
            ("structure", info.context.visibility, structure_id)
        )
        return Structure(row=row) if row else None

    score_qualite = quality_score(
        "Quality score of the service (data_inclusion.schema's `score_qualite`, computed at the "
        "ingest run that last changed it)."
    )


@strawberry.type(
    description="A page of merged services, with cursors to go on and the total count."
)
class ServiceConnection(Connection[Service]):
    pass
