"""The strawberry view that builds a fresh `Context` (with fresh loaders) for every request."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import orjson
from cross_web import HTTPException
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.extensions import SchemaExtension

from gateway.access import principal_of
from gateway.asgi import HTTP_CODES, content_type_problem, parameter_problem
from gateway.errors import retry_after, with_codes
from resolvers.batching import SharedReads
from resolvers.context import Context
from store.cache import Cache
from store.reads import RequestReads
from store.versions import DataVersions


class CloseReads(SchemaExtension):
    """Gives the request's read connection back once its operation has run."""

    async def on_operation(self) -> AsyncIterator[None]:
        try:
            yield
        finally:
            context = self.execution_context.context
            reads = getattr(context, "db", None)
            if isinstance(reads, RequestReads):
                await reads.close()


class GatewayGraphQL(GraphQL[Context, None]):
    def __init__(
        self,
        schema: Any,
        *,
        db: Callable[[], AsyncSession],
        cache: Cache,
        ide_html: str,
        suggestions: bool = True,
        versions: DataVersions | None = None,
    ) -> None:
        super().__init__(schema, graphql_ide="graphiql", allow_queries_via_get=True)
        self._suggestions = suggestions
        self._versions = versions
        self.shared = SharedReads()
        self._db = db
        self._cache = cache
        self._ide_html = ide_html

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        principal = principal_of(request)
        # the data version, when the response cache has read it or it is known without a
        # query: then territories come from what the process keeps for that version
        version = request.scope.get("state", {}).get("data_version")
        if version is None and self._versions is not None:
            version = self._versions.known()
        return Context.build(
            RequestReads(self._db),
            self._cache,
            shared=self.shared.tables(version),
            request=request,
            response=response,
            visibility=principal.visibility,
            has_token=principal.has_token,
            referential_only=principal.referential_only,
            extra={"principal": principal},
        )

    async def render_graphql_ide(self, request: Request) -> HTMLResponse:
        return HTMLResponse(self._ide_html)

    async def process_result(self, request: Request, result: Any) -> Any:
        """The response, every error with a stable code in `extensions`."""
        response: dict[str, Any] = dict(await super().process_result(request, result))
        if response.get("errors"):
            response["errors"] = with_codes(list(response["errors"]), suggestions=self._suggestions)
        return response

    def create_response(self, response_data: Any, sub_response: Response) -> Response:
        """A 503 with Retry-After when the database could not answer a field."""
        if isinstance(response_data, dict) and response_data.get("errors"):
            wait = retry_after(response_data["errors"])
            if wait is not None:
                sub_response.status_code = 503
                sub_response.headers["retry-after"] = str(wait)
        return super().create_response(response_data, sub_response)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """strawberry's, but a request it refuses (a body that is not JSON, an unknown operation,
        a mutation over GET…) gets a GraphQL error body with a code, not plain text."""
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        try:
            response = await self.run(Request(scope=scope, receive=receive))
        except HTTPException as exc:
            # a lone surrogate (from the request's JSON) cannot be encoded: escape it
            message = exc.reason.encode("utf-8", "backslashreplace").decode("utf-8")
            code = HTTP_CODES.get(exc.status_code, "BAD_REQUEST")
            body = {"errors": [{"message": message, "extensions": {"code": code}}]}
            response = Response(
                orjson.dumps(body), status_code=exc.status_code, media_type="application/json"
            )
        await response(scope, receive, send)

    async def parse_http_body(self, request: Any) -> Any:
        """strawberry's, but a POST without Content-Type is a 415 (the spec's "4xx"), one
        with another than JSON a 400, both in the words of the layers in front."""
        problem = content_type_problem(request.method, request.content_type)
        if problem is not None:
            raise HTTPException(*problem)
        return await super().parse_http_body(request)

    def parse_query_params(self, params: Any) -> dict[str, Any]:
        """A GET's parameters, `variables` and `extensions` decoded (`variables=null`, or empty,
        is no variables, as in a POST), each of its type."""
        parsed = dict(params)
        for name in ("variables", "extensions"):
            if parsed.get(name) in ("null", ""):
                parsed.pop(name)
            elif name in parsed:
                parsed[name] = _json(parsed[name], f"`{name}` is not JSON")
        problem = parameter_problem(parsed)
        if problem is not None:
            raise HTTPException(400, problem)
        return parsed

    def parse_json(self, data: str | bytes) -> Any:
        """The request's JSON: an object (or a batch) whose parameters have their types;
        anything else is the client's mistake."""
        value = _json(data, "the request body is not JSON (UTF-8)")
        if not isinstance(value, dict | list):
            raise HTTPException(400, "the request must be a JSON object")
        problem = parameter_problem(value) if isinstance(value, dict) else None
        if problem is not None:
            raise HTTPException(400, problem)
        return value

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)


def _json(data: str | bytes, refusal: str) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:  # invalid JSON, or not UTF-8
        raise HTTPException(400, refusal) from exc
