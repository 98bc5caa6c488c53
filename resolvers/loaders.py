"""The per-request `Loaders` dataclass: every batched lookup a resolver may need."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from resolvers import golden_loaders as golden
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
    golden_by_id: golden.GoldenByIdLoader
    provenance_by_golden_id: golden.ProvenanceByGoldenIdLoader
    member_records_by_golden_id: golden.MemberRecordsByGoldenIdLoader
    links_by_golden_id: golden.LinksByGoldenIdLoader
    sources_by_golden_id: golden.SourcesByGoldenIdLoader
    source_by_slug: golden.SourceBySlugLoader
    versions_by_golden_id: golden.VersionsByGoldenIdLoader
    services_by_structure: golden.ServicesByStructureLoader
    service_count_by_structure: golden.ServiceCountByStructureLoader
    pages_by_value: golden.PagesByValueLoader
    count_by_value: golden.CountByValueLoader

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
            golden_by_id=golden.GoldenByIdLoader(db),
            provenance_by_golden_id=golden.ProvenanceByGoldenIdLoader(db),
            member_records_by_golden_id=golden.MemberRecordsByGoldenIdLoader(db),
            links_by_golden_id=golden.LinksByGoldenIdLoader(db),
            sources_by_golden_id=golden.SourcesByGoldenIdLoader(db),
            source_by_slug=golden.SourceBySlugLoader(db),
            versions_by_golden_id=golden.VersionsByGoldenIdLoader(db),
            services_by_structure=golden.ServicesByStructureLoader(db),
            service_count_by_structure=golden.ServiceCountByStructureLoader(db),
            pages_by_value=golden.PagesByValueLoader(db),
            count_by_value=golden.CountByValueLoader(db),
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
