"""Consumers and tokens: creation, lookup by hash, revocation, listing (tokens are never stored
in clear: the caller hashes them)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from models import Consumer, Token
from store.territories import table_of

consumers = table_of(Consumer)
tokens = table_of(Token)


async def create_consumer(
    conn: AsyncConnection,
    *,
    name: str,
    contact: str | None,
    cgu_version: str,
    cgu_accepted_on: date,
    now: datetime,
) -> int:
    result = await conn.execute(
        insert(consumers)
        .values(
            name=name,
            contact=contact,
            cgu_version=cgu_version,
            cgu_accepted_on=cgu_accepted_on,
            created_at=now,
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


async def create_token(
    conn: AsyncConnection,
    *,
    consumer_id: int,
    prefix: str,
    sha256: str,
    scopes: Sequence[str],
    origins: Sequence[str],
    label: str | None,
    expires_at: datetime | None,
    now: datetime,
) -> int:
    result = await conn.execute(
        insert(tokens)
        .values(
            consumer_id=consumer_id,
            prefix=prefix,
            sha256=sha256,
            scopes=list(scopes),
            origins=list(origins),
            label=label,
            created_at=now,
            expires_at=expires_at,
        )
        .returning(tokens.c.id)
    )
    return int(result.scalar_one())


async def token_by_hash(conn: AsyncConnection, sha256: str) -> dict[str, Any] | None:
    """The token with this hash and its consumer's state, revoked or expired ones included
    (the caller says why it refuses them)."""
    row = (
        await conn.execute(
            select(tokens, consumers.c.name.label("consumer_name"),
                   consumers.c.disabled_at.label("consumer_disabled_at"))
            .join(consumers, consumers.c.id == tokens.c.consumer_id)
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


async def list_tokens(conn: AsyncConnection, consumer_id: int | None) -> list[dict[str, Any]]:
    stmt = (
        select(tokens.c.id, tokens.c.prefix, tokens.c.scopes, tokens.c.origins, tokens.c.label,
               tokens.c.created_at, tokens.c.expires_at, tokens.c.revoked_at,
               consumers.c.name.label("consumer"))
        .join(consumers, consumers.c.id == tokens.c.consumer_id)
        .order_by(tokens.c.id)
    )  # fmt: skip
    if consumer_id is not None:
        stmt = stmt.where(tokens.c.consumer_id == consumer_id)
    return [dict(r) for r in (await conn.execute(stmt)).mappings()]
