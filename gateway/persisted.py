"""Automatic persisted queries (Apollo's protocol): a client sends the SHA-256 of its document
(`extensions.persistedQuery.sha256Hash`), alone, often as a short cacheable GET; the gateway
answers `PERSISTED_QUERY_NOT_FOUND` until the client has sent the document once with its hash.
Documents are kept in the cache (Redis or in-process): losing one only costs a retry."""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import parse_qs, urlencode

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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
        body = b""
        if scope["method"] == "POST":
            while True:
                message = await receive()
                body += message.get("body", b"")
                if not message.get("more_body"):
                    break
        request = _request(scope, body)
        persisted = _persisted(request)
        if request is None or persisted is None:
            await self.app(scope, _replay(body), send)
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
            await self.app(scope, _replay(b""), send)
        else:
            await self.app(scope, _replay(orjson.dumps(request)), send)


def _request(scope: Scope, body: bytes) -> dict[str, Any] | None:
    try:
        if scope["method"] == "GET":
            params = {k: v[0] for k, v in parse_qs(scope.get("query_string", b"").decode()).items()}
            if "extensions" not in params:
                return None
            out: dict[str, Any] = dict(params)
            for name in ("extensions", "variables"):
                if out.get(name):
                    out[name] = orjson.loads(out[name])
            return out
        doc = orjson.loads(body) if body else None
    except (orjson.JSONDecodeError, UnicodeDecodeError):
        return None
    return doc if isinstance(doc, dict) else None


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
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive
