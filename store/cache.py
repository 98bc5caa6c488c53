"""The shared cache: Redis when REDIS_URL is set, an in-process LRU otherwise.

Redis is an accelerator, never a dependency: zero retries, short timeouts, and a circuit
breaker that skips Redis for a while after a failure. Every method degrades to "miss" / no-op.
The in-process cache is bounded in bytes (GATEWAY_CACHE_MAX_BYTES), not only in entries.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from typing import Protocol

import redis.asyncio as aioredis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)


class Cache(Protocol):
    name: str

    async def get(self, key: str) -> bytes | None: ...

    async def set(self, key: str, value: bytes, ttl_seconds: int) -> None: ...

    async def delete(self, key: str) -> None: ...

    async def ping(self) -> bool: ...

    async def incr(self, key: str, ttl_seconds: int) -> int | None:
        """Add one to a counter that expires `ttl_seconds` after its creation; its new value, or
        None when the cache cannot count (Redis down: the caller counts in-process)."""
        ...

    async def close(self) -> None: ...


DEFAULT_MAX_BYTES = 64 * 1024 * 1024
_ENTRY_OVERHEAD = 100  # bytes an entry costs beyond its key and value (tuple, float, links)


class InProcessCache:
    """An LRU with per-entry expiry, bounded by its entries and by the bytes they hold (keys,
    values and their bookkeeping); one per process. A value over an eighth of the budget is
    not kept (it would push out most of the others)."""

    name = "in-process"

    def __init__(self, max_entries: int = 10_000, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self._entries: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._max = max_entries
        self.max_bytes = max_bytes
        self.bytes = 0

    async def get(self, key: str) -> bytes | None:
        item = self._entries.get(key)
        if item is None:
            return None
        expires, value = item
        if expires < time.monotonic():
            self._drop(key)
            return None
        self._entries.move_to_end(key)
        return value

    async def set(self, key: str, value: bytes, ttl_seconds: int) -> None:
        self._store(key, time.monotonic() + ttl_seconds, value)

    def _store(self, key: str, expires: float, value: bytes) -> None:
        self._drop(key)
        size = _size(key, value)
        if size > self.max_bytes // 8:
            return
        self._entries[key] = (expires, value)
        self.bytes += size
        while len(self._entries) > self._max or self.bytes > self.max_bytes:
            old_key, (_, old) = self._entries.popitem(last=False)
            self.bytes -= _size(old_key, old)

    def _drop(self, key: str) -> None:
        item = self._entries.pop(key, None)
        if item is not None:
            self.bytes -= _size(key, item[1])

    async def delete(self, key: str) -> None:
        self._drop(key)

    async def ping(self) -> bool:
        return True

    async def incr(self, key: str, ttl_seconds: int) -> int | None:
        now = time.monotonic()
        item = self._entries.get(key)
        if item is None or item[0] < now:
            expires, value = now + ttl_seconds, 1
        else:
            expires, value = item[0], int(item[1]) + 1
        self._store(key, expires, str(value).encode())
        return value

    async def close(self) -> None:
        self._entries.clear()
        self.bytes = 0


def _size(key: str, value: bytes) -> int:
    return len(key) + len(value) + _ENTRY_OVERHEAD


class RedisCache:
    """Redis with a circuit breaker: after a failure, Redis is skipped for `cooldown` seconds,
    and meanwhile a small in-process cache stands in (safe: every key that matters carries what
    makes it current, such as the data version; what it holds is forgotten when Redis is back)."""

    name = "redis"

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 0.25,
        cooldown: float = 5.0,
        standby_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        self._client = aioredis.Redis.from_url(
            url,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            retry_on_timeout=False,
            retry=None,
        )
        self._cooldown = cooldown
        self._open_until = 0.0
        self._standby_bytes = standby_bytes
        self._standby = self._new_standby()

    def _new_standby(self) -> InProcessCache:
        return InProcessCache(max_entries=2_000, max_bytes=self._standby_bytes)

    @property
    def available(self) -> bool:
        return time.monotonic() >= self._open_until

    def _trip(self, exc: Exception) -> None:
        if self.available:
            log.warning("redis unavailable, skipping it for %.0fs: %s", self._cooldown, exc)
            self._standby = self._new_standby()  # from empty: nothing stale
        self._open_until = time.monotonic() + self._cooldown

    async def get(self, key: str) -> bytes | None:
        if not self.available:
            return await self._standby.get(key)
        try:
            value = await self._client.get(key)
        except (RedisError, OSError) as exc:
            self._trip(exc)
            return None
        return value if isinstance(value, bytes) else None

    async def set(self, key: str, value: bytes, ttl_seconds: int) -> None:
        if not self.available:
            await self._standby.set(key, value, ttl_seconds)
            return
        try:
            await self._client.set(key, value, ex=ttl_seconds)
        except (RedisError, OSError) as exc:
            self._trip(exc)
            await self._standby.set(key, value, ttl_seconds)

    async def delete(self, key: str) -> None:
        await self._standby.delete(key)
        if not self.available:
            return
        try:
            await self._client.delete(key)
        except (RedisError, OSError) as exc:
            self._trip(exc)

    async def incr(self, key: str, ttl_seconds: int) -> int | None:
        if not self.available:
            return None
        try:
            async with self._client.pipeline(transaction=True) as pipe:
                pipe.incr(key)
                pipe.expire(key, ttl_seconds, nx=True)
                value, _ = await pipe.execute()
        except (RedisError, OSError) as exc:
            self._trip(exc)
            return None
        return int(value)

    async def ping(self) -> bool:
        try:
            return bool(await self._client.ping())
        except (RedisError, OSError) as exc:
            self._trip(exc)
            return False

    async def close(self) -> None:
        await self._client.aclose()


def make_cache(redis_url: str | None, max_bytes: int = DEFAULT_MAX_BYTES) -> Cache:
    """Redis when configured; in-process otherwise, holding at most `max_bytes` (the bound of
    Redis's stand-in too, while Redis is skipped)."""
    if redis_url:
        return RedisCache(redis_url, standby_bytes=max_bytes)
    return InProcessCache(max_bytes=max_bytes)
