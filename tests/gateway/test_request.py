"""The GraphQL request read once: `parse_request`'s rules (GraphQL over HTTP, in the view's
words), `ReadRequest`'s limits, and, through the whole application, one parse per request
whatever steps it goes through (persisted query, response cache, execution)."""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

import httpx
import orjson
import pytest
from starlette.types import Message, Receive, Scope, Send

import gateway.context
import gateway.request
from gateway.app import create_app
from gateway.request import (
    NO_BATCHES,
    NO_CONTENT_TYPE,
    NOT_AN_OBJECT,
    NOT_JSON,
    SCOPE_KEY,
    UNSUPPORTED_CONTENT_TYPE,
    GraphQLRequest,
    ReadRequest,
    parse_request,
    request_of,
)
from gateway.settings import Settings

QUERY = "{ regions { code } }"


def _get(**params: str) -> GraphQLRequest:
    return parse_request({"method": "GET", "query_string": urlencode(params).encode()}, b"")


def _post(body: Any, content_type: bytes | None = b"application/json") -> GraphQLRequest:
    headers = [(b"content-type", content_type)] if content_type is not None else []
    raw = body if isinstance(body, bytes) else orjson.dumps(body)
    return parse_request({"method": "POST", "headers": headers}, raw)


def test_a_get_reads_its_query_string() -> None:
    request = _get(query=QUERY, variables='{"a": 1}', operationName="Q", extensions="{}")
    assert (request.query, request.variables, request.operation_name) == (QUERY, {"a": 1}, "Q")
    assert request.extensions == {} and request.refusal is None and request.readable
    assert request.given == {"query", "variables", "operationName", "extensions"}
    for empty in ("null", ""):  # no variables, as in a POST
        assert _get(query=QUERY, variables=empty).variables is None
    assert _get(query=QUERY, variables="{x").refusal == (400, "`variables` is not JSON")
    assert _get(query=QUERY, variables="[1]").refusal == (
        400,
        "`variables` must be an object or null, not an array",
    )


def test_a_get_repeating_a_parameter_is_not_readable() -> None:
    scope = {"method": "GET", "query_string": b"query=%7Ba%7D&query=%7Bb%7D"}
    request = parse_request(scope, b"")
    assert not request.readable and request.refusal is None
    assert request.query == "{b}"  # what the view runs: the last value


def test_a_post_reads_its_json_object() -> None:
    request = _post({"query": QUERY, "variables": None, "documentId": "sha256:ab"})
    assert request.query == QUERY and request.variables is None and request.readable
    assert request.document_id == "sha256:ab"
    assert request.given == {"query", "variables", "documentId"}
    ok = _post({"query": QUERY}, b"application/json; charset=utf-8")
    assert ok.refusal is None


@pytest.mark.parametrize(
    ("body", "content_type", "refusal", "readable"),
    [
        ({"query": QUERY}, None, (415, NO_CONTENT_TYPE), True),
        ({"query": QUERY}, b"text/plain", (400, UNSUPPORTED_CONTENT_TYPE), True),
        (b"{not json", b"application/json", (400, NOT_JSON), False),
        (b"\xff", b"application/json", (400, NOT_JSON), False),
        ([{"query": QUERY}], b"application/json", (400, NO_BATCHES), False),
        ("a string", b"application/json", (400, NOT_AN_OBJECT), False),
        (
            {"query": QUERY, "operationName": 1},
            b"application/json",
            (400, "`operationName` must be a string or null, not a number"),
            True,
        ),
    ],
)
def test_what_a_post_is_refused_for(
    body: Any, content_type: bytes | None, refusal: tuple[int, str], readable: bool
) -> None:
    request = _post(body, content_type)
    assert request.refusal == refusal and request.readable is readable
    assert request.query is None  # nothing is taken from a refused request


def test_other_methods_are_refused() -> None:
    request = parse_request({"method": "HEAD", "headers": []}, b"")
    assert request.refusal == (405, "GraphQL only supports GET and POST requests.")


