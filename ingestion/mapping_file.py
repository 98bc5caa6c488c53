"""Declarative producer files (TOML): the source's registry entry and how its records map.

One file per producer, `<slug>.toml`, in the producer's folder (`producers/<slug>/`, `_` for
`-`) or directly in the producers' directory; the format is documented in
`producers/README.md`. Loading checks everything that can be checked without data: target
fields exist in the schema, transforms exist, value-map targets are enumeration values (with
"did you mean" suggestions).
"""

from __future__ import annotations

import difflib
import fnmatch
import hashlib
import importlib
import tomllib
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from importlib import metadata
from pathlib import Path
from typing import Annotated, Any, Union, get_args, get_origin

from data_inclusion.schema import v1

from ingestion.transforms import TRANSFORMS
from store.text import fold

# the top-level `producers` package, beside this one (in a checkout as in the installed wheel)
PRODUCERS_DIR = Path(__file__).resolve().parent.parent / "producers"

KINDS = ("structures", "services")
MODELS: dict[str, type[Any]] = {"structures": v1.Structure, "services": v1.Service}
ENUMS: dict[str, type[Any]] = {
    "Thematique": v1.Thematique,
    "Public": v1.Public,
    "Frais": v1.Frais,
    "TypeService": v1.TypeService,
    "ModeAccueil": v1.ModeAccueil,
    "ModeMobilisation": v1.ModeMobilisation,
    "PersonneMobilisatrice": v1.PersonneMobilisatrice,
    "ReseauPorteur": v1.ReseauPorteur,
}
# fields set by the pipeline itself, never by a mapping's `fields`
RESERVED = {"source", "id", "structure_id"}
UNMAPPED_POLICIES = ("report", "reject", "keep")
READER_KEYS = (
    "format",
    "encoding",
    "delimiter",
    "records_path",
    "sheet",
    "header_row",
    "limits",
)
# `[reader] format = "data-inclusion"`: files whose columns are the schema's own field names
DATA_INCLUSION = "data-inclusion"
# which files hold which kind when a producer's files are in the schema (by file name, any case)
DATA_INCLUSION_FILES = {"structures": ("*structure*",), "services": ("*service*",)}


