"""One mapped record to a schema-valid record: normalise, add the ids, validate."""

from __future__ import annotations

from typing import Any

from ingestion.issues import Issue
from ingestion.mapper import MappedRecord
from ingestion.normalize import Territories, normalize
from ingestion.validate import validate


def schema_record(
    mapped: MappedRecord, slug: str, territories: Territories
) -> tuple[dict[str, Any] | None, list[Issue]]:
    """The validated record (None when rejected) and every issue met on the way."""
    issues = list(mapped.issues)
    if mapped.rejected:
        return None, issues
    issues += normalize(mapped.data, territories)
    payload = {**mapped.data, "source": slug, "id": f"{slug}--{mapped.producer_id}"}
    if mapped.kind == "services":
        payload["structure_id"] = f"{slug}--{mapped.structure_producer_id}"
    validated, more = validate(mapped.kind, payload)
    return validated, issues + more
