"""Column types shared by the tables: JSON that is JSONB on PostgreSQL, aware timestamps."""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Column, Field

JSONType = JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> datetime:
    return datetime.now(UTC)


def json_field(*, nullable: bool = False, default: Any = None) -> Any:
    """A JSON column (JSONB on PostgreSQL)."""
    factory = (lambda: default.copy()) if isinstance(default, dict | list) else (lambda: default)
    return Field(default_factory=factory, sa_column=Column(JSONType, nullable=nullable))


def timestamp(*, nullable: bool = False, index: bool = False) -> Any:
    """A timezone-aware timestamp column."""
    return Field(
        sa_column=Column(DateTime(timezone=True), nullable=nullable, index=index),
    )
