"""What merged structures and services share in the graph: the schema's fields (described by the
schema package itself), their producer records, duplicates, history and provenance."""

import types
import typing
from collections.abc import Callable
from datetime import date, datetime
from enum import Enum
from typing import Any, Union

import orjson
import strawberry
from strawberry.scalars import JSON

from resolvers import federation, personal
from resolvers.context import Info
from resolvers.errors import BadUserInput
from resolvers.pagination import (
    AFTER_ARG,
    FIRST_ARG,
    Connection,
    build_connection,
    decode_cursor,
    page_size,
)
from resolvers.provenance import (
    Claim,
    FieldChange,
    claims_of,
    field_history,
    is_history_key,
    provenance_type,
    served_name,
)
from resolvers.sources.types import Source
from resolvers.territories.types import ArrondissementMunicipal, Commune
from store.territories import ARRONDISSEMENT


@strawberry.type(
    description="Why two producer records were merged: a link decided by the duplicate model, "
    "one of its rules, or a person."
)
class DuplicateLink:
    row: strawberry.Private[dict[str, Any]]

    @strawberry.field(description="The two producer records' ids (`dora--42`).")
    def records(self) -> list[str]:
        return [self.row["a"], self.row["b"]]

    @strawberry.field(
        description="How the link was decided: `model` (the learnt duplicate model's "
        "probability), `siret` (one SIRET at one place with similar names), `one-per-commune` "
        "(a CCAS, CIAS or town hall of one name in one commune), `name-and-contact` (one name "
        "and a phone or e-mail of its own in one commune) or `manual` (a person's decision)."
    )
    def method(self) -> str:
        return str(self.row["method"])

    @strawberry.field(
        description="The model's match probability (1.0 for a rule, null for a person's link)."
    )
    def score(self) -> float | None:
        return self.row["score"]

    @strawberry.field(description="The version of the duplicate rules that decided it.")
    def rule_version(self) -> str | None:
        return self.row["rule_version"]

    @strawberry.field(
        description="What the two records were compared on: one level per field both have "
        "(`name`, `commune`, `distance`, `address`, `siret`, `phone`, `email`, `site_web`, "
        "`source`…; levels, never values) and, for the model, the weight each level added "
        "(`weights`, log-odds) and its `bias`. Null for a person's link."
    )
    def evidence(self) -> JSON | None:
        if self.row["method"] == "manual" or not self.row["reason"]:
            return None
        try:
            return orjson.loads(self.row["reason"])
        except orjson.JSONDecodeError:
            return None

    @strawberry.field(
        description="A person's link: why, in their words (served with a token only)."
    )
    def reason(self, info: Info) -> str | None:
        if self.row["method"] != "manual" or not info.context.has_token:
            return None
        return self.row["reason"]

    @strawberry.field(description="A person's link: who decided (served with a token only).")
    def decided_by(self, info: Info) -> str | None:
        return self.row["decided_by"] if info.context.has_token else None

    @strawberry.field(description="When the link was decided.")
    def created_at(self) -> datetime | None:
        return self.row["created_at"]


# set by the id rule or by the edges, not served as plain fields
NOT_PLAIN = frozenset({"source", "id", "structure_id"})


def graphql_name(field: str) -> str:
    """The GraphQL name of a schema field in the merged types."""
    return served_name(field)


def schema_fields(model: Any) -> list[str]:
    """The fields of a data·inclusion model served as plain fields of the merged type."""
    return [f for f in model.model_fields if f not in NOT_PLAIN]


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


_DATES = (date, date | None)


def _convert(value: Any, target: Any) -> Any:
    if value is None:
        return None
    if target in _DATES and isinstance(value, str):
        return date.fromisoformat(value[:10])
    return value


# list fields served as possibly null: the others are an empty list when no producer gives any
NULLABLE_LISTS = frozenset({"zone_eligibilite"})


