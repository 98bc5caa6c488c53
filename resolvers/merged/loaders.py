"""Loaders of merged (golden) records and what hangs off them: provenance, member records,
links, versions; the pages and counts of the records of a territory or a producer."""

from __future__ import annotations

from typing import Any

from resolvers.batching import ReadLoader
from store import golden as store
from store import listing


class GoldenByIdLoader(ReadLoader[Any, Any]):
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


class ProvenanceByGoldenIdLoader(ReadLoader[Any, Any]):
    async def batch_load_fn(self, keys: list[int]) -> list[Any]:
        async with self._db() as session:
            found = await store.provenance_by_golden_ids(session, keys)
        return [found.get(key, {}) for key in keys]


class MemberRecordsByGoldenIdLoader(ReadLoader[Any, Any]):
    async def batch_load_fn(self, keys: list[int]) -> list[Any]:
        async with self._db() as session:
            found = await store.member_records_by_golden_ids(session, keys)
        return [found.get(key, []) for key in keys]


class LinksByGoldenIdLoader(ReadLoader[Any, Any]):
    async def batch_load_fn(self, keys: list[int]) -> list[Any]:
        async with self._db() as session:
            found = await store.links_by_golden_ids(session, keys)
        return [found.get(key, []) for key in keys]


class VersionsByGoldenIdLoader(ReadLoader[Any, Any]):
    async def batch_load_fn(self, keys: list[int]) -> list[Any]:
        async with self._db() as session:
            found = await store.versions_by_golden_ids(session, keys)
        return [found.get(key, []) for key in keys]


class GoldenPagesByValueLoader(ReadLoader[Any, Any]):
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


class GoldenCountByValueLoader(ReadLoader[Any, Any]):
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
