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
from store.merge import FEED_PRUNED_BEFORE, FEED_PRUNED_THROUGH
from store.territories import table_of

changes = table_of(GoldenChange)
meta = table_of(Meta)


def _conditions(visibility: str, since: datetime | None, kinds: Sequence[str] | None) -> list[Any]:
    out: list[Any] = [changes.c.visibility.in_(stored_views(visibility))]
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
    """Entries after `since` (a time) and after the entry `after` (a cursor), oldest first."""
    stmt = (
        select(changes)
        .where(*_conditions(visibility, since, kinds))
        .order_by(changes.c.id)
        .limit(first)
    )
    if after is not None:
        stmt = stmt.where(changes.c.id > after)
    return [dict(row) for row in (await execute(session, stmt)).mappings()]


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
        stmt = stmt.where(changes.c.id > after)
    return int((await execute(session, stmt)).scalar_one())


async def pruned(session: AsyncSession) -> tuple[int, datetime | None]:
    """How far `gateway prune` dropped the feed: the last entry id dropped (0: none) and the time
    before which entries are gone (None: never pruned)."""
    rows = dict(
        (await execute(session, select(meta.c.key, meta.c.value).where(
            meta.c.key.in_((FEED_PRUNED_THROUGH, FEED_PRUNED_BEFORE))
        ))).all()
    )  # fmt: skip
    before = rows.get(FEED_PRUNED_BEFORE)
    return int(rows.get(FEED_PRUNED_THROUGH) or 0), (
        datetime.fromisoformat(before) if before else None
    )


async def last_id(session: AsyncSession) -> int:
    """The newest entry's id (0 when the feed is empty): where a consumer resumes from."""
    return int((await execute(session, select(func.max(changes.c.id)))).scalar_one() or 0)
