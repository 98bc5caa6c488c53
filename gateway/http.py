"""GraphQL over HTTP (the graphql-over-http specification) around /graphql: a client that
accepts `application/graphql-response+json` gets that media type, and a request error (the
document could not be parsed, validated or was refused before execution) answers `400`, with
no `data` entry; a client that only knows `application/json` keeps the legacy behaviour (`200`).
A POST without Content-Type is refused (415), one with a body other than JSON too (400: no form
or `text/plain` POST, no CSRF), as are parameters of the wrong JSON type (gateway/request.py)."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

GRAPHQL_RESPONSE = "application/graphql-response+json"


def _accepts_graphql_response(scope: Scope) -> bool:
    for name, value in scope.get("headers", ()):
        if name == b"accept":
            return GRAPHQL_RESPONSE.encode() in value
    return False


def _request_error(body: bytes) -> dict[str, Any] | None:
    """The response, when it is a request error (errors, none at a path, no data), else None."""
    if b'"errors"' not in body:
        return None
    try:
        doc: Any = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(doc, dict) or doc.get("data") is not None or not doc.get("errors"):
        return None
    if not all(isinstance(e, dict) and "path" not in e for e in doc["errors"]):
        return None
    return doc


class Negotiation:
    """Rewrites JSON responses of /graphql for clients that accept graphql-response+json."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _accepts_graphql_response(scope):
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        chunks: list[bytes] = []

        async def buffered(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] != "http.response.body" or start is None:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            await self._flush(send, start, b"".join(chunks))

        await self.app(scope, receive, buffered)

    @staticmethod
    async def _flush(send: Send, start: Message, body: bytes) -> None:
        headers = [(k, v) for k, v in start.get("headers", ()) if k.lower() != b"content-length"]
        content_type = next((v for k, v in headers if k.lower() == b"content-type"), b"")
        status = start["status"]
        if content_type.startswith(b"application/json"):
            headers = [(k, v) for k, v in headers if k.lower() != b"content-type"]
            headers.append((b"content-type", f"{GRAPHQL_RESPONSE}; charset=utf-8".encode()))
            error = _request_error(body)
            if error is not None:
                # not executed: a 4xx, and no `data` entry at all (not even null)
                status = 400 if status == 200 else status
                if "data" in error:
                    del error["data"]
                    body = orjson.dumps(error)
        headers.append((b"content-length", str(len(body)).encode()))
        await send({**start, "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
