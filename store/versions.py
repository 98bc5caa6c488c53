"""The store's data version as a gateway process knows it, without a query per request.

The version moves when a run that changed data commits (`records.bump_data_version`). On
PostgreSQL that commit also notifies the channel `gateway_data_version`; each process keeps one
connection listening to it and holds the last version heard. A request then reads the version
from memory. The database is asked instead:
- while the listening connection is not up (being opened, lost and being reopened: the
  process falls back to a query per request until it is back);
- after this process itself took a new version (an ingest or merge run in the process);
- on SQLite, which has no notifications (a query per request: a read of a local file);
- on a PostgreSQL read replica, where notifications are not replayed (a query per request,
  which moves to a new version once the replica has replayed it).

Between a commit and its notification reaching a process (a few milliseconds on one host), a
request may still see the version before it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from store import records
from store.engine import is_sqlite

log = logging.getLogger(__name__)

RETRY_S = (0.5, 1.0, 2.0, 5.0, 10.0)  # waits between attempts to reopen the listener


class DataVersions:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._known: int | None = None  # the version heard, while listening
        self._bumps = records.local_bumps
        self._listener: Any = None
        self._task: asyncio.Task[None] | None = None
        self.queries = 0  # how often the database was asked (tests, metrics)

    @property
    def listening(self) -> bool:
        return self._listener is not None and not self._listener.is_closed()

    def known(self) -> int | None:
        """The current version when it is known without asking the database, else None."""
        if self._known is not None and self.listening and self._bumps == records.local_bumps:
            return self._known
        return None

    async def current(self) -> int:
        if self._known is not None and self.listening and self._bumps == records.local_bumps:
            return self._known
        bumps = records.local_bumps
        async with self._engine.connect() as conn:
            value = await records.data_version(conn)
        self.queries += 1
        if self.listening and (self._known is None or value > self._known):
            self._known, self._bumps = value, bumps
        return value

    def start(self) -> None:
        """Listen for new versions (PostgreSQL), in the background, reopening when lost."""
        if is_sqlite(self._engine.url) or self._task is not None:
            return
        self._task = asyncio.get_running_loop().create_task(self._keep_listening())

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._close()

    async def _keep_listening(self) -> None:
        import asyncpg  # only with PostgreSQL

        url = self._engine.url.set(drivername="postgresql")
        attempt = 0
        while True:
            lost = asyncio.Event()
            try:
                conn = await asyncpg.connect(url.render_as_string(hide_password=False), timeout=5)
                if await conn.fetchval("SELECT pg_is_in_recovery()"):
                    # a read replica: notifications are not replayed there; read per request
                    log.info("data version: a replica, read per request (no notifications)")
                    await conn.close()
                    return
                await conn.add_listener(records.DATA_VERSION_CHANNEL, self._heard)
                conn.add_termination_listener(lambda _c, lost=lost: lost.set())
                self._listener = conn
                self._known = None  # what was said while not listening is unknown
                attempt = 0
                await lost.wait()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("data version listener: %s", exc)
            await self._close()
            await asyncio.sleep(RETRY_S[min(attempt, len(RETRY_S) - 1)])
            attempt += 1

    def _heard(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        try:
            value = int(payload)
        except ValueError:
            self._known = None
            return
        if self._known is None or value > self._known:
            self._known = value

    async def _close(self) -> None:
        conn, self._listener = self._listener, None
        self._known = None
        if conn is not None and not conn.is_closed():
            try:
                await conn.close(timeout=2)
            except Exception:
                conn.terminate()
