"""JSON arrays streamed by ijson, JSON Lines line by line, and folders of JSON pages."""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import ijson
import orjson

from ingestion.readers.base import ReaderOptions, ReadError, Record

# top-level keys named in an error message; an object with more is not a records wrapper anyway
_MAX_LISTED_KEYS = 30


def read_json(path: Path, options: ReaderOptions) -> Iterator[Record]:
    """Records of the array at records_path (dotted), or of the top-level array without one."""
    file = str(path)
    records_path = options.records_path or None
    prefix = f"{records_path}.item" if records_path else "item"
    count = 0
    with path.open("rb") as f:
        _skip_bom(f)
        try:
            # use_float: numbers come out as int/float instead of Decimal
            for item in ijson.items(f, prefix, use_float=True):
                count += 1
                if not isinstance(item, dict):
                    raise ReadError(file, f"record {count} is {_kind(item)}, not an object")
                yield Record(file, count, item)
        except ijson.JSONError as exc:
            raise ReadError(file, _json_error(exc, count)) from None
        if count == 0:
            f.seek(0)
            _skip_bom(f)
            _check_records_path(file, f, records_path)


def read_jsonl(path: Path) -> Iterator[Record]:
    """One record per non-blank line; a record's number is its line number."""
    file = str(path)
    with path.open("rb") as f:
        _skip_bom(f)
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                value = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                truncated = "" if line.endswith(b"\n") else " (the file may be truncated)"
                raise ReadError(
                    file, f"line {number} is not valid JSON: {exc}{truncated}", line=number
                ) from None
            if not isinstance(value, dict):
                raise ReadError(
                    file, f"line {number} holds {_kind(value)}, not an object", line=number
                )
            yield Record(file, number, value)


def _skip_bom(f: IO[bytes]) -> None:
    if f.read(len(codecs.BOM_UTF8)) != codecs.BOM_UTF8:
        f.seek(0)


def _json_error(exc: ijson.JSONError, count: int) -> str:
    text = exc.args[0] if exc.args else str(exc)
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    reason = str(text).strip().splitlines()[0] if str(text).strip() else "invalid JSON"
    if "premature EOF" in reason:
        return f"JSON ends unexpectedly after record {count} (the file is truncated)"
    return f"invalid JSON after record {count}: {reason}"


def _check_records_path(file: str, f: IO[bytes], records_path: str | None) -> None:
    """No record was found: fine for an empty array, else say what the file holds instead."""
    top: str | None = None
    keys: list[str] = []
    found: str | None = None
    try:
        for prefix, event, value in ijson.parse(f, use_float=True):
            if top is None:
                top = event
            if prefix == "" and event == "map_key" and len(keys) <= _MAX_LISTED_KEYS:
                keys.append(str(value))
            if records_path and found is None and prefix == records_path and event != "map_key":
                found = event
                if event == "start_array":
                    return
    except ijson.JSONError as exc:
        raise ReadError(file, _json_error(exc, 0)) from None
    if records_path is None:
        if top == "start_array":
            return
        hint = (
            f": give the records path; top-level keys are: {_listed(keys)}"
            if top == "start_map"
            else ""
        )
        raise ReadError(
            file, f"the top-level value is {_event_kind(top)}, not an array of records{hint}"
        )
    if top != "start_map":
        raise ReadError(
            file,
            f"no array at {records_path!r}: the top-level value is {_event_kind(top)}"
            + (" (leave the records path empty)" if top == "start_array" else ""),
        )
    there = f" (it holds {_event_kind(found)})" if found else ""
    raise ReadError(
        file, f"no array at {records_path!r}{there}; top-level keys are: {_listed(keys)}"
    )


def _listed(keys: list[str]) -> str:
    if not keys:
        return "(none)"
    shown = ", ".join(keys[:_MAX_LISTED_KEYS])
    return shown + (", …" if len(keys) > _MAX_LISTED_KEYS else "")


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return "null" if value is None else "an object"


def _event_kind(event: str | None) -> str:
    return {
        "start_map": "an object",
        "start_array": "an array",
        "string": "a string",
        "number": "a number",
        "boolean": "a boolean",
        "null": "null",
    }.get(event or "", "nothing")
