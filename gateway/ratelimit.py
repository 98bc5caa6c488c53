"""Requests per minute, per token (or per address for anonymous clients): counted in Redis so
every gateway process shares the count, in-process while Redis is unavailable."""

from __future__ import annotations

import time
from dataclasses import dataclass

from store.cache import Cache, InProcessCache

WINDOW_S = 60


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    limit: int
    remaining: int
    retry_after_s: int


class RateLimiter:
    """A fixed one-minute window per identity: `anonymous_per_minute` for an address,
    `token_per_minute` for a token (0: no limit)."""

    def __init__(self, cache: Cache, *, anonymous_per_minute: int, token_per_minute: int) -> None:
        self._cache = cache
        self._local = InProcessCache(max_entries=100_000)
        self.anonymous_per_minute = anonymous_per_minute
        self.token_per_minute = token_per_minute

    async def check(self, identity: str, *, anonymous: bool) -> Verdict:
        limit = self.anonymous_per_minute if anonymous else self.token_per_minute
        if limit <= 0:
            return Verdict(True, 0, 0, 0)
        now = time.time()
        window = int(now // WINDOW_S)
        key = f"gateway:rate:{identity}:{window}"
        count = await self._cache.incr(key, WINDOW_S + 1)
        if count is None:  # Redis unavailable: this process counts alone
            count = await self._local.incr(key, WINDOW_S + 1) or 1
        retry = max(1, int((window + 1) * WINDOW_S - now) + 1)
        return Verdict(count <= limit, limit, max(0, limit - count), retry)
