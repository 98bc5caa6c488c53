"""The filter tags of a golden record (PostgreSQL): its filter values as `field:value` strings
in one GIN-indexed array, so a filter on several fields is one index scan.

A service that holds no value in a field where "none" means something (no zone of eligibility:
eligible everywhere; no mode of reception: met in person) carries `field:∅`, so "none, or one
of these" is one overlap test as well rather than a subquery per candidate row."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

NO_VALUE = "∅"
# the fields whose absence a search tests, and the kind of record that has them
ABSENCE_TAGGED = {"service": ("zone", "mode_accueil")}


def tag(field: str, value: str) -> str:
    return f"{field}:{value}"


def tags_of(field: str, wanted: Iterable[str]) -> list[str]:
    """The tags of `wanted` values of `field` (NO_VALUE among them: records without any)."""
    return [tag(field, value) for value in sorted(set(wanted))]


def row_tags(kind: str, values: Sequence[Mapping[str, Any]]) -> list[str]:
    """A record's tags from its filter values (`field`, `value` rows), in their order, then
    the absence tags of its kind."""
    out = [tag(r["field"], r["value"]) for r in values]
    held = {r["field"] for r in values}
    out += [tag(f, NO_VALUE) for f in ABSENCE_TAGGED.get(kind, ()) if f not in held]
    return out
