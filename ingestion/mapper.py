"""Apply a producer's mapping to raw records: paths, transforms, value maps, defaults."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson

from ingestion.issues import Issue
from ingestion.mapping_file import MODELS, FieldRule, KindMapping, Producer
from ingestion.readers import Record, formula_like
from ingestion.transforms import TRANSFORMS, TransformError
from store.text import fold

KIND_SINGULAR = {"structures": "structure", "services": "service"}
REQUIRED: dict[str, frozenset[str]] = {
    kind: frozenset(name for name, f in model.model_fields.items() if f.is_required())
    for kind, model in MODELS.items()
}


@dataclass
class MappedRecord:
    kind: str  # structures | services
    file: str
    number: int
    producer_id: str | None
    structure_producer_id: str | None
    data: dict[str, Any]
    raw: dict[str, Any]
    issues: list[Issue] = field(default_factory=list)

    @property
    def rejected(self) -> bool:
        return any(i.severity == "error" for i in self.issues)


@dataclass
class MappingStats:
    """What the mapping met across a run: unmapped producer values, paths never present."""

    unmapped: Counter[tuple[str, str]] = field(default_factory=Counter)  # (map, value) -> count
    paths_seen: set[str] = field(default_factory=set)


_MISSING = object()


def slug(text: str) -> str:
    """'Aide aux démarches' -> 'aide-aux-demarches'."""
    return fold(text).replace(" ", "-")


def get_path(record: dict[str, Any], path: str, parent: dict[str, Any] | None) -> Any:
    """Dotted access; `parent.x` reads the record an exploded child came from; lists fan out."""
    if path.startswith("parent."):
        if parent is None:
            return _MISSING
        return get_path(parent, path[len("parent.") :], None)
    if path in record:  # a column whose own name has dots ("Tél.")
        return record[path]
    current: Any = record
    for part in path.split("."):
        if isinstance(current, list):
            values = [
                get_path(item, part, None) if isinstance(item, dict) else _MISSING
                for item in current
            ]
            current = [v for v in values if v is not _MISSING and v is not None]
            continue
        if not isinstance(current, dict) or part not in current:
            return _MISSING
        current = current[part]
    return current


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def apply_rule(
    rule: FieldRule,
    record: dict[str, Any],
    parent: dict[str, Any] | None,
    producer: Producer,
    stats: MappingStats,
    issues: list[Issue],
    list_field: bool,
    required: frozenset[str] = frozenset(),
) -> Any:
    if rule.const is not None:
        return rule.const
    values = []
    for path in rule.paths:
        found = get_path(record, path, parent)
        if found is not _MISSING:
            stats.paths_seen.add(path)
            values.append(found)
    value: Any = values[0] if len(rule.paths) == 1 and values else (values or None)
    try:
        for name, params in rule.transforms:
            value = TRANSFORMS[name](value, params)
    except TransformError as exc:
        # a required field cannot do without its value; an optional one is dropped
        if rule.target in required:
            issues.append(Issue("error", rule.target, str(exc), _preview(value)))
        else:
            issues.append(Issue("warning", rule.target, f"{exc}; value dropped", _preview(value)))
        return None
    if rule.value_map and not _empty(value):
        value = _apply_value_map(rule, value, producer, stats, issues, list_field)
    if _empty(value):
        value = rule.default
    if list_field and value is not None and not isinstance(value, list):
        value = [value]
    return value


def _apply_value_map(
    rule: FieldRule,
    value: Any,
    producer: Producer,
    stats: MappingStats,
    issues: list[Issue],
    list_field: bool,
) -> Any:
    assert rule.value_map is not None
    vmap = producer.value_maps[rule.value_map]
    out: list[str] = []
    for item in value if isinstance(value, list) else [value]:
        if _empty(item):
            continue
        targets = vmap.lookup(item)
        if targets is None:
            stats.unmapped[(vmap.name, str(item))] += 1
            if vmap.unmapped == "keep":
                out.append(str(item))
            elif vmap.unmapped == "reject":
                issues.append(
                    Issue("error", rule.target, f"value not in value map {vmap.name!r}", item)
                )
            else:
                issues.append(
                    Issue("warning", rule.target, f"unmapped value dropped ({vmap.name})", item)
                )
            continue
        out += [t for t in targets if t not in out]
    if list_field:
        return out
    return out[0] if out else None


def _preview(value: Any, limit: int = 200) -> str | None:
    if value is None:
        return None
    text = str(value)
    return text if len(text) <= limit else text[:limit] + f"… ({len(text)} characters)"


def _id(
    rule: FieldRule,
    record: dict[str, Any],
    parent: dict[str, Any] | None,
    stats: MappingStats | None = None,
) -> str | None:
    if not rule.paths:
        value = rule.const
    elif len(rule.paths) == 1:
        value = get_path(record, rule.paths[0], parent)
        if stats is not None and value is not _MISSING:
            stats.paths_seen.add(rule.paths[0])
    else:  # several parts: joined with "-" unless the transforms say otherwise
        parts = [get_path(record, p, parent) for p in rule.paths]
        if stats is not None:
            stats.paths_seen.update(
                p for p, v in zip(rule.paths, parts, strict=True) if v is not _MISSING
            )
        if any(v is _MISSING or _empty(v) for v in parts):
            return None
        value = parts if rule.transforms else "-".join(str(v) for v in parts)
    for name, params in rule.transforms:
        try:
            value = TRANSFORMS[name](value, params)
        except TransformError:
            return None
    if value is _MISSING or _empty(value) or isinstance(value, dict | list):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip() or None


def map_one(
    producer: Producer,
    mapping: KindMapping,
    record: dict[str, Any],
    *,
    file: str,
    number: int,
    parent: dict[str, Any] | None,
    stats: MappingStats,
) -> MappedRecord:
    issues: list[Issue] = []
    producer_id = _id(mapping.id, record, parent, stats)
    if producer_id is None:
        issues.append(Issue("error", "id", f"no producer id at {mapping.id.paths[0]!r}"))
    structure_id = None
    if mapping.structure_id is not None:
        structure_id = _id(mapping.structure_id, record, parent, stats)
        if structure_id is None:
            issues.append(
                Issue(
                    "error",
                    "structure_id",
                    f"no structure id at {mapping.structure_id.paths[0]!r}",
                )
            )
    data: dict[str, Any] = {}
    for rule in mapping.fields:
        value = apply_rule(
            rule,
            record,
            parent,
            producer,
            stats,
            issues,
            rule.target in mapping.list_fields,
            REQUIRED[mapping.kind],
        )
        if value is not None:
            data[rule.target] = value
    mapped = MappedRecord(
        kind=mapping.kind,
        file=file,
        number=number,
        producer_id=producer_id,
        structure_producer_id=structure_id,
        data=data,
        raw=record if parent is None else {"parent_id": _id(mapping.id, parent, None), **record},
        issues=issues,
    )
    if producer.hook is not None and not mapped.rejected:
        changed = producer.hook(mapped.data, record, KIND_SINGULAR[mapping.kind])
        if changed is None:
            mapped.issues.append(Issue("error", None, "skipped by the producer's hook"))
        else:
            mapped.data = changed
    return mapped


@dataclass
class RawItem:
    """One record to map: a reader record, or one exploded child with its parent."""

    file: str
    number: int
    data: dict[str, Any]
    parent: dict[str, Any] | None
    formulas: dict[str, str]
    parent_digest: bytes = b""

    def digest(self, salt: bytes) -> str:
        """Identifies the raw row (and the mapping, via `salt`): unchanged -> same digest."""
        body = orjson.dumps(
            self.data, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS, default=str
        )
        return hashlib.sha256(salt + self.parent_digest + body).hexdigest()


def formula_values(data: dict[str, Any]) -> dict[str, str]:
    """Path -> text of the values a spreadsheet would run as formulas, anywhere in a record
    (paths as a mapping writes them, lists fanning out; the first value of a path). The CSV and
    spreadsheet readers flag their cells themselves; JSON and XML values are flagged here, so
    every format gets the same warning."""
    found: dict[str, str] = {}
    pending: list[tuple[Any, str]] = [(data, "")]
    while pending:
        value, path = pending.pop()
        if isinstance(value, str):
            if value[:1] in _FORMULA_STARTS and path not in found and formula_like(value):
                found[path] = value
        elif isinstance(value, dict):
            inner = [(v, f"{path}.{k}" if path else str(k)) for k, v in value.items()]
            pending.extend(reversed(inner))
        elif isinstance(value, list):
            pending.extend((v, path) for v in reversed(value))
    return found


_FORMULA_STARTS = frozenset("=+-@")


def iter_items(
    mapping: KindMapping, records: Iterator[Record], stats: MappingStats
) -> Iterator[RawItem]:
    for record in records:
        if mapping.explode is None:
            # the reader's own flags (a spreadsheet's formula text) win over the values read
            formulas = {**formula_values(record.data), **getattr(record, "formulas", {})}
            yield RawItem(record.file, record.number, record.data, None, formulas)
            continue
        children = get_path(record.data, mapping.explode, None)
        if children is _MISSING or children is None:
            continue
        stats.paths_seen.add(mapping.explode)
        if mapping.explode_split is not None:
            parts = [p.strip() for p in str(children).split(mapping.explode_split) if p.strip()]
            children = [{"value": p, "key": slug(p)} for p in parts]
        parent_digest = hashlib.sha256(
            orjson.dumps(
                record.data, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS, default=str
            )
        ).digest()
        for child in children if isinstance(children, list) else [children]:
            if isinstance(child, dict):
                formulas = formula_values(child)
                yield RawItem(
                    record.file, record.number, child, record.data, formulas, parent_digest
                )


def item_ids(
    mapping: KindMapping, item: RawItem, stats: MappingStats
) -> tuple[str | None, str | None]:
    """The producer id (and a service's structure id) alone, without mapping the rest."""
    pid = _id(mapping.id, item.data, item.parent, stats)
    sid = _id(mapping.structure_id, item.data, item.parent, stats) if mapping.structure_id else None
    return pid, sid


def map_item(
    producer: Producer, mapping: KindMapping, item: RawItem, stats: MappingStats
) -> MappedRecord:
    mapped = map_one(
        producer,
        mapping,
        item.data,
        file=item.file,
        number=item.number,
        parent=item.parent,
        stats=stats,
    )
    for column, text in item.formulas.items():
        mapped.issues.append(
            Issue("warning", column, "formula-looking cell: never evaluated", text)
        )
    return mapped


def iter_mapped(
    producer: Producer, mapping: KindMapping, records: Iterator[Record], stats: MappingStats
) -> Iterator[MappedRecord]:
    for item in iter_items(mapping, records, stats):
        yield map_item(producer, mapping, item, stats)


def missing_paths(mapping: KindMapping, paths_seen: set[str]) -> list[str]:
    """Paths the mapping reads (not optional, not constant) that no record of a file had."""
    rules = [mapping.id, *mapping.fields]
    if mapping.structure_id:
        rules.append(mapping.structure_id)
    return sorted(
        {
            p
            for rule in rules
            if not rule.optional and rule.const is None
            for p in rule.paths
            if p not in paths_seen
        }
    )
