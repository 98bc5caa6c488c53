"""Territory loaders: one store call per batch, results aligned with the keys."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, TypeVar

from sqlmodel.ext.asyncio.session import AsyncSession

from models import Commune, Departement, Epci, Region
from resolvers.batching import ReadLoader
from store import territories as store

V = TypeVar("V")
Fetch = Callable[[AsyncSession, Sequence[str]], Awaitable[dict[str, Any]]]


class _ByKeyLoader(ReadLoader[str, V], Generic[V]):
    """Loads values by string key through one `store` lookup; a key it leaves out gets None."""

    fetch: Fetch

    async def batch_load_fn(self, keys: list[str]) -> list[V]:
        async with self._db() as session:
            found = await type(self).fetch(session, keys)
        values: list[Any] = [found.get(key) for key in keys]
        self.share(keys, values)
        return values


class RegionByCodeLoader(_ByKeyLoader[Region | None]):
    fetch = staticmethod(store.regions_by_codes)


class DepartementByCodeLoader(_ByKeyLoader[Departement | None]):
    fetch = staticmethod(store.departements_by_codes)


class EpciByCodeLoader(_ByKeyLoader[Epci | None]):
    fetch = staticmethod(store.epcis_by_codes)


class CommuneByCodeLoader(_ByKeyLoader[Commune | None]):
    """A commune or arrondissement by its own code."""

    fetch = staticmethod(store.communes_by_codes)


class CurrentCommuneCodeByCodeLoader(_ByKeyLoader[str | None]):
    """Any commune-like code (current, former, delegated, associated, arrondissement) to the
    code of the current commune it designates."""

    fetch = staticmethod(store.resolve_commune_codes)


class PlaceCodeByCodeLoader(_ByKeyLoader[str | None]):
    """Any commune-like code to the code of where a record bearing it is: a current commune or
    a municipal arrondissement is itself; a former, delegated or associated commune is the
    current commune."""

    fetch = staticmethod(store.resolve_place_codes)


class DepartementsByRegionCodeLoader(_ByKeyLoader[list[Departement]]):
    fetch = staticmethod(store.departements_by_region_codes)


class CommunesByDepartementCodeLoader(_ByKeyLoader[list[Commune]]):
    fetch = staticmethod(store.communes_by_departement_codes)


class CommunesByEpciCodeLoader(_ByKeyLoader[list[Commune]]):
    fetch = staticmethod(store.communes_by_epci_codes)


class ArrondissementsByCommuneCodeLoader(_ByKeyLoader[list[Commune]]):
    fetch = staticmethod(store.arrondissements_by_commune_codes)
