"""Lists of golden records for the API: filtered, ordered pages (keyset), pages per structure or
per territory or producer (one windowed statement for many), counts and facet counts."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Text, and_, cast, exists, func, or_, select
from sqlalchemy.dialects.postgresql import ARRAY, array
from sqlmodel.ext.asyncio.session import AsyncSession

from models import GoldenValue
from store.golden import execute, goldens, live, uses_tags
from store.territories import table_of

values = table_of(GoldenValue)

Row = tuple[list[Any], dict[str, Any]]  # (cursor key, golden row)


@dataclass(frozen=True)
class Filter:
    """What a list of merged records is narrowed to; every condition must hold."""

    values: Mapping[str, Sequence[str]] = field(default_factory=dict)  # golden_value: any of
    score_min: float | None = None
    date_min: date | None = None
    words: Sequence[str] = ()  # French stems, each found in the record's name or description

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


def tags_of(name: str, wanted: Sequence[str]) -> list[str]:
    return [f"{name}:{value}" for value in sorted(set(wanted))]


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
) -> list[Row]:
    """Live golden records in `order` (then by id); `first` rows after the cursor key."""
    sort = ORDERS[order]
    columns = [goldens] if sort.expression is None else [goldens, sort.expression.label("_sort")]
    stmt = (
        select(*columns)
        .where(*_conditions(kind, visibility, where, session))
        .order_by(*sort.clauses())
        .limit(first)
    )
    if after is not None:
        stmt = stmt.where(sort.after(after))
    result = await execute(session, stmt)
    out: list[Row] = []
    for row in result.mappings():
        data = dict(row)
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


async def services_by_structures(
    session: AsyncSession,
    visibility: str,
    structure_ids: Sequence[str],
    *,
    first: int,
    after: Sequence[Any] | None,
) -> dict[str, list[Row]]:
    """Per golden structure id: its live services ordered by id, `first` rows after the cursor
    key; one statement for any number of structures (a window per structure)."""
    rank = (
        func.row_number()
        .over(partition_by=goldens.c.structure_public_id, order_by=goldens.c.public_id)
        .label("_rank")
    )
    inner = select(goldens, rank).where(
        *live("service", visibility),
        goldens.c.structure_public_id.in_(sorted(set(structure_ids))),
    )
    if after is not None:
        inner = inner.where(goldens.c.public_id > after[0])
    ranked = inner.subquery()
    stmt = (
        select(ranked)
        .where(ranked.c._rank <= first)
        .order_by(ranked.c.structure_public_id, ranked.c.public_id)
    )
    out: dict[str, list[Row]] = defaultdict(list)
    for row in (await execute(session, stmt)).mappings():
        data = dict(row)
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
    on PostgreSQL and planned worse: the planner walks the id index per value)."""
    values_wanted = sorted(set(wanted))
    rank = (
        func.row_number().over(partition_by=values.c.value, order_by=goldens.c.public_id)
    ).label("_rank")
    inner = (
        select(goldens, values.c.value.label("_bucket"), rank)
        .join(values, values.c.golden_id == goldens.c.id)
        .where(
            *live(kind, visibility),
            values.c.field == field_name,
            values.c.value.in_(values_wanted),
        )
    )
    if after is not None:
        inner = inner.where(goldens.c.public_id > after[0])
    ranked = inner.subquery()
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
    """Per value of a filter field: how many live golden records hold it."""
    values_wanted = sorted(set(wanted))
    stmt = (
        select(values.c.value, func.count())
        .join(goldens, goldens.c.id == values.c.golden_id)
        .where(
            *live(kind, visibility),
            values.c.field == field_name,
            values.c.value.in_(values_wanted),
        )
        .group_by(values.c.value)
    )
    return {value: int(n) for value, n in await execute(session, stmt)}


async def facets(
    session: AsyncSession,
    kind: str,
    visibility: str,
    fields: Sequence[str],
    where: Filter | None = None,
) -> dict[str, list[tuple[str, int]]]:
    """Per filter field: each value with the number of matching records holding it, most
    frequent first; one statement."""
    stmt = (
        select(values.c.field, values.c.value, func.count())
        .join(goldens, goldens.c.id == values.c.golden_id)
        .where(values.c.field.in_(list(fields)), *_conditions(kind, visibility, where, session))
        .group_by(values.c.field, values.c.value)
    )
    out: dict[str, list[tuple[str, int]]] = {f: [] for f in fields}
    for name, value, n in await execute(session, stmt):
        out[name].append((value, int(n)))
    for counts in out.values():
        counts.sort(key=lambda c: (-c[1], c[0]))
    return out
