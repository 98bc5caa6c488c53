"""Batched loaders whose batches the request may hold back a little.

aiodataloader sends a batch once the step that asked for its first key has run: every key a
level of the answer asks for in that step goes in one statement. When the gateway executes a
large answer in time slices (gateway/slices.py), one level runs over several steps; a gate set
for the request (`BATCH_GATE`) then holds the batches back until none of the request's fields
waits for its turn, so a level still costs one statement per loader whatever the page size."""

from __future__ import annotations

from asyncio import Future
from contextvars import ContextVar
from typing import Any, Protocol, TypeVar

from aiodataloader import DataLoader, Loader

K = TypeVar("K")
V = TypeVar("V")


class BatchGate(Protocol):
    def dispatch(self, loader: DataLoader[Any, Any]) -> None:
        """Send `loader`'s batch when the request's waiting fields have run
        (`aiodataloader.dispatch_queue`)."""


BATCH_GATE: ContextVar[BatchGate | None] = ContextVar("batch_gate", default=None)


class BatchLoader(DataLoader[K, V]):
    """A DataLoader whose batches go through the request's gate, when it has one."""

    def do_resolve_reject(self, key: K, future: Future[V]) -> None:
        gate = BATCH_GATE.get()
        if gate is None or not self.batch:
            super().do_resolve_reject(key, future)
            return
        self._queue.append(Loader(key=key, future=future))
        if len(self._queue) == 1:  # the first key of a batch: schedule it
            gate.dispatch(self)
