"""The small value transforms a mapping file may chain (`transform = ["split", "first"]`)."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import orjson

Params = dict[str, Any]
Transform = Callable[[Any, Params], Any]

_TAG = re.compile(r"<[^>]+>")
_BLOCK_TAG = re.compile(r"</?(p|br|div|li|ul|ol|h\d)\b[^>]*>", re.IGNORECASE)
_SPACES = re.compile(r"[ \t\u00a0]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")
_MONTHS = {
    "janvier": 1, "fevrier": 2, "février": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6,
    "juillet": 7, "aout": 8, "août": 8, "septembre": 9, "octobre": 10, "novembre": 11,
    "decembre": 12, "décembre": 12,
}  # fmt: skip
_FRENCH_DATE = re.compile(r"^(\d{1,2})(?:er)?\s+([a-zéû]+)\s+(\d{4})$", re.IGNORECASE)
_DMY = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})(?:[ T].*)?$")
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_EXCEL_EPOCH = date(1899, 12, 30)
_LIST_SEP = re.compile(r"[,;|]")


class TransformError(ValueError):
    """A value a transform cannot handle; the message quotes it."""


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _each(value: Any, fn: Callable[[Any], Any]) -> Any:
    if isinstance(value, list):
        return [out for v in value if not _is_empty(out := fn(v))]
    return fn(value)


def strip_html(value: Any, _params: Params) -> Any:
    def one(v: Any) -> Any:
        if not isinstance(v, str):
            return v
        text = _BLOCK_TAG.sub("\n", v)
        text = html.unescape(_TAG.sub("", text))
        text = "\n".join(_SPACES.sub(" ", line).strip() for line in text.splitlines())
        return _BLANK_LINES.sub("\n\n", text).strip() or None

    return _each(value, one)


def split(value: Any, params: Params) -> Any:
    sep = params.get("sep", ";")
    parts: list[str] = []
    for v in value if isinstance(value, list) else [value]:
        if v is None:
            continue
        parts += [p.strip() for p in str(v).split(sep) if p.strip()]
    return parts


def join(value: Any, params: Params) -> Any:
    if not isinstance(value, list):
        return value
    sep = params.get("sep", " ")
    text = sep.join(str(v).strip() for v in value if not _is_empty(v) and str(v).strip())
    return text or None


def first(value: Any, _params: Params) -> Any:
    if isinstance(value, list):
        return next((v for v in value if not _is_empty(v)), None)
    return value


def parse_date(value: Any, params: Params) -> Any:
    """ISO dates and datetimes, dd/mm/yyyy, yyyymmdd, '3 mars 2025', epoch ms, Excel serials."""

    def one(v: Any) -> Any:
        if v is None or isinstance(v, date):
            return v.date() if isinstance(v, datetime) else v
        if isinstance(v, int | float) and not isinstance(v, bool):
            return _from_number(float(v), params)
        text = str(v).strip()
        if not text:
            return None
        if fmt := params.get("format"):
            try:
                return datetime.strptime(text, fmt).date()
            except ValueError as exc:
                raise TransformError(f"{text!r} does not match date format {fmt!r}") from exc
        try:
            if m := _ISO.match(text):
                if len(text) > 10:
                    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
                    return parsed.date()
                return date(int(m[1]), int(m[2]), int(m[3]))
            if m := _DMY.match(text):
                return date(int(m[3]), int(m[2]), int(m[1]))
            if m := _COMPACT.match(text):
                return date(int(m[1]), int(m[2]), int(m[3]))
            if m := _FRENCH_DATE.match(text):
                month = _MONTHS.get(m[2].lower())
                if month:
                    return date(int(m[3]), month, int(m[1]))
            if re.fullmatch(r"\d+(\.\d+)?", text):
                return _from_number(float(text), params)
        except ValueError as exc:
            raise TransformError(f"{text!r} is not a valid date ({exc})") from exc
        raise TransformError(f"{text!r} is not a date this mapping understands")

    return one(value)


def _from_number(number: float, params: Params) -> date:
    unit = params.get("unit")
    if unit == "excel" or (unit is None and 1 < number < 100_000):
        return _EXCEL_EPOCH + timedelta(days=int(number))
    seconds = number / 1000 if unit == "ms" or (unit is None and number > 1e11) else number
    return datetime.fromtimestamp(seconds, tz=UTC).date()


def decimal_fr(value: Any, _params: Params) -> Any:
    """'48,1118' or '1 234,5' -> float."""

    def one(v: Any) -> Any:
        if v is None or isinstance(v, int | float):
            return v
        text = str(v).strip().replace("\u00a0", "").replace(" ", "").replace(",", ".")
        if not text:
            return None
        try:
            return float(text)
        except ValueError as exc:
            raise TransformError(f"{v!r} is not a decimal number") from exc

    return _each(value, one)


def to_float(value: Any, params: Params) -> Any:
    return decimal_fr(value, params)


def to_int(value: Any, _params: Params) -> Any:
    def one(v: Any) -> Any:
        if v is None or isinstance(v, int):
            return v
        try:
            return int(float(str(v).strip().replace(",", ".")))
        except ValueError as exc:
            raise TransformError(f"{v!r} is not an integer") from exc

    return _each(value, one)


def digits(value: Any, _params: Params) -> Any:
    return _each(value, lambda v: re.sub(r"\D", "", str(v)) or None if v is not None else None)


def lower(value: Any, _params: Params) -> Any:
    return _each(value, lambda v: str(v).lower() if v is not None else None)


def upper(value: Any, _params: Params) -> Any:
    return _each(value, lambda v: str(v).upper() if v is not None else None)


def strip(value: Any, _params: Params) -> Any:
    return _each(value, lambda v: str(v).strip() or None if v is not None else None)


def coords(value: Any, params: Params) -> Any:
    """One coordinate out of 'lat,lon' / 'x;y' strings or [lon, lat] lists.

    `order` names the components as they come ("lat,lon" or "lon,lat"), `take` the one wanted.
    """
    if value is None:
        return None
    order = [p.strip() for p in params.get("order", "lat,lon").split(",")]
    take = params.get("take", "lat")
    if isinstance(value, list):
        parts = value
    else:
        text = str(value).strip()
        sep = params.get("sep")
        if sep is None:
            sep = ";" if ";" in text else ("," if text.count(",") == 1 else " ")
        parts = [p.strip() for p in text.split(sep) if p.strip()]
    if len(parts) != 2:
        raise TransformError(f"{value!r} is not a pair of coordinates")
    return decimal_fr(parts[order.index(take)], {})


def to_bool(value: Any, _params: Params) -> Any:
    def one(v: Any) -> Any:
        if v is None or isinstance(v, bool):
            return v
        text = str(v).strip().lower()
        if text in {"oui", "o", "yes", "y", "true", "vrai", "1", "x"}:
            return True
        if text in {"non", "n", "no", "false", "faux", "0", ""}:
            return False
        raise TransformError(f"{v!r} is not a yes/no value")

    return _each(value, one)


def prefix(value: Any, params: Params) -> Any:
    text = params.get("text", "")
    return _each(value, lambda v: f"{text}{v}" if v is not None else None)


def replace(value: Any, params: Params) -> Any:
    pattern = re.compile(params["pattern"])
    by = params.get("with", "")
    return _each(value, lambda v: pattern.sub(by, str(v)) if v is not None else None)


def to_list(value: Any, _params: Params) -> Any:
    """A list as the schema's files write it: a JSON list, a JSON array in a text cell
    (`["a","b"]`; a text starting with `[` must be one), or values separated by `,` `;` or `|`
    (no enumeration value, INSEE code or SIREN holds one of them)."""
    if value is None or isinstance(value, list):
        return value
    if isinstance(value, dict):
        raise TransformError(f"an object, not a list: {str(value)[:80]!r}")
    text = str(value).strip()
    if text.startswith("["):
        try:
            parsed = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            raise TransformError(f"not a JSON list: {text[:80]!r}") from exc
        items = (v.strip() if isinstance(v, str) else v for v in parsed)
        return [v for v in items if not _is_empty(v)]
    return [p.strip() for p in _LIST_SEP.split(text) if p.strip()]


def unprefix(value: Any, params: Params) -> Any:
    """Drop a leading `text` (an id written `<source>--<id>` gives `<id>`); numbers and other
    non-text values are left as they are."""
    text = params.get("text", "")
    return _each(value, lambda v: v.strip().removeprefix(text) if isinstance(v, str) else v)


def slug(value: Any, _params: Params) -> Any:
    from store.text import fold

    return _each(value, lambda v: fold(str(v)).replace(" ", "-") or None if v is not None else None)


TRANSFORMS: dict[str, Transform] = {
    "slug": slug,
    "strip_html": strip_html,
    "split": split,
    "join": join,
    "first": first,
    "date": parse_date,
    "decimal_fr": decimal_fr,
    "float": to_float,
    "int": to_int,
    "digits": digits,
    "lower": lower,
    "upper": upper,
    "strip": strip,
    "coords": coords,
    "bool": to_bool,
    "prefix": prefix,
    "replace": replace,
    "list": to_list,
    "unprefix": unprefix,
}
