"""Territory I/O: loading the territory file, batched lookups and the commune search."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Table, case, delete, func, insert, literal, tuple_
from sqlalchemy import select as core_select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import Commune, CommuneAlias, Departement, Epci, Meta, Region
from store.territory_file import TerritoryData
from store.text import fold


def table_of(model: Any) -> Table:
    """The Core table of a SQLModel class (typed)."""
    table: Table = getattr(model, "__table__")  # noqa: B009
    return table


# the territory models, each keyed by its `code`
T = TypeVar("T", Region, Departement, Epci, Commune)

CURRENT = "commune-actuelle"
ARRONDISSEMENT = "arrondissement-municipal"
ZONE_COM = "com"
# when a code is an alias of several kinds, prefer the most specific one
_ALIAS_PRIORITY = {
    ARRONDISSEMENT: 0,
    "commune-deleguee": 1,
    "commune-associee": 2,
    "ancien-code": 3,
}

TERRITORIES_META_KEY = "territories_sha256"


# --- loading -------------------------------------------------------------------------------


async def loaded_sha256(engine: AsyncEngine) -> str | None:
    async with engine.connect() as conn:
        return await _meta(conn, TERRITORIES_META_KEY)


async def _meta(conn: AsyncConnection, key: str) -> str | None:
    result = await conn.execute(
        core_select(table_of(Meta).c.value).where(table_of(Meta).c.key == key)
    )
    return result.scalar_one_or_none()


async def load(engine: AsyncEngine, data: TerritoryData) -> dict[str, int]:
    """Replace every territory row by the file's, in one transaction (all or nothing)."""
    regions = [
        {"code": r["code"], "nom": r["nom"], "chef_lieu": r.get("chefLieu"), "zone": r["zone"]}
        for r in data.regions
    ]
    departements = [
        {
            "code": d["code"],
            "nom": d["nom"],
            "region_code": d["region"],
            "chef_lieu": d.get("chefLieu"),
            "zone": d["zone"],
        }
        for d in data.departements
    ]
    epcis = [
        {"code": e["code"], "nom": e["nom"], "type": e["type"], "population": e.get("population")}
        for e in data.epcis
    ]
    communes = [
        {
            "code": c["code"],
            "nom": c["nom"],
            "nom_recherche": fold(c["nom"]),
            "type": c["type"],
            "departement_code": c["departement"],
            "region_code": c["region"],
            "epci_code": c.get("epci"),
            "parent_code": c.get("parent"),
            "zone": c["zone"],
            "codes_postaux": c["codesPostaux"],
            "codes_postaux_texte": " ".join(c["codesPostaux"]),
            "population": c.get("population"),
            "latitude": c["lat"],
            "longitude": c["lon"],
            "centroide_origine": c.get("centroidOrigine"),
        }
        for c in data.communes
    ]
    aliases = [
        {"code": code, "kind": kind, "nom": nom, "commune_code": target}
        for code, kind, nom, target in data.aliases
    ]
    tables = [Region, Departement, Epci, Commune, CommuneAlias]
    async with engine.begin() as conn:
        for model in reversed(tables):
            await conn.execute(delete(table_of(model)))
        for model, rows in zip(
            tables, [regions, departements, epcis, communes, aliases], strict=True
        ):
            for start in range(0, len(rows), 5000):
                await conn.execute(insert(table_of(model)), rows[start : start + 5000])
        meta = table_of(Meta)
        await conn.execute(delete(meta).where(meta.c.key == TERRITORIES_META_KEY))
        await conn.execute(insert(meta).values(key=TERRITORIES_META_KEY, value=data.sha256))
        # answers about places change: cached responses and territories move to a new version
        from store.records import bump_data_version

        await bump_data_version(conn)
    return {
        "regions": len(regions),
        "departements": len(departements),
        "epcis": len(epcis),
        "communes": sum(1 for c in communes if c["type"] == CURRENT),
        "arrondissements": sum(1 for c in communes if c["type"] == ARRONDISSEMENT),
        "aliases": len(aliases),
    }


