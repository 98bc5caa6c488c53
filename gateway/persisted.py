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
from typing import Any
from urllib.parse import urlencode

import orjson
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.access import Principal, Remembered
from gateway.asgi import (
    HTTP_CODES,
    graphql_request,
    read_body,
    replay,
    request_problem,
    send_response,
)
from gateway.metrics import TRUSTED_DOCUMENT
from store import access as store
from store.cache import Cache

TTL_SECONDS = 7 * 24 * 3600


def _error(message: str, code: str) -> bytes:
    return orjson.dumps({"errors": [{"message": message, "extensions": {"code": code}}]})


class DocumentBook(Remembered[int, dict[str, str]]):
    """The trusted documents of each token, by id (a document registered later is accepted
    within `ttl` seconds)."""

    def __init__(self, engine: AsyncEngine, ttl: float) -> None:
        super().__init__(engine, store.trusted_documents, ttl)


class PersistedQueries:
    def __init__(
        self,
        app: ASGIApp,
        cache: Cache,
        documents: Callable[[int], Awaitable[dict[str, str]]] | None = None,
    ) -> None:
        self.app, self.cache, self.documents = app, cache, documents

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body = await read_body(receive) if scope["method"] == "POST" else b""
        assert body is not None  # no limit: the guard in front enforced it
        request = graphql_request(scope, body)
        principal = scope.get("state", {}).get("principal")
        trusted = isinstance(principal, Principal) and principal.trusted_documents_only
        problem = request_problem(scope, request)
        if problem is not None:  # before any document is looked up, remembered or trusted
            status, message = problem
            await _answer(send, status, _error(message, HTTP_CODES.get(status, "BAD_REQUEST")))
            return
        persisted = _persisted(request)
        if trusted:
            assert isinstance(principal, Principal)
            await self._trusted(scope, body, request, principal, send)
            return
        if request is None or persisted is None:
            await self.app(scope, replay(body), send)
            return
        key = f"gateway:apq:{persisted}"
        query = request.get("query")
        if query:
            if hashlib.sha256(query.encode()).hexdigest() != persisted:
                await _answer(send, 400, _error("provided sha256Hash does not match the query",
                                                "PERSISTED_QUERY_HASH_MISMATCH"))  # fmt: skip
                return
            await self.cache.set(key, query.encode(), TTL_SECONDS)
        else:
            known = await self.cache.get(key)
            if known is None:
                await _answer(send, 200, _error("PersistedQueryNotFound",
                                                "PERSISTED_QUERY_NOT_FOUND"))  # fmt: skip
                return
            request["query"] = known.decode()
        await self._forward(scope, request, send)

    async def _trusted(
        self,
        scope: Scope,
        body: bytes,
        request: dict[str, Any] | None,
        principal: Principal,
        send: Send,
    ) -> None:
        if request is not None and not (request.keys() & {"query", "documentId", "extensions"}):
            await self.app(scope, replay(body), send)  # GraphiQL's page: no operation in it
            return
        query = request.get("query") if request is not None else None
        wanted = (_document_id(request) or _persisted(request)) if request is not None else None
        if isinstance(query, str) and query:
            wanted = hashlib.sha256(query.encode()).hexdigest()
        assert self.documents is not None and principal.token_id is not None
        known = await self.documents(principal.token_id)
        if wanted is None or wanted not in known:
            what = "this document is not" if query else "no document with this id is"
            await _answer(send, 403, _error(
                f"{what} registered for this token, which may only run its trusted documents "
                "(`gateway token documents`)", "DOCUMENT_NOT_TRUSTED"))  # fmt: skip
            return
        assert request is not None
        request["query"] = known[wanted]
        scope.setdefault("state", {})[TRUSTED_DOCUMENT] = True  # its operation names a metric
        await self._forward(scope, request, send)

    async def _forward(self, scope: Scope, request: dict[str, Any], send: Send) -> None:
        """The request, its document in full, to the app (without the persisted-query parts)."""
        request.pop("extensions", None)
        request.pop("documentId", None)
        if scope["method"] == "GET":
            params = {k: v for k, v in request.items() if v is not None}
            params = {k: v if isinstance(v, str) else orjson.dumps(v).decode()
                      for k, v in params.items()}  # fmt: skip
            scope = {**scope, "query_string": urlencode(params).encode()}
            await self.app(scope, replay(b""), send)
        else:
            await self.app(scope, replay(orjson.dumps(request)), send)


def _document_id(request: dict[str, Any]) -> str | None:
    """A `documentId` of the form "sha256:<hex>" (or the bare hex)."""
    value = request.get("documentId")
    if not isinstance(value, str):
        return None
    digest = value.removeprefix("sha256:").lower()
    return digest if len(digest) == 64 else None


def _persisted(request: dict[str, Any] | None) -> str | None:
    if not request:
        return None
    extensions = request.get("extensions")
    if not isinstance(extensions, dict):
        return None
    persisted = extensions.get("persistedQuery")
    if not isinstance(persisted, dict):
        return None
    digest = persisted.get("sha256Hash")
    return digest.lower() if isinstance(digest, str) and len(digest) == 64 else None


async def _answer(send: Send, status: int, body: bytes) -> None:
    length = str(len(body)).encode()
    await send_response(
        send, status, body, [(b"content-type", b"application/json"), (b"content-length", length)]
    )
