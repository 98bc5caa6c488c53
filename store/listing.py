"""Lists of golden records for the API: filtered, ordered pages (keyset), pages per structure or
per territory or producer (one windowed statement for many), counts and facet counts."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Any

from sqlalchemy import Text, and_, bindparam, cast, exists, func, null, or_, select, union_all
from sqlalchemy.dialects.postgresql import ARRAY, array
from sqlmodel.ext.asyncio.session import AsyncSession

from models import Commune, GoldenValue
from store.golden import SERVED, execute, goldens, live, live_params, live_values, uses_tags
from store.rows import any_of, rows
from store.tags import tags_of
from store.territories import ARRONDISSEMENT, table_of
from store.text import MAX_SEARCH_WORDS

values = table_of(GoldenValue)
communes = table_of(Commune)
COMMUNE = "commune"  # the filter field a record's INSEE code is held in

Row = tuple[list[Any], dict[str, Any]]  # (cursor key, golden row)


@dataclass(frozen=True)
class Filter:
    """What a list of merged records is narrowed to; every condition must hold."""

    values: Mapping[str, Sequence[str]] = field(default_factory=dict)  # golden_value: any of
    score_min: float | None = None
    date_min: date | None = None
    words: Sequence[str] = ()  # French stems, each found in the record's name or description

    def __post_init__(self) -> None:
        if len(self.words) > MAX_SEARCH_WORDS:  # one condition each: the callers bound them
            raise ValueError(f"at most {MAX_SEARCH_WORDS} search words, got {len(self.words)}")

    def conditions(self, tagged: bool = False) -> list[Any]:
        """The conditions as SQL; `tagged`: through the GIN-indexed tags (PostgreSQL)."""
        out: list[Any] = []
        for name, wanted in sorted(self.values.items()):
            out.append(has_tag(name, wanted) if tagged else holds(name, wanted))
        if self.score_min is not None:
            out.append(goldens.c.score_qualite >= self.score_min)
        if self.date_min is not None:
            out.append(goldens.c.date_maj >= self.date_min)
        out += [goldens.c.search_text.contains(word, autoescape=True) for word in self.words]
        return out


def holds(name: str, wanted: Sequence[str]) -> Any:
    """The golden record holds one of `wanted` in its filter field `name`."""
    held = values.alias(f"held_{name}")  # apart from the facets' own golden_value
    return (
        exists()
        .where(
            held.c.golden_id == goldens.c.id,
            held.c.field == name,
            held.c.value.in_(sorted(set(wanted))),
        )
        .correlate(goldens)
    )


def has_tag(name: str, wanted: Sequence[str]) -> Any:
    """PostgreSQL: the golden record's tags hold one of `wanted` for the filter field `name`."""
    return goldens.c.tags.overlap(cast(array(tags_of(name, wanted)), ARRAY(Text)))


def holds_any(name: str) -> Any:
    """The golden record holds some value in its filter field `name`."""
    held = values.alias(f"any_{name}")
    return exists().where(held.c.golden_id == goldens.c.id, held.c.field == name).correlate(goldens)


@dataclass(frozen=True)
class Order:
    """A sort of merged records: an expression (never null), its direction, then the id."""

    name: str
    expression: Any = None  # None: by id alone
    descending: bool = False
    parse: Any = None  # cursor value (JSON) -> the expression's Python value

    def key(self, row: Mapping[str, Any]) -> list[Any]:
        if self.expression is None:
            return [row["public_id"]]
        return [row["_sort"], row["public_id"]]

    def after(self, key: Sequence[Any]) -> Any:
        """Rows strictly after the cursor key (ValueError: not a key of this order)."""
        if self.expression is None:
            if len(key) != 1 or not isinstance(key[0], str):
                raise ValueError("not a cursor of the order by id")
            return goldens.c.public_id > key[0]
        if len(key) != 2 or not isinstance(key[1], str):
            raise ValueError(f"not a cursor of the order {self.name}")
        value = self.parse(key[0])
        beyond = self.expression < value if self.descending else self.expression > value
        return or_(beyond, and_(self.expression == value, goldens.c.public_id > key[1]))

    def clauses(self) -> list[Any]:
        if self.expression is None:
            return [goldens.c.public_id]
        first = self.expression.desc() if self.descending else self.expression.asc()
        return [first, goldens.c.public_id]


def _date(value: Any) -> date:
    if not isinstance(value, str):
        raise ValueError("not a date")
    return date.fromisoformat(value)


