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
from resolvers.records_of import located_in
from resolvers.row_fields import attribute, row_field


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


def _by_code(loader: str, *, upper: bool = False) -> Any:
    """The `resolve_reference` of a territory: the entity a federation router names by `code`
    (`_entities`), through the request's loader `loader`."""

    async def resolve_reference(cls: Any, info: Info, code: str) -> Any:
        row = await getattr(info.context.loaders, loader).load(
            code.strip().upper() if upper else code.strip()
        )
        return cls(row=row) if row else None

    return classmethod(resolve_reference)


def _zone(description: str) -> Any:
    return row_field(Zone, description, lambda row: Zone(row.zone))


def _centroide(description: str) -> Any:
    def read(row: CommuneRow) -> Coordonnees | None:
        if row.latitude is None or row.longitude is None:
            return None
        origine = CentroideOrigine(row.centroide_origine) if row.centroide_origine else None
        return Coordonnees(latitude=row.latitude, longitude=row.longitude, origine=origine)

    return row_field(Coordonnees | None, description, read)


def _one(loader: str, code: str, node: str, description: str) -> Any:
    """The territory `node` (a type of this module) whose code is the row's attribute `code`,
    through the request's loader `loader`; null without a code."""

    async def resolve(self: Any, info: Info) -> Any:
        value = getattr(self.row, code)
        if value is None:
            return None
        row = await getattr(info.context.loaders, loader).load(value)
        return globals()[node](row=row) if row else None

    resolve.__annotations__ = {"info": Info, "return": f"{node} | None"}
    return strawberry.field(resolver=resolve, description=description)


def _many(loader: str, node: str, description: str) -> Any:
    """The territories `node` (a type of this module) of the row's code, through the
    request's loader `loader`."""

    async def resolve(self: Any, info: Info) -> Any:
        rows = await getattr(info.context.loaders, loader).load(self.row.code)
        return [globals()[node](row=r) for r in rows]

    resolve.__annotations__ = {"info": Info, "return": f"list[{node}]"}
    return strawberry.field(resolver=resolve, description=description)


def _departement_and_region(what: str) -> tuple[Any, Any]:
    """The `departement` and `region` fields of a commune or an arrondissement (`what`)."""
    return (
        _one(
            "departement_by_code",
            "departement_code",
            "Departement",
            f"The département of the {what}.",
        ),
        _one("region_by_code", "region_code", "Region", f"The région of the {what}."),
    )


NOM = "Official name."
CHEF_LIEU = "INSEE code of the chef-lieu commune."
CODE_REGION = "INSEE code of the région."
CODE_DEPARTEMENT = "INSEE code of the département."
POPULATION = "Municipal population (INSEE)."
ZONE = "Metropolitan, overseas département, or overseas collectivity."


@strawberry.type(
    description="A région, or an overseas collectivity kept at région level.",
    directives=[federation.key("code")],
)
class Region:
    row: strawberry.Private[RegionRow]

    resolve_reference = _by_code("region_by_code")

    code = attribute("code", str, "INSEE code of the région (`53` for Bretagne).")
    nom = attribute("nom", str, NOM)
    zone = _zone("Metropolitan, overseas région, or overseas collectivity.")
    code_chef_lieu = attribute("chef_lieu", str | None, CHEF_LIEU)
    departements = _many(
        "departements_by_region_code", "Departement", "Départements of the région, by code."
    )
    structures, services = located_in("region", "this région")


@strawberry.type(
    description="A département, or an overseas collectivity (zone `com`).",
    directives=[federation.key("code")],
)
class Departement:
    row: strawberry.Private[DepartementRow]

    resolve_reference = _by_code("departement_by_code", upper=True)

    code = attribute("code", str, "INSEE code of the département (`35`, `2A`, `974`).")
    nom = attribute("nom", str, NOM)
    zone = _zone(ZONE)
    code_chef_lieu = attribute("chef_lieu", str | None, CHEF_LIEU)
    code_region = attribute("region_code", str, CODE_REGION)
    region = _one(
        "region_by_code", "region_code", "Region", "The région the département belongs to."
    )
    communes = _many(
        "communes_by_departement_code",
        "Commune",
        "Current communes of the département, by code.",
    )
    structures, services = located_in("departement", "this département")


