"""Services around a place: eligibility by zone, in-person services within a radius, remote
services kept, ordered by distance. Plain SQL arithmetic, so PostgreSQL needs no PostGIS and
SQLite no math functions.

The distance is the equirectangular one around the centre (x scaled by the cosine of the centre's
latitude): within 1 % of the great-circle distance up to 100 km, and the same number orders the
results, filters them by radius and is served, so the three always agree.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, and_, cast, false, func, literal_column, not_, or_, select, tuple_
from sqlmodel.ext.asyncio.session import AsyncSession

from store.golden import SERVED, execute, goldens, live, uses_tags
from store.listing import Filter, has_tag, holds, holds_any
from store.tags import NO_VALUE

KM_PER_DEGREE = 6371.0088 * math.pi / 180  # mean Earth radius (IUGG)
ANYWHERE = ("99100", "france")  # zone_eligibilite values that mean the whole country
IN_PERSON = "en-presentiel"
REMOTE = "a-distance"

Row = tuple[list[Any], dict[str, Any], float | None]  # (cursor key, golden row, distance km)

# The grid cell of a record, as the index `ix_golden_record_cell` holds it (migration 0008):
# a tenth of a degree each way, the latitude's cell × 4000 + the longitude's. The constants are
# literals, so the planner recognises the index's expression.
CELLS_PER_DEGREE = 10
CELL = cast(goldens.c.latitude * literal_column("10"), Integer) * literal_column("4000") + cast(
    goldens.c.longitude * literal_column("10"), Integer
)
MAX_CELLS = 600  # wider searches (about 120 km around) go by the latitude index instead


@dataclass(frozen=True)
class Around:
    """The place searched around and the zones it lies in (its commune, département, EPCIs)."""

    latitude: float
    longitude: float
    radius_km: float
    zones: Sequence[str] = ()  # empty: eligibility is not checked (a bare point)

    def squared_km(self) -> Any:
        """Squared distance to the centre, in km², as an SQL expression."""
        dy = (goldens.c.latitude - self.latitude) * KM_PER_DEGREE
        dx = (
            (goldens.c.longitude - self.longitude)
            * KM_PER_DEGREE
            * math.cos(math.radians(self.latitude))
        )
        return dy * dy + dx * dx

    def near(self, tagged: bool = False) -> Any:
        """In person, with coordinates, within the radius (a bounding box first, for the index)."""
        dlat = self.radius_km / KM_PER_DEGREE
        cos = max(math.cos(math.radians(self.latitude)), 0.01)
        dlon = self.radius_km / (KM_PER_DEGREE * cos)
        in_person = (
            has_tag("mode_accueil", [IN_PERSON, NO_VALUE])
            if tagged
            else or_(holds("mode_accueil", [IN_PERSON]), not_(holds_any("mode_accueil")))
        )
        box = [
            goldens.c.latitude.between(self.latitude - dlat, self.latitude + dlat),
            goldens.c.longitude.between(self.longitude - dlon, self.longitude + dlon),
        ]
        cells = self.cells(dlat, dlon)
        return and_(
            in_person,
            *([goldens.c.kind == "service", CELL.in_(cells)] if cells else []),
            *box,
            self.squared_km() <= self.radius_km * self.radius_km,
        )

    def cells(self, dlat: float, dlon: float) -> list[int]:
        """The grid cells the bounding box touches, one more on each side (whether a database
        truncates or rounds a float to an integer, a cell's neighbours cover it); none when
        there would be more than MAX_CELLS."""
        rows = _cell_range(self.latitude - dlat, self.latitude + dlat)
        columns = _cell_range(self.longitude - dlon, self.longitude + dlon)
        if len(rows) * len(columns) > MAX_CELLS:
            return []
        return [r * 4000 + c for r in rows for c in columns]

    def eligible(self, tagged: bool = False) -> list[Any]:
        if not self.zones:
            return []
        if tagged:
            return [has_tag("zone", [*self.zones, *ANYWHERE, NO_VALUE])]
        return [or_(not_(holds_any("zone")), holds("zone", [*self.zones, *ANYWHERE]))]


def _cell_range(low: float, high: float) -> range:
    return range(math.floor(low * CELLS_PER_DEGREE) - 1, math.floor(high * CELLS_PER_DEGREE) + 2)


def _base(around: Around, visibility: str, where: Filter | None, tagged: bool) -> list[Any]:
    return [
        *live("service", visibility),
        *(where.conditions(tagged) if where else []),
        *around.eligible(tagged),
    ]


def _remote(tagged: bool) -> Any:
    return has_tag("mode_accueil", [REMOTE]) if tagged else holds("mode_accueil", [REMOTE])


async def page(
    session: AsyncSession,
    visibility: str,
    around: Around,
    *,
    first: int,
    after: Sequence[Any] | None,
    where: Filter | None = None,
) -> list[Row]:
    """Services kept around the place: nearest first (in person within the radius), then those
    kept only because they are offered remotely, each group by id; `first` after the cursor.

    Two statements, each able to use an index: the nearest through the coordinates' index, the
    remote ones in id order; an OR of the two would read every service."""
    tagged = uses_tags(session)
    base = _base(around, visibility, where, tagged)
    squared = around.squared_km()
    near_stmt = (
        select(*SERVED, squared.label("_d2"))
        .where(*base, around.near(tagged))
        .order_by(squared, goldens.c.public_id)
        .limit(first)
    )
    remote_stmt = (
        select(*SERVED)
        .where(*base, _remote(tagged), not_(around.near(tagged)))
        .order_by(goldens.c.public_id)
        .limit(first)
    )
    if after is not None:
        bucket, d2, public_id = after
        if bucket == 0:
            near_stmt = near_stmt.where(
                tuple_(squared, goldens.c.public_id) > tuple_(d2, public_id)
            )
        else:
            near_stmt = near_stmt.where(false())
            remote_stmt = remote_stmt.where(goldens.c.public_id > public_id)
    out: list[Row] = []
    for row in (await execute(session, near_stmt)).mappings():
        data = dict(row)
        d2 = float(data.pop("_d2"))
        out.append(([0, d2, data["public_id"]], data, math.sqrt(d2)))
    for row in (await execute(session, remote_stmt)).mappings():
        data = dict(row)
        out.append(([1, 0.0, data["public_id"]], data, None))
    return out[:first]


async def count(
    session: AsyncSession, visibility: str, around: Around, where: Filter | None = None
) -> int:
    tagged = uses_tags(session)
    base = _base(around, visibility, where, tagged)
    near = select(func.count()).select_from(goldens).where(*base, around.near(tagged))
    remote = (
        select(func.count())
        .select_from(goldens)
        .where(*base, _remote(tagged), not_(around.near(tagged)))
    )
    stmt = select(near.scalar_subquery() + remote.scalar_subquery())
    return int((await execute(session, stmt)).scalar_one())


def check_key(key: Sequence[Any]) -> list[Any]:
    """A cursor key of this search (ValueError otherwise)."""
    if (
        len(key) != 3
        or key[0] not in (0, 1)
        or isinstance(key[1], bool)
        or not isinstance(key[1], int | float)
        or not isinstance(key[2], str)
    ):
        raise ValueError("not a cursor of searchServices")
    return [int(key[0]), float(key[1]), key[2]]
