"""Field-level provenance in the graph: a typed mirror of a merged record's fields."""

import typing
from collections.abc import Callable
from datetime import date, datetime
from operator import itemgetter
from typing import Any, TypeVar

import strawberry
from strawberry.scalars import JSON

from resolvers.context import Info
from resolvers.row_fields import flag, item, optional_item
from resolvers.sources.types import Source, source_field


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


# schema fields served under another name: `commune` is the edge to the territory
SERVED_AS = {"commune": "commune_libelle"}


def served_name(field: str) -> str:
    """The GraphQL name of a schema field in the merged types (`code_insee` -> `codeInsee`)."""
    return _camel(SERVED_AS.get(field, field))


async def _sources(info: Info, slugs: list[str] | None) -> list[Source]:
    """Producers by slug, in the order given (through the request's source loader)."""
    rows = await info.context.loaders.source_by_slug.load_many(list(slugs or []))
    return [Source(row=row) for row in rows if row]


@strawberry.type(description="A value a validator refused, and why it could not win.")
class RejectedValue:
    source: str = strawberry.field(description="Slug of the producer that sent it.")
    reason: str = strawberry.field(description="Why the validators refused it.")


@strawberry.type(description="One element of a merged list field and the producers that gave it.")
class ProvenanceElement:
    value: JSON = strawberry.field(description="The element (a thematique, a public…).")
    sources: list[str] = strawberry.field(description="Slugs of the producers that gave it.")


@strawberry.type(description="Where one value of a merged record comes from, and why it won.")
class FieldProvenance:
    row: strawberry.Private[dict[str, Any]]

    source = source_field("The producer whose value won.", itemgetter("source_slug"))
    source_record_id = optional_item(
        "public_id",
        strawberry.ID | None,
        "Id of the producer record the value comes from (`dora--42`).",
        lambda v: strawberry.ID(v) if v else None,
    )
    source_updated_at = optional_item(
        "source_date_maj",
        date | None,
        "The producer's own update date (`date_maj`) of that record; see `sourceDateTrusted`.",
    )
    source_updated_at_trusted = flag(
        "date_maj_fiable",
        "False when this producer's dates are export dates, not update dates.",
        True,
    )
    source_date_trusted = flag(
        "date_maj_fiable",
        "Former name of `sourceUpdatedAtTrusted`.",
        True,
        deprecation_reason="Use `sourceUpdatedAtTrusted`.",
    )
    value_since = optional_item(
        "value_since", datetime | None, "When the gateway first saw this value from this producer."
    )
    last_confirmed_at = optional_item(
        "last_confirmed_at",
        datetime | None,
        "The last ingest in which this producer still sent it.",
    )
    strategy = item(
        "strategy",
        str,
        "The survivorship strategy that chose it: source_priority, most_recent, majority, "
        "longest, union, block:<rule> (the address block), only_value…",
        str,
    )
    rule_set_version = item(
        "rule_set_version", str, "Version of the survivorship rules that chose it.", str
    )

    @strawberry.field(description="Other producers sending the same value.")
    async def agreeing_sources(self, info: Info) -> list[Source]:
        return await _sources(info, self.row.get("agreeing_sources"))

    @strawberry.field(description="Producers sending another (valid) value.")
    async def conflicting_sources(self, info: Info) -> list[Source]:
        return await _sources(info, self.row.get("conflicting_sources"))

    @strawberry.field(description="Values the validators refused (an invalid phone never wins).")
    def rejected_sources(self) -> list[RejectedValue]:
        return [
            RejectedValue(source=s, reason=r) for s, r in self.row.get("rejected_sources") or []
        ]

    @strawberry.field(
        description="For list fields merged by union: each element with the producers that gave it."
    )
    def elements(self) -> list[ProvenanceElement] | None:
        items = self.row.get("elements")
        if items is None:
            return None
        return [ProvenanceElement(value=v, sources=list(s)) for v, s in items]


@strawberry.type
class Provenance:
    """Where each field of a merged record comes from: one nullable `FieldProvenance` per
    field of data·inclusion's schema, added by `provenance_type`."""

    rows: strawberry.Private[dict[str, Any]]


P = TypeVar("P", bound=Provenance)


def provenance_type(fields: list[str], what: str) -> Callable[[type[P]], type[P]]:
    """Makes a declared subclass of `Provenance` the GraphQL type of one kind's provenance."""

    def decorate(cls: type[P]) -> type[P]:
        for field_name in fields:
            setattr(cls, SERVED_AS.get(field_name, field_name), _field_provenance(field_name))
        return strawberry.type(cls, description=f"Provenance of every field of a merged {what}.")

    return decorate


