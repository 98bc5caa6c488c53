"""The per-request `Loaders`: every batched lookup a resolver may need, from each
domain's `loaders.py`."""

from __future__ import annotations

from typing import Any, get_type_hints

from resolvers.merged import loaders as merged
from resolvers.services import loaders as services
from resolvers.sources import loaders as sources
from resolvers.territories import loaders as territory
from store.reads import Reads


class Loaders:
    """Every loader a resolver may use, each made at its first use in the request (a request
    uses a few of them; making all twenty-one cost about half a millisecond each time)."""

    region_by_code: territory.RegionByCodeLoader
    departement_by_code: territory.DepartementByCodeLoader
    epci_by_code: territory.EpciByCodeLoader
    commune_by_code: territory.CommuneByCodeLoader
    current_commune_code_by_code: territory.CurrentCommuneCodeByCodeLoader
    place_code_by_code: territory.PlaceCodeByCodeLoader
    departements_by_region_code: territory.DepartementsByRegionCodeLoader
    communes_by_departement_code: territory.CommunesByDepartementCodeLoader
    communes_by_epci_code: territory.CommunesByEpciCodeLoader
    arrondissements_by_commune_code: territory.ArrondissementsByCommuneCodeLoader
    golden_by_id: merged.GoldenByIdLoader
    provenance_by_golden_id: merged.ProvenanceByGoldenIdLoader
    member_records_by_golden_id: merged.MemberRecordsByGoldenIdLoader
    links_by_golden_id: merged.LinksByGoldenIdLoader
    sources_by_golden_id: sources.SourcesByGoldenIdLoader
    source_by_slug: sources.SourceBySlugLoader
    versions_by_golden_id: merged.VersionsByGoldenIdLoader
    services_by_structure_id: services.ServicesByStructureIdLoader
    service_count_by_structure_id: services.ServiceCountByStructureIdLoader
    golden_pages_by_value: merged.GoldenPagesByValueLoader
    golden_count_by_value: merged.GoldenCountByValueLoader

    def __init__(self, db: Reads, shared: dict[str, dict[Any, Any]] | None = None) -> None:
        self._db = db
        self._shared = shared

    def __getattr__(self, name: str) -> Any:
        kind = _KINDS.get(name)
        if kind is None:
            raise AttributeError(name)
        loader = kind(self._db)
        if self._shared is not None and name in TERRITORY_LOADERS:
            loader.shared = self._shared.setdefault(name, {})
        setattr(self, name, loader)  # found directly from now on
        return loader

    @classmethod
    def build(cls, db: Reads, shared: dict[str, dict[Any, Any]] | None = None) -> Loaders:
        """Loaders for one request; `shared`: the reference tables of the data version
        (territories), by loader name, which the territory loaders read first and fill."""
        return cls(db, shared)


# loaders of territory data, which changes only with the store's data version
TERRITORY_LOADERS = (
    "region_by_code",
    "departement_by_code",
    "epci_by_code",
    "commune_by_code",
    "current_commune_code_by_code",
    "place_code_by_code",
    "departements_by_region_code",
    "communes_by_departement_code",
    "communes_by_epci_code",
    "arrondissements_by_commune_code",
)

# the loader class of each name, from the annotations above
_KINDS: dict[str, Any] = get_type_hints(Loaders)
