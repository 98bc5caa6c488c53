"""Phase 0: profile a raw producer file before any mapping (`gateway assess`)."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingestion.normalize import Territories, phone_e164, siret_ok
from ingestion.readers import FileInfo, ReaderOptions, detect, iter_records
from ingestion.transforms import TransformError, parse_date

SAMPLE_VALUES = 3
DISTINCT_CAP = 500_000  # beyond this many distinct values a column is simply "unique enough"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", re.IGNORECASE)
_DATE_FORMATS = {
    "YYYY-MM-DD": re.compile(r"^\d{4}-\d{2}-\d{2}$"),
    "ISO datetime": re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}"),
    "DD/MM/YYYY": re.compile(r"^\d{1,2}/\d{1,2}/\d{4}$"),
    "YYYYMMDD": re.compile(r"^(19|20)\d{6}$"),
    "epoch milliseconds": re.compile(r"^1\d{12}$"),
}
_UUIDISH = re.compile(r"^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$", re.I)


@dataclass
class Column:
    name: str
    filled: int = 0
    samples: list[str] = field(default_factory=list)
    distinct: set[str] = field(default_factory=set)
    overflow: bool = False
    lengths: int = 0

    def add(self, value: str) -> None:
        self.filled += 1
        self.lengths += len(value)
        if len(self.samples) < SAMPLE_VALUES and value not in self.samples:
            self.samples.append(value[:80])
        if not self.overflow:
            self.distinct.add(value)
            if len(self.distinct) > DISTINCT_CAP:
                self.overflow = True
                self.distinct.clear()


def _flatten(data: dict[str, Any], prefix: str = "", depth: int = 0) -> dict[str, str]:
    """One level of text per column: nested objects become dotted columns (two levels deep)."""
    out: dict[str, str] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and depth < 2:
            out.update(_flatten(value, name + ".", depth + 1))
        elif isinstance(value, list):
            scalars = [
                str(v) for v in value if not isinstance(v, dict | list) and v not in (None, "")
            ]
            if scalars:
                out[name] = "|".join(scalars)
            elif value and isinstance(value[0], dict) and depth < 2:
                out.update(_flatten(value[0], name + "[].", depth + 1))
        elif value is not None and str(value).strip() != "":
            out[name] = str(value).strip()
    return out


def _looks(names: list[str], *words: str) -> list[str]:
    return [n for n in names if any(w in n.lower() for w in words)]


def guess_records_path(path: Path) -> str | None:
    """For a JSON object, the first top-level key holding an array of objects ("features")."""
    import ijson

    key = None
    with path.open("rb") as fh:
        for prefix, event, value in ijson.parse(fh):
            if prefix == "" and event == "map_key":
                key = value
            elif key is not None and prefix == f"{key}.item" and event == "start_map":
                return str(key)
            elif prefix == "" and event in ("start_array", "end_map"):
                return None
    return None


def profile(path: Path, options: ReaderOptions, territories: Territories | None) -> dict[str, Any]:
    info: FileInfo = detect(path, options)
    if info.format in ("json", "json-pages") and options.records_path is None:
        first = path if path.is_file() else next(iter(sorted(path.glob("*.json"))), None)
        guessed = guess_records_path(first) if first else None
        if guessed:
            options = ReaderOptions(**{**options.__dict__, "records_path": guessed})
    options = ReaderOptions(
        **{**options.__dict__, "format": info.format, "encoding": info.encoding,
           "delimiter": info.delimiter}
    )  # fmt: skip
    columns: dict[str, Column] = {}
    rows = 0
    for record in iter_records(path, options):
        rows += 1
        for name, value in _flatten(record.data).items():
            columns.setdefault(name, Column(name)).add(value)
    names = list(columns)
    report: dict[str, Any] = {
        "file": str(path),
        "format": info.format,
        "encoding": info.encoding,
        "delimiter": info.delimiter,
        "sheet": info.sheet,
        "records_path": options.records_path,
        "size_bytes": info.size,
        "warnings": list(info.warnings),
        "rows": rows,
        "columns": [
            {
                "name": c.name,
                "fill_rate": round(c.filled / rows, 3) if rows else 0.0,
                "distinct": None if c.overflow else len(c.distinct),
                "samples": c.samples,
            }
            for c in columns.values()
        ],
    }
    report["id_candidates"] = _id_candidates(columns, rows)
    report["structure_id_columns"] = [
        n
        for n in _looks(names, "structure", "lieu_id", "organisme", "agence", "parent")
        if n not in {c["column"] for c in report["id_candidates"]} or "structure" in n.lower()
    ]
    report["update_date"] = _dates(columns)
    report["siret"] = _siret(columns)
    report["insee"] = _insee(columns, territories)
    report["contact"] = {
        "phone": _coverage(columns, rows, _looks(names, "tel", "phone", "téléphone"), _phone_ok),
        "email": _coverage(columns, rows, _looks(names, "mail", "courriel"), _email_ok),
        "address": _coverage(
            columns, rows, _looks(names, "adress", "address", "adres", "ligne"), None
        ),
    }
    return report


def _id_candidates(columns: dict[str, Column], rows: int) -> list[dict[str, str | bool]]:
    out: list[dict[str, str | bool]] = []
    for c in columns.values():
        if rows == 0 or c.overflow or c.filled < rows or len(c.distinct) < rows:
            continue
        values = list(c.distinct)
        stable = "yes"
        note = ""
        if all(v.isdigit() for v in values):
            numbers = sorted(int(v) for v in values)
            if numbers == list(range(numbers[0], numbers[0] + len(numbers))) and numbers[0] in (
                0,
                1,
            ):
                stable, note = "doubtful", "consecutive integers from 1: may be row numbers"
        elif all(_UUIDISH.match(v) for v in values):
            note = "UUIDs"
        if any(w in c.name.lower() for w in ("nom", "name", "libell", "adresse", "address")):
            stable, note = "doubtful", "a name or address changes over time"
        out.append({"column": c.name, "unique": True, "stable": stable, "note": note})
    preferred = [o for o in out if any(w in str(o["column"]).lower() for w in ("id", "code"))]
    return preferred + [o for o in out if o not in preferred]


def _dates(columns: dict[str, Column]) -> list[dict[str, Any]]:
    out = []
    for name in _looks(list(columns), "date", "maj", "updated", "modif", "mis à jour", "update"):
        c = columns[name]
        formats: Counter[str] = Counter()
        parsed = 0
        newest = None
        for value in list(c.distinct)[:5000] if not c.overflow else c.samples:
            label = next((f for f, rx in _DATE_FORMATS.items() if rx.match(value)), "other")
            formats[label] += 1
            try:
                day = parse_date(value, {})
                parsed += 1
                newest = max(newest, day) if newest else day
            except TransformError:
                pass
        out.append(
            {
                "column": name,
                "formats": dict(formats.most_common()),
                "parsable_share": round(parsed / max(1, sum(formats.values())), 3),
                "newest": newest.isoformat() if newest else None,
                "distinct_values": None if c.overflow else len(c.distinct),
                "note": "one single date: an export date rather than an update date?"
                if not c.overflow and len(c.distinct) == 1
                else "",
            }
        )
    return out


def _siret(columns: dict[str, Column]) -> list[dict[str, Any]]:
    out = []
    for c in columns.values():
        digits = [re.sub(r"\D", "", v) for v in (c.distinct if not c.overflow else c.samples)]
        named = "siret" in c.name.lower()
        fourteen = [d for d in digits if len(d) == 14]
        if not named and (not digits or len(fourteen) < 0.8 * len(digits)):
            continue
        valid = sum(1 for d in fourteen if siret_ok(d))
        out.append(
            {
                "column": c.name,
                "filled": c.filled,
                "distinct": len(digits),
                "fourteen_digits": len(fourteen),
                "luhn_valid": valid,
                "luhn_valid_share": round(valid / len(digits), 3) if digits else 0.0,
            }
        )
    return out


def _insee(columns: dict[str, Column], territories: Territories | None) -> list[dict[str, Any]]:
    if territories is None:
        return []
    out = []
    for name in _looks(list(columns), "insee", "citycode", "code_commune", "codecommune", "cog"):
        c = columns[name]
        current = resolved = unknown = 0
        examples: dict[str, str] = {}
        for value in c.distinct if not c.overflow else c.samples:
            code = value.strip().upper()
            if code in territories.current:
                current += 1
            elif code in territories.aliases:
                resolved += 1
                if len(examples) < 5:
                    examples[code] = territories.aliases[code]
            else:
                unknown += 1
        out.append(
            {
                "column": name,
                "distinct": current + resolved + unknown,
                "current": current,
                "former_or_delegated": resolved,
                "resolved_examples": examples,
                "unknown": unknown,
            }
        )
    return out


def _phone_ok(value: str) -> bool:
    return phone_e164(value) is not None


def _email_ok(value: str) -> bool:
    return bool(_EMAIL.match(value.strip()))


def _coverage(
    columns: dict[str, Column], rows: int, names: list[str], check: Any
) -> list[dict[str, Any]]:
    out = []
    for name in names:
        c = columns[name]
        entry: dict[str, Any] = {
            "column": name,
            "fill_rate": round(c.filled / rows, 3) if rows else 0,
        }
        if check is not None:
            values = list(c.distinct)[:20000] if not c.overflow else c.samples
            if values:
                entry["valid_share"] = round(sum(1 for v in values if check(v)) / len(values), 3)
        out.append(entry)
    return out


def render(report: dict[str, Any]) -> str:
    """The report as a person reads it."""
    lines = [
        f"File      {report['file']} ({report['size_bytes']} bytes)",
        f"Format    {report['format']}"
        + (f", encoding {report['encoding']}" if report["encoding"] else "")
        + (f", delimiter {report['delimiter']!r}" if report["delimiter"] else "")
        + (f", sheet {report['sheet']!r}" if report["sheet"] else "")
        + (f", records at {report['records_path']!r}" if report["records_path"] else ""),
        f"Records   {report['rows']}",
    ]
    lines += [f"Warning   {w}" for w in report["warnings"]]
    lines.append("")
    lines.append("Columns (fill rate, distinct values, samples)")
    for c in report["columns"]:
        distinct = "many" if c["distinct"] is None else c["distinct"]
        lines.append(
            f"  {c['name'][:40]:40} {c['fill_rate']:>6.0%} {distinct!s:>8}  "
            + " | ".join(c["samples"])[:70]
        )
    lines.append("")
    lines.append("Phase 0 questions")
    ids = report["id_candidates"]
    if ids:
        for c in ids[:5]:
            lines.append(
                f"  id candidate        {c['column']}: unique, stable {c['stable']}"
                + (f" ({c['note']})" if c["note"] else "")
            )
    else:
        lines.append("  id candidate        none: no column is filled and unique on every row")
    lines.append(
        "  structure id        "
        + (
            ", ".join(report["structure_id_columns"])
            if report["structure_id_columns"]
            else "no column looks like one (service rows need one)"
        )
    )
    if report["update_date"]:
        for d in report["update_date"]:
            formats = ", ".join(f"{k} ×{v}" for k, v in d["formats"].items())
            lines.append(
                f"  update date         {d['column']}: {formats}; newest {d['newest']}"
                + (f" — {d['note']}" if d["note"] else "")
            )
    else:
        lines.append("  update date         none found (date_maj is required by the schema)")
    if report["siret"]:
        for s in report["siret"]:
            lines.append(
                f"  SIRET               {s['column']}: {s['filled']} filled, "
                f"{s['luhn_valid']} of {s['distinct']} distinct pass Luhn"
            )
    else:
        lines.append("  SIRET               none collected")
    for i in report["insee"]:
        lines.append(
            f"  INSEE codes         {i['column']}: {i['current']} current, "
            f"{i['former_or_delegated']} former/delegated (resolved), {i['unknown']} unknown"
        )
    for label, entries in report["contact"].items():
        for e in entries:
            valid = f", {e['valid_share']:.0%} valid" if "valid_share" in e else ""
            lines.append(f"  {label:<19} {e['column']}: {e['fill_rate']:.0%} filled{valid}")
    return "\n".join(lines)
