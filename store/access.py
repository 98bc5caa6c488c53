"""Consumers and tokens: creation, lookup by hash, revocation, listing (tokens are never stored
in clear: the caller hashes them)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from models import Consumer, Token, TrustedDocument
from store.territories import table_of

consumers = table_of(Consumer)
tokens = table_of(Token)
documents = table_of(TrustedDocument)


async def create_consumer(
    conn: AsyncConnection,
    *,
    name: str,
    contact: str | None,
    cgu_version: str,
    cgu_accepted_on: date,
    now: datetime,
    intended_use: str | None = None,
    awaiting_approval: bool = False,
) -> int:
    result = await conn.execute(
        insert(consumers)
        .values(
            name=name,
            contact=contact,
            cgu_version=cgu_version,
            cgu_accepted_on=cgu_accepted_on,
            created_at=now,
            intended_use=intended_use,
            awaiting_approval=awaiting_approval,
            approved_at=None if awaiting_approval else now,
        )
        .returning(consumers.c.id)
    )
    return int(result.scalar_one())


async def consumer_by_name_or_id(conn: AsyncConnection, key: str) -> dict[str, Any] | None:
    condition = consumers.c.name == key
    if key.isdigit():
        condition = or_(condition, consumers.c.id == int(key))
    row = (await conn.execute(select(consumers).where(condition))).mappings().first()
    return dict(row) if row else None


async def approve_consumer(conn: AsyncConnection, consumer_id: int, now: datetime) -> bool:
    """Approve a consumer that awaits approval (its tokens then work); False when it did not
    await it."""
    result = await conn.execute(
        update(consumers)
        .where(consumers.c.id == consumer_id, consumers.c.awaiting_approval.is_(True))
        .values(awaiting_approval=False, approved_at=now)
    )
    return bool(result.rowcount)


async def list_consumers(conn: AsyncConnection, awaiting_only: bool) -> list[dict[str, Any]]:
    stmt = select(consumers).order_by(consumers.c.id)
    if awaiting_only:
        stmt = stmt.where(consumers.c.awaiting_approval.is_(True))
    return [dict(r) for r in (await conn.execute(stmt)).mappings()]


async def create_token(
    conn: AsyncConnection,
    *,
    consumer_id: int | None,
    prefix: str,
    sha256: str,
    scopes: Sequence[str],
    origins: Sequence[str],
    label: str | None,
    expires_at: datetime | None,
    now: datetime,
    trusted_documents_only: bool = False,
    source_slug: str | None = None,
) -> int:
    """A consumer's token, or with `source_slug` (and no consumer) a producer's."""
    result = await conn.execute(
        insert(tokens)
        .values(
            consumer_id=consumer_id,
            source_slug=source_slug,
            prefix=prefix,
            sha256=sha256,
            scopes=list(scopes),
            origins=list(origins),
            label=label,
            trusted_documents_only=trusted_documents_only,
            created_at=now,
            expires_at=expires_at,
        )
        .returning(tokens.c.id)
    )
    return int(result.scalar_one())


async def token_by_hash(conn: AsyncConnection, sha256: str) -> dict[str, Any] | None:
    """The token with this hash and its consumer's state (none for a producer's token),
    revoked or expired ones included (the caller says why it refuses them)."""
    row = (
        await conn.execute(
            select(tokens, consumers.c.name.label("consumer_name"),
                   consumers.c.disabled_at.label("consumer_disabled_at"),
                   consumers.c.awaiting_approval.label("consumer_awaiting_approval"))
            .outerjoin(consumers, consumers.c.id == tokens.c.consumer_id)
            .where(tokens.c.sha256 == sha256)
        )
    ).mappings().first()  # fmt: skip
    return dict(row) if row else None


async def revoke_tokens(conn: AsyncConnection, prefix: str, now: datetime) -> int:
    """Revoke the live tokens whose prefix is `prefix`; how many."""
    result = await conn.execute(
        update(tokens)
        .where(tokens.c.prefix == prefix, tokens.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return int(result.rowcount or 0)


async def list_tokens(
    conn: AsyncConnection, consumer_id: int | None, source_slug: str | None = None
) -> list[dict[str, Any]]:
    stmt = (
        select(tokens.c.id, tokens.c.prefix, tokens.c.scopes, tokens.c.origins, tokens.c.label,
               tokens.c.created_at, tokens.c.expires_at, tokens.c.revoked_at,
               tokens.c.trusted_documents_only, consumers.c.name.label("consumer"),
               tokens.c.source_slug.label("producer"),
               select(func.count()).where(documents.c.token_id == tokens.c.id)
               .scalar_subquery().label("documents"))
        .outerjoin(consumers, consumers.c.id == tokens.c.consumer_id)
        .order_by(tokens.c.id)
    )  # fmt: skip
    if consumer_id is not None:
        stmt = stmt.where(tokens.c.consumer_id == consumer_id)
    if source_slug is not None:
        stmt = stmt.where(tokens.c.source_slug == source_slug)
    return [dict(r) for r in (await conn.execute(stmt)).mappings()]


async def token_by_prefix(conn: AsyncConnection, prefix: str) -> dict[str, Any] | None:
    """The live token with this prefix (None: none, or several: the caller asks for more)."""
    rows = (
        await conn.execute(
            select(tokens).where(tokens.c.prefix == prefix, tokens.c.revoked_at.is_(None))
        )
    ).mappings().all()  # fmt: skip
    return dict(rows[0]) if len(rows) == 1 else None


async def add_trusted_documents(
    conn: AsyncConnection,
    token_id: int,
    entries: Sequence[tuple[str, str, str | None]],
    now: datetime,
) -> int:
    """Register (sha256, body, name) documents for a token; those it has already are kept as
    they are. How many were new."""
    known = set(
        (await conn.execute(select(documents.c.sha256).where(documents.c.token_id == token_id)))
        .scalars()
        .all()
    )
    fresh = {sha: (body, name) for sha, body, name in entries if sha not in known}
    if fresh:
        await conn.execute(
            insert(documents),
            [
                {"token_id": token_id, "sha256": sha, "body": body, "name": name, "created_at": now}
                for sha, (body, name) in fresh.items()
            ],
        )
    return len(fresh)


async def trusted_documents(conn: AsyncConnection, token_id: int) -> dict[str, str]:
    """The documents a token may run: their text by their sha256."""
    rows = await conn.execute(
        select(documents.c.sha256, documents.c.body).where(documents.c.token_id == token_id)
    )
    return {sha: body for sha, body in rows}
