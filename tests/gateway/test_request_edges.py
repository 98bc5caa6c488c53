"""Requests at the edges of HTTP, against the real server (uvicorn on a loopback port): a body
trickled in is answered at the request deadline, and a query string too long gets a JSON error
with a code, below uvicorn's own limit (which answers a plain 400)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import AsyncIterator
from urllib.parse import quote

import httpx
import orjson
import pytest
import uvicorn

from gateway.app import create_app
from gateway.settings import Settings

DEADLINE_S = 1.0


@pytest.fixture(scope="module")
async def port(settings: Settings) -> AsyncIterator[int]:
    app = create_app(
        Settings(
            database_url=settings.database_url,
            rate_limit_anonymous=0,
            request_deadline_ms=int(DEADLINE_S * 1000),
        )
    )
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    number: int = sock.getsockname()[1]
    config = uvicorn.Config(app, loop="asyncio", http="httptools", log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    started = time.monotonic()
    while not server.started:
        assert thread.is_alive() and time.monotonic() < started + 20, "uvicorn did not start"
        await asyncio.sleep(0.02)
    try:
        yield number
    finally:
        server.should_exit = True
        await asyncio.to_thread(thread.join, 10)
        sock.close()


def _trickle(port: int, head: bytes, piece: bytes, give_up_s: float = 6.0) -> tuple[float, bytes]:
    """Send `head`, then `piece` every 0.2 s until the server answers (or `give_up_s`); the
    time the answer took and the answer."""
    with socket.create_connection(("127.0.0.1", port)) as conn:
        conn.settimeout(0.2)
        started = time.monotonic()
        conn.sendall(head)
        answer = b""
        while time.monotonic() - started < give_up_s:
            try:
                chunk = conn.recv(65536)
            except TimeoutError:
                with contextlib.suppress(OSError):  # closed by the server: read what it said
                    conn.sendall(piece)
                continue
            if not chunk:
                break
            answer += chunk
            if b"\r\n\r\n" in answer and answer.split(b"\r\n\r\n", 1)[1]:
                break
        return time.monotonic() - started, answer


def _status_and_body(answer: bytes) -> tuple[int, dict[str, object]]:
    head, _, body = answer.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    if b"transfer-encoding: chunked" in head.lower():
        body = body.split(b"\r\n", 1)[1].rsplit(b"\r\n0\r\n", 1)[0]
    return status, orjson.loads(body)


@pytest.mark.parametrize(
    ("framing", "piece"),
    [
        (b"Transfer-Encoding: chunked\r\n\r\n1\r\n{\r\n", b"1\r\n \r\n"),
        (b"Content-Length: 500\r\n\r\n{", b" "),
    ],
    ids=["chunked", "content-length"],
)
async def test_a_trickled_body_is_answered_at_the_deadline(
    port: int, framing: bytes, piece: bytes
) -> None:
    head = (
        b"POST /graphql HTTP/1.1\r\nHost: gateway.test\r\nContent-Type: application/json\r\n"
        + framing
    )
    elapsed, answer = await asyncio.to_thread(_trickle, port, head, piece)
    print(f"answered after {elapsed:.2f} s (deadline {DEADLINE_S} s)")
    assert answer, f"no answer after {elapsed:.1f} s"
    status, body = _status_and_body(answer)
    assert status == 408, answer
    assert body["errors"][0]["extensions"]["code"] == "DEADLINE_EXCEEDED"  # type: ignore[index]
    assert b"connection: close" in answer.lower()
    assert elapsed < DEADLINE_S + 1.0


async def test_ten_trickling_clients_are_all_answered_at_the_deadline(port: int) -> None:
    head = (
        b"POST /graphql HTTP/1.1\r\nHost: gateway.test\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n1\r\n{\r\n"
    )
    results = await asyncio.gather(
        *(asyncio.to_thread(_trickle, port, head, b"1\r\n \r\n") for _ in range(10))
    )
    slowest = max(elapsed for elapsed, _ in results)
    print(f"slowest of ten: {slowest:.2f} s")
    assert all(answer.startswith(b"HTTP/1.1 408") for _, answer in results)
    assert slowest < DEADLINE_S + 1.5


@pytest.mark.parametrize("size", [20_000, 60_000])
async def test_a_long_query_string_gets_a_json_error_with_a_code(port: int, size: int) -> None:
    query = "{ regions { code } } #" + "x" * size  # a comment: as long in the URL
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        response = await client.get(f"/graphql?query={quote(query)}")
        ordinary = await client.get("/graphql", params={"query": "{ regions { code } }"})
    assert response.status_code == 414
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["errors"][0]["extensions"]["code"] == "REQUEST_TOO_LARGE"
    assert ordinary.status_code == 200
