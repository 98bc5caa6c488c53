"""Quality scores of golden records: data·inclusion's own score, on a clock we choose."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pendulum
import pydantic
from data_inclusion.schema import v1
from data_inclusion.schema.v1 import score_qualite

# The package reads the time through its module-global `pendulum`; we swap that one name (not
# pendulum.now for the whole process: pendulum's travel_to needs time-machine, which freezes every
# clock of the process) for the duration of a score, under a lock, and always put it back.
_CLOCK_LOCK = threading.Lock()


class _PendulumAt:
    """pendulum, except that `now()` is a fixed moment."""

    def __init__(self, moment: pendulum.DateTime) -> None:
        self._moment = moment

    def now(self, tz: Any = None) -> pendulum.DateTime:
        return self._moment if tz is None else self._moment.in_timezone(tz)

    def __getattr__(self, name: str) -> Any:
        return getattr(pendulum, name)


@contextmanager
def _frozen_clock(at: datetime) -> Iterator[None]:
    """score_qualite sees `at` as now; the real module comes back even on errors."""
    moment = pendulum.instance(at if at.tzinfo else at.replace(tzinfo=UTC))
    with _CLOCK_LOCK:
        real = score_qualite.pendulum
        setattr(score_qualite, "pendulum", _PendulumAt(moment))  # noqa: B010
        try:
            yield
        finally:
            setattr(score_qualite, "pendulum", real)  # noqa: B010


def service_score(service_data: dict[str, Any], *, at: datetime) -> float | None:
    """data·inclusion's score of a golden service as of `at`; None if not a valid v1 Service."""
    return service_scores([service_data], at=at)[0]


def service_scores(services: Sequence[dict[str, Any]], *, at: datetime) -> list[float | None]:
    """`service_score` of each service, the clock frozen once for all of them."""
    valid: list[v1.Service | None] = []
    for service_data in services:
        payload = dict(service_data)
        # the golden structure id is the caller's to set; the score never reads it
        payload.setdefault("structure_id", payload.get("id", ""))
        try:
            valid.append(v1.Service.model_validate(payload))
        except pydantic.ValidationError:
            valid.append(None)
    if not any(s is not None for s in valid):
        return [None] * len(valid)
    with _frozen_clock(at):
        return [None if s is None else score_qualite.score(s)[0] for s in valid]


def structure_score(service_scores: Sequence[float | None]) -> float | None:
    """Mean of a structure's service scores (rounded as the package does); None without any."""
    known = [s for s in service_scores if s is not None]
    return round(sum(known) / len(known), 2) if known else None
