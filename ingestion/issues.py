"""What can be wrong with a row: an `error` rejects it, a `warning` is recorded beside it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Issue:
    severity: str  # error | warning
    field: str | None
    message: str
    value: Any = None
