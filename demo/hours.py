"""Opening hours: a small weekly model and its renderings (OSM, French text, Soliguide)."""

from __future__ import annotations

from typing import Any

# a week: 7 entries (Monday first), each a tuple of (start, end) in minutes since midnight
Week = tuple[tuple[tuple[int, int], ...], ...]

_OSM_DAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
_FR_DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
_FR_SHORT = ("Lun", "Mar", "Mer", "Jeu", "Ven", "Sam", "Dim")
_SOLIGUIDE_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _r(text: str) -> tuple[int, int]:
    a, b = text.split("-")
    return int(a[:2]) * 60 + int(a[3:]), int(b[:2]) * 60 + int(b[3:])


def _week(spec: dict[str, str]) -> Week:
    """{"Mo-Fr": "08:30-12:00,13:30-17:00", "Sa": "09:00-12:00"} -> Week."""
    days: list[tuple[tuple[int, int], ...]] = [() for _ in range(7)]
    for key, ranges in spec.items():
        for part in key.split(","):
            first, _, last = part.partition("-")
            i, j = _OSM_DAYS.index(first), _OSM_DAYS.index(last or first)
            for d in range(i, j + 1):
                days[d] = tuple(_r(r) for r in ranges.split(","))
    return tuple(days)


PATTERNS: dict[str, tuple[Week, ...]] = {
    "mairie": (
        _week({"Mo-Fr": "08:30-12:00,13:30-17:00"}),
        _week({"Mo-Fr": "08:30-12:00,13:30-17:30", "Sa": "09:00-12:00"}),
        _week({"Mo-Th": "09:00-12:00,14:00-17:30", "Fr": "09:00-12:00,14:00-16:30"}),
        _week({"Mo,We,Fr": "09:00-12:00,14:00-17:00", "Tu,Th": "09:00-12:00"}),
    ),
    "agence": (
        _week({"Mo-We": "08:30-16:30", "Th": "08:30-12:30", "Fr": "08:30-15:30"}),
        _week({"Mo-Fr": "08:30-12:30,13:30-16:30"}),
        _week({"Mo-Fr": "09:00-12:30,13:30-17:00"}),
    ),
    "asso": (
        _week({"Tu,Th": "14:00-17:00"}),
        _week({"We": "14:00-18:00", "Sa": "09:00-12:00"}),
        _week({"Mo,We,Fr": "09:30-12:00"}),
        _week({"Mo-Fr": "09:00-12:00,14:00-17:00"}),
        _week({"Tu-Sa": "10:00-12:30,14:00-18:00"}),
    ),
    "accueil": (
        _week({"Mo-Fr": "08:00-12:00,13:30-17:00"}),
        _week({"Mo-Su": "09:00-17:00"}),
        _week({"Mo-Fr": "08:30-13:00"}),
    ),
    "entreprise": (
        _week({"Mo-Fr": "08:00-12:00,13:00-16:00"}),
        _week({"Mo-Th": "08:30-12:00,13:30-17:00", "Fr": "08:30-12:00"}),
    ),
}


def _hm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _groups(week: Week) -> list[tuple[int, int, tuple[tuple[int, int], ...]]]:
    """Runs of consecutive days with the same ranges: (first day, last day, ranges)."""
    groups: list[tuple[int, int, tuple[tuple[int, int], ...]]] = []
    for d, ranges in enumerate(week):
        if not ranges:
            continue
        if groups and groups[-1][1] == d - 1 and groups[-1][2] == ranges:
            groups[-1] = (groups[-1][0], d, ranges)
        else:
            groups.append((d, d, ranges))
    return groups


def osm(week: Week) -> str:
    """OpenStreetMap opening_hours: "Mo-Fr 08:30-12:00,13:30-17:00; Sa 09:00-12:00"."""
    parts = []
    for first, last, ranges in _groups(week):
        days = _OSM_DAYS[first] if first == last else f"{_OSM_DAYS[first]}-{_OSM_DAYS[last]}"
        if last == first + 1:
            days = f"{_OSM_DAYS[first]},{_OSM_DAYS[last]}"
        parts.append(days + " " + ",".join(f"{_hm(a)}-{_hm(b)}" for a, b in ranges))
    return "; ".join(parts)


def _fr_time(minutes: int) -> str:
    h, m = divmod(minutes, 60)
    return f"{h}h{m:02d}" if m else f"{h}h"


def french_long(week: Week) -> str:
    """Free French text: "Du lundi au vendredi de 9h à 12h et de 14h à 17h ; le samedi de 9h à 12h".

    (One sentence per run of days with the same hours.)
    """
    parts = []
    for first, last, ranges in _groups(week):
        if first == last:
            days = f"le {_FR_DAYS[first]}"
        elif last == first + 1:
            days = f"le {_FR_DAYS[first]} et le {_FR_DAYS[last]}"
        else:
            days = f"du {_FR_DAYS[first]} au {_FR_DAYS[last]}"
        times = " et ".join(f"de {_fr_time(a)} à {_fr_time(b)}" for a, b in ranges)
        parts.append(f"{days} {times}")
    text = " ; ".join(parts)
    return text[:1].upper() + text[1:]


def french_short(week: Week) -> str:
    """Compact French text: "Lun-Ven : 8h30-12h / 13h30-17h ; Sam : 9h-12h"."""
    parts = []
    for first, last, ranges in _groups(week):
        days = _FR_SHORT[first] if first == last else f"{_FR_SHORT[first]}-{_FR_SHORT[last]}"
        times = " / ".join(f"{_fr_time(a)}-{_fr_time(b)}" for a, b in ranges)
        parts.append(f"{days} : {times}")
    return " ; ".join(parts)


def soliguide(week: Week, closed_holidays: str) -> dict[str, Any]:
    """Soliguide "newhours": one object per weekday with open flag and timeslots (hhmm ints)."""
    doc: dict[str, Any] = {}
    for d, name in enumerate(_SOLIGUIDE_DAYS):
        slots = [
            {"start": a // 60 * 100 + a % 60, "end": b // 60 * 100 + b % 60} for a, b in week[d]
        ]
        doc[name] = {"open": bool(slots), "timeslot": slots}
    doc["closedHolidays"] = closed_holidays
    doc["description"] = None
    return doc
