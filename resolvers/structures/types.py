"""The merged `Structure` type: the schema's fields (described by the schema package itself),
its producer records and the provenance of every value."""

import types
import typing
from datetime import date
from enum import Enum
from typing import Any, Union

import strawberry
from data_inclusion.schema import v1
from strawberry.scalars import JSON

from resolvers.context import Context
from resolvers.errors import BadUserInput
from resolvers.provenance import HistoryEntry, field_history, provenance_type
from resolvers.sources.types import Source

Info = strawberry.Info[Context, None]
VISIBILITY = "public"  # consumers' scopes arrive with the access issue; until then the open view

STRUCTURE_FIELDS = [f for f in v1.Structure.model_fields if f not in ("source", "id")]
STRUCTURE_FIELDS_BY_GRAPHQL_NAME = {
    f.split("_")[0] + "".join(p.title() for p in f.split("_")[1:]): f for f in STRUCTURE_FIELDS
}


def _graphql_type(annotation: Any, required: bool) -> Any:
    """The GraphQL type of a schema field: enums and URLs as strings, sets as lists."""
    base = annotation
    args = typing.get_args(base)
    if typing.get_origin(base) in (Union, types.UnionType):
        base = next(a for a in args if a is not type(None))
        args = typing.get_args(base)
    origin = typing.get_origin(base)
    if origin is typing.Annotated:
        base = args[0]
        origin = typing.get_origin(base)
    if origin in (list, set, frozenset):
        out: Any = list[str]
    elif base is date:
        out = date
    elif base is float:
        out = float
    elif base is int:
        out = int
    elif isinstance(base, type) and issubclass(base, Enum):
        out = str
    else:
        out = str
    return out if required else out | None


def _convert(value: Any, target: Any) -> Any:
    if value is None:
        return None
    if target in (date, date | None) and isinstance(value, str):
        return date.fromisoformat(value[:10])
    return value


def data_field(name: str, model: Any) -> Any:
    info = model.model_fields[name]
    gql = _graphql_type(info.annotation, info.is_required())

    def resolve(self: Any) -> Any:
        return _convert(self.row["data"].get(name), gql)

    resolve.__annotations__ = {"return": gql}
    description = (info.description or info.title or name).strip()
    return strawberry.field(resolver=resolve, description=description)


StructureProvenance = provenance_type("StructureProvenance", STRUCTURE_FIELDS, "structure")


@strawberry.type(description="A structure as one producer published it (after mapping).")
class SourceRecord:
    row: strawberry.Private[dict[str, Any]]

    @strawberry.field(description="Id of the producer record (`<source>--<producer id>`).")
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.row["public_id"])

    @strawberry.field(description="The producer.")
    async def source(self, info: Info) -> Source | None:
        row = await info.context.loaders.source_by_slug.load(self.row["source_slug"])
        return Source(row=row) if row else None

    @strawberry.field(description="The producer's update date of the record.")
    def date_maj(self) -> date | None:
        return self.row.get("date_maj")

    @strawberry.field(description="Version of the record in the gateway (1 when never changed).")
    def version(self) -> int:
        return int(self.row["version"])

    @strawberry.field(description="The record's schema fields as the producer sent them.")
    def data(self) -> JSON:
        return self.row["data"]


def _structure_class() -> type:
    attrs: dict[str, Any] = {"__annotations__": {"row": strawberry.Private[dict[str, Any]]}}

    def id_(self: Any) -> strawberry.ID:
        return strawberry.ID(self.row["public_id"])

    id_.__annotations__ = {"return": strawberry.ID}
    attrs["id"] = strawberry.field(
        resolver=id_,
        description="Public data·inclusion id (`dora--42`): the id of the oldest producer record "
        "every consumer may see. A lookup by any member record's id finds this record too.",
    )
    for name in STRUCTURE_FIELDS:
        attrs[name] = data_field(name, v1.Structure)

    def score(self: Any) -> float | None:
        return self.row.get("score_qualite")

    score.__annotations__ = {"return": float | None}
    attrs["score_qualite"] = strawberry.field(
        resolver=score,
        description="Quality score: the mean of its services' scores (null without services).",
    )

    async def source(self: Any, info: Info) -> Source | None:
        row = await info.context.loaders.source_by_slug.load(self.row["data"].get("source"))
        return Source(row=row) if row else None

    source.__annotations__ = {"info": Info, "return": Source | None}
    attrs["source"] = strawberry.field(
        resolver=source, description="The producer whose id the merged record carries."
    )

    async def source_records(
        self: Any, info: Info, sources: list[str] | None = None
    ) -> list[SourceRecord]:
        rows = await info.context.loaders.member_records_by_golden_id.load(self.row["id"])
        return [SourceRecord(row=r) for r in rows if sources is None or r["source_slug"] in sources]

    source_records.__annotations__ = {
        "info": Info,
        "sources": typing.Annotated[
            list[str] | None,
            strawberry.argument(description="Only the records of these producers (slugs)."),
        ],
        "return": list[SourceRecord],
    }
    attrs["source_records"] = strawberry.field(
        resolver=source_records,
        description="The producer records merged into this one, as each producer published them.",
    )

    async def history(self: Any, info: Info, field: str) -> list[HistoryEntry]:
        if field not in STRUCTURE_FIELDS_BY_GRAPHQL_NAME:
            raise BadUserInput(
                f"`field` must be a field of Structure, one of: "
                f"{', '.join(sorted(STRUCTURE_FIELDS_BY_GRAPHQL_NAME))}",
                argument="field",
            )
        versions = await info.context.loaders.versions_by_golden_id.load(self.row["id"])
        return field_history(versions, STRUCTURE_FIELDS_BY_GRAPHQL_NAME[field])

    history.__annotations__ = {
        "info": Info,
        "field": typing.Annotated[
            str, strawberry.argument(description="A field name as in this type (`telephone`).")
        ],
        "return": list[HistoryEntry],
    }
    attrs["history"] = strawberry.field(
        resolver=history,
        description="How one field changed over time at each producer behind this record.",
    )

    async def provenance(self: Any, info: Info) -> Any:
        rows = await info.context.loaders.provenance_by_golden_id.load(self.row["id"])
        return StructureProvenance(rows=rows)

    provenance.__annotations__ = {"info": Info, "return": StructureProvenance}
    attrs["provenance"] = strawberry.field(
        resolver=provenance,
        description="For every field: the producer that supplied the value, when, and why it won.",
    )
    return strawberry.type(
        type("Structure", (), attrs),
        description="A structure (CCAS, mission locale, association…) merged from every producer "
        "that publishes it, each value with its provenance.",
    )


Structure = _structure_class()