def data_field(name: str, model: Any, description: str | None = None) -> Any:
    info = model.model_fields[name]
    gql = _graphql_type(info.annotation, info.is_required())
    empty: Any = None
    if gql == list[str] | None and name not in NULLABLE_LISTS:
        gql, empty = list[str], []
    described = description or (info.description or info.title or name).strip()
    if name in personal.TEXT:

        def masked(self: Any, info: Info) -> Any:
            value = _convert(self.row["data"].get(name), gql)
            return value if info.context.has_token else personal.masked(name, value)

        masked.__annotations__ = {"info": Info, "return": gql}
        described += " A mobile phone number written in it is masked for consumers without a token."
        return strawberry.field(resolver=masked, description=described)
    if name in personal.ALWAYS | personal.CHECKED:

        def guarded(self: Any, info: Info) -> Any:
            value = self.row["data"].get(name)
            if not info.context.has_token and personal.is_personal(name, value):
                return None
            return _convert(value, gql)

        guarded.__annotations__ = {"info": Info, "return": gql}
        described += (
            " May hold personal data: served only to consumers with a token."
            if name in personal.ALWAYS
            else " Served only to consumers with a token when it looks like a person's own "
            "(a mobile number anywhere in it, an address with a given name or an initial)."
        )
        return strawberry.field(resolver=guarded, description=described)

    if gql not in _DATES:  # the value as stored (most fields): one lookup

        def resolve(self: Any) -> Any:
            value = self.row["data"].get(name)
            return empty if value is None else value

    else:

        def resolve(self: Any) -> Any:
            value = _convert(self.row["data"].get(name), gql)
            return empty if value is None else value

    resolve.__annotations__ = {"return": gql}
    return strawberry.field(resolver=resolve, description=described)


def source_record_type(name: str, what: str) -> type:
    """A structure or service as one producer published it (after mapping)."""

    def id_(self: Any) -> strawberry.ID:
        return strawberry.ID(self.row["public_id"])

    async def source(self: Any, info: Info) -> Source | None:
        row = await info.context.loaders.source_by_slug.load(self.row["source_slug"])
        return Source(row=row) if row else None

    def date_maj(self: Any) -> date | None:
        return self.row.get("date_maj")

    def version(self: Any) -> int:
        return int(self.row["version"])

    def data(self: Any, info: Info) -> JSON:
        return typing.cast(
            JSON, personal.without_personal(info.context.has_token, self.row["data"])
        )

    id_.__annotations__ = {"return": strawberry.ID}
    source.__annotations__ = {"info": Info, "return": Source | None}
    date_maj.__annotations__ = {"return": date | None}
    version.__annotations__ = {"return": int}
    data.__annotations__ = {"info": Info, "return": JSON}
    attrs: dict[str, Any] = {
        "__annotations__": {"row": strawberry.Private[dict[str, Any]]},
        "id": strawberry.field(
            resolver=id_, description="Id of the producer record (`<source>--<producer id>`)."
        ),
        "source": strawberry.field(resolver=source, description="The producer."),
        "date_maj": strawberry.field(
            resolver=date_maj, description="The producer's update date of the record."
        ),
        "version": strawberry.field(
            resolver=version,
            description="Version of the record in the gateway (1 when never changed).",
        ),
        "data": strawberry.field(
            resolver=data, description="The record's schema fields as the producer sent them."
        ),
    }
    return strawberry.type(
        type(name, (), attrs), description=f"A {what} as one producer published it."
    )


