"""The GraphQL request of a call to /graphql, read once: `ReadRequest` takes the body within its
limit, parses it (or the query string of a GET) into a `GraphQLRequest` and puts it in the
scope, where every later step reads it (`request_of`). A step that changes it (a persisted
document's text put in) replaces it there; none reads the body again.

The rules are GraphQL over HTTP's, in the view's words: a POST needs `Content-Type:
application/json` (none: 415; another: 400, so no form or `text/plain` POST, which a browser
sends cross-origin without a preflight), its body a JSON object; a GET's `variables` and
`extensions` are JSON (`null` or empty: none); `query` and `operationName` are strings,
`variables` and `extensions` objects, each may be null. A request refused for its form carries
its refusal, which the view answers; the steps before it look nothing up for such a request."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.datastructures import QueryParams
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.asgi import read_body, refuse, replay
from gateway.deadline import READING_BODY

SCOPE_KEY = "gateway.request"

# a POST without Content-Type (415), or with one other than JSON (400)
NO_CONTENT_TYPE = "a POST needs a `Content-Type: application/json` header"
UNSUPPORTED_CONTENT_TYPE = "Unsupported content type: send the request as `application/json`"
NOT_JSON = "the request body is not JSON (UTF-8)"
NOT_AN_OBJECT = "the request must be a JSON object"
NO_BATCHES = "Batching is not enabled"
METHOD = "GraphQL only supports GET and POST requests."

_PARAMETERS = (
    ("query", str, "a string"),
    ("operationName", str, "a string"),
    ("variables", dict, "an object"),
    ("extensions", dict, "an object"),
)


@dataclass(frozen=True, slots=True)
class GraphQLRequest:
    """One GraphQL request as its client sent it."""

    query: str | None = None
    variables: dict[str, Any] | None = None
    operation_name: str | None = None
    extensions: dict[str, Any] | None = None
    document_id: Any = None  # `documentId`, a persisted document's id
    given: frozenset[str] = frozenset()  # the parameters sent, null ones too
    refusal: tuple[int, str] | None = None  # refused for its form: the status and message
    # False when the body is not one JSON object, or a GET names a parameter twice (which the
    # view runs with the last value): neither cached nor taken for a persisted document
    readable: bool = True


def request_of(scope: Scope) -> GraphQLRequest:
    """The request `ReadRequest` put in the scope."""
    request = scope[SCOPE_KEY]
    assert isinstance(request, GraphQLRequest)
    return request


def parse_request(scope: Scope, body: bytes) -> GraphQLRequest:
    """The GraphQL request of a GET (its query string) or a POST (`body`)."""
    method = scope["method"]
    if method == "GET":
        params = QueryParams(scope.get("query_string", b""))
        readable = len(params.multi_items()) == len(params)
        fields: dict[str, Any] = dict(params)  # a repeated parameter: its last value
        given = frozenset(fields)
        for name in ("variables", "extensions"):
            if fields.get(name) in ("null", ""):
                del fields[name]
            elif name in fields:
                try:
                    fields[name] = orjson.loads(fields[name])
                except orjson.JSONDecodeError:
                    refusal = (400, f"`{name}` is not JSON")
                    return GraphQLRequest(given=given, refusal=refusal, readable=False)
        return _request(fields, given, readable=readable)
    if method != "POST":
        return GraphQLRequest(refusal=(405, METHOD), readable=False)
    content_type = next((v for k, v in scope.get("headers", ()) if k == b"content-type"), None)
    problem = content_type_problem(content_type.decode("latin-1") if content_type else None)
    if problem is not None:
        return GraphQLRequest(refusal=problem)
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError:  # invalid JSON, or not UTF-8
        return GraphQLRequest(refusal=(400, NOT_JSON), readable=False)
    if not isinstance(doc, dict):
        refusal = (400, NO_BATCHES if isinstance(doc, list) else NOT_AN_OBJECT)
        return GraphQLRequest(refusal=refusal, readable=False)
    return _request(doc, frozenset(doc))


def _request(
    fields: Mapping[str, Any], given: frozenset[str], *, readable: bool = True
) -> GraphQLRequest:
    problem = parameter_problem(fields)
    if problem is not None:
        return GraphQLRequest(given=given, refusal=(400, problem), readable=readable)
    return GraphQLRequest(
        query=fields.get("query"),
        variables=fields.get("variables"),
        operation_name=fields.get("operationName"),
        extensions=fields.get("extensions"),
        document_id=fields.get("documentId"),
        given=given,
        readable=readable,
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


def content_type_problem(content_type: str | None) -> tuple[int, str] | None:
    """The status and message refusing a POST by its Content-Type; None when it is JSON
    (`application/json` anywhere in the media type)."""
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if not media_type:
        return 415, NO_CONTENT_TYPE
    if "application/json" not in media_type:
        return 400, UNSUPPORTED_CONTENT_TYPE
    return None


class ReadRequest:
    """Refuses a query string over `max_query_string_bytes` (414) and a body over
    `max_body_bytes` (413: declared so, or found so while it arrives, which the deadline
    covers), then puts the request's `GraphQLRequest` in the scope."""

    def __init__(
        self, app: ASGIApp, *, max_body_bytes: int = 1_000_000, max_query_string_bytes: int = 16_384
    ) -> None:
        self.app = app
        self.max_body_bytes, self.max_query_string_bytes = max_body_bytes, max_query_string_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        query_string = len(scope.get("query_string", b""))
        if query_string > self.max_query_string_bytes:
            await refuse(send, 414, "REQUEST_TOO_LARGE", (
                f"the query string is longer than {self.max_query_string_bytes} bytes "
                f"({query_string}); send the request as a POST with a JSON body"))  # fmt: skip
            return
        length = next((v for k, v in scope.get("headers", ()) if k == b"content-length"), b"")
        if length.isdigit() and int(length) > self.max_body_bytes:
            await self._too_large(send)
            return
        body = b""
        if scope["method"] == "POST":
            scope[READING_BODY] = True
            read = await read_body(receive, self.max_body_bytes)
            scope[READING_BODY] = False
            if read is None:
                await self._too_large(send)
                return
            body = read
        scope[SCOPE_KEY] = parse_request(scope, body)
        await self.app(scope, replay(body), send)

    async def _too_large(self, send: Send) -> None:
        message = f"the request body is larger than {self.max_body_bytes} bytes"
        await refuse(send, 413, "REQUEST_TOO_LARGE", message)
