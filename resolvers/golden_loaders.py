"""Loaders of golden records and what hangs off them: provenance, member records, sources."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiodataloader import DataLoader
from sqlmodel.ext.asyncio.session import AsyncSession

from store import golden as store


class _Loader(DataLoader[Any, Any]):
    def __init__(self, db: Callable[[], AsyncSession]) -> None:
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
