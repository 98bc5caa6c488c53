"""The deadline of a request: 503 for work still running, 408 for a body still arriving, nothing
sent over an answer already started, 503 with its code when the database could not answer."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import pytest
from starlette.types import Message, Receive, Scope, Send

from gateway.deadline import READING_BODY, Deadline


async def _answer(work: Any, seconds: float = 0.1) -> list[Message]:
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    await Deadline(work, seconds=seconds)({"type": "http", "method": "POST"}, receive, send)
    return sent


def _refusal(sent: list[Message]) -> tuple[int, dict[bytes, bytes], str, str]:
    start, body = sent
    error = orjson.loads(body["body"])["errors"][0]
    return start["status"], dict(start["headers"]), error["extensions"]["code"], error["message"]


async def test_work_still_running_at_the_deadline_is_a_503() -> None:
    finished = asyncio.Event()

    async def slow(scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await asyncio.sleep(5)
        finally:
            finished.set()

    status, headers, code, message = _refusal(await _answer(slow))
    assert (status, code, headers[b"retry-after"]) == (503, "DEADLINE_EXCEEDED", b"1")
    assert "still running after 0.1 s" in message
    await asyncio.wait_for(finished.wait(), 1)  # the work was cancelled


async def test_a_body_still_arriving_is_a_408_closing_the_connection() -> None:
    async def trickled(scope: Scope, receive: Receive, send: Send) -> None:
        scope[READING_BODY] = True
        await asyncio.sleep(5)

    status, headers, code, message = _refusal(await _answer(trickled))
    assert (status, code, headers[b"connection"]) == (408, "DEADLINE_EXCEEDED", b"close")
    assert "body was still arriving" in message


async def test_an_answer_started_in_time_is_not_answered_again() -> None:
    async def started(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await asyncio.sleep(5)
        await send({"type": "http.response.body", "body": b"late"})

    sent = await _answer(started)
    assert [m["type"] for m in sent] == ["http.response.start"]


async def test_the_database_unavailable_is_a_503_and_a_bug_is_raised() -> None:
    async def unavailable(scope: Scope, receive: Receive, send: Send) -> None:
        raise ConnectionRefusedError("the database is down")

    status, headers, code, _ = _refusal(await _answer(unavailable))
    assert (status, code, headers[b"retry-after"]) == (503, "DATABASE_UNAVAILABLE", b"5")

    async def bug(scope: Scope, receive: Receive, send: Send) -> None:
        raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        await _answer(bug)
