"""One connection for every read of a request.

A request's resolvers and loaders read through `RequestReads`: the first read opens one session
on an engine in autocommit (no BEGIN, no ROLLBACK: the API only reads), every later read of the
request reuses it one at a time, and the request closes it when its operation ends. A page that
used to open a session (a pool checkout, a ping, BEGIN, SELECT, ROLLBACK) per loader batch now
sends its SELECTs alone."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession

# what resolvers and loaders read through: `async with reads() as session`
Reads = Callable[[], AbstractAsyncContextManager[AsyncSession]]


def reading(engine: AsyncEngine) -> AsyncEngine:
    """`engine` for reads only: each statement on its own, outside any transaction."""
    return engine.execution_options(isolation_level="AUTOCOMMIT")


class RequestReads:
    """Callable as a session factory (`async with reads() as session`), handing out one shared
    session; `close()` gives its connection back once the read in progress, if any, is done. A
    read that comes after (work left running by an abandoned field) gets a session of its own,
    closed with it."""

    def __init__(self, factory: Callable[[], AsyncSession]) -> None:
        self._factory = factory
        self._session: AsyncSession | None = None
        self._lock = asyncio.Lock()
        self._closed = False

    @asynccontextmanager
    async def __call__(self) -> AsyncIterator[AsyncSession]:
        if self._closed:
            async with self._factory() as own:
                yield own
            return
        async with self._lock:  # a session is used by one task at a time
            if self._session is None:
                self._session = self._factory()
            session = self._session
            try:
                yield session
            except BaseException:
                # a failed read can leave the session unusable (its connection lost): the
                # request's next read starts afresh
                self._session = None
                with contextlib.suppress(Exception):
                    await session.close()
                raise

    async def close(self) -> None:
        self._closed = True
        async with self._lock:
            session, self._session = self._session, None
            if session is not None:
                await session.close()
