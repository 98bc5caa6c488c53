"""`/healthz` (the process answers) and `/readyz` (database reachable, migrations current)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import JSONResponse

from store import migrate
from store.cache import Cache

READY_TIMEOUT_S = 2.0


async def healthz(_request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def readiness(engine: AsyncEngine, cache: Cache) -> tuple[bool, dict[str, object]]:
    checks: dict[str, object] = {}
    try:
        current = await asyncio.wait_for(migrate.current_revision(engine), READY_TIMEOUT_S)
        checks["database"] = "ok"
        head = migrate.head_revision()
        checks["migrations"] = "current" if current == head else f"at {current}, head is {head}"
    except Exception as exc:  # any failure means "not ready", with a short reason
        checks["database"] = f"unreachable: {type(exc).__name__}"
        checks["migrations"] = "unknown"
    # the cache is an accelerator: reported, never a reason to refuse traffic
    checks["cache"] = f"{cache.name}: {'ok' if await cache.ping() else 'unavailable'}"
    ready = checks["database"] == "ok" and checks["migrations"] == "current"
    return ready, checks


def readyz_endpoint(
    engine: AsyncEngine, cache: Cache
) -> Callable[[Request], Awaitable[JSONResponse]]:
    async def readyz(_request: Request) -> JSONResponse:
        ready, checks = await readiness(engine, cache)
        return JSONResponse(
            {"status": "ready" if ready else "not ready", "checks": checks},
            status_code=200 if ready else 503,
        )

    return readyz
