"""Loaders of a structure's merged services: a page of them, and how many."""

from __future__ import annotations

from typing import Any

from resolvers.batching import ReadLoader
from store import listing


class ServicesByStructureIdLoader(ReadLoader[Any, Any]):
    """(visibility, structure id, page size + 1, cursor key or None) -> [(sort key, row)]."""

    async def batch_load_fn(self, keys: list[tuple[str, str, int, Any]]) -> list[Any]:
        groups: dict[tuple[str, int, Any], list[str]] = {}
        for visibility, structure_id, first, after in keys:
            groups.setdefault((visibility, first, after), []).append(structure_id)
        found: dict[tuple[str, str, int, Any], Any] = {}
        async with self._db() as session:
            for (visibility, first, after), ids in groups.items():
                pages = await listing.services_by_structures(
                    session, visibility, ids, first=first, after=list(after) if after else None
                )
                found.update({(visibility, i, first, after): pages.get(i, []) for i in ids})
        return [found[key] for key in keys]


class ServiceCountByStructureIdLoader(ReadLoader[Any, Any]):
    """(visibility, structure id) -> number of live services."""

    async def batch_load_fn(self, keys: list[tuple[str, str]]) -> list[Any]:
        groups: dict[str, list[str]] = {}
        for visibility, structure_id in keys:
            groups.setdefault(visibility, []).append(structure_id)
        found: dict[tuple[str, str], int] = {}
        async with self._db() as session:
            for visibility, ids in groups.items():
                counts = await listing.service_counts(session, visibility, ids)
                found.update({(visibility, i): counts.get(i, 0) for i in ids})
        return [found[key] for key in keys]
