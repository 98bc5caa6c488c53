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

from sqlalchemy import and_, case, func, not_, or_, select, tuple_
from sqlmodel.ext.asyncio.session import AsyncSession

from store.golden import execute, goldens, live
from store.listing import Filter, holds, holds_any

KM_PER_DEGREE = 6371.0088 * math.pi / 180  # mean Earth radius (IUGG)
ANYWHERE = ("99100", "france")  # zone_eligibilite values that mean the whole country
IN_PERSON = "en-presentiel"
REMOTE = "a-distance"

Row = tuple[list[Any], dict[str, Any], float | None]  # (cursor key, golden row, distance km)


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

    def near(self) -> Any:
        """In person, with coordinates, within the radius (a bounding box first, for the index)."""
        dlat = self.radius_km / KM_PER_DEGREE
        cos = max(math.cos(math.radians(self.latitude)), 0.01)
        dlon = self.radius_km / (KM_PER_DEGREE * cos)
        in_person = or_(holds("mode_accueil", [IN_PERSON]), not_(holds_any("mode_accueil")))
        return and_(
            in_person,
            goldens.c.latitude.between(self.latitude - dlat, self.latitude + dlat),
            goldens.c.longitude.between(self.longitude - dlon, self.longitude + dlon),
            self.squared_km() <= self.radius_km * self.radius_km,
        )

    def eligible(self) -> list[Any]:
        if not self.zones:
            return []
        return [or_(not_(holds_any("zone")), holds("zone", [*self.zones, *ANYWHERE]))]


def _kept(around: Around, visibility: str, where: Filter | None) -> list[Any]:
    return [
        *live("service", visibility),
        *(where.conditions() if where else []),
        *around.eligible(),
        or_(around.near(), holds("mode_accueil", [REMOTE])),
    ]


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
    kept only because they are offered remotely, each group by id; `first` after the cursor."""
    near = around.near()
    bucket = case((near, 0), else_=1).label("_bucket")
    squared = case((near, around.squared_km()), else_=0.0).label("_d2")
    inner = select(goldens, bucket, squared).where(*_kept(around, visibility, where)).subquery()
    stmt = select(inner).order_by(inner.c._bucket, inner.c._d2, inner.c.public_id).limit(first)
    if after is not None:
        stmt = stmt.where(tuple_(inner.c._bucket, inner.c._d2, inner.c.public_id) > tuple_(*after))
    out: list[Row] = []
    for row in (await execute(session, stmt)).mappings():
        data = dict(row)
        bucket_value, d2 = data.pop("_bucket"), float(data.pop("_d2"))
        distance = math.sqrt(d2) if bucket_value == 0 else None
        out.append(([bucket_value, d2, data["public_id"]], data, distance))
    return out


async def count(
    session: AsyncSession, visibility: str, around: Around, where: Filter | None = None
) -> int:
    stmt = select(func.count()).select_from(goldens).where(*_kept(around, visibility, where))
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
