"""Layers 2 and 3 of the store: links between producer records, golden records, provenance."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Index, Text, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import Column, Field, SQLModel

from models.columns import json_field, timestamp

# A golden record is stored once per view that differs. "all": the cluster has no restricted
# member, so the public and the restricted views are the same row; otherwise one "public" row
# (without the restricted members) and one "restricted" row (with them), under the same id.
SHARED_VIEW = "all"
VISIBILITIES = ("public", "restricted")  # what a consumer may see


def stored_views(visibility: str) -> tuple[str, str]:
    """The golden rows a consumer of `visibility` reads: the shared rows and its own."""
    if visibility not in VISIBILITIES:
        raise ValueError(f"unknown visibility {visibility!r} (expected public or restricted)")
    return (SHARED_VIEW, visibility)


class RecordLink(SQLModel, table=True):
    """Two producer records said to describe the same real-world entity (or, for a split, not)."""

    __tablename__ = "record_link"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)  # structure | service
    record_a_id: int = Field(foreign_key="producer_record.id", index=True)
    record_b_id: int = Field(foreign_key="producer_record.id", index=True)
    decision: str = Field(default="same", max_length=16)  # same | different (manual split)
    method: str = Field(max_length=16)  # siret | score | manual
    score: float | None = None
    rule_version: str | None = Field(default=None, max_length=32)
    decided_by: str | None = None
    reason: str | None = None
    created_at: datetime | None = timestamp(nullable=True)
    revoked_at: datetime | None = timestamp(nullable=True)
    revoked_by: str | None = None


class RecordBlock(SQLModel, table=True):
    """A blocking key of a producer record: records sharing a key are compared for duplicates."""

    __tablename__ = "record_block"

    record_id: int = Field(foreign_key="producer_record.id", primary_key=True)
    key: str = Field(primary_key=True, max_length=200, index=True)
    kind: str = Field(max_length=16)


class GoldenRecord(SQLModel, table=True):
    """The merged record served by default, computed per visibility class."""

    __tablename__ = "golden_record"
    __table_args__ = (
        UniqueConstraint("kind", "visibility", "public_id"),
        Index("ix_golden_record_kind_latitude", "kind", "latitude"),
        Index("ix_golden_record_tags", "tags", postgresql_using="gin"),
        # searches around a point: grid cell, kind, view (migration 0008, store/search.py)
        Index(
            "ix_golden_record_cell",
            text("(CAST(latitude * 10 AS INTEGER) * 4000 + CAST(longitude * 10 AS INTEGER))"),
            "kind",
            "visibility",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)  # structure | service
    visibility: str = Field(max_length=32, index=True)  # all | public | restricted (see above)
    public_id: str = Field(index=True, max_length=320)
    structure_public_id: str | None = Field(default=None, index=True, max_length=320)
    data: dict[str, Any] = json_field(default={})
    score_qualite: float | None = None
    date_maj: date | None = None
    content_hash: str | None = Field(default=None, max_length=64)
    # members and field provenance (confirmation times aside): equal -> details left as they are
    details_hash: str | None = Field(default=None, max_length=64)
    # French stems of names and descriptions, folded: the `texte` filter (accent- and case-blind)
    search_text: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # PostgreSQL: the filter values (golden_value) as "field:value" in one GIN-indexed array,
    # so a filter of several conditions is one bitmap AND; SQLite reads golden_value instead
    tags: list[str] | None = Field(
        default=None, sa_column=Column(ARRAY(Text).with_variant(JSON(), "sqlite"), nullable=True)
    )
    # folded name: the alphabetical order
    sort_name: str | None = Field(default=None, max_length=200)
    # where it is: its own coordinates, or for a service without any its structure's
    latitude: float | None = None
    longitude: float | None = None
    data_version: int | None = Field(
        default=None, index=True
    )  # the data version that last changed it
    rule_set_version: str | None = Field(default=None, max_length=32)
    created_at: datetime | None = timestamp(nullable=True)
    updated_at: datetime | None = timestamp(nullable=True, index=True)
    deleted_at: datetime | None = timestamp(nullable=True)


class GoldenChange(SQLModel, table=True):
    """One entry of the change feed: a golden record created, updated or deleted by a run, with
    the fields that changed. Kept as long as the tombstones (`gateway prune`)."""

    __tablename__ = "golden_change"
    __table_args__ = {"sqlite_autoincrement": True}  # ids never reused, even after a prune

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)
    public_id: str = Field(max_length=320)
    visibility: str = Field(max_length=32)  # the stored view that changed (see above)
    operation: str = Field(max_length=16)  # created | updated | deleted
    fields: list[Any] = json_field(default=[])  # schema field names
    at: datetime = timestamp(index=True)
    data_version: int
    # numbered per view: the entry's place among those a public (restricted) consumer reads,
    # and the version of that view it belongs to; null where the view does not see it
    public_position: int | None = Field(default=None, index=True)
    public_version: int | None = None
    restricted_position: int | None = Field(default=None, index=True)
    restricted_version: int | None = None


class GoldenValue(SQLModel, table=True):
    """One value a golden record is filtered and counted by: an element of a list field
    (thematique, public…), a producer that publishes it, the codes of its territory."""

    __tablename__ = "golden_value"
    __table_args__ = (Index("ix_golden_value_field_value", "field", "value", "golden_id"),)

    golden_id: int = Field(foreign_key="golden_record.id", primary_key=True)
    field: str = Field(max_length=32, primary_key=True)
    value: str = Field(max_length=200, primary_key=True)


class GoldenMember(SQLModel, table=True):
    """A producer record that is part of a golden record."""

    __tablename__ = "golden_member"

    golden_id: int = Field(foreign_key="golden_record.id", primary_key=True)
    record_id: int = Field(foreign_key="producer_record.id", primary_key=True, index=True)
    # the member's own public id: a lookup by any member's id finds the merged record
    member_public_id: str = Field(max_length=320, index=True)


class FieldProvenance(SQLModel, table=True):
    """Which producer record version supplied one field of a golden record, and why it won."""

    __tablename__ = "field_provenance"
    __table_args__ = (UniqueConstraint("golden_id", "field"),)

    id: int | None = Field(default=None, primary_key=True)
    golden_id: int = Field(foreign_key="golden_record.id")  # indexed by (golden_id, field)
    field: str = Field(max_length=64)
    record_id: int | None = Field(default=None, foreign_key="producer_record.id")
    record_version_id: int | None = Field(default=None, foreign_key="producer_record_version.id")
    public_id: str | None = Field(default=None, max_length=320)
    source_slug: str | None = Field(default=None, max_length=64)
    strategy: str = Field(max_length=32)
    rule_set_version: str = Field(max_length=32)
    source_date_maj: date | None = None
    date_maj_fiable: bool = True
    value_since: datetime | None = timestamp(nullable=True)
    last_confirmed_at: datetime | None = timestamp(nullable=True)
    agreeing_sources: list[Any] = json_field(default=[])
    conflicting_sources: list[Any] = json_field(default=[])
    rejected_sources: list[Any] = json_field(
        default=[]
    )  # [[source, reason]]: refused by validators
    elements: list[Any] | None = json_field(nullable=True)  # list fields: per-element sources
