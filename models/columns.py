"""Column types shared by the tables: JSON that is JSONB on PostgreSQL, aware timestamps."""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, TypeDecorator
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Column, Field

JSONType = JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> datetime:
    return datetime.now(UTC)


def json_field(*, nullable: bool = False, default: Any = None) -> Any:
    """A JSON column (JSONB on PostgreSQL)."""
    factory = (lambda: default.copy()) if isinstance(default, dict | list) else (lambda: default)
    return Field(default_factory=factory, sa_column=Column(JSONType, nullable=nullable))


class AwareDateTime(TypeDecorator[datetime]):
    """A timestamp with time zone that always comes back aware, in UTC.

    PostgreSQL keeps the zone; SQLite stores text without one, so values are written in UTC and
    read back as UTC (without this, SQLite hands back naive datetimes).
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)  # the project writes UTC; a naive value is UTC
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def timestamp(*, nullable: bool = False, index: bool = False) -> Any:
    """A timezone-aware timestamp column."""
    return Field(
        sa_column=Column(AwareDateTime(), nullable=nullable, index=index),
    )
