"""Small ASGI pieces the layers in front of /graphql share: reading a request body, handing it
on again, sending a whole response, reading the GraphQL request itself, and saying what is
wrong with its form (the view refuses the same requests with the same words: a layer in front of
it, such as the response cache, must not answer one it would refuse)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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


# the code in `extensions` of a request refused before execution, by its status
HTTP_CODES = {
    400: "BAD_REQUEST",
    405: "METHOD_NOT_ALLOWED",
    406: "NOT_ACCEPTABLE",
    415: "UNSUPPORTED_MEDIA_TYPE",
}

# a POST without Content-Type (415), or with one other than JSON (400: no form or text/plain
# POST, which a browser sends cross-origin without a preflight)
NO_CONTENT_TYPE = "a POST needs a `Content-Type: application/json` header"
UNSUPPORTED_CONTENT_TYPE = "Unsupported content type: send the request as `application/json`"

_PARAMETERS = (
    ("query", str, "a string"),
    ("operationName", str, "a string"),
    ("variables", dict, "an object"),
    ("extensions", dict, "an object"),
)


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "an array" if isinstance(value, list) else "an object"


def parameter_problem(request: Mapping[str, Any]) -> str | None:
    """What is wrong with the types of a GraphQL request's parameters (each may be absent or
    null): `query` and `operationName` are strings, `variables` and `extensions` objects."""
    for name, kind, what in _PARAMETERS:
        value = request.get(name)
        if value is not None and not isinstance(value, kind):
            return f"`{name}` must be {what} or null, not {_json_type(value)}"
    return None


def content_type_problem(method: str, content_type: str | None) -> tuple[int, str] | None:
    """The status and message refusing a POST by its Content-Type; None when it is JSON (or the
    request is a GET). `application/json` anywhere in the media type, as the view reads it."""
    if method != "POST":
        return None
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if not media_type:
        return 415, NO_CONTENT_TYPE
    if "application/json" not in media_type:
        return 400, UNSUPPORTED_CONTENT_TYPE
    return None


def request_problem(scope: Scope, request: Mapping[str, Any] | None) -> tuple[int, str] | None:
    """The status and message refusing this request for its form (its Content-Type, the types
    of its parameters), None when there is nothing to say; `request` as `graphql_request`
    read it (None: not JSON, or a batch, which the view refuses in its own words)."""
    content_type = next((v for k, v in scope.get("headers", ()) if k == b"content-type"), None)
    problem = content_type_problem(
        scope["method"], content_type.decode("latin-1") if content_type is not None else None
    )
    if problem is None and request is not None:
        message = parameter_problem(request)
        problem = (400, message) if message is not None else None
    return problem
