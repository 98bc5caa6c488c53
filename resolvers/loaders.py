"""The per-request `Loaders` dataclass: every batched lookup a resolver may need, from each
domain's `loaders.py`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from resolvers.merged import loaders as merged
from resolvers.services import loaders as services
from resolvers.sources import loaders as sources
from resolvers.territories import loaders as territory
from store.reads import Reads


@dataclass
class Loaders:
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

    @classmethod
    def build(cls, db: Reads, shared: dict[str, dict[Any, Any]] | None = None) -> Loaders:
        """Fresh loaders; `shared`: the reference tables of the data version (territories),
        by loader name, which the territory loaders read first and fill."""
        loaders = cls(
            region_by_code=territory.RegionByCodeLoader(db),
            departement_by_code=territory.DepartementByCodeLoader(db),
            epci_by_code=territory.EpciByCodeLoader(db),
            commune_by_code=territory.CommuneByCodeLoader(db),
            current_commune_code_by_code=territory.CurrentCommuneCodeByCodeLoader(db),
            place_code_by_code=territory.PlaceCodeByCodeLoader(db),
            departements_by_region_code=territory.DepartementsByRegionCodeLoader(db),
            communes_by_departement_code=territory.CommunesByDepartementCodeLoader(db),
            communes_by_epci_code=territory.CommunesByEpciCodeLoader(db),
            arrondissements_by_commune_code=territory.ArrondissementsByCommuneCodeLoader(db),
            golden_by_id=merged.GoldenByIdLoader(db),
            provenance_by_golden_id=merged.ProvenanceByGoldenIdLoader(db),
            member_records_by_golden_id=merged.MemberRecordsByGoldenIdLoader(db),
            links_by_golden_id=merged.LinksByGoldenIdLoader(db),
            sources_by_golden_id=sources.SourcesByGoldenIdLoader(db),
            source_by_slug=sources.SourceBySlugLoader(db),
            versions_by_golden_id=merged.VersionsByGoldenIdLoader(db),
            services_by_structure_id=services.ServicesByStructureIdLoader(db),
            service_count_by_structure_id=services.ServiceCountByStructureIdLoader(db),
            golden_pages_by_value=merged.GoldenPagesByValueLoader(db),
            golden_count_by_value=merged.GoldenCountByValueLoader(db),
        )
        if shared is not None:
            for name in TERRITORY_LOADERS:
                getattr(loaders, name).shared = shared.setdefault(name, {})
        return loaders


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
