"""Persisted documents, two ways.

- Automatic persisted queries (Apollo's protocol): a client sends the SHA-256 of its document
  (`extensions.persistedQuery.sha256Hash`), alone, often as a short cacheable GET; the gateway
  answers `PERSISTED_QUERY_NOT_FOUND` until the client has sent the document once with its hash.
  Documents are kept in the cache (Redis or in-process): losing one only costs a retry.
- Trusted documents: a token created with `--trusted-documents` may only run the documents
  registered for it (`gateway token documents`). It names one by `documentId` ("sha256:<hex>",
  the GraphQL-over-HTTP persisted documents form) or by the APQ hash, or sends exactly its
  text; anything else is refused with 403 `DOCUMENT_NOT_TRUSTED`. Registration through APQ is
  closed to such a token."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import replace

import orjson
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.access import Principal, Remembered
from gateway.asgi import send_response
from gateway.metrics import TRUSTED_DOCUMENT
from gateway.request import SCOPE_KEY, GraphQLRequest, request_of
from store import access as store
from store.cache import Cache

TTL_SECONDS = 7 * 24 * 3600


class DocumentBook(Remembered[int, dict[str, str]]):
    """The trusted documents of each token, by id (a document registered later is accepted
    within `ttl` seconds)."""

    def __init__(self, engine: AsyncEngine, ttl: float) -> None:
        super().__init__(engine, store.trusted_documents, ttl)


class PersistedQueries:
    """Puts a persisted document's text in the scope's request, or refuses it; a request
    refused for its form goes on to the view, which answers it, with nothing looked up or
    remembered."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        cache: Cache,
        documents: Callable[[int], Awaitable[dict[str, str]]] | None = None,
    ) -> None:
        self.app, self.cache, self.documents = app, cache, documents

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = request_of(scope)
        principal = scope.get("state", {}).get("principal")
        if isinstance(principal, Principal) and principal.trusted_documents_only:
            await self._trusted(scope, receive, send, request, principal)
            return
        persisted = _persisted(request)
        if request.refusal is not None or not request.readable or persisted is None:
            await self.app(scope, receive, send)
            return
        key = f"gateway:apq:{persisted}"
        query = request.query
        if query:
            if hashlib.sha256(query.encode()).hexdigest() != persisted:
                await _answer(send, 400, "provided sha256Hash does not match the query",
                              "PERSISTED_QUERY_HASH_MISMATCH")  # fmt: skip
                return
            await self.cache.set(key, query.encode(), TTL_SECONDS)
        else:
            known = await self.cache.get(key)
            if known is None:
                await _answer(send, 200, "PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND")
                return
            query = known.decode()
        scope[SCOPE_KEY] = _with_document(request, query)
        await self.app(scope, receive, send)

    async def _trusted(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        request: GraphQLRequest,
        principal: Principal,
    ) -> None:
        if request.readable and (
            request.refusal is not None or not request.given & {"query", "documentId", "extensions"}
        ):
            await self.app(scope, receive, send)  # refused by the view, or GraphiQL's page
            return
        query = request.query if request.readable else None
        wanted = (_document_id(request) or _persisted(request)) if request.readable else None
        if query:
            wanted = hashlib.sha256(query.encode()).hexdigest()
        assert self.documents is not None and principal.token_id is not None
        known = await self.documents(principal.token_id)
        if wanted is None or wanted not in known:
            what = "this document is not" if query else "no document with this id is"
            await _answer(send, 403,
                f"{what} registered for this token, which may only run its trusted documents "
                "(`gateway token documents`)", "DOCUMENT_NOT_TRUSTED")  # fmt: skip
            return
        scope[SCOPE_KEY] = _with_document(request, known[wanted])
        scope.setdefault("state", {})[TRUSTED_DOCUMENT] = True  # its operation names a metric
        await self.app(scope, receive, send)


def _with_document(request: GraphQLRequest, query: str) -> GraphQLRequest:
    """The request with its document in full, without the persisted-query parts."""
    return replace(request, query=query, extensions=None, document_id=None)


def _document_id(request: GraphQLRequest) -> str | None:
    """A `documentId` of the form "sha256:<hex>" (or the bare hex)."""
    value = request.document_id
    if not isinstance(value, str):
        return None
    digest = value.removeprefix("sha256:").lower()
    return digest if len(digest) == 64 else None


def _persisted(request: GraphQLRequest) -> str | None:
    extensions = request.extensions
    if not isinstance(extensions, dict):
        return None
    persisted = extensions.get("persistedQuery")
    if not isinstance(persisted, dict):
        return None
    digest = persisted.get("sha256Hash")
    return digest.lower() if isinstance(digest, str) and len(digest) == 64 else None


async def _answer(send: Send, status: int, message: str, code: str) -> None:
    body = orjson.dumps({"errors": [{"message": message, "extensions": {"code": code}}]})
    length = str(len(body)).encode()
    await send_response(
        send, status, body, [(b"content-type", b"application/json"), (b"content-length", length)]
    )
