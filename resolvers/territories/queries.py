"""Root fields of the territories."""

from __future__ import annotations

from typing import Annotated

import strawberry

from resolvers.context import Info
from resolvers.errors import BadUserInput
from resolvers.pagination import Connection, build_connection, decode_cursor, page_size
from resolvers.territories.types import Commune, Departement, Epci, Region
from store import territories as store

_CODE_INSEE = strawberry.argument(description="INSEE code.")
_CODE_SIREN = strawberry.argument(description="SIREN of the EPCI (9 digits).")
_CODE_COMMUNE = strawberry.argument(
    description="INSEE code of a commune, or a former, delegated, associated or "
    "arrondissement code."
)
_INCLURE_COM = strawberry.argument(
    description="Also list the overseas collectivities (zone `com`), kept at this level."
)


@strawberry.type
class TerritoryQueries:
    @strawberry.field(description="The régions, by code (the 18 régions unless asked otherwise).")
    async def regions(
        self, info: Info, inclure_collectivites_outre_mer: Annotated[bool, _INCLURE_COM] = False
    ) -> list[Region]:
        async with info.context.db() as session:
            rows = await store.regions(session, include_com=inclure_collectivites_outre_mer)
        return [Region(row=r) for r in rows]

    @strawberry.field(description="One région by INSEE code; null when the code is unknown.")
    async def region(self, info: Info, code: Annotated[str, _CODE_INSEE]) -> Region | None:
        row = await info.context.loaders.region_by_code.load(code.strip())
        return Region(row=row) if row else None

    @strawberry.field(
        description="The départements, by code (the 101 départements unless asked otherwise)."
    )
    async def departements(
        self, info: Info, inclure_collectivites_outre_mer: Annotated[bool, _INCLURE_COM] = False
    ) -> list[Departement]:
        async with info.context.db() as session:
            rows = await store.departements(session, include_com=inclure_collectivites_outre_mer)
        return [Departement(row=r) for r in rows]

    @strawberry.field(description="One département by INSEE code; null when the code is unknown.")
    async def departement(
        self, info: Info, code: Annotated[str, _CODE_INSEE]
    ) -> Departement | None:
        row = await info.context.loaders.departement_by_code.load(code.strip().upper())
        return Departement(row=row) if row else None

    @strawberry.field(description="One EPCI by SIREN; null when the code is unknown.")
    async def epci(self, info: Info, code: Annotated[str, _CODE_SIREN]) -> Epci | None:
        row = await info.context.loaders.epci_by_code.load(code.strip())
        return Epci(row=row) if row else None

    @strawberry.field(
        description="One current commune by INSEE code. A former code of a merged commune, a "
        "delegated or associated commune, or a municipal arrondissement resolves to the current "
        "commune. Null when the code is unknown."
    )
    async def commune(self, info: Info, code: Annotated[str, _CODE_COMMUNE]) -> Commune | None:
        current = await info.context.loaders.current_commune_code_by_code.load(code.strip().upper())
        if current is None:
            return None
        row = await info.context.loaders.commune_by_code.load(current)
        return Commune(row=row) if row else None

    @strawberry.field(
        description="Current communes, a page at a time. Without `search`, ordered by code; with "
        "it, exact names first, then names starting with it, then the rest, larger communes first."
    )
    async def communes(
        self,
        info: Info,
        search: Annotated[
            str | None,
            strawberry.argument(description="Part of the name, accents and case ignored."),
        ] = None,
        code_postal: Annotated[
            str | None, strawberry.argument(description="A postcode served by the commune.")
        ] = None,
        code_departement: Annotated[
            str | None, strawberry.argument(description="INSEE code of the département.")
        ] = None,
        first: Annotated[
            int | None, strawberry.argument(description="Page size (default 20, at most 1000).")
        ] = None,
        after: Annotated[
            str | None,
            strawberry.argument(description="`endCursor` of the previous page, to go on."),
        ] = None,
    ) -> Connection[Commune]:
        size = page_size(first)
        key = decode_cursor(after)
        query = store.CommuneSearch(
            search=search,
            code_postal=code_postal,
            code_departement=code_departement.strip().upper() if code_departement else None,
        )
        async with info.context.db() as session:
            try:
                rows = await store.search_communes(session, query, first=size + 1, after=key)
            except ValueError as exc:
                raise BadUserInput(str(exc), argument="after") from exc

        async def count() -> int:
            async with info.context.db() as session:
                return await store.count_communes(session, query)

        return build_connection(
            [(k, Commune(row=r)) for k, r in rows], first=size, after=key, count=count
        )
