"""Small ASGI pieces the layers in front of /graphql share: reading a request body, handing it
on again, sending a whole response, and reading the GraphQL request itself."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qs

import orjson
from starlette.types import Message, Receive, Scope, Send


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


def graphql_request(scope: Scope, body: bytes) -> dict[str, Any] | None:
    """The GraphQL request of a GET (query string, `variables` and `extensions` decoded) or a
    POST (its JSON object); None when it is neither, or when a GET repeats a parameter."""
    try:
        if scope["method"] == "GET":
            params = parse_qs(scope.get("query_string", b"").decode(), keep_blank_values=True)
            if any(len(v) > 1 for v in params.values()):
                # `?query=A&query=B`: which one runs is the framework's choice; read nothing
                # from such a request (so it is neither cached nor taken for another)
                return None
            out: dict[str, Any] = {k: v[0] for k, v in params.items()}
            for name in ("variables", "extensions"):
                if out.get(name):
                    out[name] = orjson.loads(out[name])
            return out
        doc = orjson.loads(body) if body else None
    except (orjson.JSONDecodeError, UnicodeDecodeError):
        return None
    return doc if isinstance(doc, dict) else None
