"""The change feed: golden records created, updated or deleted, in the order runs wrote them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import GoldenChange, Meta
from models.merge import stored_views
from store.golden import execute
from store.merging import FEED_PRUNED_BEFORE, FEED_PRUNED_THROUGH
from store.territories import table_of

changes = table_of(GoldenChange)
meta = table_of(Meta)


def position_of(visibility: str) -> Any:
    """The column numbering the feed a consumer of `visibility` reads (1, 2, 3…, no gap)."""
    stored_views(visibility)  # checks the name
    return changes.c[f"{visibility}_position"]


def _conditions(visibility: str, since: datetime | None, kinds: Sequence[str] | None) -> list[Any]:
    out: list[Any] = [position_of(visibility).is_not(None)]
    if since is not None:
        out.append(changes.c.at > since)
    if kinds:
        out.append(changes.c.kind.in_(list(kinds)))
    return out


async def page(
    session: AsyncSession,
    visibility: str,
    *,
    since: datetime | None,
    after: int | None,
    first: int,
    kinds: Sequence[str] | None = None,
) -> list[dict[str, Any]]:
    """Entries after `since` (a time) and after the position `after` in this view's feed,
    oldest first; each row's `position` and `data_version` are those of the view."""
    position = position_of(visibility)
    stmt = (
        select(changes)
        .where(*_conditions(visibility, since, kinds))
        .order_by(position)
        .limit(first)
    )
    if after is not None:
        stmt = stmt.where(position > after)
    out = []
    for row in (await execute(session, stmt)).mappings():
        entry = dict(row)
        entry["position"] = entry[f"{visibility}_position"]
        entry["data_version"] = entry[f"{visibility}_version"]
        out.append(entry)
    return out


async def count(
    session: AsyncSession,
    visibility: str,
    *,
    since: datetime | None,
    after: int | None,
    kinds: Sequence[str] | None = None,
) -> int:
    stmt = select(func.count()).select_from(changes).where(*_conditions(visibility, since, kinds))
    if after is not None:
        stmt = stmt.where(position_of(visibility) > after)
    return int((await execute(session, stmt)).scalar_one())


async def pruned(session: AsyncSession, visibility: str) -> tuple[int, datetime | None]:
    """How far `gateway prune` dropped the feed: the last position of this view's feed dropped
    (0: none) and the time before which entries are gone (None: never pruned)."""
    through_key = f"{FEED_PRUNED_THROUGH}_{visibility}"
    rows = dict(
        (await execute(session, select(meta.c.key, meta.c.value).where(
            meta.c.key.in_((through_key, FEED_PRUNED_BEFORE))
        ))).all()
    )  # fmt: skip
    before = rows.get(FEED_PRUNED_BEFORE)
    return int(rows.get(through_key) or 0), (datetime.fromisoformat(before) if before else None)


async def last_position(session: AsyncSession, visibility: str) -> int:
    """The newest position of this view's feed (0 when empty): where a consumer resumes from."""
    column = position_of(visibility)
    return int((await execute(session, select(func.max(column)))).scalar_one() or 0)
