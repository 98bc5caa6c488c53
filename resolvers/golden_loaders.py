"""Loaders of golden records and what hangs off them: provenance, member records, sources."""

from __future__ import annotations

from typing import Any

from resolvers.batching import BatchLoader
from store import golden as store
from store import listing
from store.reads import Reads


class _Loader(BatchLoader[Any, Any]):
    def __init__(self, db: Reads) -> None:
        super().__init__()
        self._db = db


class GoldenByIdLoader(_Loader):
    """(kind, visibility, public id or member id) -> golden row or None."""

    async def batch_load_fn(self, keys: list[tuple[str, str, str]]) -> list[Any]:
        groups: dict[tuple[str, str], list[str]] = {}
        for kind, visibility, public_id in keys:
            groups.setdefault((kind, visibility), []).append(public_id)
        found: dict[tuple[str, str, str], Any] = {}
        async with self._db() as session:
            for (kind, visibility), ids in groups.items():
                rows = await store.by_public_ids(session, kind, visibility, ids)
                found.update({(kind, visibility, i): r for i, r in rows.items()})
        return [found.get(key) for key in keys]


class ProvenanceByGoldenIdLoader(_Loader):
    async def batch_load_fn(self, keys: list[int]) -> list[Any]:
        async with self._db() as session:
            found = await store.provenance_by_golden_ids(session, keys)
        return [found.get(key, {}) for key in keys]


class MemberRecordsByGoldenIdLoader(_Loader):
    async def batch_load_fn(self, keys: list[int]) -> list[Any]:
        async with self._db() as session:
            found = await store.member_records_by_golden_ids(session, keys)
        return [found.get(key, []) for key in keys]


class SourcesByGoldenIdLoader(_Loader):
    async def batch_load_fn(self, keys: list[int]) -> list[Any]:
        async with self._db() as session:
            found = await store.sources_by_golden_ids(session, keys)
        return [found.get(key, []) for key in keys]


class LinksByGoldenIdLoader(_Loader):
    async def batch_load_fn(self, keys: list[int]) -> list[Any]:
        async with self._db() as session:
            found = await store.links_by_golden_ids(session, keys)
        return [found.get(key, []) for key in keys]


class SourceBySlugLoader(_Loader):
    async def batch_load_fn(self, keys: list[str]) -> list[Any]:
        async with self._db() as session:
            found = await store.sources_by_slugs(session, keys)
        return [found.get(key) for key in keys]


class VersionsByGoldenIdLoader(_Loader):
    async def batch_load_fn(self, keys: list[int]) -> list[Any]:
        async with self._db() as session:
            found = await store.versions_by_golden_ids(session, keys)
        return [found.get(key, []) for key in keys]


class ServicesByStructureLoader(_Loader):
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


class ServiceCountByStructureLoader(_Loader):
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


class PagesByValueLoader(_Loader):
    """(kind, visibility, filter field, value, page size + 1, cursor key or None) ->
    [(sort key, row)]: the records of a territory or a producer, one statement per page shape."""

    async def batch_load_fn(self, keys: list[tuple[str, str, str, str, int, Any]]) -> list[Any]:
        groups: dict[tuple[str, str, str, int, Any], list[str]] = {}
        for kind, visibility, field, value, first, after in keys:
            groups.setdefault((kind, visibility, field, first, after), []).append(value)
        found: dict[tuple[str, str, str, str, int, Any], Any] = {}
        async with self._db() as session:
            for (kind, visibility, field, first, after), wanted in groups.items():
                pages = await listing.pages_by_value(
                    session,
                    kind,
                    visibility,
                    field,
                    wanted,
                    first=first,
                    after=list(after) if after else None,
                )
                found.update(
                    {(kind, visibility, field, v, first, after): pages.get(v, []) for v in wanted}
                )
        return [found[key] for key in keys]


class CountByValueLoader(_Loader):
    """(kind, visibility, filter field, value) -> how many live records hold it."""

    async def batch_load_fn(self, keys: list[tuple[str, str, str, str]]) -> list[Any]:
        groups: dict[tuple[str, str, str], list[str]] = {}
        for kind, visibility, field, value in keys:
            groups.setdefault((kind, visibility, field), []).append(value)
        found: dict[tuple[str, str, str, str], int] = {}
        async with self._db() as session:
            for (kind, visibility, field), wanted in groups.items():
                counts = await listing.counts_by_value(session, kind, visibility, field, wanted)
                found.update({(kind, visibility, field, v): counts.get(v, 0) for v in wanted})
        return [found[key] for key in keys]
