"""The strawberry view that builds a fresh `Context` (with fresh loaders) for every request."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import orjson
from cross_web import HTTPException, StarletteRequestAdapter
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.extensions import SchemaExtension
from strawberry.http import GraphQLRequestData

from gateway.access import principal_of
from gateway.asgi import HTTP_CODES
from gateway.errors import retry_after, with_codes
from gateway.request import SCOPE_KEY, GraphQLRequest, parse_request
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


def _request_of(scope: Scope) -> GraphQLRequest | None:
    request = scope.get(SCOPE_KEY)
    return request if isinstance(request, GraphQLRequest) else None


class _RequestAdapter(StarletteRequestAdapter):
    """strawberry's view of a Starlette request, with its ASGI scope (where the request the
    steps in front parsed is)."""

    def __init__(self, request: Request) -> None:
        super().__init__(request)
        self.scope = request.scope


class GatewayGraphQL(GraphQL[Context, None]):
    """strawberry's view, executing the request parsed in front of it (`gateway.request`)."""

    request_adapter_class = _RequestAdapter

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

    def should_render_graphql_ide(self, request: Any) -> bool:
        """GraphiQL's page: a GET asking for HTML (or anything) that sent no `query` and has no
        document (a persisted query's text, put in by a step in front, is one)."""
        parsed = _request_of(request.scope)
        if parsed is None:
            document = request.query_params.get("query") is not None
        else:
            document = parsed.query is not None or "query" in parsed.given
        accept = request.headers.get("accept", "")
        return (
            request.method == "GET" and not document and ("text/html" in accept or "*/*" in accept)
        )

    async def parse_http_body(self, request: Any) -> GraphQLRequestData:
        """The request the steps in front parsed, carried in the scope (parsed here when the
        view is served alone); one they refused for its form is refused in their words."""
        parsed = _request_of(request.scope)
        if parsed is None:
            parsed = parse_request(request.scope, await request.get_body())
        if parsed.refusal is not None:
            raise HTTPException(*parsed.refusal)
        return GraphQLRequestData(
            query=parsed.query,
            variables=parsed.variables,
            operation_name=parsed.operation_name,
            extensions=parsed.extensions,
        )

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)
