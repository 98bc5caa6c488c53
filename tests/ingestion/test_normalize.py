"""INSEE codes in normalisation: current communes and municipal arrondissements are kept as sent,
former, delegated and associated communes resolve to the current commune."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from ingestion.normalize import Territories, normalize
from store import territories as territory_store


@pytest.fixture
async def territories(store_engine: AsyncEngine) -> Territories:
    async with store_engine.connect() as conn:
        current, aliases = await territory_store.code_tables(conn)
    return Territories(current, aliases)


def _insee(code: str, territories: Territories) -> tuple[Any, list[str]]:
    data: dict[str, Any] = {"code_insee": code}
    issues = normalize(data, territories)
    return data.get("code_insee"), [i.message for i in issues]


@pytest.mark.parametrize(
    "code",
    [
        "75111",  # Paris 11e
        "69381",  # Lyon 1er
        "13201",  # Marseille 1er
        "75056",  # Paris itself
        "35238",  # Rennes
    ],
)
async def test_current_codes_and_arrondissements_are_kept_without_warning(
    territories: Territories, code: str
) -> None:
    assert _insee(code, territories) == (code, [])


@pytest.mark.parametrize(
    ("code", "current"),
    [
        ("14011", "14581"),  # Anctoville: a delegated commune of Aurseulles
        ("01120", "01262"),  # Cordieux: an associated commune
        ("01340", "01015"),  # a former code of Arboys en Bugey
    ],
)
async def test_former_delegated_and_associated_codes_resolve_with_a_warning(
    territories: Territories, code: str, current: str
) -> None:
    assert _insee(code, territories) == (
        current,
        [f"former or delegated code resolved to {current}"],
    )


async def test_a_four_digit_code_gets_its_zero_and_an_unknown_one_is_dropped(
    territories: Territories,
) -> None:
    assert _insee("1053", territories) == ("01053", [])
    assert _insee("00000", territories) == (None, ["unknown INSEE code; dropped"])


async def test_arrondissements_are_current_codes_not_aliases(territories: Territories) -> None:
    arrondissements = {f"751{n:02}" for n in range(1, 21)}
    arrondissements |= {f"6938{n}" for n in range(1, 10)}
    arrondissements |= {f"132{n:02}" for n in range(1, 17)}
    assert arrondissements <= territories.current
    assert not arrondissements & set(territories.aliases)
    assert not set(territories.aliases) & territories.current
