"""`searchServices`: the services a person living in a commune (or at a point) may use, nearest
first, with the real API's eligibility rules."""

from typing import Annotated, Any

import strawberry

from resolvers.context import Info
from resolvers.errors import BadUserInput
from resolvers.filters import ServiceFilterArg, build_filter
from resolvers.pagination import PageInfo, decode_cursor, encode_cursor, page_info, page_size
from resolvers.root_pages import AFTER_ARG, FIRST_ARG
from resolvers.services.types import Service
from store import search as store

DEFAULT_RADIUS_KM = 50.0
MAX_RADIUS_KM = 200.0


@strawberry.type(description="One service found around a place, and how far it is.")
class ServiceSearchEdge:
    cursor: str = strawberry.field(description="Opaque position of this item in the results.")
    node: Service = strawberry.field(description="The service.")
    distance_km: float | None = strawberry.field(
        description="Distance in km from the centre to where the service is offered in person "
        "(within the radius); null for a service kept only because it is offered remotely "
        "(`a-distance`), even when it is also offered in person further away."
    )


@strawberry.type(description="A page of services found around a place.")
class ServiceSearchConnection:
    edges: list[ServiceSearchEdge] = strawberry.field(description="The services of this page.")
    page_info: PageInfo = strawberry.field(description="Cursors and whether more pages exist.")
    _count: strawberry.Private[Any]

    @strawberry.field(description="How many services the whole search finds.")
    async def total_count(self) -> int:
        n: int = await self._count()
        return n


async def _around(
    info: Info,
    code_commune: str | None,
    latitude: float | None,
    longitude: float | None,
    radius_km: float,
) -> store.Around:
    if not 0 < radius_km <= MAX_RADIUS_KM:
        raise BadUserInput(
            f"`rayonKm` must be more than 0 and at most {MAX_RADIUS_KM:g}", argument="rayonKm"
        )
    if (latitude is None) != (longitude is None):
        raise BadUserInput(
            "give both `latitude` and `longitude`, or neither",
            argument="latitude" if latitude is None else "longitude",
        )
    if latitude is not None and not -90 <= latitude <= 90:
        raise BadUserInput("`latitude` must be between -90 and 90", argument="latitude")
    if longitude is not None and not -180 <= longitude <= 180:
        raise BadUserInput("`longitude` must be between -180 and 180", argument="longitude")
    zones: list[str] = []
    if code_commune is not None:
        loaders = info.context.loaders
        place = await loaders.place_code_by_code.load(code_commune)
        commune = await loaders.commune_by_code.load(place) if place else None
        if commune is None:
            raise BadUserInput(
                f"`codeCommune`: no commune has the code {code_commune!r}", argument="codeCommune"
            )
        # an arrondissement lies in its commune, and in that commune's EPCI
        parent = (
            await loaders.commune_by_code.load(commune.parent_code) if commune.parent_code else None
        )
        epci = commune.epci_code or (parent.epci_code if parent else None)
        zones = sorted(
            {code_commune, commune.code, commune.departement_code}
            | ({parent.code} if parent else set())
            | ({epci} if epci else set())
        )
        if latitude is None:
            if commune.latitude is None or commune.longitude is None:
                raise BadUserInput(
                    f"`codeCommune`: the commune {commune.code} has no centroid; give "
                    "`latitude` and `longitude`",
                    argument="codeCommune",
                )
            latitude, longitude = commune.latitude, commune.longitude
    if latitude is None or longitude is None:
        raise BadUserInput(
            "give `codeCommune`, or `latitude` and `longitude`", argument="codeCommune"
        )
    return store.Around(latitude, longitude, radius_km, zones)


@strawberry.type
class SearchQueries:
    @strawberry.field(
        description="The services a person in a commune (or at a point) may use, as the real "
        "API's search does: eligible by `zoneEligibilite` (none given, the commune, its "
        "département or EPCI, `99100` or `france`; not checked around a bare point), offered "
        "in person within `rayonKm` of the commune's centroid or of the point (a service "
        "without coordinates of its own is where its structure is), or offered remotely "
        "whatever the distance. Nearest first, then the remote ones; then by id. Around a "
        "municipal arrondissement (`75111`) the centre is the arrondissement's and a zone "
        "naming the arrondissement or its commune (`75056`) is eligible; around the commune, "
        "a zone naming only one of its arrondissements is not."
    )
    async def search_services(
        self,
        info: Info,
        code_commune: Annotated[
            str | None,
            strawberry.argument(
                description="Where the person lives (INSEE code of a commune or a municipal "
                "arrondissement; former, delegated and associated communes resolve to the current "
                "commune): the centre and the zones."
            ),
        ] = None,
        latitude: Annotated[
            float | None, strawberry.argument(description="Centre latitude (WGS 84).")
        ] = None,
        longitude: Annotated[
            float | None, strawberry.argument(description="Centre longitude (WGS 84).")
        ] = None,
        rayon_km: Annotated[
            float,
            strawberry.argument(
                description=f"Radius in km for in-person services (default "
                f"{DEFAULT_RADIUS_KM:g}, at most {MAX_RADIUS_KM:g})."
            ),
        ] = DEFAULT_RADIUS_KM,
        filter: ServiceFilterArg = None,
        first: Annotated[int | None, FIRST_ARG] = None,
        after: Annotated[str | None, AFTER_ARG] = None,
    ) -> ServiceSearchConnection:
        size = page_size(first)
        key = decode_cursor(after)
        if key is not None:
            try:
                key = store.check_key(key)
            except ValueError as exc:
                raise BadUserInput(
                    "`after` is not a cursor of searchServices", argument="after"
                ) from exc
        around = await _around(info, code_commune, latitude, longitude, rayon_km)
        where = await build_filter(info, filter)
        visibility = info.context.visibility
        async with info.context.db() as session:
            rows = await store.page(
                session, visibility, around, first=size + 1, after=key, where=where
            )

        async def count() -> int:
            async with info.context.db() as session:
                return await store.count(session, visibility, around, where)

        edges = [
            ServiceSearchEdge(cursor=encode_cursor(k), node=Service(row=row), distance_km=d)
            for k, row, d in rows[:size]
        ]
        return ServiceSearchConnection(
            edges=edges,
            page_info=page_info(edges, has_next=len(rows) > size, has_previous=key is not None),
            _count=count,
        )
