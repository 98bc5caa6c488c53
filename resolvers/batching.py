"""Batched loaders whose batches the request may hold back a little.

aiodataloader sends a batch once the step that asked for its first key has run: every key a
level of the answer asks for in that step goes in one statement. When the gateway executes a
large answer in time slices (gateway/slices.py), one level runs over several steps; a gate set
for the request (`BATCH_GATE`) then holds the batches back until none of the request's fields
waits for its turn, so a level still costs one statement per loader whatever the page size."""

from __future__ import annotations

from asyncio import Future, get_running_loop
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextvars import ContextVar
from time import monotonic
from typing import Any, Protocol, TypeVar

from aiodataloader import DataLoader, Loader
from sqlmodel.ext.asyncio.session import AsyncSession

from store.reads import Reads

SHARED_MAX = 100_000  # entries kept per loader and data version (all communes fit)
K = TypeVar("K")
V = TypeVar("V")


class BatchGate(Protocol):
    def dispatch(self, loader: DataLoader[Any, Any]) -> None:
        """Send `loader`'s batch when the request's waiting fields have run
        (`aiodataloader.dispatch_queue`)."""


BATCH_GATE: ContextVar[BatchGate | None] = ContextVar("batch_gate", default=None)


class BatchLoader(DataLoader[K, V]):
    """A DataLoader whose batches go through the request's gate, when it has one.

    `shared`: values known to every request of the current data version (reference data:
    territories, producers); a key found there is answered at once, without a batch."""

    shared: dict[Any, Any] | None = None

    def load(self, key: K) -> Future[V]:
        shared = self.shared
        if shared is not None and key in shared:
            future: Future[V] = get_running_loop().create_future()
            future.set_result(shared[key])
            return future
        return super().load(key)

    def share(self, keys: Sequence[Any], values: Sequence[Any]) -> None:
        """Keep these answers for the other requests of the data version."""
        shared = self.shared
        if shared is not None and len(shared) < SHARED_MAX:
            shared.update(zip(keys, values, strict=True))

    def do_resolve_reject(self, key: K, future: Future[V]) -> None:
        gate = BATCH_GATE.get()
        if gate is None or not self.batch:
            super().do_resolve_reject(key, future)
            return
        self._queue.append(Loader(key=key, future=future))
        if len(self._queue) == 1:  # the first key of a batch: schedule it
            gate.dispatch(self)


# one store call for a group of keys: (session, the keys' shared part, their varying elements)
# -> the answer of each varying element it found
GroupFetch = Callable[[AsyncSession, tuple[Any, ...], list[Any]], Awaitable[Mapping[Any, Any]]]


class ReadLoader(BatchLoader[K, V]):
    """A batch loader reading through the request's read connection (`db`)."""

    def __init__(self, db: Reads) -> None:
        super().__init__()
        self._db = db

    async def by_groups(
        self,
        keys: Sequence[tuple[Any, ...]],
        position: int,
        fetch: GroupFetch,
        missing: Callable[[], Any],
    ) -> list[Any]:
        """Answers tuple keys whose element at `position` varies (an id, a value) while the
        others make a group (a kind, a visibility, a page size…): one `fetch` per group, and
        `missing()` for what it did not find."""
        groups: dict[tuple[Any, ...], list[Any]] = {}
        for key in keys:
            groups.setdefault((*key[:position], *key[position + 1 :]), []).append(key[position])
        found: dict[tuple[Any, ...], Any] = {}
        async with self._db() as session:
            for group, values in groups.items():
                answers = await fetch(session, group, values)
                for value in values:
                    key = (*group[:position], value, *group[position:])
                    found[key] = answers[value] if value in answers else missing()
        return [found[key] for key in keys]


class SharedReads:
    """The `shared` tables of the territory loaders, kept by the process for `ttl_s` seconds
    (territories change only when an operator loads a new file) and dropped at once when the
    store's data version is known to have moved (a territory load moves it)."""

    def __init__(self, ttl_s: float = 60.0) -> None:
        self.ttl_s = ttl_s
        self.version: int | None = None
        self._since = 0.0
        self._tables: dict[str, dict[Any, Any]] = {}

    def clear(self) -> None:
        self._tables, self._since = {}, monotonic()

    def tables(self, version: int | None = None) -> dict[str, dict[Any, Any]]:
        now = monotonic()
        moved = version is not None and self.version is not None and version != self.version
        if moved or now - self._since > self.ttl_s:
            self._tables, self._since = {}, now
        if version is not None:
            self.version = version
        return self._tables
