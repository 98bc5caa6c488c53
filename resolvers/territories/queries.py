"""Root fields of the territories."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import strawberry

from resolvers.context import Info
from resolvers.errors import BadUserInput
from resolvers.pagination import Connection, build_connection, decode_cursor, page_size
from resolvers.root_pages import AFTER_ARG, FIRST_ARG
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


def _listed(fetch: Callable[..., Awaitable[list[Any]]], node: Any, description: str) -> Any:
    """A root list of territories (`regions`): every row `fetch` reads, as `node`s."""

    async def resolve(self: Any, info: Info, inclure_collectivites_outre_mer: bool = False) -> Any:
        async with info.context.db() as session:
            rows = await fetch(session, include_com=inclure_collectivites_outre_mer)
        return [node(row=r) for r in rows]

    resolve.__annotations__ = {
        "info": Info,
        "inclure_collectivites_outre_mer": Annotated[bool, _INCLURE_COM],
        "return": list[node],
    }
    return strawberry.field(resolver=resolve, description=description)


def _by_code(node: Any, argument: Any, description: str) -> Any:
    """A root field of one territory `node` by code, as a federation router finds it
    (`resolve_reference`); `argument`: the code's."""

    async def resolve(self: Any, info: Info, code: str) -> Any:
        return await node.resolve_reference(info, code)

    resolve.__annotations__ = {
        "info": Info,
        "code": Annotated[str, argument],
        "return": node | None,
    }
    return strawberry.field(resolver=resolve, description=description)


@strawberry.type
class TerritoryQueries:
    regions = _listed(
        store.regions, Region, "The régions, by code (the 18 régions unless asked otherwise)."
    )
    region = _by_code(
        Region, _CODE_INSEE, "One région by INSEE code; null when the code is unknown."
    )
    departements = _listed(
        store.departements,
        Departement,
        "The départements, by code (the 101 départements unless asked otherwise).",
    )
    departement = _by_code(
        Departement, _CODE_INSEE, "One département by INSEE code; null when the code is unknown."
    )
    epci = _by_code(Epci, _CODE_SIREN, "One EPCI by SIREN; null when the code is unknown.")

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
        first: Annotated[int | None, FIRST_ARG] = None,
        after: Annotated[str | None, AFTER_ARG] = None,
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

        nodes = [(k, Commune(row=r)) for k, r in rows]
        return build_connection(nodes, first=size, after=key, count=count, cls=Connection)
