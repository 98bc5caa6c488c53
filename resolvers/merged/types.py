"""What merged structures and services share in the graph: the schema's fields (described by the
schema package itself), their producer records, duplicates, history and provenance."""

import copy
import types
import typing
from collections.abc import Callable
from datetime import date, datetime
from enum import Enum
from operator import itemgetter
from typing import Annotated, Any, ClassVar, Generic, TypeVar, Union

import orjson
import strawberry
from strawberry.scalars import JSON
from strawberry.types.base import get_object_definition
from strawberry.types.field import StrawberryField

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
    Provenance,
    claims_of,
    field_history,
    is_history_key,
    served_name,
)
from resolvers.row_fields import item, optional_item
from resolvers.sources.types import Source, source_field
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

    method = item(
        "method",
        str,
        "How the link was decided: `model` (the learnt duplicate model's probability), `siret` "
        "(one SIRET at one place with similar names), `one-per-commune` (a CCAS, CIAS or town "
        "hall of one name in one commune), `name-and-contact` (one name and a phone or e-mail of "
        "its own in one commune) or `manual` (a person's decision).",
        str,
    )
    score = item(
        "score",
        float | None,
        "The model's match probability (1.0 for a rule, null for a person's link).",
    )
    rule_version = item(
        "rule_version", str | None, "The version of the duplicate rules that decided it."
    )

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
            return typing.cast(JSON, orjson.loads(self.row["reason"]))
        except orjson.JSONDecodeError:
            return None

    @strawberry.field(
        description="A person's link: why, in their words (served with a token only)."
    )
    def reason(self, info: Info) -> str | None:
        if self.row["method"] != "manual" or not info.context.has_token:
            return None
        return typing.cast(str | None, self.row["reason"])

    @strawberry.field(description="A person's link: who decided (served with a token only).")
    def decided_by(self, info: Info) -> str | None:
        return self.row["decided_by"] if info.context.has_token else None

    created_at = item("created_at", datetime | None, "When the link was decided.")


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


@strawberry.type
class SourceRecord:
    """What a producer record has in the graph, whatever its kind (`SourceStructure`…)."""

    row: strawberry.Private[dict[str, Any]]

    id = item(
        "public_id",
        strawberry.ID,
        "Id of the producer record (`<source>--<producer id>`).",
        strawberry.ID,
    )
    source = source_field("The producer.", itemgetter("source_slug"))
    date_maj = optional_item("date_maj", date | None, "The producer's update date of the record.")
    version = item(
        "version", int, "Version of the record in the gateway (1 when never changed).", int
    )

    @strawberry.field(description="The record's schema fields as the producer sent them.")
    def data(self, info: Info) -> JSON:
        return typing.cast(
            JSON, personal.without_personal(info.context.has_token, self.row["data"])
        )


RecordT = TypeVar("RecordT", bound=SourceRecord)
ProvenanceT = TypeVar("ProvenanceT", bound=Provenance)
Merged = TypeVar("Merged", bound="MergedRecord[Any, Any]")

# `{what}` in a description below: the kind ("structure", "service")
WHAT = "{what}"


