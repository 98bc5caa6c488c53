"""Exported rows a page at a time: the store's pages of golden records turned into data·inclusion
rows, and those written by a format's writer, the work of each page done off the event loop."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from gateway.exports.rows import STORE_KIND, export_row
from store import exports as store
from store.cpu import off_loop
from store.listing import Filter


@dataclass(frozen=True)
class Audience:
    """Whom an export is for: the view it reads (`public`: no restricted producer) and whether
    values that may be personal data are kept (a consumer with a token; never open data)."""

    visibility: str = "public"
    has_token: bool = False

    @property
    def open_data(self) -> bool:
        return self.visibility == "public" and not self.has_token


def convert(
    kind: str, page: Sequence[tuple[dict[str, Any], list[str]]], audience: Audience
) -> list[dict[str, Any]]:
    return [
        export_row(kind, golden, members, has_token=audience.has_token) for golden, members in page
    ]


async def rows(
    session: AsyncSession,
    kind: str,
    audience: Audience,
    where: Filter | None = None,
    *,
    size: int | None = None,
) -> AsyncIterator[list[dict[str, Any]]]:
    """The export's rows of `kind` (structures, services), a page at a time, by id."""
    size = size or store.PAGE
    async for page in store.pages(session, STORE_KIND[kind], audience.visibility, where, size=size):
        yield await off_loop(convert, kind, page, audience)
