"""Map files without storing anything: what a producer's rows become (snapshot tests, checks)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ingestion.mapper import KIND_SINGULAR, MappingStats, item_ids, iter_items, map_item
from ingestion.mapping_file import Producer
from ingestion.normalize import Territories
from ingestion.readers import iter_records
from ingestion.run import plan_files
from ingestion.schema_record import schema_record


def preview(
    producer: Producer, paths: Sequence[Path], territories: Territories
) -> list[dict[str, Any]]:
    """Every record of the files as the store would receive it, with its issues, in file order."""
    out: list[dict[str, Any]] = []
    for kind_mapping, path in plan_files(producer, paths):
        stats = MappingStats()
        options = kind_mapping.reader_options(producer.reader)
        for item in iter_items(kind_mapping, iter_records(path, options), stats):
            item_ids(kind_mapping, item, stats)
            mapped = map_item(producer, kind_mapping, item, stats)
            validated, issues = schema_record(mapped, producer.source.slug, territories)
            out.append(
                {
                    "kind": KIND_SINGULAR[kind_mapping.kind],
                    "file": path.name,
                    "row": item.number,
                    "producer_id": mapped.producer_id,
                    "record": validated,
                    "issues": [
                        {"severity": i.severity, "field": i.field, "message": i.message}
                        for i in issues
                    ],
                }
            )
    return out