@strawberry.type
class MergedRecord(Generic[RecordT, ProvenanceT]):
    """What every merged record has in the graph, whatever its kind: its id, its commune, its
    producers and their records, the links between them, the history and the provenance of its
    fields. A kind (`Structure`, `Service`) declares its own fields and is made a GraphQL type
    by `merged_type`, which adds the fields of data·inclusion's schema."""

    row: strawberry.Private[dict[str, Any]]

    # set by `merged_type`: the kind, the GraphQL types of its records and of its provenance
    # (the type arguments of the kind's base), its fields
    kind: ClassVar[str]
    record_class: ClassVar[type[SourceRecord]]
    provenance_class: ClassVar[type[Provenance]]
    fields_by_name: ClassVar[dict[str, str]]  # GraphQL name -> schema field

    @strawberry.field(
        description="Public data·inclusion id (`dora--42`): the id of the oldest producer record "
        "every consumer may see, kept while the merged record lives. A lookup by any member "
        "record's id finds this record too."
    )
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.row["public_id"])

    @strawberry.field(
        description=f"The commune of the {WHAT} (from `codeInsee`; former, delegated and "
        "associated communes resolved to the current one, a municipal arrondissement to its "
        "commune: Paris for `75111`), and through it its EPCI, département and région; "
        "`arrondissement` gives the arrondissement itself, `communeLibelle` the name as the "
        "producers wrote it."
    )
    async def commune(self, info: Info) -> Commune | None:
        code = self.row["data"].get("code_insee")
        if not code:
            return None
        loaders = info.context.loaders
        current = await loaders.current_commune_code_by_code.load(code)
        row = await loaders.commune_by_code.load(current) if current else None
        return Commune(row=row) if row else None

    @strawberry.field(
        description=f"The municipal arrondissement of the {WHAT} when `codeInsee` names one "
        "(Paris, Lyon, Marseille: `75111`); null otherwise. `commune` is its commune."
    )
    async def arrondissement(self, info: Info) -> ArrondissementMunicipal | None:
        code = self.row["data"].get("code_insee")
        if not code:
            return None
        row = await info.context.loaders.commune_by_code.load(code)
        return ArrondissementMunicipal(row=row) if row and row.type == ARRONDISSEMENT else None

    source = source_field(
        "The producer whose id the merged record carries.", lambda row: row["data"].get("source")
    )

    @strawberry.field(description=f"Every producer that publishes this {WHAT}.")
    async def sources(self, info: Info) -> list[Source]:
        rows = await info.context.loaders.sources_by_golden_id.load(self.row["id"])
        return [Source(row=r) for r in rows]

    @strawberry.field(
        description=f"The producer records merged into this {WHAT}, as each producer "
        "published them."
    )
    async def source_records(
        self,
        info: Info,
        sources: Annotated[
            list[str] | None,
            strawberry.argument(description="Only the records of these producers (slugs)."),
        ] = None,
    ) -> list[RecordT]:
        rows = await self._members(info)
        record = typing.cast(type[RecordT], self.record_class)
        return [record(row=r) for r in rows if sources is None or r["source_slug"] in sources]

    @strawberry.field(
        description="The linked duplicates: every producer record merged into this one except "
        "the record whose id it carries (what the real API's `exclure_doublons` leaves out)."
    )
    async def doublons(self, info: Info) -> list[RecordT]:
        rows = await self._members(info)
        record = typing.cast(type[RecordT], self.record_class)
        return [record(row=r) for r in rows if r["public_id"] != self.row["public_id"]]

    @strawberry.field(
        description=f"Why the producer records of this {WHAT} were merged: each standing link "
        "between two of them, with its method, score and evidence."
    )
    async def links(self, info: Info) -> list[DuplicateLink]:
        rows = await info.context.loaders.links_by_golden_id.load(self.row["id"])
        return [DuplicateLink(row=r) for r in rows]

    @strawberry.field(
        description="How the fields changed over time at each producer behind this record: one "
        "entry per value a producer record sent, oldest first."
    )
    async def history(
        self,
        info: Info,
        field: Annotated[
            str | None,
            strawberry.argument(
                description="Only this field, named as in this type (`telephone`); default all."
            ),
        ] = None,
        first: Annotated[int | None, FIRST_ARG] = None,
        after: Annotated[str | None, AFTER_ARG] = None,
    ) -> Connection[FieldChange]:
        size = page_size(first)
        key = decode_cursor(after)
        if key is not None and not (len(key) == 2 and key[0] == "h" and is_history_key(key[1])):
            raise BadUserInput("`after` is not a cursor of this history", argument="after")
        names = [
            n
            for n in self._fields_named(None if field is None else [field], "field")
            if _allowed(info, n)
        ]
        versions = _readable(
            info, await info.context.loaders.versions_by_golden_id.load(self.row["id"])
        )
        changes = [
            (k, c)
            for k, c in field_history(versions, names)
            if _visible(info, c.field_name, c.row["data"].get(c.field_name))
        ]
        rows = [(["h", k], c) for k, c in changes if key is None or k > key[1]][: size + 1]

        async def count() -> int:
            return len(changes)

        return build_connection(rows, first=size, after=key, count=count, cls=Connection)

    @strawberry.field(
        description=f"What every producer behind this {WHAT} says, field by field (only "
        "non-null values), and which value was chosen: compare them with `provenance`."
    )
    async def claims(
        self,
        info: Info,
        fields: Annotated[
            list[str] | None,
            strawberry.argument(
                description="Only these fields, named as in this type; default all."
            ),
        ] = None,
    ) -> list[Claim]:
        names = [n for n in self._fields_named(fields, "fields") if _allowed(info, n)]
        loaders = info.context.loaders
        rows = _readable(info, await self._members(info))
        provenance = await loaders.provenance_by_golden_id.load(self.row["id"])
        return [
            c
            for c in claims_of(rows, provenance, names)
            if _visible(info, c.field_name, c.row["data"].get(c.field_name))
        ]

    @strawberry.field(
        description="For every field: the producer that supplied the value, when, and why it won."
    )
    async def provenance(self, info: Info) -> ProvenanceT:
        rows = await info.context.loaders.provenance_by_golden_id.load(self.row["id"])
        return typing.cast(ProvenanceT, self.provenance_class(rows=rows))

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Any:
        """An entity of this type for a federation router (`_entities`), as `structure(id:)` /
        `service(id:)` would answer it for the same consumer."""
        key = (cls.kind, info.context.visibility, str(id))
        row = await info.context.loaders.golden_by_id.load(key)
        return cls(row=row) if row else None

    async def _members(self, info: Info) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = await info.context.loaders.member_records_by_golden_id.load(
            self.row["id"]
        )
        return found

    def _fields_named(self, names: list[str] | None, argument: str) -> list[str]:
        """Schema fields from their GraphQL names (`None`: all of them)."""
        by_name = self.fields_by_name
        if names is None:
            return list(by_name.values())
        unknown = sorted(set(names) - set(by_name))
        if unknown:
            raise BadUserInput(
                f"`{argument}`: {', '.join(map(repr, unknown))} not a field of "
                f"{type(self).__name__}; one of: {', '.join(sorted(by_name))}",
                argument=argument,
            )
        return [by_name[n] for n in names]


