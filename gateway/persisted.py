"""Automatic persisted queries (Apollo's protocol): a client sends the SHA-256 of its document
(`extensions.persistedQuery.sha256Hash`), alone, often as a short cacheable GET; the gateway
answers `PERSISTED_QUERY_NOT_FOUND` until the client has sent the document once with its hash.
Documents are kept in the cache (Redis or in-process): losing one only costs a retry."""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import urlencode

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.asgi import graphql_request, read_body, replay, send_response
from store.cache import Cache

TTL_SECONDS = 7 * 24 * 3600


def _error(message: str, code: str) -> bytes:
    return orjson.dumps({"errors": [{"message": message, "extensions": {"code": code}}]})


class PersistedQueries:
    def __init__(self, app: ASGIApp, cache: Cache) -> None:
        self.app, self.cache = app, cache

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body = await read_body(receive) if scope["method"] == "POST" else b""
        assert body is not None  # no limit: the guard in front enforced it
        request = graphql_request(scope, body)
        persisted = _persisted(request)
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
        request.pop("extensions", None)
        if scope["method"] == "GET":
            params = {k: v for k, v in request.items() if v is not None}
            params = {k: v if isinstance(v, str) else orjson.dumps(v).decode()
                      for k, v in params.items()}  # fmt: skip
            scope = {**scope, "query_string": urlencode(params).encode()}
            await self.app(scope, replay(b""), send)
        else:
            await self.app(scope, replay(orjson.dumps(request)), send)


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
