"""A merged (golden) record as a row of the data·inclusion v1 format: the schema's own snake_case
fields (`v1.Structure`, `v1.Service`, read from the package, never retyped), with `id` the public
id, a service's `structure_id` its merged structure's public id, `source` the producer of that
id, then `score_qualite` and `doublons` (the other members' ids). Values that may be personal
data follow the API's rules (`resolvers/personal.py`): without a token they are left out and
mobile numbers in free text are masked. Pure: no I/O."""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import Enum
from typing import Any, Union

from data_inclusion.schema import v1

from resolvers import personal

KINDS = ("structures", "services")
MODELS: Mapping[str, Any] = {"structures": v1.Structure, "services": v1.Service}
STORE_KIND = {"structures": "structure", "services": "service"}
EXTRA = ("score_qualite", "doublons")  # beyond the schema's fields


@dataclass(frozen=True)
class Column:
    """One exported field and its type: text, list (of text), date, float or int."""

    name: str
    type: str


def _type_of(annotation: Any) -> str:
    base = annotation
    if typing.get_origin(base) in (Union, types.UnionType):
        base = next(a for a in typing.get_args(base) if a is not type(None))
    if typing.get_origin(base) is typing.Annotated:
        base = typing.get_args(base)[0]
    origin = typing.get_origin(base)
    if origin in (list, set, frozenset):
        return "list"
    if base is date:
        return "date"
    if base is float:
        return "float"
    if base is int:
        return "int"
    if isinstance(base, type) and issubclass(base, Enum):
        return "text"
    return "text"


def columns(kind: str) -> list[Column]:
    """The fields of an export, in the schema's order, then `score_qualite` and `doublons`."""
    model = MODELS[kind]
    out = [Column(name, _type_of(info.annotation)) for name, info in model.model_fields.items()]
    return [*out, Column("score_qualite", "float"), Column("doublons", "list")]


def export_row(
    kind: str, golden: Mapping[str, Any], members: Sequence[str], *, has_token: bool
) -> dict[str, Any]:
    """The row of one golden record (a row of `golden_record` as the store reads it, and its
    members' public ids), every column present (None when the record has no value)."""
    data = personal.without_personal(has_token, dict(golden["data"] or {}))
    public_id = golden["public_id"]
    out: dict[str, Any] = {}
    for column in columns(kind):
        value = data.get(column.name)
        if column.type == "list" and value is not None:
            value = list(value) or None
        out[column.name] = value
    out["id"] = public_id
    out["source"] = data.get("source") or public_id.partition("--")[0]
    if kind == "services":
        out["structure_id"] = golden["structure_public_id"]
    score = golden.get("score_qualite")
    out["score_qualite"] = None if score is None else round(float(score), 4)
    out["doublons"] = sorted(m for m in set(members) if m != public_id)
    return out


# --- spreadsheets: lists in one cell, formulas neutralised -----------------------------------

_LIST_SEPARATORS = frozenset(",;|")


def list_cell(values: Sequence[Any] | None) -> str | None:
    """A list as one text cell, as the data·inclusion reader takes it back: `a,b` when no value
    holds a separator (the enumerations' values and codes never do), a JSON array otherwise."""
    if not values:
        return None
    texts = [str(v) for v in values]
    if any(_LIST_SEPARATORS & set(t) or t.startswith("[") or t != t.strip() for t in texts):
        import orjson

        return orjson.dumps(texts).decode()
    return ",".join(texts)


# what a spreadsheet may run as a formula (or a DDE call): any text starting with one of these;
# a number or a phone number (digits, spaces, dots, dashes, slashes, brackets) is left alone
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER_LIKE = re.compile(r"[+\-]?[\d\s.,/()\-]+")


def neutralised(text: str) -> str:
    """Text a spreadsheet will show as text: a value starting with `=`, `+`, `-`, `@` (or a tab,
    a carriage return) gets a leading `'`, unless it is a number or a phone number."""
    if text.startswith(_FORMULA_STARTS) and not _NUMBER_LIKE.fullmatch(text):
        return "'" + text
    return text


def cell(column: Column, value: Any) -> Any:
    """A value as a spreadsheet cell (CSV, XLSX): lists in one text cell, text neutralised;
    numbers stay numbers, None stays None."""
    if value is None:
        return None
    if column.type == "list":
        value = list_cell(value)
        return None if value is None else neutralised(value)
    if isinstance(value, str):
        return neutralised(value)
    return value
