"""Loaders of a structure's merged services: a page of them, and how many."""

from __future__ import annotations

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from resolvers.batching import ReadLoader
from store import listing


class ServicesByStructureIdLoader(ReadLoader[Any, Any]):
    """(visibility, structure id, page size + 1, cursor key or None) -> [(sort key, row)]."""

    async def batch_load_fn(self, keys: list[tuple[str, str, int, Any]]) -> list[Any]:
        async def fetch(session: AsyncSession, group: tuple[Any, ...], ids: list[Any]) -> Any:
            visibility, first, after = group
            return await listing.services_by_structures(
                session, visibility, ids, first=first, after=list(after) if after else None
            )

        return await self.by_groups(keys, 1, fetch, list)


class ServiceCountByStructureIdLoader(ReadLoader[Any, Any]):
    """(visibility, structure id) -> number of live services."""

    async def batch_load_fn(self, keys: list[tuple[str, str]]) -> list[Any]:
        async def fetch(session: AsyncSession, group: tuple[Any, ...], ids: list[Any]) -> Any:
            (visibility,) = group
            return await listing.service_counts(session, visibility, ids)

        return await self.by_groups(keys, 1, fetch, int)