def quality_score(description: str) -> Any:
    """The `scoreQualite` field of a kind: the merged record's quality score."""
    return optional_item(
        "score_qualite", float | None, description, lambda v: None if v is None else float(v)
    )


def _readable(info: Info, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Producer rows with their data as this consumer may read it (free text masked)."""
    if info.context.has_token:
        return rows
    return [{**r, "data": personal.without_personal(False, r["data"])} for r in rows]


def _allowed(info: Info, field_name: str) -> bool:
    return field_name not in personal.ALWAYS or info.context.has_token


def _visible(info: Info, field_name: str, value: Any) -> bool:
    return info.context.has_token or not personal.is_personal(field_name, value)


def merged_type(
    model: Any, *, kind: str, description: str
) -> Callable[[type[Merged]], type[Merged]]:
    """Makes a declared subclass of `MergedRecord` the GraphQL type of `kind`: the fields of
    `model` (a data·inclusion schema model) added as plain fields; in the GraphQL type, the id,
    the schema's fields (`commune` in its place, as the edge to the territory), the common
    fields, then the kind's own."""

    def decorate(cls: type[Merged]) -> type[Merged]:
        fields = schema_fields(model)
        cls.kind = kind
        (base,) = cls.__dict__["__orig_bases__"]  # MergedRecord[<record>, <provenance>]
        cls.record_class, cls.provenance_class = typing.get_args(base)
        cls.fields_by_name = {graphql_name(f): f for f in fields}
        for field_name in fields:
            if field_name != "commune":  # the edge, declared by `MergedRecord`
                setattr(cls, field_name, data_field(field_name, model))
        # the commune's name as the producers wrote it stays readable
        libelle = data_field(
            "commune",
            model,
            "The commune's name as the producers wrote it (`commune` in data·inclusion's schema).",
        )
        setattr(cls, "commune_libelle", libelle)  # noqa: B010 (a generated field)
        typed = strawberry.type(cls, description=description, directives=[federation.key("id")])
        definition = get_object_definition(typed, strict=True)
        common = [f.python_name for f in get_object_definition(MergedRecord, strict=True).fields]
        order = [
            "id",
            *fields,
            "commune_libelle",
            *(f for f in common if f not in ("id", "commune")),
        ]
        by_name = {f.python_name: f for f in definition.fields}
        own = [n for n in by_name if n not in order]
        definition.fields = [_described(by_name[n], kind) for n in [*order, *own]]
        return typed

    return decorate


def _described(field: StrawberryField, kind: str) -> StrawberryField:
    """`field`, its description naming the kind when it speaks of it (a copy: the common
    fields are shared by every kind)."""
    if not field.description or WHAT not in field.description:
        return field
    described = copy.copy(field)
    described.description = field.description.replace(WHAT, kind)
    return described