async def _through(
    step: Any, method: str, body: bytes = b"", query_string: bytes = b"", chunks: int = 1
) -> tuple[int, dict[str, Any], list[Scope]]:
    """`step`'s answer to one request (status and JSON body), and the scopes it handed on."""
    seen: list[Scope] = []

    async def endpoint(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope)
        assert (await receive())["body"] == body  # the body handed on, as read
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    size = -(-len(body) // chunks) or 1
    pieces = [body[i : i + size] for i in range(0, len(body), size)] or [b""]
    messages = [
        {"type": "http.request", "body": p, "more_body": i < len(pieces) - 1}
        for i, p in enumerate(pieces)
    ]

    async def receive() -> Message:
        return messages.pop(0)

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    headers = [(b"content-type", b"application/json")]
    scope = {"type": "http", "method": method, "headers": headers, "query_string": query_string}
    await step(endpoint)(scope, receive, send)
    return sent[0]["status"], orjson.loads(sent[1]["body"]), seen


async def test_read_request_puts_the_parsed_request_in_the_scope() -> None:
    body = orjson.dumps({"query": QUERY})
    status, _, seen = await _through(ReadRequest, "POST", body)
    assert status == 200 and request_of(seen[0]) == _post({"query": QUERY})
    get = urlencode({"query": QUERY}).encode()
    status, _, seen = await _through(ReadRequest, "GET", query_string=get)
    assert status == 200 and seen[0][SCOPE_KEY].query == QUERY


async def test_read_request_holds_the_body_and_query_string_to_their_limits() -> None:
    def small(app: Any) -> ReadRequest:
        return ReadRequest(app, max_body_bytes=100, max_query_string_bytes=50)

    long_body = orjson.dumps({"query": QUERY + " " * 200})
    # sent without a Content-Length, in pieces: refused once past the limit
    status, answer, seen = await _through(small, "POST", long_body, chunks=4)
    assert status == 413 and answer["errors"][0]["extensions"]["code"] == "REQUEST_TOO_LARGE"
    assert "larger than 100 bytes" in answer["errors"][0]["message"] and not seen
    status, answer, seen = await _through(small, "GET", query_string=b"query=" + b"x" * 60)
    assert status == 414 and "longer than 50 bytes (66)" in answer["errors"][0]["message"]
    assert not seen


async def test_a_request_is_parsed_once_whatever_steps_it_goes_through(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A persisted query registered (and executed), then asked for by its hash twice (answered
    by the response cache): one parse per request, and strawberry parses nothing."""
    parses: list[GraphQLRequest] = []

    def counted(scope: Scope, body: bytes) -> GraphQLRequest:
        parses.append(parse_request(scope, body))
        return parses[-1]

    def refused(*_args: Any) -> Any:
        raise AssertionError("the view parsed the request again")

    monkeypatch.setattr(gateway.request, "parse_request", counted)
    monkeypatch.setattr(gateway.context, "parse_request", refused)
    for name in ("parse_json", "parse_query_params", "decode_json"):
        monkeypatch.setattr(gateway.context.GatewayGraphQL, name, refused)
    query = f"{{ regions {{ code }} r{uuid.uuid4().hex}: __typename }}"  # cached by no other test
    digest = hashlib.sha256(query.encode()).hexdigest()
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
    app = create_app(replace(settings, response_cache_seconds=60))
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t"
        ) as client:
            registered = await client.post(
                "/graphql", json={"query": query, "extensions": extensions}
            )
            by_hash = {"extensions": orjson.dumps(extensions).decode()}
            answers = [await client.get("/graphql", params=by_hash) for _ in range(2)]
            exposition = (await client.get("/metrics")).text
    finally:
        await app.state.cache.close()
        await app.state.engine.dispose()
    assert registered.status_code == 200 and "regions" in registered.json()["data"]
    assert [a.json() for a in answers] == [registered.json()] * 2
    # executed once (the registration), then answered by the response cache (unless the data
    # version moved meanwhile: other tests may ingest into the same store)
    lookups = dict(re.findall(r'gateway_response_cache_total\{result="(\w+)"\} (\S+)', exposition))
    assert float(lookups["hit"]) >= 1 and float(lookups["hit"]) + float(lookups["miss"]) == 3
    assert len(parses) == 3
