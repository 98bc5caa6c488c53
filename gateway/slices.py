"""Execution in time slices, so that no answer holds the event loop for long.

Executing a page of 1000 records with their nested fields is tens of thousands of field
resolutions, most of them plain attribute reads that never give the event loop back: half a
second or more during which nothing else is answered (not `/healthz`, not a deadline). This
extension lets a field run at once while the loop's current slice is young; once `SLICE_S` has
gone by since the loop last had a turn, the field waits for one first. Waiting fields go one at
a time (one queue per event loop, every request's fields in it), and the first of them after a
turn starts a new slice: other requests are answered between two slices.

A level of the answer then runs over several steps of the loop: the request's loaders hold
their batches back until none of its fields waits for its turn (`resolvers/batching.py`), so a
level still costs one statement per loader whatever the page size."""

from __future__ import annotations

import asyncio
import time
import weakref
from collections import deque
from collections.abc import AsyncIterator, Callable
from functools import lru_cache
from inspect import isawaitable
from typing import Any

from aiodataloader import DataLoader, dispatch_queue
from graphql import get_named_type, is_leaf_type
from strawberry.extensions import SchemaExtension

from resolvers.batching import BATCH_GATE

SLICE_S = 0.02


class _Loop:
    """One event loop's slice and its queue of waiting fields.

    A new slice starts in a step of its own, after the loop has polled its sockets, and wakes
    the next waiting fields in order: about as many as ran in the previous slice (twice as
    many, so a slice is rarely left unused), rather than handing a turn to one field per step.
    A woken field that finds the slice spent already waits again, ahead of the others."""

    def __init__(self) -> None:
        self.started = time.perf_counter()  # when the current slice began
        self.waiting: deque[asyncio.Future[None]] = deque()
        self.again: deque[asyncio.Future[None]] = deque()  # woken too late: first next time
        self.wake = 64  # how many waiting fields the next slice wakes
        self.ran = 0  # how many ran in the current slice
        self.scheduled = False

    def spent(self) -> bool:
        return time.perf_counter() - self.started >= SLICE_S

    async def turn(self, first: bool = True) -> None:
        loop = asyncio.get_running_loop()
        while True:
            future = loop.create_future()
            (self.waiting if first else self.again).append(future)
            first = False
            if not self.scheduled:
                self.scheduled = True
                loop.call_soon(self._slice)
            await future
            if not self.spent():
                self.ran += 1
                return

    def _slice(self) -> None:
        """A new slice (a step of its own: the loop has polled its sockets just before)."""
        self.started = time.perf_counter()
        if self.ran:
            self.wake = min(4096, max(16, 2 * self.ran))
        self.ran = 0
        for _ in range(self.wake):
            queue = self.again or self.waiting
            if not queue:
                break
            future = queue.popleft()
            if not future.done():  # (a field whose request was abandoned)
                future.set_result(None)
        if self.again or self.waiting:  # the next slice, once these have run and a poll
            asyncio.get_running_loop().call_soon(self._after_these)
        else:
            self.scheduled = False

    def _after_these(self) -> None:
        asyncio.get_running_loop().call_soon(self._slice)


_LOOPS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Loop] = weakref.WeakKeyDictionary()


def _this_loop() -> _Loop:
    loop = asyncio.get_running_loop()
    state = _LOOPS.get(loop)
    if state is None:
        state = _LOOPS[loop] = _Loop()
    return state


class _Request:
    """One request's fields waiting for a turn, and the batches held back meanwhile (the
    request's `BatchGate`).

    A batch goes out as aiodataloader sends it (once the step that asked for its first key has
    run, in a step of its own), unless fields of the request still wait for their turn, or one
    had its turn since the batch was scheduled: what that field's answer asks for next comes a
    step or two later, and belongs in the same batch."""

    def __init__(self, loop: _Loop) -> None:
        self.loop = loop
        self.waiting = 0
        self.turns = 0  # fields that have had their turn
        self.held: list[DataLoader[Any, Any]] = []

    def dispatch(self, loader: DataLoader[Any, Any]) -> None:
        seen = self.turns

        async def send() -> None:
            if self.waiting:
                self.held.append(loader)
            elif self.turns != seen:  # a field has just run: let its work ask for its keys
                self.dispatch(loader)
            else:
                dispatch_queue(loader)

        asyncio.get_running_loop().call_soon(asyncio.ensure_future, send())

    async def after_a_turn(
        self, resolve: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        try:
            await self.loop.turn()
        finally:
            self.waiting -= 1
            self.turns += 1
            if not self.waiting:
                held, self.held = self.held, []
                for loader in held:
                    self.dispatch(loader)
        value = resolve(*args, **kwargs)
        return await value if isawaitable(value) else value


@lru_cache(maxsize=1024)
def _is_leaf(graphql_type: Any) -> bool:
    return is_leaf_type(get_named_type(graphql_type))


class TimeSlices(SchemaExtension):
    _request: _Request | None = None

    async def on_execute(self) -> AsyncIterator[None]:
        self._request = _Request(_this_loop())
        token = BATCH_GATE.set(self._request)
        try:
            yield
        finally:
            BATCH_GATE.reset(token)

    def resolve(
        self, _next: Callable[..., Any], root: Any, info: Any, *args: Any, **kwargs: Any
    ) -> Any:
        request = self._request
        # a scalar costs less to resolve than to put off: only objects and lists wait (the
        # work is in what they hold)
        if request is None or not request.loop.spent() or _is_leaf(info.return_type):
            return _next(root, info, *args, **kwargs)
        request.waiting += 1  # now: the batches of this step must wait for it
        return request.after_a_turn(_next, (root, info, *args), kwargs)
