"""Loaders of merged (golden) records and what hangs off them: provenance, member records,
links, versions; the pages and counts of the records of a territory or a producer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from resolvers.batching import ReadLoader
from store import golden as store
from store import listing


class GoldenByIdLoader(ReadLoader[Any, Any]):
    """(kind, visibility, public id or member id) -> golden row or None."""

    async def batch_load_fn(self, keys: list[tuple[str, str, str]]) -> list[Any]:
        async def fetch(session: AsyncSession, group: tuple[Any, ...], ids: list[Any]) -> Any:
            kind, visibility = group
            return await store.by_public_ids(session, kind, visibility, ids)

        return await self.by_groups(keys, 2, fetch, lambda: None)


class _ByGoldenIdLoader(ReadLoader[int, Any]):
    """What hangs off golden records, by golden id, through one `store` function; `missing()`
    for a record that has none."""

    fetch: Callable[[AsyncSession, list[int]], Awaitable[dict[int, Any]]]
    missing: Callable[[], Any] = list

    async def batch_load_fn(self, keys: list[int]) -> list[Any]:
        async with self._db() as session:
            found = await type(self).fetch(session, keys)
        return [found[key] if key in found else self.missing() for key in keys]


class ProvenanceByGoldenIdLoader(_ByGoldenIdLoader):
    fetch = staticmethod(store.provenance_by_golden_ids)
    missing = dict


class MemberRecordsByGoldenIdLoader(_ByGoldenIdLoader):
    fetch = staticmethod(store.member_records_by_golden_ids)


class LinksByGoldenIdLoader(_ByGoldenIdLoader):
    fetch = staticmethod(store.links_by_golden_ids)


class VersionsByGoldenIdLoader(_ByGoldenIdLoader):
    fetch = staticmethod(store.versions_by_golden_ids)


class GoldenPagesByValueLoader(ReadLoader[Any, Any]):
    """(kind, visibility, filter field, value, page size + 1, cursor key or None) ->
    [(sort key, row)]: the records of a territory or a producer, one statement per page shape."""

    async def batch_load_fn(self, keys: list[tuple[str, str, str, str, int, Any]]) -> list[Any]:
        async def fetch(session: AsyncSession, group: tuple[Any, ...], values: list[Any]) -> Any:
            kind, visibility, field, first, after = group
            return await listing.pages_by_value(
                session,
                kind,
                visibility,
                field,
                values,
                first=first,
                after=list(after) if after else None,
            )

        return await self.by_groups(keys, 3, fetch, list)


class GoldenCountByValueLoader(ReadLoader[Any, Any]):
    """(kind, visibility, filter field, value) -> how many live records hold it."""

    async def batch_load_fn(self, keys: list[tuple[str, str, str, str]]) -> list[Any]:
        async def fetch(session: AsyncSession, group: tuple[Any, ...], values: list[Any]) -> Any:
            kind, visibility, field = group
            return await listing.counts_by_value(session, kind, visibility, field, values)

        return await self.by_groups(keys, 3, fetch, int)
