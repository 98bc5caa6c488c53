"""`gateway mapping check`: a mapping's own errors, then what given files hold that it misses."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingestion import mapping_file
from ingestion.mapper import MappingStats, iter_mapped, missing_paths
from ingestion.readers import iter_records
from ingestion.run import plan_files


@dataclass
class CheckReport:
    source: str
    mapping_file: str
    files: list[str] = field(default_factory=list)
    records: Counter[str] = field(default_factory=Counter)
    unmapped: Counter[tuple[str, str]] = field(default_factory=Counter)
    missing_paths: dict[str, list[str]] = field(default_factory=dict)
    value_maps: int = 0  # how many value maps the mapping has

    @property
    def ok(self) -> bool:
        return not self.unmapped and not self.missing_paths

    def as_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "mapping_file": self.mapping_file,
            "files": self.files,
            "records": dict(self.records),
            "unmapped_values": [
                {"value_map": vm, "value": v, "count": n}
                for (vm, v), n in sorted(self.unmapped.items(), key=lambda kv: (-kv[1], kv[0]))
            ],
            "paths_never_present": self.missing_paths,
            "ok": self.ok,
        }


def check(slug: str, paths: Sequence[Path], producers_dir: Path | None = None) -> CheckReport:
    """Load (and so validate) the mapping; with files, map every record and collect gaps.

    Raises MappingError for an invalid mapping (unknown fields, transforms, enum targets…).
    """
    producer = mapping_file.load(slug, producers_dir or mapping_file.PRODUCERS_DIR)
    report = CheckReport(
        source=slug, mapping_file=str(producer.path), value_maps=len(producer.value_maps)
    )
    for kind_mapping, path in plan_files(producer, paths):
        stats = MappingStats()
        report.files.append(str(path))
        options = kind_mapping.reader_options(producer.reader)
        for _mapped in iter_mapped(producer, kind_mapping, iter_records(path, options), stats):
            report.records[kind_mapping.kind] += 1
        report.unmapped.update(stats.unmapped)
        missing = missing_paths(kind_mapping, stats.paths_seen)
        if missing:
            report.missing_paths[f"{kind_mapping.kind}: {path}"] = missing
    return report


def render(report: CheckReport) -> str:
    lines = [f"mapping {report.mapping_file}: valid"]
    for kind, n in report.records.items():
        lines.append(f"  {n} {kind} records mapped")
    for where, missing in report.missing_paths.items():
        lines.append(f"  {where}: never present: {', '.join(missing)}")
    if report.unmapped:
        lines.append("  producer values not covered by the value maps (value map: value ×count):")
        for (vm, value), n in sorted(report.unmapped.items(), key=lambda kv: (-kv[1], kv[0])):
            lines.append(f"    {vm}: {value!r} ×{n}")
    elif report.files and report.value_maps:
        lines.append("  every producer value is covered by the value maps")
    elif report.files:
        lines.append("  no value maps: enumeration values are checked against the schema on ingest")
    return "\n".join(lines)
