"""The merged `Service` type: the schema's fields, its structure, producer records, provenance."""

from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from data_inclusion.schema import v1

from resolvers.context import Info
from resolvers.merged import merged_type, resolver, source_record_type
from resolvers.pagination import Connection

if TYPE_CHECKING:
    from resolvers.structures.types import Structure

SourceService = source_record_type("SourceService", "service")


async def _structure(
    self: Any, info: Info
) -> Annotated["Structure", strawberry.lazy("resolvers.structures.types")] | None:  # type: ignore[valid-type]
    from resolvers.structures.types import Structure

    structure_id = self.row.get("structure_public_id")
    if not structure_id:
        return None
    row = await info.context.loaders.golden_by_id.load(
        ("structure", info.context.visibility, structure_id)
    )
    return Structure(row=row) if row else None


def _score(self: Any) -> float | None:
    value = self.row.get("score_qualite")
    return None if value is None else float(value)


Service = merged_type(
    "Service",
    "service",
    v1.Service,
    what="service",
    description="A service (aide alimentaire, accompagnement vers l'emploi…) merged from every "
    "producer that publishes it, each value with its provenance.",
    record_type=SourceService,
    extra={
        "structure": resolver(
            _structure,
            {
                "info": Info,
                "return": Annotated["Structure", strawberry.lazy("resolvers.structures.types")]
                | None,
            },
            "The merged structure that offers this service.",
        ),
        "score_qualite": resolver(
            _score,
            {"return": float | None},
            "Quality score of the service (data_inclusion.schema's `score_qualite`, computed at "
            "the ingest run that last changed it).",
        ),
    },
)


@strawberry.type(
    description="A page of merged services, with cursors to go on and the total count."
)
class ServiceConnection(Connection[Service]):  # type: ignore[valid-type]
    pass
