"""The deadline of a request to /graphql: everything from its arrival (reading its body, looking
its token up, the work) must be done within `seconds`."""

from __future__ import annotations

import asyncio
import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.access import refuse_unavailable
from gateway.asgi import refuse
from gateway.errors import TIMED_OUT
from store.engine import unavailability

log = logging.getLogger(__name__)

# True in the scope while the request's body is still arriving (set by the step reading it)
READING_BODY = "gateway.reading_body"


class Deadline:
    """Answers a request still running after `seconds`: 503, or 408 when its body was still
    arriving (and the connection is closed). What the work sends after that is dropped. A
    request cancelled from inside gets a 503 too, and one whose database could not answer a
    503 with its code; any other failure is raised (the server answers 500)."""

    def __init__(self, app: ASGIApp, *, seconds: float = 10.0) -> None:
        self.app, self.seconds = app, seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = abandoned = False

        async def tracked(message: Message) -> None:
            nonlocal started
            if abandoned:  # answered at the deadline: what the work sends now is dropped
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        # Everything runs as a task the deadline does not wait for: a client trickling its
        # body, a token lookup or a statement on a frozen database (whose cancellation can
        # itself hang: the driver's cleanup talks to the server) must not keep the client from
        # its answer at the deadline.
        work = asyncio.ensure_future(self.app(scope, receive, tracked))
        try:
            done, _ = await asyncio.wait({work}, timeout=self.seconds)
        except asyncio.CancelledError:  # the server is shutting the request down
            work.cancel()
            raise
        if not done:
            abandoned = True
            work.cancel()
            work.add_done_callback(_forget)
            if not started:
                await self._late(scope, send)
            return
        if work.cancelled():  # cancelled from inside (a shared execution abandoned…)
            if not started:
                await refuse(send, 503, TIMED_OUT, "the request was cancelled; try again")
            return
        failure = work.exception()
        if failure is None:
            return
        if started or not await refuse_unavailable(send, failure):
            raise failure  # a bug: the server's error handling answers 500

    async def _late(self, scope: Scope, send: Send) -> None:
        if scope.get(READING_BODY):
            message = (
                f"the request body was still arriving after {self.seconds:g} s; send it at once"
            )
            await refuse(send, 408, TIMED_OUT, message, extra_headers=[(b"connection", b"close")])
            return
        message = (
            f"the request was still running after {self.seconds:g} s; ask for less, or try again"
        )
        await refuse(send, 503, TIMED_OUT, message)


def _forget(task: asyncio.Future[None]) -> None:
    """Collect what an abandoned request's work ended with (so asyncio logs no "never
    retrieved" warning); a bug there is still logged."""
    if task.cancelled():
        return
    exc = task.exception()
    if exc is not None and unavailability(exc) is None:
        log.error("a request abandoned at its deadline failed", exc_info=exc)
