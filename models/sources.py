"""Producers (sources) as declared in the registry."""

from datetime import datetime

from sqlmodel import Field, SQLModel

from models.columns import timestamp


class Source(SQLModel, table=True):
    """A producer publishing structures and/or services, declared with its mapping."""

    __tablename__ = "source"

    slug: str = Field(primary_key=True, max_length=64)
    nom: str
    description: str | None = None
    licence: str | None = None
    homepage: str | None = None
    # False for producers whose date_maj is an export date (france-travail)
    date_maj_fiable: bool = True
    # True for aggregators relaying other producers: they must not vote twice
    agregateur: bool = False
    # True for producers visible only to consumers holding the matching scope (soliguide)
    restreinte: bool = False
    created_at: datetime | None = timestamp(nullable=True)
    updated_at: datetime | None = timestamp(nullable=True)
