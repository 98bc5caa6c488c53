"""Merge values (no I/O): producer records as duplicate detection and survivorship see them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any


@dataclass(frozen=True)
class SourceFacts:
    """What survivorship needs to know of a producer (from its registry entry)."""

    slug: str
    date_maj_fiable: bool = True  # False: its date_maj is an export date (france-travail)
    agregateur: bool = False  # True: relays other producers, must not vote twice
    restreinte: bool = False  # True: only consumers with its scope may see its values


@dataclass(frozen=True)
class Member:
    """One producer record, current version, as the merge sees it."""

    record_id: int  # producer_record.id
    version_id: int | None  # producer_record_version.id of the current version
    source: str  # source slug
    kind: str  # "structure" | "service"
    public_id: str  # "<source>--<producer id>"
    data: dict[str, Any]  # the validated schema fields, JSON form (dates as ISO strings)
    first_seen_at: datetime  # when this record was first ingested ("oldest member" wins the id)
    last_confirmed_at: datetime | None = None  # last run that still sent it
    # field -> when the producer started sending the current value of that field
    field_since: dict[str, datetime] = field(default_factory=dict)
    structure_public_id: str | None = None  # services: their producer structure's public id

    @property
    def date_maj(self) -> date | None:
        value = self.data.get("date_maj")
        return date.fromisoformat(value[:10]) if isinstance(value, str) else None
