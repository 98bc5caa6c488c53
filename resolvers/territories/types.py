"""GraphQL types of the territories: each is a private store row plus described fields."""

from __future__ import annotations

from enum import Enum
from typing import Any

import strawberry

from models import Commune as CommuneRow
from models import Departement as DepartementRow
from models import Epci as EpciRow
from models import Region as RegionRow
from resolvers import federation
from resolvers.context import Info
from resolvers.records_of import records_of


@strawberry.enum(description="Where a territory lies.")
class Zone(Enum):
    METRO = strawberry.enum_value("metro", description="Metropolitan France.")
    DROM = strawberry.enum_value(
        "drom",
        description="An overseas département and région (Guadeloupe, Martinique, "
        "Guyane, La Réunion, Mayotte).",
    )
    COM = strawberry.enum_value(
        "com",
        description="An overseas collectivity (Saint-Pierre-et-Miquelon, "
        "Saint-Barthélemy, Saint-Martin, Wallis-et-Futuna, French Polynesia, New Caledonia, TAAF).",
    )


@strawberry.enum(description="How a commune's centre point was obtained.")
class CentroideOrigine(Enum):
    CONTOUR = strawberry.enum_value("contour", description="Centroid of the commune's outline.")
    MAIRIE = strawberry.enum_value(
        "mairie", description="The town hall: the outline's centroid fell outside the commune."
    )
    ANCIENNES_COMMUNES = strawberry.enum_value(
        "anciennes-communes",
        description="Centroid of the outlines of the communes it was created from.",
    )
    CODE_POSTAL = strawberry.enum_value(
        "code-postal",
        description="Approximate (about 10 km): mean of the communes sharing its postcode; "
        "the commune was re-created after the outlines were published.",
    )


@strawberry.type(description="A point in WGS 84 degrees.")
class Coordonnees:
    latitude: float = strawberry.field(description="Latitude, degrees north.")
    longitude: float = strawberry.field(description="Longitude, degrees east.")
    origine: CentroideOrigine | None = strawberry.field(description="How the point was obtained.")


def _centroide(row: CommuneRow) -> Coordonnees | None:
    if row.latitude is None or row.longitude is None:
        return None
    origine = CentroideOrigine(row.centroide_origine) if row.centroide_origine else None
    return Coordonnees(latitude=row.latitude, longitude=row.longitude, origine=origine)


def _by_code(loader: str, *, upper: bool = False) -> Any:
    """The `resolve_reference` of a territory: the entity a federation router names by `code`
    (`_entities`), through the request's loader `loader`."""

    async def resolve_reference(cls: Any, info: Info, code: str) -> Any:
        row = await getattr(info.context.loaders, loader).load(
            code.strip().upper() if upper else code.strip()
        )
        return cls(row=row) if row else None

    return classmethod(resolve_reference)


@strawberry.type(
    description="A région, or an overseas collectivity kept at région level.",
    directives=[federation.key("code")],
)
class Region:
    row: strawberry.Private[RegionRow]

    resolve_reference = _by_code("region_by_code")

    @strawberry.field(description="INSEE code of the région (`53` for Bretagne).")
    def code(self) -> str:
        return self.row.code

    @strawberry.field(description="Official name.")
    def nom(self) -> str:
        return self.row.nom

    @strawberry.field(description="Metropolitan, overseas région, or overseas collectivity.")
    def zone(self) -> Zone:
        return Zone(self.row.zone)

    @strawberry.field(description="INSEE code of the chef-lieu commune.")
    def code_chef_lieu(self) -> str | None:
        return self.row.chef_lieu

    @strawberry.field(description="Départements of the région, by code.")
    async def departements(self, info: Info) -> list[Departement]:
        rows = await info.context.loaders.departements_by_region_code.load(self.row.code)
        return [Departement(row=r) for r in rows]

    structures = records_of(
        "structure",
        "region",
        lambda self: self.row.code,
        "The merged structures located in this région, by id.",
    )
    services = records_of(
        "service",
        "region",
        lambda self: self.row.code,
        "The merged services located in this région (a service without an "
        "address is where its structure is), by id.",
    )


