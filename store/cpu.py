"""CPU-bound work of a request (parsing and validating a document, measuring it, stemming words)
run off the event loop, on a small pool of its own: the loop keeps answering the other requests
(`/healthz` included) meanwhile, and its deadline can fire.

The pool is small on purpose: Python threads share one interpreter lock, so every busy thread
slows the loop down a little; at most `WORKERS` such jobs run at once, the others wait their
turn (and a job still waiting is dropped when its request is abandoned)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

WORKERS = 2
_POOL = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="gateway-cpu")


async def off_loop(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """`fn(*args, **kwargs)` in the pool; its exception, if any, is raised here."""
    return await asyncio.get_running_loop().run_in_executor(_POOL, partial(fn, *args, **kwargs))
