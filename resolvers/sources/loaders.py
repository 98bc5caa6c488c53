"""Loaders of producers: by slug, and those behind a merged record."""

from __future__ import annotations

from typing import Any

from resolvers.batching import ReadLoader
from store import golden as store


class SourceBySlugLoader(ReadLoader[Any, Any]):
    async def batch_load_fn(self, keys: list[str]) -> list[Any]:
        async with self._db() as session:
            found = await store.sources_by_slugs(session, keys)
        return [found.get(key) for key in keys]


class SourcesByGoldenIdLoader(ReadLoader[Any, Any]):
    async def batch_load_fn(self, keys: list[int]) -> list[Any]:
        async with self._db() as session:
            found = await store.sources_by_golden_ids(session, keys)
        return [found.get(key, []) for key in keys]
