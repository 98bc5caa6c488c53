"""Small ASGI pieces the steps in front of /graphql share: reading a request body, handing it
on again, sending a whole response, refusing a request with a GraphQL error body."""

from __future__ import annotations

from collections.abc import Sequence

import orjson
from starlette.types import Message, Receive, Send


async def read_body(receive: Receive, limit: int | None = None) -> bytes | None:
    """The whole body; None as soon as it grows past `limit`. (Its pieces are joined once: a
    body sent a byte at a time costs no more than one sent at once.)"""
    pieces: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        piece = message.get("body", b"")
        pieces.append(piece)
        size += len(piece)
        if limit is not None and size > limit:
            return None
        if not message.get("more_body"):
            return b"".join(pieces)


def replay(body: bytes) -> Receive:
    """A `receive` that hands `body` on again (it was read already)."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


async def send_response(
    send: Send, status: int, body: bytes, headers: Sequence[tuple[bytes, bytes]]
) -> None:
    await send({"type": "http.response.start", "status": status, "headers": list(headers)})
    await send({"type": "http.response.body", "body": body})


# the code in `extensions` of a request refused before execution, by its status
HTTP_CODES = {
    400: "BAD_REQUEST",
    405: "METHOD_NOT_ALLOWED",
    406: "NOT_ACCEPTABLE",
    415: "UNSUPPORTED_MEDIA_TYPE",
}


async def refuse(
    send: Send,
    status: int,
    code: str,
    message: str,
    *,
    retry_after: int | None = None,
    extra_headers: Sequence[tuple[bytes, bytes]] = (),
) -> None:
    """A request refused before execution: `status`, and a GraphQL error body with `code` (a
    401 says how to authenticate; a 503 when to come back, in a second unless told)."""
    body = orjson.dumps({"errors": [{"message": message, "extensions": {"code": code}}]})
    headers = [(b"content-type", b"application/json"), *extra_headers]
    if status == 401:
        headers.append((b"www-authenticate", b'Bearer realm="data-inclusion"'))
    if status == 503:
        retry_after = retry_after or 1
    if retry_after is not None:
        headers.append((b"retry-after", str(retry_after).encode()))
    await send_response(send, status, body, headers)
