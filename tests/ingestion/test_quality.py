"""Quality scores: data·inclusion's score on golden services, on a clock we set."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import pendulum
import pytest
from data_inclusion.schema.v1 import score_qualite

from ingestion.quality import service_score, structure_score

SPRING_2026 = datetime(2026, 3, 1, tzinfo=UTC)  # date_maj is < 6 months old: criterion 1.0
SUMMER_2028 = datetime(2028, 6, 1, tzinfo=UTC)  # > 2 years old: criterion 0.0


def golden_service(**overrides: Any) -> dict[str, Any]:
    """A golden service (no structure_id: the merge leaves it to the caller)."""
    return {
        "source": "dora",
        "id": "dora--s1",
        "nom": "Aide à l'équipement numérique",
        "description": "Un accompagnement pour choisir et obtenir un ordinateur. " * 5,
        "date_maj": "2026-01-10",
        "thematiques": ["numerique--acquerir-un-equipement"],
        "publics": ["tous-publics"],
        "frais": "gratuit",
        "modes_mobilisation": ["telephoner"],
        "telephone": "+33299286311",
        **overrides,
    }


# 8 applicable criteria: modes_mobilisation 0.5 (no mobilisable_par), six at 1.0, and the date
SCORES = [
    ("recent", golden_service(), SPRING_2026, round((6.5 + 1.0) / 8, 2)),
    ("old", golden_service(), SUMMER_2028, round((6.5 + 0.0) / 8, 2)),
    # france-travail's dates are export dates: the criterion does not apply, the date is moot
    ("export date, spring", golden_service(source="france-travail"), SPRING_2026, 1.0 - 0.5 / 7),
    ("export date, summer", golden_service(source="france-travail"), SUMMER_2028, 1.0 - 0.5 / 7),
]


@pytest.mark.parametrize(("case", "data", "at", "expected"), SCORES)
def test_service_score_as_of_a_date(
    case: str, data: dict[str, Any], at: datetime, expected: float
) -> None:
    assert service_score(data, at=at) == pytest.approx(round(expected, 2)), case


def test_the_date_criterion_differs_between_two_dates() -> None:
    data = golden_service()
    recent, old = service_score(data, at=SPRING_2026), service_score(data, at=SUMMER_2028)
    assert recent is not None and old is not None
    assert recent - old == pytest.approx(0.94 - 0.81)


def test_same_input_same_score_and_the_clock_is_restored() -> None:
    data = golden_service()
    naive = datetime(2026, 3, 1)  # read as UTC
    assert {service_score(data, at=SPRING_2026) for _ in range(3)} == {0.94}
    assert service_score(data, at=naive) == 0.94
    assert score_qualite.pendulum is pendulum
    assert abs(pendulum.now().timestamp() - time.time()) < 5  # not frozen in the past


def test_an_invalid_service_has_no_score() -> None:
    assert service_score(golden_service(description="x"), at=SPRING_2026) is None
    assert score_qualite.pendulum is pendulum


@pytest.mark.parametrize(
    ("scores", "expected"),
    [([0.5, 1.0], 0.75), ([0.94, None, 0.81], 0.88), ([0.9], 0.9), ([], None), ([None], None)],
)
def test_structure_score_is_the_mean_of_its_services(
    scores: list[float | None], expected: float | None
) -> None:
    assert structure_score(scores) == expected
