"""Layer 1 of the store: ingest runs, producer records, their versions and quarantined rows."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from models.columns import json_field, timestamp


class IngestRun(SQLModel, table=True):
    """One `gateway ingest` of one source: files, counts, status, timings."""

    __tablename__ = "ingest_run"

    id: int | None = Field(default=None, primary_key=True)
    source_slug: str = Field(foreign_key="source.slug", index=True, max_length=64)
    status: str = Field(max_length=16)  # running | succeeded | failed | refused
    partial: bool = False
    # sha256 over the mapping and the files: an identical re-ingest is recognised at once
    fingerprint: str | None = Field(default=None, max_length=64, index=True)
    files: list[Any] = json_field(default=[])  # [{path, sha256, format, rows}]
    counts: dict[str, Any] = json_field(default={})  # seen/new/changed/unchanged/gone/rejected
    error: str | None = None
    started_at: datetime | None = timestamp(nullable=True, index=True)
    finished_at: datetime | None = timestamp(nullable=True)


class ProducerRecord(SQLModel, table=True):
    """A structure or service as one producer published it, after mapping and validation."""

    __tablename__ = "producer_record"
    __table_args__ = (UniqueConstraint("source_slug", "kind", "producer_id"),)

    id: int | None = Field(default=None, primary_key=True)
    source_slug: str = Field(foreign_key="source.slug", index=True, max_length=64)
    kind: str = Field(max_length=16)  # structure | service
    producer_id: str = Field(max_length=255)
    public_id: str = Field(index=True, max_length=320)  # "<source>--<producer id>"
    structure_producer_id: str | None = Field(
        default=None, max_length=255, index=True
    )  # services only
    data: dict[str, Any] = json_field(default={})  # schema fields, validated
    content_hash: str = Field(max_length=64)
    # hash of the raw producer row and the mapping: an untouched row skips mapping altogether
    raw_hash: str | None = Field(default=None, max_length=64)
    field_hashes: dict[str, Any] = json_field(default={})
    # field -> id of the first run that saw the current value ("value since")
    field_since_run: dict[str, Any] = json_field(default={})
    # what duplicate detection compares, computed once per version (ingestion.dedup.FEATURES)
    dedup_features: list[Any] | None = json_field(nullable=True)
    date_maj: date | None = None
    status: str = Field(default="active", max_length=16, index=True)  # active | gone
    version: int = 1
    first_seen_run_id: int | None = Field(default=None, foreign_key="ingest_run.id")
    last_seen_run_id: int | None = Field(default=None, foreign_key="ingest_run.id")


class ProducerRecordVersion(SQLModel, table=True):
    """An append-only version of a producer record: what it said from `valid_from` to `valid_to`."""

    __tablename__ = "producer_record_version"
    __table_args__ = (UniqueConstraint("record_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    record_id: int = Field(foreign_key="producer_record.id", index=True)
    version: int
    run_id: int | None = Field(default=None, foreign_key="ingest_run.id", index=True)
    data: dict[str, Any] = json_field(default={})
    content_hash: str = Field(max_length=64)
    changed_fields: list[Any] = json_field(default=[])
    valid_from: datetime | None = timestamp(nullable=True)
    valid_to: datetime | None = timestamp(nullable=True)


class QuarantinedRow(SQLModel, table=True):
    """A rejected row kept with its reason; never published."""

    __tablename__ = "quarantined_row"

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="ingest_run.id", index=True)
    source_slug: str = Field(index=True, max_length=64)
    kind: str | None = Field(default=None, max_length=16)
    producer_id: str | None = Field(default=None, max_length=255)
    file: str | None = None
    row_number: int | None = None
    field: str | None = None
    severity: str = Field(default="error", max_length=8)  # error | warning
    message: str
    value: str | None = None
    raw: dict[str, Any] | None = json_field(nullable=True)