# --- batched lookups (one statement per call, results keyed for the loaders) -------------


async def regions(session: AsyncSession, *, include_com: bool) -> list[Region]:
    stmt = select(Region).order_by(col(Region.code))
    if not include_com:
        stmt = stmt.where(Region.zone != ZONE_COM)
    return list((await session.exec(stmt)).all())


async def departements(
    session: AsyncSession, *, include_com: bool, region_code: str | None = None
) -> list[Departement]:
    stmt = select(Departement).order_by(col(Departement.code))
    if not include_com:
        stmt = stmt.where(Departement.zone != ZONE_COM)
    if region_code is not None:
        stmt = stmt.where(Departement.region_code == region_code)
    return list((await session.exec(stmt)).all())


# lookups by code, for the loaders: `(session, codes) -> {code: row}`, missing codes left out
R = TypeVar("R")
Lookup = Callable[[AsyncSession, Sequence[str]], Awaitable[dict[str, R]]]


def by_codes(model: type[T]) -> Lookup[T]:
    """The rows of `model` by their own code, in one statement."""

    async def lookup(session: AsyncSession, codes: Sequence[str]) -> dict[str, T]:
        stmt = select(model).where(col(model.code).in_(set(codes)))
        return {r.code: r for r in (await session.exec(stmt)).all()}

    return lookup


def grouped_by(model: type[T], attr: str, *conditions: Any) -> Lookup[list[T]]:
    """The rows of `model` whose `attr` is one of the codes (and that meet `conditions`), by
    code, listed under each code asked for (an empty list for a code none has)."""

    async def lookup(session: AsyncSession, codes: Sequence[str]) -> dict[str, list[T]]:
        stmt = (
            select(model)
            .where(col(getattr(model, attr)).in_(set(codes)), *conditions)
            .order_by(col(model.code))
        )
        grouped = _group(await session.exec(stmt), attr)
        return {code: grouped.get(code, []) for code in codes}

    return lookup


regions_by_codes = by_codes(Region)
departements_by_codes = by_codes(Departement)
epcis_by_codes = by_codes(Epci)
communes_by_codes = by_codes(Commune)  # and arrondissements (no alias resolution)
departements_by_region_codes = grouped_by(Departement, "region_code")
communes_by_departement_codes = grouped_by(Commune, "departement_code", Commune.type == CURRENT)
communes_by_epci_codes = grouped_by(Commune, "epci_code")
arrondissements_by_commune_codes = grouped_by(
    Commune, "parent_code", Commune.type == ARRONDISSEMENT
)


async def resolve_commune_codes(
    session: AsyncSession, codes: Sequence[str], *, keep_arrondissements: bool = False
) -> dict[str, str]:
    """Map each code to the current commune it designates.

    A current commune's code maps to itself; a former code, a delegated or associated commune
    or a municipal arrondissement maps to the current commune; unknown codes are absent. With
    `keep_arrondissements`, a municipal arrondissement maps to itself (a current code of the
    COG, type ARM) and the other codes as before.
    """
    wanted = set(codes)
    kinds = (CURRENT, ARRONDISSEMENT) if keep_arrondissements else (CURRENT,)
    direct = select(Commune.code).where(
        col(Commune.code).in_(wanted),
        col(Commune.type).in_(kinds),
    )
    via_alias = select(CommuneAlias.code, CommuneAlias.kind, CommuneAlias.commune_code).where(
        col(CommuneAlias.code).in_(wanted)
    )
    found = {code: code for code in (await session.exec(direct)).all()}
    best: dict[str, tuple[int, str]] = {}
    for code, kind, target in (await session.exec(via_alias)).all():
        if code in found:
            continue
        rank = _ALIAS_PRIORITY.get(kind, 9)
        if code not in best or (rank, target) < best[code]:
            best[code] = (rank, target)
    found.update({code: target for code, (_rank, target) in best.items()})
    return found