def _field_provenance(field_name: str) -> Any:
    def resolve(self: Provenance) -> FieldProvenance | None:
        row = self.rows.get(field_name)
        return FieldProvenance(row=row) if row else None

    return strawberry.field(
        resolver=resolve,
        description=f"Where `{served_name(field_name)}` comes from (null when the value is null).",
    )


@strawberry.type
class OneField:
    """What one producer record has for one field (`FieldChange`, `Claim`)."""

    row: strawberry.Private[dict[str, Any]]
    field_name: strawberry.Private[str]

    @strawberry.field(description="The field, named as in the merged type (`telephone`).")
    def field(self) -> str:
        return served_name(self.field_name)


RECORD_ID = "Id of the producer record (`dora--42`)."


@strawberry.type(description="A value one producer sent for a field, and for how long.")
class FieldChange(OneField):
    source = item("source_slug", str, "Slug of the producer.", str)
    source_record_id = item("public_id", strawberry.ID, RECORD_ID, strawberry.ID)

    @strawberry.field(description="The value (null when the producer sent none).")
    def value(self) -> JSON | None:
        return typing.cast(JSON | None, self.row["data"].get(self.field_name))

    version = item(
        "version", int, "Version of the producer record that first sent this value.", int
    )
    valid_from = optional_item(
        "valid_from", datetime | None, "When the gateway started receiving this value."
    )
    valid_to = optional_item(
        "valid_to", datetime | None, "When the producer stopped sending it (null: still current)."
    )


HistoryKey = list[Any]  # [no date (0|1), valid_from (ISO), field, record id, version]


def field_history(
    versions: list[dict[str, Any]], field_names: list[str]
) -> list[tuple[HistoryKey, FieldChange]]:
    """Per field and producer record, one entry per distinct consecutive value, with its sort
    key: oldest first, then by field, record and version (a cursor is a key, so entries that
    appear later, such as a member joining with older versions, shift no page boundary)."""
    out: list[tuple[HistoryKey, FieldChange]] = []
    for field_name in field_names:
        current: dict[str, dict[str, Any]] = {}
        for v in versions:  # ordered by record, then version
            key = v["public_id"]
            value = v["data"].get(field_name)
            previous = current.get(key)
            if previous is not None and previous["data"].get(field_name) == value:
                previous["valid_to"] = v["valid_to"]
                continue
            if previous is None and value is None:
                continue  # a field the record never had
            entry = dict(v)
            current[key] = entry
            change = FieldChange(row=entry, field_name=field_name)
            since = v["valid_from"]
            sort = [int(since is None), since.isoformat() if since else "", field_name, key]
            out.append(([*sort, int(v["version"])], change))
    out.sort(key=lambda e: e[0])
    return out


def is_history_key(key: Any) -> bool:
    return (
        isinstance(key, list)
        and len(key) == 5
        and key[0] in (0, 1)
        and all(isinstance(k, str) for k in key[1:4])
        and isinstance(key[4], int)
        and not isinstance(key[4], bool)
    )


@strawberry.type(description="What one producer record says for one field.")
class Claim(OneField):
    is_chosen: strawberry.Private[bool]

    @strawberry.field(description="The value this producer sends (after mapping).")
    def value(self) -> JSON:
        return typing.cast(JSON, self.row["data"].get(self.field_name))

    source = source_field("The producer.", itemgetter("source_slug"))
    source_record_id = item("public_id", strawberry.ID, RECORD_ID, strawberry.ID)
    source_updated_at = optional_item(
        "date_maj", date | None, "The producer's update date of that record."
    )

    @strawberry.field(
        description="Whether this value is the merged one (for a list field: whether it "
        "contributed elements to the union)."
    )
    def chosen(self) -> bool:
        return self.is_chosen


def claims_of(
    members: list[dict[str, Any]], provenance: dict[str, dict[str, Any]], field_names: list[str]
) -> list[Claim]:
    """Every non-null value each member record sends for each field, field by field."""
    out: list[Claim] = []
    for field_name in field_names:
        winner = provenance.get(field_name) or {}
        contributors = {s for _value, sources in winner.get("elements") or () for s in sources}
        for member in members:
            if member["data"].get(field_name) is None:
                continue
            chosen = member["public_id"] == winner.get("public_id") or (
                member["source_slug"] in contributors
            )
            out.append(Claim(row=member, field_name=field_name, is_chosen=chosen))
    return out