@strawberry.type(
    description="An EPCI (intercommunality: CC, CA, CU, métropole), keyed by SIREN.",
    directives=[federation.key("code")],
)
class Epci:
    row: strawberry.Private[EpciRow]

    resolve_reference = _by_code("epci_by_code")

    code = attribute("code", str, "SIREN of the EPCI (9 digits), the code `zoneEligibilite` uses.")
    nom = attribute("nom", str, NOM)
    type = attribute(
        "type",
        str,
        "Legal form: CC (communauté de communes), CA (d'agglomération), "
        "CU (urbaine), METRO (métropole), MET69 (Métropole de Lyon).",
    )
    population = attribute("population", int | None, "Municipal population of its member communes.")
    communes = _many("communes_by_epci_code", "Commune", "Member communes, by code.")
    structures, services = located_in("epci", "this EPCI")


@strawberry.type(
    description="A current commune (Code officiel géographique).",
    directives=[federation.key("code")],
)
class Commune:
    row: strawberry.Private[CommuneRow]

    resolve_reference = _by_code("commune_by_code", upper=True)

    code = attribute("code", str, "INSEE code of the commune (`35238` for Rennes).")
    nom = attribute("nom", str, NOM)
    codes_postaux = row_field(
        list[str], "Postcodes serving the commune.", lambda row: list(row.codes_postaux)
    )
    population = attribute("population", int | None, POPULATION)
    zone = _zone(ZONE)
    centroide = _centroide(
        "Centre point used for distance searches; null for the communes of the "
        "overseas collectivities, which the source outlines do not cover."
    )
    code_departement = attribute("departement_code", str, CODE_DEPARTEMENT)
    code_region = attribute("region_code", str, CODE_REGION)
    code_epci = attribute(
        "epci_code", str | None, "SIREN of the EPCI, if the commune belongs to one."
    )
    departement, region = _departement_and_region("commune")
    epci = _one(
        "epci_by_code",
        "epci_code",
        "Epci",
        "The EPCI the commune belongs to (null for a few islands).",
    )
    arrondissements = _many(
        "arrondissements_by_commune_code",
        "ArrondissementMunicipal",
        "Municipal arrondissements (Paris, Lyon, Marseille only; empty elsewhere).",
    )
    structures, services = located_in(
        "commune", "this commune", "those in its municipal arrondissements included"
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

    code = attribute("code", str, "INSEE code of the arrondissement (`75111`).")
    nom = attribute("nom", str, NOM)
    codes_postaux = row_field(
        list[str], "Postcodes serving the arrondissement.", lambda row: list(row.codes_postaux)
    )
    population = attribute("population", int | None, POPULATION)
    centroide = _centroide("Centre point of the arrondissement.")

    @strawberry.field(description="The commune the arrondissement belongs to.")
    async def commune(self, info: Info) -> Commune | None:
        row = await self._parent(info)
        return Commune(row=row) if row else None

    code_commune = attribute(
        "parent_code", str | None, "INSEE code of the commune the arrondissement belongs to."
    )
    zone = _zone(ZONE)
    code_departement = attribute("departement_code", str, CODE_DEPARTEMENT)
    code_region = attribute("region_code", str, CODE_REGION)

    @strawberry.field(description="SIREN of the EPCI of its commune.")
    async def code_epci(self, info: Info) -> str | None:
        return await self._epci_code(info)

    departement, region = _departement_and_region("arrondissement")

    @strawberry.field(description="The EPCI of its commune.")
    async def epci(self, info: Info) -> Epci | None:
        code = await self._epci_code(info)
        row = await info.context.loaders.epci_by_code.load(code) if code else None
        return Epci(row=row) if row else None

    structures, services = located_in("commune", "this arrondissement")