async def resolve_place_codes(session: AsyncSession, codes: Sequence[str]) -> dict[str, str]:
    """Map each code to where a record bearing it is: its own code for a current commune or a
    municipal arrondissement, the current commune for a former, delegated or associated one."""
    return await resolve_commune_codes(session, codes, keep_arrondissements=True)


def _group(rows: Iterable[Any], attr: str) -> dict[str, list[Any]]:
    grouped: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        grouped[getattr(row, attr)].append(row)
    return grouped


# --- commune search (keyset pagination) -----------------------------------------------------


@dataclass(frozen=True)
class CommuneSearch:
    """What `communes(...)` asks for; `search` is compared accent- and case-insensitively."""

    search: str | None = None
    code_postal: str | None = None
    code_departement: str | None = None

    @property
    def folded(self) -> str | None:
        return fold(self.search) if self.search and fold(self.search) else None


def _filters(query: CommuneSearch) -> list[Any]:
    clauses: list[Any] = [Commune.type == CURRENT]
    if query.folded:
        clauses.append(col(Commune.nom_recherche).like(f"%{query.folded}%"))
    if query.code_postal is not None:
        postcode = query.code_postal.strip()
        if not (len(postcode) == 5 and postcode.isalnum()):
            clauses.append(literal(False))
        else:
            clauses.append(col(Commune.codes_postaux_texte).like(f"%{postcode}%"))
    if query.code_departement is not None:
        clauses.append(Commune.departement_code == query.code_departement)
    return clauses


def _sort_key(query: CommuneSearch) -> list[Any]:
    """Search results: exact name, then prefix, then substring; bigger communes first."""
    if query.folded:
        rank = case(
            (col(Commune.nom_recherche) == query.folded, 0),
            (col(Commune.nom_recherche).like(f"{query.folded}%"), 1),
            else_=2,
        )
        return [rank, -func.coalesce(col(Commune.population), 0), col(Commune.code)]
    return [col(Commune.code)]


def _int32(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and -(2**31) <= value < 2**31


async def search_communes(
    session: AsyncSession, query: CommuneSearch, *, first: int, after: Sequence[Any] | None
) -> list[tuple[list[Any], Commune]]:
    """One page of current communes with each row's sort key; fetch `first + 1` to see more."""
    keys = _sort_key(query)
    stmt = select(Commune, *keys).where(*_filters(query)).order_by(*keys).limit(first)
    if after is not None:
        # a key of this sort: (rank, -population, code) with a search, (code,) without
        if len(after) != len(keys) or not all(
            isinstance(v, str) if i == len(keys) - 1 else _int32(v) for i, v in enumerate(after)
        ):
            raise ValueError("cursor does not belong to this search")
        stmt = stmt.where(tuple_(*keys) > tuple_(*[literal(v) for v in after]))
    rows = (await session.exec(stmt)).all()
    return [(list(row[1:]), row[0]) for row in rows]


async def count_communes(session: AsyncSession, query: CommuneSearch) -> int:
    stmt = select(func.count()).select_from(Commune).where(*_filters(query))
    return int((await session.exec(stmt)).one())


async def code_tables(conn: AsyncConnection) -> tuple[frozenset[str], dict[str, str]]:
    """Every current code (communes and municipal arrondissements, both current in the COG), and
    every other commune-like code (former, delegated, associated) -> its current commune.

    Held in memory by an ingest run (about 42 000 short strings) to normalise INSEE codes: a
    current code is kept as sent, another is rewritten to its commune.
    """
    commune = table_of(Commune)
    alias = table_of(CommuneAlias)
    current = frozenset(
        (
            await conn.execute(
                core_select(commune.c.code).where(commune.c.type.in_((CURRENT, ARRONDISSEMENT)))
            )
        ).scalars()
    )
    best: dict[str, tuple[int, str]] = {}
    for code, kind, target in await conn.execute(
        core_select(alias.c.code, alias.c.kind, alias.c.commune_code)
    ):
        rank = _ALIAS_PRIORITY.get(kind, 9)
        if code not in current and (code not in best or (rank, target) < best[code]):
            best[code] = (rank, target)
    return current, {code: target for code, (_rank, target) in best.items()}
