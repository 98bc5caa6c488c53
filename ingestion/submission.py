"""A producer's file checked before it is submitted: the phase-0 assessment of the file as it
is, then every record mapped, normalised and validated as an ingest would, without storing
anything. The report counts problems by field and message, shows the first rows of each, and
lists the producer values no value map covers with the closest known one."""

from __future__ import annotations

import difflib
from collections import Counter
from pathlib import Path
from typing import Any

from ingestion import assess
from ingestion.mapper import KIND_SINGULAR, MappingStats, item_ids, iter_items, map_item
from ingestion.mapper import missing_paths as never_present
from ingestion.mapping_file import Producer
from ingestion.normalize import Territories
from ingestion.readers import iter_records
from ingestion.run import plan_files
from ingestion.schema_record import schema_record

EXAMPLES = 5  # rows shown per problem
PROBLEMS = 100  # distinct problems listed (the most frequent)


def check_file(producer: Producer, path: Path, territories: Territories) -> dict[str, Any]:
    """The report on one file of `producer` (IngestError when its name matches none of the
    producer's file patterns; ReadError when it cannot be read)."""
    plan = plan_files(producer, [path])
    kind_mapping = plan[0][0]
    options = kind_mapping.reader_options(producer.reader)
    assessment = assess.profile(path, options, territories)
    assessment["file"] = path.name
    counts: Counter[str] = Counter()
    problems: dict[tuple[str, str, str], dict[str, Any]] = {}
    stats = MappingStats()
    missing: dict[str, list[str]] = {}
    for kind_mapping, _path in plan:
        kind = KIND_SINGULAR[kind_mapping.kind]
        seen: dict[str, int] = {}
        stats.paths_seen.clear()
        reader = kind_mapping.reader_options(producer.reader)  # as the ingest reads it
        for item in iter_items(kind_mapping, iter_records(path, reader), stats):
            counts[f"{kind}_read"] += 1
            pid, _structure = item_ids(kind_mapping, item, stats)
            mapped = map_item(producer, kind_mapping, item, stats)
            validated, issues = schema_record(mapped, producer.source.slug, territories)
            if validated is not None and pid is not None:
                first = seen.setdefault(pid, item.number)
                if first != item.number:
                    validated = None
                    issues.append(
                        _issue("error", "id", "duplicate producer id in this file", pid, first)
                    )
            for issue in issues:
                key = (issue.severity, issue.field or "-", issue.message)
                entry = problems.setdefault(
                    key,
                    {"severity": issue.severity, "field": issue.field, "message": issue.message,
                     "count": 0, "rows": []},
                )  # fmt: skip
                entry["count"] += 1
                if len(entry["rows"]) < EXAMPLES:
                    entry["rows"].append(
                        {"kind": kind, "row": item.number, "producer_id": pid,
                         "value": None if issue.value is None else str(issue.value)[:200]}
                    )  # fmt: skip
            counts[f"{kind}_valid" if validated is not None else f"{kind}_rejected"] += 1
            counts["warnings"] += sum(1 for i in issues if i.severity == "warning")
        if gaps := never_present(kind_mapping, stats.paths_seen):
            missing[kind_mapping.kind] = gaps
    listed = sorted(problems.values(), key=lambda p: (p["severity"] != "error", -p["count"]))
    errors = sum(counts[f"{k}_rejected"] for k in ("structure", "service"))
    return {
        "source": producer.source.slug,
        "file": path.name,
        "kinds": sorted({k.kind for k, _p in plan}),
        "assessment": assessment,
        "validation": {
            "counts": dict(counts),
            "problems": listed[:PROBLEMS],
            "problems_not_listed": max(0, len(listed) - PROBLEMS),
            "columns_never_present": missing,
            "unmapped_values": _unmapped(producer, stats),
        },
        # a file is ready when every record is accepted and every column the mapping reads is
        # there (warnings are values dropped or cleaned, the record is kept)
        "ok": errors == 0 and not missing,
    }


def _issue(severity: str, field: str, message: str, value: str, first: int) -> Any:
    from ingestion.issues import Issue

    return Issue(severity, field, message, f"{value} (first at row {first})")


def _unmapped(producer: Producer, stats: MappingStats) -> list[dict[str, Any]]:
    out = []
    for (name, value), count in stats.unmapped.most_common(50):
        value_map = producer.value_maps.get(name)
        known = list(value_map.labels.values()) if value_map else []
        hint = difflib.get_close_matches(value, known, n=1, cutoff=0.6)
        out.append(
            {"value_map": name, "value": value, "count": count,
             "did_you_mean": hint[0] if hint else None}
        )  # fmt: skip
    return out
