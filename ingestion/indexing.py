"""What the API filters and counts merged records by, derived from their merged data (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from store.text import fold, french_stems

# golden_value.field -> the merged data field whose values (one or a list) it holds
LIST_FIELDS: Mapping[str, Mapping[str, str]] = {
    "structure": {"reseau_porteur": "reseaux_porteurs"},
    "service": {
        "thematique": "thematiques",
        "public": "publics",
        "frais": "frais",
        "type": "type",
        "mode_accueil": "modes_accueil",
        "zone": "zone_eligibilite",
    },
}
TEXT_FIELDS = ("nom", "description")


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list | tuple | set | frozenset):
        return [str(v) for v in value if v is not None]
    return [str(value)]


def filter_values(
    kind: str,
    data: Mapping[str, Any],
    sources: Iterable[str],
    commune: str | None,
    territory: tuple[str | None, str | None, str | None] | None,
) -> list[tuple[str, str]]:
    """(field, value) pairs of one merged record: its producers, its list fields' elements, the
    category of each thematique, and its commune's codes (`commune`: its INSEE code, or for a
    service without one its structure's; `territory`: that commune's département, EPCI and
    région)."""
    out = {("source", s) for s in sources}
    for field, name in LIST_FIELDS[kind].items():
        out.update((field, v) for v in _as_list(data.get(name)))
    if kind == "service":
        out.update(("categorie", t.split("--")[0]) for t in _as_list(data.get("thematiques")))
    if commune:
        out.add(("commune", str(commune)))
        for field, code in zip(("departement", "epci", "region"), territory or (), strict=False):
            if code:
                out.add((field, code))
    return sorted(out)


def search_text(data: Mapping[str, Any]) -> str:
    """The French stems of the record's name and description, folded (`texte` searches them)."""
    return " ".join(" ".join(french_stems(str(data[f]))) for f in TEXT_FIELDS if data.get(f))


def sort_name(data: Mapping[str, Any]) -> str | None:
    """The folded name: the alphabetical order ("Épicerie" sorts with "epicerie")."""
    name = data.get("nom")
    return fold(str(name))[:200] if name else None


def coordinates(data: Mapping[str, Any]) -> tuple[float | None, float | None]:
    """The record's own (latitude, longitude), both or neither, within the valid ranges."""
    try:
        latitude = float(data["latitude"])
        longitude = float(data["longitude"])
    except (KeyError, TypeError, ValueError):
        return None, None
    if -90 <= latitude <= 90 and -180 <= longitude <= 180:
        return latitude, longitude
    return None, None
