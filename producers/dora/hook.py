"""Dora: who may mobilise a service depends on which of its two orientation lists is filled."""

from typing import Any


def mobilisable_par(mapped: dict[str, Any], raw: dict[str, Any], kind: str) -> dict[str, Any]:
    if kind == "service":
        who = []
        if raw.get("modes_orientation_beneficiaire"):
            who.append("usagers")
        if raw.get("modes_orientation_accompagnateur"):
            who.append("professionnels")
        if who:
            mapped["mobilisable_par"] = who
    return mapped
