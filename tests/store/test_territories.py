"""Territory store: exact counts, code resolution, and an all-or-nothing load."""

from dataclasses import replace

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession

from models import Commune, Departement, Epci, Region
from store import territories
from store.territory_file import DEFAULT_PATH, read


async def _count(engine: AsyncEngine, stmt: object) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(stmt)).scalar_one())  # type: ignore[call-overload]


async def test_counts_are_exact(store_engine: AsyncEngine) -> None:
    current = select(func.count()).select_from(Commune).where(Commune.type == territories.CURRENT)
    assert await _count(store_engine, current) == 34969
    assert await _count(store_engine, select(func.count()).select_from(Epci)) == 1255
    departements = select(func.count()).select_from(Departement).where(Departement.zone != "com")
    assert await _count(store_engine, departements) == 101
    regions = select(func.count()).select_from(Region).where(Region.zone != "com")
    assert await _count(store_engine, regions) == 18


async def test_every_commune_outside_the_com_has_a_centroid(store_engine: AsyncEngine) -> None:
    missing = (
        select(func.count())
        .select_from(Commune)
        .where(Commune.latitude.is_(None), Commune.zone != "com")  # type: ignore[union-attr]
    )
    assert await _count(store_engine, missing) == 0


@pytest.mark.parametrize(
    ("code", "current"),
    [
        ("35238", "35238"),  # a current commune
        ("14011", "14581"),  # Anctoville: a delegated commune of Aurseulles
        ("01120", "01262"),  # Cordieux: an associated commune
        ("75111", "75056"),  # an arrondissement of Paris
        ("13201", "13055"),  # an arrondissement of Marseille
    ],
)
async def test_codes_resolve_to_the_current_commune(
    store_engine: AsyncEngine, code: str, current: str
) -> None:
    async with AsyncSession(store_engine) as session:
        assert await territories.resolve_commune_codes(session, [code]) == {code: current}


async def test_every_former_code_resolves(store_engine: AsyncEngine) -> None:
    data = read(DEFAULT_PATH)
    former = {a[0] for a in data.aliases if a[1] == "ancien-code"}
    targets: dict[str, set[str]] = {}
    for code, _kind, _nom, target in data.aliases:
        targets.setdefault(code, set()).add(target)
    async with AsyncSession(store_engine) as session:
        resolved = await territories.resolve_commune_codes(session, list(former))
    assert set(resolved) == former
    # a former code that is also a current code designates the current commune; one that is
    # now a delegated or associated commune (55273 Lamarche-en-Woëvre) designates its chef-lieu
    for code, target in resolved.items():
        assert target == code or target in targets[code]


async def test_unknown_codes_are_absent(store_engine: AsyncEngine) -> None:
    async with AsyncSession(store_engine) as session:
        assert await territories.resolve_commune_codes(session, ["00000", "ABCDE", ""]) == {}


async def test_a_failed_load_changes_nothing(store_engine: AsyncEngine) -> None:
    data = read(DEFAULT_PATH)
    duplicated = replace(data, communes=[*data.communes, data.communes[0]], sha256="broken")
    with pytest.raises(IntegrityError):
        await territories.load(store_engine, duplicated)
    current = select(func.count()).select_from(Commune).where(Commune.type == territories.CURRENT)
    assert await _count(store_engine, current) == 34969
    assert await territories.loaded_sha256(store_engine) == data.sha256


async def test_search_is_accent_and_case_insensitive(store_engine: AsyncEngine) -> None:
    async with AsyncSession(store_engine) as session:
        for spelling in ("SAINT-ÉTIENNE", "saint etienne", "Saint Etienne"):
            rows = await territories.search_communes(
                session, territories.CommuneSearch(search=spelling), first=1, after=None
            )
            assert [r.nom for _k, r in rows] == ["Saint-Étienne"]