def merged_type(
    name: str,
    kind: str,
    model: Any,
    *,
    what: str,
    description: str,
    record_type: type,
    extra: dict[str, Any],
) -> type:
    """The merged type of one kind: plain schema fields, then what every merged record has."""
    fields = schema_fields(model)
    by_graphql_name = {graphql_name(f): f for f in fields}
    provenance_cls = provenance_type(f"{name}Provenance", fields, what)
    attrs: dict[str, Any] = {"__annotations__": {"row": strawberry.Private[dict[str, Any]]}}

    def id_(self: Any) -> strawberry.ID:
        return strawberry.ID(self.row["public_id"])

    id_.__annotations__ = {"return": strawberry.ID}
    attrs["id"] = strawberry.field(
        resolver=id_,
        description="Public data·inclusion id (`dora--42`): the id of the oldest producer record "
        "every consumer may see, kept while the merged record lives. A lookup by any member "
        "record's id finds this record too.",
    )
    for field_name in fields:
        attrs[field_name] = data_field(field_name, model)
    # `commune` is the edge to the territory; the name as the producers wrote it stays readable
    attrs["commune_libelle"] = data_field(
        "commune",
        model,
        "The commune's name as the producers wrote it (`commune` in data·inclusion's schema).",
    )

    async def commune(self: Any, info: Info) -> Commune | None:
        code = self.row["data"].get("code_insee")
        if not code:
            return None
        loaders = info.context.loaders
        current = await loaders.current_commune_code_by_code.load(code)
        row = await loaders.commune_by_code.load(current) if current else None
        return Commune(row=row) if row else None

    commune.__annotations__ = {"info": Info, "return": Commune | None}
    attrs["commune"] = strawberry.field(
        resolver=commune,
        description=f"The commune of the {what} (from `codeInsee`; former, delegated and "
        "associated communes resolved to the current one, a municipal arrondissement to its "
        "commune: Paris for `75111`), and through it its EPCI, département and région; "
        "`arrondissement` gives the arrondissement itself, `communeLibelle` the name as the "
        "producers wrote it.",
    )

    async def arrondissement(self: Any, info: Info) -> ArrondissementMunicipal | None:
        code = self.row["data"].get("code_insee")
        if not code:
            return None
        row = await info.context.loaders.commune_by_code.load(code)
        return ArrondissementMunicipal(row=row) if row and row.type == ARRONDISSEMENT else None

    arrondissement.__annotations__ = {"info": Info, "return": ArrondissementMunicipal | None}
    attrs["arrondissement"] = strawberry.field(
        resolver=arrondissement,
        description=f"The municipal arrondissement of the {what} when `codeInsee` names one "
        "(Paris, Lyon, Marseille: `75111`); null otherwise. `commune` is its commune.",
    )

    async def source(self: Any, info: Info) -> Source | None:
        row = await info.context.loaders.source_by_slug.load(self.row["data"].get("source"))
        return Source(row=row) if row else None

    source.__annotations__ = {"info": Info, "return": Source | None}
    attrs["source"] = strawberry.field(
        resolver=source, description="The producer whose id the merged record carries."
    )

    async def members(info: Info, row: dict[str, Any]) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = await info.context.loaders.member_records_by_golden_id.load(
            row["id"]
        )
        return found

    async def sources(self: Any, info: Info) -> list[Source]:
        rows = await info.context.loaders.sources_by_golden_id.load(self.row["id"])
        return [Source(row=r) for r in rows]

    sources.__annotations__ = {"info": Info, "return": list[Source]}
    attrs["sources"] = strawberry.field(
        resolver=sources, description=f"Every producer that publishes this {what}."
    )

    async def source_records(self: Any, info: Info, sources: list[str] | None = None) -> Any:
        rows = await members(info, self.row)
        return [record_type(row=r) for r in rows if sources is None or r["source_slug"] in sources]

    source_records.__annotations__ = {
        "info": Info,
        "sources": typing.Annotated[
            list[str] | None,
            strawberry.argument(description="Only the records of these producers (slugs)."),
        ],
        "return": list[record_type],  # type: ignore[valid-type]
    }
    attrs["source_records"] = strawberry.field(
        resolver=source_records,
        description=f"The producer records merged into this {what}, as each producer "
        "published them.",
    )

    async def doublons(self: Any, info: Info) -> Any:
        rows = await members(info, self.row)
        return [record_type(row=r) for r in rows if r["public_id"] != self.row["public_id"]]

    doublons.__annotations__ = {"info": Info, "return": list[record_type]}  # type: ignore[valid-type]
    attrs["doublons"] = strawberry.field(
        resolver=doublons,
        description="The linked duplicates: every producer record merged into this one except "
        "the record whose id it carries (what the real API's `exclure_doublons` leaves out).",
    )

    async def links(self: Any, info: Info) -> list[DuplicateLink]:
        rows = await info.context.loaders.links_by_golden_id.load(self.row["id"])
        return [DuplicateLink(row=r) for r in rows]

    links.__annotations__ = {"info": Info, "return": list[DuplicateLink]}
    attrs["links"] = strawberry.field(
        resolver=links,
        description=f"Why the producer records of this {what} were merged: each standing link "
        "between two of them, with its method, score and evidence.",
    )

    def readable(info: Info, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Producer rows with their data as this consumer may read it (free text masked)."""
        if info.context.has_token:
            return rows
        return [{**r, "data": personal.without_personal(False, r["data"])} for r in rows]

    def allowed(info: Info, field_name: str) -> bool:
        return field_name not in personal.ALWAYS or info.context.has_token

    def visible(info: Info, field_name: str, value: Any) -> bool:
        return info.context.has_token or not personal.is_personal(field_name, value)

    def fields_named(names: list[str] | None, argument: str) -> list[str]:
        if names is None:
            return list(fields)
        unknown = sorted(set(names) - set(by_graphql_name))
        if unknown:
            raise BadUserInput(
                f"`{argument}`: {', '.join(map(repr, unknown))} not a field of {name}; one of: "
                f"{', '.join(sorted(by_graphql_name))}",
                argument=argument,
            )
        return [by_graphql_name[n] for n in names]

    async def history(
        self: Any,
        info: Info,
        field: str | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[FieldChange]:
        size = page_size(first)
        key = decode_cursor(after)
        if key is not None and not (len(key) == 2 and key[0] == "h" and is_history_key(key[1])):
            raise BadUserInput("`after` is not a cursor of this history", argument="after")
        names = [
            n for n in fields_named(None if field is None else [field], "field") if allowed(info, n)
        ]
        versions = readable(
            info, await info.context.loaders.versions_by_golden_id.load(self.row["id"])
        )
        changes = [
            (k, c)
            for k, c in field_history(versions, names)
            if visible(info, c.field_name, c.row["data"].get(c.field_name))
        ]
        rows = [(["h", k], c) for k, c in changes if key is None or k > key[1]][: size + 1]

        async def count() -> int:
            return len(changes)

        return build_connection(rows, first=size, after=key, count=count)

    history.__annotations__ = {
        "info": Info,
        "field": typing.Annotated[
            str | None,
            strawberry.argument(
                description="Only this field, named as in this type (`telephone`); default all."
            ),
        ],
        "first": typing.Annotated[int | None, FIRST_ARG],
        "after": typing.Annotated[str | None, AFTER_ARG],
        "return": Connection[FieldChange],
    }
    attrs["history"] = strawberry.field(
        resolver=history,
        description="How the fields changed over time at each producer behind this record: one "
        "entry per value a producer record sent, oldest first.",
    )

    async def claims(self: Any, info: Info, fields: list[str] | None = None) -> list[Claim]:
        names = [n for n in fields_named(fields, "fields") if allowed(info, n)]
        loaders = info.context.loaders
        rows = readable(info, await members(info, self.row))
        provenance = await loaders.provenance_by_golden_id.load(self.row["id"])
        return [
            c
            for c in claims_of(rows, provenance, names)
            if visible(info, c.field_name, c.row["data"].get(c.field_name))
        ]

    claims.__annotations__ = {
        "info": Info,
        "fields": typing.Annotated[
            list[str] | None,
            strawberry.argument(
                description="Only these fields, named as in this type; default all."
            ),
        ],
        "return": list[Claim],
    }
    attrs["claims"] = strawberry.field(
        resolver=claims,
        description=f"What every producer behind this {what} says, field by field (only "
        "non-null values), and which value was chosen: compare them with `provenance`.",
    )

    async def provenance(self: Any, info: Info) -> Any:
        rows = await info.context.loaders.provenance_by_golden_id.load(self.row["id"])
        return provenance_cls(rows=rows)

    provenance.__annotations__ = {"info": Info, "return": provenance_cls}
    attrs["provenance"] = strawberry.field(
        resolver=provenance,
        description="For every field: the producer that supplied the value, when, and why it won.",
    )
    attrs.update(extra)

    async def resolve_reference(cls: Any, info: Info, id: strawberry.ID) -> Any:
        """An entity of this type for a federation router (`_entities`), as `structure(id:)` /
        `service(id:)` would answer it for the same consumer."""
        row = await info.context.loaders.golden_by_id.load((kind, info.context.visibility, str(id)))
        return cls(row=row) if row else None

    attrs["resolve_reference"] = classmethod(resolve_reference)
    return strawberry.type(
        type(name, (), attrs), description=description, directives=[federation.key("id")]
    )


def resolver(fn: Callable[..., Any], annotations: dict[str, Any], description: str) -> Any:
    """A strawberry field from a plain function and its annotations (for generated types)."""
    fn.__annotations__ = annotations
    return strawberry.field(resolver=fn, description=description)
