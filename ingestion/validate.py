"""Validation with the `data-inclusion-schema` v1 models: errors reject, warnings are kept."""

from __future__ import annotations

import difflib
import re
from typing import Any

import pydantic

from ingestion.issues import Issue
from ingestion.mapping_file import MODELS

REQUIRED: dict[str, frozenset[str]] = {
    kind: frozenset(name for name, f in model.model_fields.items() if f.is_required())
    for kind, model in MODELS.items()
}
# set-typed fields come out of pydantic in no particular order: sort them for stable hashes
_UNORDERED: dict[str, frozenset[str]] = {
    kind: frozenset(name for name, f in model.model_fields.items() if "set[" in str(f.annotation))
    for kind, model in MODELS.items()
}
WARNING_TYPE = "avertissement"


def _preview(value: Any, limit: int = 200) -> str | None:
    if value is None:
        return None
    text = str(value)
    return text if len(text) <= limit else text[:limit] + f"… ({len(text)} characters)"


def validate(kind: str, payload: dict[str, Any]) -> tuple[dict[str, Any] | None, list[Issue]]:
    """Validate one record; return the JSON-ready record (None if rejected) and its issues.

    An invalid value of an optional field is dropped with a warning and the record kept;
    an invalid required field rejects the record.
    """
    model = MODELS[kind]
    found: dict[tuple[str, str | None, str], Issue] = {}

    def add(issue: Issue) -> None:
        found.setdefault((issue.severity, issue.field, issue.message), issue)

    data = dict(payload)
    instance = None
    while instance is None:
        try:
            instance = model.model_validate(data, context={"ignore_warnings": False})
            break
        except pydantic.ValidationError as exc:
            errors = exc.errors(include_url=False)
        for e in errors:
            if e["type"] == WARNING_TYPE:
                add(Issue("warning", _field(e), _message(e), _preview(e.get("input"))))
        real = [e for e in errors if e["type"] != WARNING_TYPE]
        if not real:
            instance = model.model_validate(data)  # warnings only: accepted
            break
        if any(_field(e) in REQUIRED[kind] or _field(e) not in data for e in real):
            for e in real:
                add(Issue("error", _field(e), _message(e), _preview(e.get("input"))))
            return None, list(found.values())
        drop_items: dict[str, set[int]] = {}
        for e in real:
            name = str(_field(e))
            loc = e.get("loc") or ()
            value = data.get(name)
            if len(loc) > 1 and isinstance(loc[1], int) and isinstance(value, list):
                add(
                    Issue(
                        "warning", name, f"{_message(e)}; element dropped", _preview(e.get("input"))
                    )
                )
                drop_items.setdefault(name, set()).add(loc[1])
            else:
                add(
                    Issue(
                        "warning", name, f"{_message(e)}; value dropped", _preview(e.get("input"))
                    )
                )
                data.pop(name, None)
        for name, indexes in drop_items.items():
            if name in data:
                kept = [v for i, v in enumerate(data[name]) if i not in indexes]
                if kept:
                    data[name] = kept
                else:
                    del data[name]
    dumped = instance.model_dump(mode="json", exclude_none=True)
    for name in _UNORDERED[kind]:
        if isinstance(dumped.get(name), list):
            dumped[name] = sorted(dumped[name])
    return dumped, list(found.values())


def _field(error: Any) -> str | None:
    loc = error.get("loc") or ()
    return str(loc[0]) if loc else None


def _message(error: Any) -> str:
    if error["type"] == "enum":
        allowed = re.findall(r"'([^']+)'", str(error.get("ctx", {}).get("expected", "")))
        hint = difflib.get_close_matches(str(error.get("input")), allowed, n=1, cutoff=0.6)
        suggestion = f" (did you mean {hint[0]!r}?)" if hint else ""
        return f"{error.get('input')!r} is not a value of the schema's enumeration{suggestion}"
    return str(error["msg"]).removeprefix("Value error, ")