@strawberry.type(
    description="A département, or an overseas collectivity (zone `com`).",
    directives=[federation.key("code")],
)
class Departement:
    row: strawberry.Private[DepartementRow]

    resolve_reference = _by_code("departement_by_code", upper=True)

    @strawberry.field(description="INSEE code of the département (`35`, `2A`, `974`).")
    def code(self) -> str:
        return self.row.code

    @strawberry.field(description="Official name.")
    def nom(self) -> str:
        return self.row.nom

    @strawberry.field(description="Metropolitan, overseas département, or overseas collectivity.")
    def zone(self) -> Zone:
        return Zone(self.row.zone)

    @strawberry.field(description="INSEE code of the chef-lieu commune.")
    def code_chef_lieu(self) -> str | None:
        return self.row.chef_lieu

    @strawberry.field(description="INSEE code of the région.")
    def code_region(self) -> str:
        return self.row.region_code

    @strawberry.field(description="The région the département belongs to.")
    async def region(self, info: Info) -> Region | None:
        row = await info.context.loaders.region_by_code.load(self.row.region_code)
        return Region(row=row) if row else None

    @strawberry.field(description="Current communes of the département, by code.")
    async def communes(self, info: Info) -> list[Commune]:
        rows = await info.context.loaders.communes_by_departement_code.load(self.row.code)
        return [Commune(row=r) for r in rows]

    structures = records_of(
        "structure",
        "departement",
        lambda self: self.row.code,
        "The merged structures located in this département, by id.",
    )
    services = records_of(
        "service",
        "departement",
        lambda self: self.row.code,
        "The merged services located in this département (a service without an "
        "address is where its structure is), by id.",
    )


@strawberry.type(
    description="An EPCI (intercommunality: CC, CA, CU, métropole), keyed by SIREN.",
    directives=[federation.key("code")],
)
class Epci:
    row: strawberry.Private[EpciRow]

    resolve_reference = _by_code("epci_by_code")

    @strawberry.field(description="SIREN of the EPCI (9 digits), the code `zoneEligibilite` uses.")
    def code(self) -> str:
        return self.row.code

    @strawberry.field(description="Official name.")
    def nom(self) -> str:
        return self.row.nom

    @strawberry.field(
        description="Legal form: CC (communauté de communes), CA (d'agglomération), "
        "CU (urbaine), METRO (métropole), MET69 (Métropole de Lyon)."
    )
    def type(self) -> str:
        return self.row.type

    @strawberry.field(description="Municipal population of its member communes.")
    def population(self) -> int | None:
        return self.row.population

    @strawberry.field(description="Member communes, by code.")
    async def communes(self, info: Info) -> list[Commune]:
        rows = await info.context.loaders.communes_by_epci_code.load(self.row.code)
        return [Commune(row=r) for r in rows]

    structures = records_of(
        "structure",
        "epci",
        lambda self: self.row.code,
        "The merged structures located in this EPCI, by id.",
    )
    services = records_of(
        "service",
        "epci",
        lambda self: self.row.code,
        "The merged services located in this EPCI (a service without an "
        "address is where its structure is), by id.",
    )


@strawberry.type(
    description="A current commune (Code officiel géographique).",
    directives=[federation.key("code")],
)
class Commune:
    row: strawberry.Private[CommuneRow]

    resolve_reference = _by_code("commune_by_code", upper=True)

    @strawberry.field(description="INSEE code of the commune (`35238` for Rennes).")
    def code(self) -> str:
        return self.row.code

    @strawberry.field(description="Official name.")
    def nom(self) -> str:
        return self.row.nom

    @strawberry.field(description="Postcodes serving the commune.")
    def codes_postaux(self) -> list[str]:
        return list(self.row.codes_postaux)

    @strawberry.field(description="Municipal population (INSEE).")
    def population(self) -> int | None:
        return self.row.population

    @strawberry.field(description="Metropolitan, overseas département, or overseas collectivity.")
    def zone(self) -> Zone:
        return Zone(self.row.zone)

    @strawberry.field(
        description="Centre point used for distance searches; null for the communes of the "
        "overseas collectivities, which the source outlines do not cover."
    )
    def centroide(self) -> Coordonnees | None:
        return _centroide(self.row)

    @strawberry.field(description="INSEE code of the département.")
    def code_departement(self) -> str:
        return self.row.departement_code

    @strawberry.field(description="INSEE code of the région.")
    def code_region(self) -> str:
        return self.row.region_code

    @strawberry.field(description="SIREN of the EPCI, if the commune belongs to one.")
    def code_epci(self) -> str | None:
        return self.row.epci_code

    @strawberry.field(description="The département of the commune.")
    async def departement(self, info: Info) -> Departement | None:
        row = await info.context.loaders.departement_by_code.load(self.row.departement_code)
        return Departement(row=row) if row else None

    @strawberry.field(description="The région of the commune.")
    async def region(self, info: Info) -> Region | None:
        row = await info.context.loaders.region_by_code.load(self.row.region_code)
        return Region(row=row) if row else None

    @strawberry.field(description="The EPCI the commune belongs to (null for a few islands).")
    async def epci(self, info: Info) -> Epci | None:
        if self.row.epci_code is None:
            return None
        row = await info.context.loaders.epci_by_code.load(self.row.epci_code)
        return Epci(row=row) if row else None

    @strawberry.field(
        description="Municipal arrondissements (Paris, Lyon, Marseille only; empty elsewhere)."
    )
    async def arrondissements(self, info: Info) -> list[ArrondissementMunicipal]:
        rows = await info.context.loaders.arrondissements_by_commune_code.load(self.row.code)
        return [ArrondissementMunicipal(row=r) for r in rows]

    structures = records_of(
        "structure",
        "commune",
        lambda self: self.row.code,
        "The merged structures located in this commune (those in its municipal arrondissements "
        "included), by id.",
    )
    services = records_of(
        "service",
        "commune",
        lambda self: self.row.code,
        "The merged services located in this commune (those in its municipal arrondissements "
        "included; a service without an address is where its structure is), by id.",
    )


