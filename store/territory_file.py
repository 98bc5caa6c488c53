"""Read and check the territory data file (data/territories.json.gz) before anything is stored."""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "data" / "territories.json.gz"
FORMAT_VERSION = 1

# field -> accepted JSON types, per collection
_SHAPES: dict[str, dict[str, tuple[type, ...]]] = {
    "regions": {"code": (str,), "nom": (str,), "zone": (str,)},
    "departements": {"code": (str,), "nom": (str,), "region": (str,), "zone": (str,)},
    "epcis": {"code": (str,), "nom": (str,), "type": (str,)},
    "communes": {
        "code": (str,),
        "nom": (str,),
        "type": (str,),
        "departement": (str,),
        "region": (str,),
        "zone": (str,),
        "codesPostaux": (list,),
        "lat": (float, int, type(None)),
        "lon": (float, int, type(None)),
    },
}


class TerritoryFileError(ValueError):
    """The territory file is unreadable or has the wrong shape; the message says where."""


@dataclass(frozen=True)
class TerritoryData:
    regions: list[dict[str, Any]]
    departements: list[dict[str, Any]]
    epcis: list[dict[str, Any]]
    communes: list[dict[str, Any]]
    aliases: list[list[str]]
    sha256: str


def read(path: Path = DEFAULT_PATH) -> TerritoryData:
    """Parse and check the whole file; raise TerritoryFileError naming the first problem."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise TerritoryFileError(f"{path}: cannot read territory file ({exc.strerror})") from exc
    try:
        text = gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
        doc = orjson.loads(text)
    except (OSError, EOFError, orjson.JSONDecodeError) as exc:
        raise TerritoryFileError(f"{path}: not a (gzipped) JSON territory file: {exc}") from exc
    if not isinstance(doc, dict):
        raise TerritoryFileError(f"{path}: expected a JSON object at the top level")
    if doc.get("format") != FORMAT_VERSION:
        raise TerritoryFileError(
            f"{path}: format {doc.get('format')!r} is not the supported {FORMAT_VERSION}"
        )
    for collection, fields in _SHAPES.items():
        items = doc.get(collection)
        if not isinstance(items, list) or not items:
            raise TerritoryFileError(f"{path}: '{collection}' must be a non-empty list")
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                raise TerritoryFileError(f"{path}: {collection}[{i}] is not an object")
            for field, types in fields.items():
                if not isinstance(item.get(field), types):
                    raise TerritoryFileError(
                        f"{path}: {collection}[{i}].{field} is missing or not "
                        f"{' / '.join(t.__name__ for t in types)} (got {item.get(field)!r})"
                    )
    aliases = doc.get("aliases")
    if not isinstance(aliases, list) or not all(
        isinstance(a, list) and len(a) == 4 and all(isinstance(x, str) for x in a) for a in aliases
    ):
        raise TerritoryFileError(f"{path}: 'aliases' must be a list of [code, kind, nom, commune]")
    _check_links(path, doc)
    return TerritoryData(
        regions=doc["regions"],
        departements=doc["departements"],
        epcis=doc["epcis"],
        communes=doc["communes"],
        aliases=aliases,
        sha256=hashlib.sha256(raw).hexdigest(),
    )


def _check_links(path: Path, doc: dict[str, Any]) -> None:
    regions = {r["code"] for r in doc["regions"]}
    departements = {d["code"] for d in doc["departements"]}
    epcis = {e["code"] for e in doc["epcis"]}
    communes = {c["code"] for c in doc["communes"]}
    for d in doc["departements"]:
        if d["region"] not in regions:
            raise TerritoryFileError(f"{path}: département {d['code']} names unknown région")
    for c in doc["communes"]:
        if c["departement"] not in departements or c["region"] not in regions:
            raise TerritoryFileError(f"{path}: commune {c['code']} names an unknown parent")
        if c.get("epci") and c["epci"] not in epcis:
            raise TerritoryFileError(f"{path}: commune {c['code']} names unknown EPCI {c['epci']}")
    for code, _kind, _nom, target in doc["aliases"]:
        if target not in communes:
            raise TerritoryFileError(f"{path}: alias {code} points at unknown commune {target}")