def _float(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("not a number")
    return float(value)


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("not a text")
    return value


ORDERS: Mapping[str, Order] = {
    "id": Order("id"),
    "nom": Order("nom", func.coalesce(goldens.c.sort_name, ""), parse=_text),
    "date_maj_desc": Order(
        "date_maj_desc",
        func.coalesce(goldens.c.date_maj, date(1, 1, 1)),
        descending=True,
        parse=_date,
    ),
    "score_qualite_desc": Order(
        "score_qualite_desc",
        func.coalesce(goldens.c.score_qualite, -1.0),
        descending=True,
        parse=_float,
    ),
}


def _conditions(
    kind: str, visibility: str, where: Filter | None, session: AsyncSession
) -> list[Any]:
    tagged = uses_tags(session)
    return [*live(kind, visibility), *(where.conditions(tagged) if where else [])]


async def page(
    session: AsyncSession,
    kind: str,
    visibility: str,
    *,
    first: int,
    after: Sequence[Any] | None,
    where: Filter | None = None,
    order: str = "id",
    with_total: bool = False,
) -> list[Row]:
    """Live golden records in `order` (then by id); `first` rows after the cursor key.

    `with_total`: each row also carries `_total`, how many records the whole list holds (the
    count in the same statement as the page)."""
    sort = ORDERS[order]
    conditions = [*live_params(), *(where.conditions(uses_tags(session)) if where else [])]
    columns = [*SERVED] if sort.expression is None else [*SERVED, sort.expression.label("_sort")]
    if with_total:
        total = select(func.count()).select_from(goldens).where(*conditions)
        columns.append(total.scalar_subquery().label("_total"))
    stmt = select(*columns).where(*conditions).order_by(*sort.clauses()).limit(first)
    if after is not None:
        stmt = stmt.where(sort.after(after))
    out: list[Row] = []
    for data in await rows(session, stmt, live_values(kind, visibility)):
        key = sort.key(data)
        data.pop("_sort", None)
        out.append((key, data))
    return out


async def count(
    session: AsyncSession, kind: str, visibility: str, where: Filter | None = None
) -> int:
    stmt = (
        select(func.count())
        .select_from(goldens)
        .where(*_conditions(kind, visibility, where, session))
    )
    return int((await execute(session, stmt)).scalar_one())


@cache
def _services_by_structures(*, first_page: bool) -> Any:
    """`services_by_structures`' statement, built once per shape (parameters: `kind`, `views`,
    `ids`, `first`, and `after` past the first page)."""
    rank = (
        func.row_number()
        .over(partition_by=goldens.c.structure_public_id, order_by=goldens.c.public_id)
        .label("_rank")
    )
    columns: list[Any] = [*SERVED, rank]
    if first_page:
        columns.append(
            func.count().over(partition_by=goldens.c.structure_public_id).label("_total")
        )
    inner = select(*columns).where(*live_params(), any_of(goldens.c.structure_public_id, "ids"))
    if not first_page:
        inner = inner.where(goldens.c.public_id > bindparam("after"))
    ranked = inner.subquery()
    return (
        select(ranked)
        .where(ranked.c._rank <= bindparam("first"))
        .order_by(ranked.c.structure_public_id, ranked.c.public_id)
    )


async def services_by_structures(
    session: AsyncSession,
    visibility: str,
    structure_ids: Sequence[str],
    *,
    first: int,
    after: Sequence[Any] | None,
) -> dict[str, list[Row]]:
    """Per golden structure id: its live services ordered by id, `first` rows after the cursor
    key; one statement for any number of structures (a window per structure). A first page's
    rows (no cursor) also carry `_total`, how many services the structure has."""
    stmt = _services_by_structures(first_page=after is None)
    params = {
        **live_values("service", visibility),
        "ids": sorted(set(structure_ids)),
        "first": first,
        **({} if after is None else {"after": after[0]}),
    }
    out: dict[str, list[Row]] = defaultdict(list)
    for data in await rows(session, stmt, params):
        data.pop("_rank")
        out[data["structure_public_id"]].append(([data["public_id"]], data))
    return out


async def service_counts(
    session: AsyncSession, visibility: str, structure_ids: Sequence[str]
) -> dict[str, int]:
    """Per golden structure id: how many live services it has."""
    stmt = (
        select(goldens.c.structure_public_id, func.count())
        .where(
            *live("service", visibility),
            goldens.c.structure_public_id.in_(sorted(set(structure_ids))),
        )
        .group_by(goldens.c.structure_public_id)
    )
    return {sid: int(n) for sid, n in await execute(session, stmt)}


def _held_by_bucket(
    columns: Sequence[Any], field_name: str, wanted: Sequence[str], conditions: Sequence[Any]
) -> Any:
    """`columns` of the golden records meeting `conditions` and holding one of `wanted` in the
    filter field `field_name`, with the wanted value as `_bucket`; for `commune`, a commune's
    bucket also holds the records of its municipal arrondissements (Paris: those at 75111)."""
    direct = (
        select(*columns, values.c.value.label("_bucket"))
        .join(values, values.c.golden_id == goldens.c.id)
        .where(*conditions, values.c.field == field_name, values.c.value.in_(wanted))
    )
    if field_name != COMMUNE:
        return direct
    in_arrondissement = (
        select(*columns, communes.c.parent_code.label("_bucket"))
        .join(values, values.c.golden_id == goldens.c.id)
        .join(communes, communes.c.code == values.c.value)
        .where(
            *conditions,
            values.c.field == COMMUNE,
            communes.c.type == ARRONDISSEMENT,
            communes.c.parent_code.in_(wanted),
        )
    )
    return union_all(direct, in_arrondissement)


async def pages_by_value(
    session: AsyncSession,
    kind: str,
    visibility: str,
    field_name: str,
    wanted: Sequence[str],
    *,
    first: int,
    after: Sequence[Any] | None,
) -> dict[str, list[Row]]:
    """Per value of a filter field (a département's code, a producer's slug…): the live golden
    records holding it, ordered by id, `first` rows after the cursor key; one statement for any
    number of values (a window per value; a lateral join of one index scan per value was tried
    on PostgreSQL and planned worse: the planner walks the id index per value). A commune's
    records include its municipal arrondissements'."""
    conditions = live(kind, visibility)
    if after is not None:
        conditions = [*conditions, goldens.c.public_id > after[0]]
    inner = _held_by_bucket(SERVED, field_name, sorted(set(wanted)), conditions).subquery()
    by_bucket = func.row_number().over(partition_by=inner.c._bucket, order_by=inner.c.public_id)
    rank = by_bucket.label("_rank")
    ranked = select(inner, rank).subquery()
    stmt = select(ranked).where(ranked.c._rank <= first).order_by(ranked.c._bucket, ranked.c._rank)
    out: dict[str, list[Row]] = defaultdict(list)
    for row in (await execute(session, stmt)).mappings():
        data = dict(row)
        data.pop("_rank")
        bucket = data.pop("_bucket")
        out[bucket].append(([data["public_id"]], data))
    return out


async def counts_by_value(
    session: AsyncSession, kind: str, visibility: str, field_name: str, wanted: Sequence[str]
) -> dict[str, int]:
    """Per value of a filter field: how many live golden records hold it (a commune: with its
    municipal arrondissements')."""
    held = _held_by_bucket(
        [goldens.c.id], field_name, sorted(set(wanted)), live(kind, visibility)
    ).subquery()
    stmt = select(held.c._bucket, func.count()).group_by(held.c._bucket)
    return {value: int(n) for value, n in await execute(session, stmt)}


@dataclass(frozen=True)
class FacetCounts:
    """How many records a filter matches, and per filter field each value with the number of
    them holding it; the value None counts those holding none."""

    total: int
    counts: Mapping[str, Sequence[tuple[str | None, int]]]


async def facets(
    session: AsyncSession,
    kind: str,
    visibility: str,
    fields: Sequence[str],
    where: Filter | None = None,
) -> FacetCounts:
    """Per filter field: each value with the number of matching records holding it, most
    frequent first, and None with the number holding no value there (left out when none): for
    a field a record holds one value of at most, the counts add up to `total`. One statement:
    the counts per value, the records holding some value per field, and the total."""
    conditions = _conditions(kind, visibility, where, session)

    def held(*columns: Any) -> Any:
        return (
            select(*columns)
            .join(goldens, goldens.c.id == values.c.golden_id)
            .where(values.c.field.in_(list(fields)), *conditions)
        )

    per_value = held(values.c.field, values.c.value, func.count()).group_by(
        values.c.field, values.c.value
    )
    holding = func.count(func.distinct(values.c.golden_id))
    holders = held(values.c.field, null(), holding).group_by(values.c.field)
    total = select(null(), null(), func.count()).select_from(goldens).where(*conditions)
    matching = 0
    held_some: dict[str, int] = {}
    out: dict[str, list[tuple[str | None, int]]] = {f: [] for f in fields}
    for name, value, n in await execute(session, union_all(per_value, holders, total)):
        if name is None:
            matching = int(n)
        elif value is None:
            held_some[name] = int(n)
        else:
            out[name].append((value, int(n)))
    for name, counts in out.items():
        if (none := matching - held_some.get(name, 0)) > 0:
            counts.append((None, none))
        counts.sort(key=lambda c: (-c[1], c[0] is None, c[0] or ""))
    return FacetCounts(total=matching, counts=out)