@strawberry.type(
    description="A municipal arrondissement of Paris, Lyon or Marseille: a current code of the "
    "COG that records may bear, lying in its commune (and that commune's EPCI)."
)
class ArrondissementMunicipal:
    row: strawberry.Private[CommuneRow]

    async def _parent(self, info: Info) -> CommuneRow | None:
        if self.row.parent_code is None:
            return None
        row: CommuneRow | None = await info.context.loaders.commune_by_code.load(
            self.row.parent_code
        )
        return row

    async def _epci_code(self, info: Info) -> str | None:
        parent = await self._parent(info)
        return self.row.epci_code or (parent.epci_code if parent else None)

    @strawberry.field(description="INSEE code of the arrondissement (`75111`).")
    def code(self) -> str:
        return self.row.code

    @strawberry.field(description="Official name.")
    def nom(self) -> str:
        return self.row.nom

    @strawberry.field(description="Postcodes serving the arrondissement.")
    def codes_postaux(self) -> list[str]:
        return list(self.row.codes_postaux)

    @strawberry.field(description="Municipal population (INSEE).")
    def population(self) -> int | None:
        return self.row.population

    @strawberry.field(description="Centre point of the arrondissement.")
    def centroide(self) -> Coordonnees | None:
        return _centroide(self.row)

    @strawberry.field(description="The commune the arrondissement belongs to.")
    async def commune(self, info: Info) -> Commune | None:
        row = await self._parent(info)
        return Commune(row=row) if row else None

    @strawberry.field(description="INSEE code of the commune the arrondissement belongs to.")
    def code_commune(self) -> str | None:
        return self.row.parent_code

    @strawberry.field(description="Metropolitan, overseas département, or overseas collectivity.")
    def zone(self) -> Zone:
        return Zone(self.row.zone)

    @strawberry.field(description="INSEE code of the département.")
    def code_departement(self) -> str:
        return self.row.departement_code

    @strawberry.field(description="INSEE code of the région.")
    def code_region(self) -> str:
        return self.row.region_code

    @strawberry.field(description="SIREN of the EPCI of its commune.")
    async def code_epci(self, info: Info) -> str | None:
        return await self._epci_code(info)

    @strawberry.field(description="The département of the arrondissement.")
    async def departement(self, info: Info) -> Departement | None:
        row = await info.context.loaders.departement_by_code.load(self.row.departement_code)
        return Departement(row=row) if row else None

    @strawberry.field(description="The région of the arrondissement.")
    async def region(self, info: Info) -> Region | None:
        row = await info.context.loaders.region_by_code.load(self.row.region_code)
        return Region(row=row) if row else None

    @strawberry.field(description="The EPCI of its commune.")
    async def epci(self, info: Info) -> Epci | None:
        code = await self._epci_code(info)
        row = await info.context.loaders.epci_by_code.load(code) if code else None
        return Epci(row=row) if row else None

    structures = records_of(
        "structure",
        "commune",
        lambda self: self.row.code,
        "The merged structures located in this arrondissement, by id.",
    )
    services = records_of(
        "service",
        "commune",
        lambda self: self.row.code,
        "The merged services located in this arrondissement (a service without an "
        "address is where its structure is), by id.",
    )