class MappingError(ValueError):
    """A producer file that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class SourceInfo:
    slug: str
    nom: str
    description: str | None = None
    licence: str | None = None
    homepage: str | None = None
    date_maj_fiable: bool = True
    agregateur: bool = False
    restreinte: bool = False


@dataclass(frozen=True)
class FieldRule:
    """How one schema field is computed from a record."""

    target: str
    paths: tuple[str, ...] = ()
    transforms: tuple[tuple[str, dict[str, Any]], ...] = ()
    value_map: str | None = None
    default: Any = None
    const: Any = None
    optional: bool = False


@dataclass(frozen=True)
class ValueMap:
    """Producer vocabulary -> enumeration values (many-to-many), matched accent/case-blind."""

    name: str
    enum: str
    values: dict[str, tuple[str, ...]]  # folded producer value -> schema values
    unmapped: str = "report"
    labels: dict[str, str] = field(default_factory=dict)  # folded -> as written in the file

    def lookup(self, value: Any) -> tuple[str, ...] | None:
        return self.values.get(fold(str(value)))


@dataclass(frozen=True)
class KindMapping:
    kind: str  # structures | services
    files: tuple[str, ...]
    reader: dict[str, Any]
    id: FieldRule
    structure_id: FieldRule | None
    explode: str | None
    # explode a delimited text instead of a list of objects: each part becomes a child
    # {"value": part, "key": slug of part}
    explode_split: str | None
    fields: tuple[FieldRule, ...]
    list_fields: frozenset[str]
    # file names matched whatever their case (`Structures.CSV`): a data·inclusion producer's
    ignore_case: bool = False

    def matches(self, path: Path) -> bool:
        if self.ignore_case:
            name = path.name.casefold()
            return any(fnmatch.fnmatchcase(name, p.casefold()) for p in self.files)
        return any(fnmatch.fnmatch(path.name, pattern) for pattern in self.files)

    def reader_options(self, defaults: dict[str, Any]) -> Any:
        """The `ReaderOptions` for this kind's files: the producer's defaults, then its own."""
        from ingestion.readers import ReaderOptions

        return ReaderOptions(**{**defaults, **self.reader})


@dataclass(frozen=True)
class Producer:
    source: SourceInfo
    reader: dict[str, Any]
    kinds: dict[str, KindMapping]
    value_maps: dict[str, ValueMap]
    hook: Callable[[dict[str, Any], dict[str, Any], str], dict[str, Any] | None] | None
    path: Path
    sha256: str
    data_inclusion: bool = False  # files already in the schema: nothing is mapped
    pull: dict[str, Any] | None = None  # kind -> pull.PullSpec: how its API is pulled


def folder_name(slug: str) -> str:
    """A producer's folder: its slug as a Python name (`emplois-de-linclusion` →
    `emplois_de_linclusion`), so that its hook is importable (`producers.<folder>.hook`)."""
    return slug.replace("-", "_")


def known_slugs(directory: Path = PRODUCERS_DIR) -> list[str]:
    """The producers of `directory`: `<slug>.toml` in it, or in a folder of its own."""
    flat = {p.stem for p in directory.glob("*.toml")}
    foldered = {p.stem for p in directory.glob("*/*.toml") if p.parent.name == folder_name(p.stem)}
    return sorted(flat | foldered)


def entry_path(slug: str, directory: Path = PRODUCERS_DIR) -> Path:
    """Where `slug`'s entry is, or would be: its folder's `<slug>.toml`, unless the directory
    holds the file itself."""
    flat = directory / f"{slug}.toml"
    return flat if flat.is_file() else directory / folder_name(slug) / f"{slug}.toml"


def load(slug: str, directory: Path = PRODUCERS_DIR) -> Producer:
    path = entry_path(slug, directory)
    if not path.is_file():
        known = known_slugs(directory)
        hint = difflib.get_close_matches(slug, known, n=1)
        suggestion = f" (did you mean {hint[0]!r}?)" if hint else ""
        raise MappingError(
            f"unknown source {slug!r}{suggestion}; known sources: {', '.join(known) or 'none'}"
        )
    return load_file(path)


def load_file(path: Path) -> Producer:
    raw = path.read_bytes()
    try:
        doc = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise MappingError(f"{path}: not valid TOML: {exc}") from exc
    where = str(path)
    source = _source(doc.get("source"), where)
    if path.stem != source.slug:
        raise MappingError(f"{where}: [source] slug {source.slug!r} must match the file name")
    reader = _reader(doc.get("reader", {}), f"{where} [reader]")
    value_maps = {
        name: _value_map(name, spec, f"{where} [value_maps.{name}]")
        for name, spec in doc.get("value_maps", {}).items()
    }
    sha256 = hashlib.sha256(raw).hexdigest()
    reader_format = reader.get("format")
    if reader_format == DATA_INCLUSION:
        # files already in the schema: the file format itself is detected
        reader = {k: v for k, v in reader.items() if k != "format"}
        if value_maps:
            raise MappingError(
                f"{where}: [value_maps] has no use in a producer in the data·inclusion format "
                "(its files hold the enumeration values themselves)"
            )
        kinds = {
            kind: _data_inclusion_kind(kind, source.slug, doc.get(kind, {}), f"{where} [{kind}]")
            for kind in KINDS
        }
        sha256 = _data_inclusion_sha256(raw)
    else:
        for kind in KINDS:
            if isinstance(doc.get(kind), dict) and doc[kind].get("format") == DATA_INCLUSION:
                raise MappingError(
                    f'{where} [{kind}]: `format = "{DATA_INCLUSION}"` goes in [reader], for the '
                    "whole producer (its [structures] / [services] then map nothing)"
                )
        kinds = {
            kind: _kind(kind, doc[kind], value_maps, f"{where} [{kind}]")
            for kind in KINDS
            if kind in doc
        }
    if not kinds:
        raise MappingError(f"{where}: needs a [structures] and/or a [services] table")
    if "services" in kinds and kinds["services"].structure_id is None:
        raise MappingError(f"{where} [services]: `structure_id` is required")
    unknown = set(doc) - {"source", "reader", "value_maps", "hook", "pull", *KINDS}
    if unknown:
        raise MappingError(f"{where}: unknown table(s) {sorted(unknown)}")
    pull = None
    if "pull" in doc:  # the producer's API, pulled by `gateway pull` (ingestion/pull.py)
        from ingestion import pull as pull_module

        pull = pull_module.parse(doc["pull"], kinds, f"{where} [pull]")
    return Producer(
        source=source,
        reader=reader,
        kinds=kinds,
        value_maps=value_maps,
        hook=_hook(doc.get("hook"), where),
        path=path,
        sha256=sha256,
        data_inclusion=reader_format == DATA_INCLUSION,
        pull=pull,
    )


def data_inclusion_producer(slug: str) -> Producer:
    """The registry entry a producer whose files are in the data·inclusion schema needs and no
    more (`[source]` with its slug, `[reader] format = "data-inclusion"`), built in memory."""
    text = f'[source]\nslug = "{slug}"\nnom = "{slug}"\n[reader]\nformat = "{DATA_INCLUSION}"\n'
    where = f"<{slug} in the data·inclusion format>"
    return Producer(
        source=_source({"slug": slug, "nom": slug}, where),
        reader={},
        kinds={k: _data_inclusion_kind(k, slug, {}, f"{where} [{k}]") for k in KINDS},
        value_maps={},
        hook=None,
        path=Path(f"{slug}.toml"),
        sha256=_data_inclusion_sha256(text.encode()),
        data_inclusion=True,
    )


def _data_inclusion_sha256(raw: bytes) -> str:
    """A data·inclusion entry's mapping is the schema itself: a new schema version is a new
    mapping (every row is mapped again, not skipped as unchanged)."""
    version = metadata.version("data-inclusion-schema")
    return hashlib.sha256(raw + f"\0data-inclusion-schema {version}".encode()).hexdigest()


def _source(spec: Any, where: str) -> SourceInfo:
    if not isinstance(spec, dict) or "slug" not in spec or "nom" not in spec:
        raise MappingError(f"{where}: a [source] table with at least `slug` and `nom` is required")
    allowed = set(SourceInfo.__dataclass_fields__)
    if unknown := set(spec) - allowed:
        raise MappingError(f"{where} [source]: unknown key(s) {sorted(unknown)}")
    return SourceInfo(**spec)


def _reader(spec: Any, where: str) -> dict[str, Any]:
    if not isinstance(spec, dict):
        raise MappingError(f"{where}: must be a table")
    if unknown := set(spec) - set(READER_KEYS):
        raise MappingError(f"{where}: unknown key(s) {sorted(unknown)}; known: {READER_KEYS}")
    return _with_limits(dict(spec), where)


def _with_limits(reader: dict[str, Any], where: str) -> dict[str, Any]:
    """`limits` (spreadsheets: what reading one may cost) checked and made a SheetLimits."""
    if "limits" not in reader:
        return reader
    from ingestion.readers.sheet_limits import SheetLimits

    spec = reader["limits"]
    if not isinstance(spec, dict):
        raise MappingError(f"{where}: `limits` must be a table")
    try:
        return {**reader, "limits": SheetLimits.from_mapping(spec, f"{where} limits")}
    except ValueError as exc:
        raise MappingError(str(exc)) from None


def _suggest(value: str, choices: list[str]) -> str:
    hint = difflib.get_close_matches(value, choices, n=1, cutoff=0.6)
    return f" (did you mean {hint[0]!r}?)" if hint else ""


def _value_map(name: str, spec: Any, where: str) -> ValueMap:
    if not isinstance(spec, dict) or "enum" not in spec or "values" not in spec:
        raise MappingError(f"{where}: needs `enum` and a `values` table")
    enum_name = spec["enum"]
    if enum_name not in ENUMS:
        raise MappingError(
            f"{where}: unknown enum {enum_name!r}{_suggest(enum_name, list(ENUMS))}; "
            f"known: {', '.join(ENUMS)}"
        )
    unmapped = spec.get("unmapped", "report")
    if unmapped not in UNMAPPED_POLICIES:
        raise MappingError(f"{where}: `unmapped` must be one of {UNMAPPED_POLICIES}")
    allowed = [m.value for m in ENUMS[enum_name]]
    values: dict[str, tuple[str, ...]] = {}
    labels: dict[str, str] = {}
    errors = []
    for producer_value, targets in spec["values"].items():
        target_list = [targets] if isinstance(targets, str) else list(targets)
        for target in target_list:
            if target not in allowed:
                errors.append(
                    f"{producer_value!r} -> {target!r} is not a {enum_name} value"
                    f"{_suggest(target, allowed)}"
                )
        values[fold(producer_value)] = tuple(target_list)
        labels[fold(producer_value)] = producer_value
    if errors:
        raise MappingError(f"{where}: " + "; ".join(errors))
    return ValueMap(name, enum_name, values, unmapped, labels)


def _is_list_field(model: type[Any], name: str) -> bool:
    annotation = model.model_fields[name].annotation
    for arg in (annotation, *get_args(annotation)):
        origin = get_origin(arg)
        if origin in (list, set, frozenset):
            return True
        if origin in (Union, types.UnionType) and any(
            get_origin(a) in (list, set) for a in get_args(arg)
        ):
            return True
    return False


def _rule(target: str, spec: Any, value_maps: dict[str, ValueMap], where: str) -> FieldRule:
    if isinstance(spec, str):
        return FieldRule(target=target, paths=(spec,))
    if isinstance(spec, list):
        return FieldRule(target=target, paths=tuple(spec))
    if not isinstance(spec, dict):
        raise MappingError(f"{where}.{target}: expected a column name or a table")
    allowed = {"from", "transform", "map", "default", "const", "optional", *_PARAM_KEYS}
    if unknown := set(spec) - allowed:
        raise MappingError(f"{where}.{target}: unknown key(s) {sorted(unknown)}")
    paths = spec.get("from", ())
    paths = (paths,) if isinstance(paths, str) else tuple(paths)
    if not paths and "const" not in spec and "default" not in spec:
        raise MappingError(f"{where}.{target}: needs `from`, `const` or `default`")
    names = spec.get("transform", ())
    names = [names] if isinstance(names, str) else list(names)
    params = {k: spec[k] for k in _PARAM_KEYS if k in spec}
    for name in names:
        if name not in TRANSFORMS:
            raise MappingError(
                f"{where}.{target}: unknown transform {name!r}{_suggest(name, list(TRANSFORMS))}"
            )
    value_map = spec.get("map")
    if value_map is not None and value_map not in value_maps:
        raise MappingError(
            f"{where}.{target}: unknown value map {value_map!r}"
            f"{_suggest(value_map, list(value_maps))}"
        )
    return FieldRule(
        target=target,
        paths=paths,
        transforms=tuple((name, params) for name in names),
        value_map=value_map,
        default=spec.get("default"),
        const=spec.get("const"),
        optional=bool(spec.get("optional", False)),
    )


# transform parameters a field table may carry next to `transform`
_PARAM_KEYS = ("sep", "format", "unit", "order", "take", "text", "pattern", "with")


def _kind(kind: str, spec: Any, value_maps: dict[str, ValueMap], where: str) -> KindMapping:
    if not isinstance(spec, dict):
        raise MappingError(f"{where}: must be a table")
    model = MODELS[kind]
    allowed = {"files", "id", "structure_id", "explode", "fields", *READER_KEYS}
    if unknown := set(spec) - allowed:
        raise MappingError(f"{where}: unknown key(s) {sorted(unknown)}")
    files = spec.get("files", ["*"])
    files = (files,) if isinstance(files, str) else tuple(files)
    if "id" not in spec:
        raise MappingError(f"{where}: `id` (the field holding the producer's id) is required")
    id_rule = _rule("id", spec["id"], value_maps, where)
    structure_rule = (
        _rule("structure_id", spec["structure_id"], value_maps, where)
        if "structure_id" in spec
        else None
    )
    fields_spec = spec.get("fields", {})
    schema_fields = [f for f in model.model_fields if f not in RESERVED]
    rules = []
    for target, field_spec in fields_spec.items():
        if target not in schema_fields:
            raise MappingError(
                f"{where}.fields: {target!r} is not a field of {model.__name__}"
                f"{_suggest(target, schema_fields)}"
            )
        rule = _rule(target, field_spec, value_maps, f"{where}.fields")
        if rule.value_map:
            enum_name = value_maps[rule.value_map].enum
            expected = _enum_of(model, target)
            if expected and expected != enum_name:
                raise MappingError(
                    f"{where}.fields.{target}: value map {rule.value_map!r} gives {enum_name} "
                    f"values but {target} takes {expected}"
                )
        rules.append(rule)
    list_fields = frozenset(f for f in schema_fields if _is_list_field(model, f))
    explode = spec.get("explode")
    explode_split = None
    if isinstance(explode, dict):
        if set(explode) - {"from", "split"} or "from" not in explode:
            raise MappingError(f"{where}.explode: expected a path or {{ from = ..., split = ... }}")
        explode_path, explode_split = explode["from"], explode.get("split", ";")
    else:
        explode_path = explode
    return KindMapping(
        kind=kind,
        files=files,
        reader=_with_limits({k: spec[k] for k in READER_KEYS if k in spec}, where),
        id=id_rule,
        structure_id=structure_rule,
        explode=explode_path,
        explode_split=explode_split,
        fields=tuple(rules),
        list_fields=list_fields,
    )


def _data_inclusion_kind(kind: str, slug: str, spec: Any, where: str) -> KindMapping:
    """The mapping of a file already in the data·inclusion schema: every field read from the
    column of its own name, ids with or without the `<source>--` prefix, lists as JSON lists or
    `a,b` / `a;b` / `a|b` text (CSV), dates and numbers parsed from text."""
    if not isinstance(spec, dict):
        raise MappingError(f"{where}: must be a table")
    if unknown := set(spec) - {"files", *READER_KEYS}:
        raise MappingError(
            f"{where}: unknown key(s) {sorted(unknown)}; a producer in the data·inclusion "
            f"format maps nothing (only `files` and the reader options {READER_KEYS} may be set)"
        )
    model = MODELS[kind]
    files = spec.get("files", DATA_INCLUSION_FILES[kind])
    files = (files,) if isinstance(files, str) else files
    if not isinstance(files, list | tuple) or not all(isinstance(f, str) for f in files):
        raise MappingError(f"{where}: `files` must be a file name pattern or a list of them")
    own_id = (("unprefix", {"text": f"{slug}--"}),)
    list_fields = frozenset(
        f for f in model.model_fields if f not in RESERVED and _is_list_field(model, f)
    )
    rules = []
    for name, info in model.model_fields.items():
        if name in RESERVED:
            continue
        typed = "list" if name in list_fields else _scalar_transform(info.annotation)
        rules.append(
            FieldRule(
                target=name,
                paths=(name,),
                transforms=((typed, {}),) if typed else (),
                optional=not info.is_required(),
            )
        )
    return KindMapping(
        kind=kind,
        files=tuple(files),
        # `format` here is the files' own format (csv, json…), when detection is not enough
        reader=_with_limits(
            {
                k: spec[k]
                for k in READER_KEYS
                if k in spec and not (k == "format" and spec[k] == DATA_INCLUSION)
            },
            where,
        ),
        id=FieldRule(target="id", paths=("id",), transforms=own_id),
        structure_id=(
            FieldRule(target="structure_id", paths=("structure_id",), transforms=own_id)
            if kind == "services"
            else None
        ),
        explode=None,
        explode_split=None,
        fields=tuple(rules),
        list_fields=list_fields,
        ignore_case=True,
    )


def _scalar_transform(annotation: Any) -> str | None:
    """The transform reading a schema field's type from text: `date`, `float`, `int` or none
    (text, URLs, e-mails, enumeration values are read as they are)."""
    stack = [annotation]
    while stack:
        current = stack.pop()
        if current is date:
            return "date"
        if current is float:
            return "float"
        if current is int:
            return "int"
        if get_origin(current) in (Union, types.UnionType):
            stack.extend(get_args(current))
        elif get_origin(current) is Annotated:
            stack.append(get_args(current)[0])
    return None


def _enum_of(model: type[Any], name: str) -> str | None:
    annotation = model.model_fields[name].annotation
    stack = [annotation]
    while stack:
        current = stack.pop()
        for enum_name, enum in ENUMS.items():
            if current is enum:
                return enum_name
        stack.extend(get_args(current))
    return None


def _hook(spec: Any, where: str) -> Any:
    if spec is None:
        return None
    if not isinstance(spec, str) or ":" not in spec:
        raise MappingError(f"{where}: `hook` must be 'package.module:function'")
    module_name, function = spec.split(":", 1)
    try:
        module = importlib.import_module(module_name)
        return getattr(module, function)
    except (ImportError, AttributeError) as exc:
        raise MappingError(f"{where}: hook {spec!r} cannot be imported: {exc}") from exc
