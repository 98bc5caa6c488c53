"""The response cache in front of the GraphQL view. A read-mostly referential answers most
requests from here: the key is the normalised document, its variables and operation name, what
the consumer may see (visibility, token or not) and the store's data version, so an ingest that
commits makes every process move to new entries at once. Redis when configured (shared),
in-process otherwise. Responses carry an `ETag`; GET responses a `Cache-Control`, and a `304`
answers a matching `If-None-Match`. Identical concurrent requests share one execution."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.access import Principal
from gateway.documents import normalised
from gateway.request import GraphQLRequest, request_of
from store.cache import Cache

Answer = tuple[int, list[tuple[bytes, bytes]], bytes]  # status, headers, body


class _Abandoned(Exception):
    """The shared execution was cancelled with the request that started it."""


class ResponseCache:
    """Answers the scope's request from the cache, or runs it (once for identical requests in
    flight) and keeps its answer."""

    def __init__(
        self,
        app: ASGIApp,
        cache: Cache,
        data_version: Callable[[], Awaitable[int]],
        *,
        ttl_seconds: int,
        max_tokens: int = 5_000,
        max_answer_bytes: int = 1 << 20,
        on_lookup: Callable[[str], None] = lambda _result: None,
    ) -> None:
        self.app, self.cache, self.data_version, self.ttl = app, cache, data_version, ttl_seconds
        self.max_tokens, self.max_answer_bytes = max_tokens, max_answer_bytes
        self._running: dict[str, asyncio.Future[Answer]] = {}
        self.hits = 0
        self.misses = 0
        self.on_lookup = on_lookup  # told of each lookup: "hit" or "miss"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.ttl <= 0:
            await self.app(scope, receive, send)
            return
        request = request_of(scope)
        if request.refusal is not None or not request.readable or request.query is None:
            # refused by the view, GraphiQL's page, a persisted query's hash alone: not cached
            await self.app(scope, receive, send)
            return
        principal = scope.get("state", {}).get("principal") or Principal()
        version = await self.data_version()
        scope.setdefault("state", {})["data_version"] = version  # the request's context reads it
        key = self._key(
            request, principal, version, await normalised(request.query, self.max_tokens)
        )
        answer = await self._lookup(key)
        if answer is None:
            answer = await self._execute_once(key, scope, receive)
        else:
            self._count("hit")
        await self._send(send, scope, answer, principal, version)

    def _count(self, result: str) -> None:
        if result == "hit":
            self.hits += 1
        else:
            self.misses += 1
        self.on_lookup(result)

    @staticmethod
    def _key(request: GraphQLRequest, principal: Principal, version: int, document: str) -> str:
        material = orjson.dumps(
            [
                document,
                request.variables or {},
                request.operation_name,
                principal.visibility,
                principal.has_token,
                principal.referential_only,  # gateways sharing Redis may differ in this
                version,
            ],
            option=orjson.OPT_SORT_KEYS,
        )
        return "gateway:response:" + hashlib.sha256(material).hexdigest()

    async def _lookup(self, key: str) -> Answer | None:
        raw = await self.cache.get(key)
        if raw is None:
            return None
        status, headers, body = orjson.loads(raw)
        return status, [(k.encode(), v.encode()) for k, v in headers], body.encode()

    async def _execute_once(self, key: str, scope: Scope, receive: Receive) -> Answer:
        running = self._running.get(key)
        if running is not None:  # the same request is being answered: share its answer
            try:
                answer = await asyncio.shield(running)
            except _Abandoned:
                return await self._execute_once(key, scope, receive)
            self._count("hit")
            return answer
        future: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
        self._running[key] = future
        self._count("miss")
        try:
            answer = await self._run(scope, receive)
            future.set_result(answer)
        except asyncio.CancelledError:
            # this request was abandoned (its deadline, a client gone): the others sharing it
            # are not, they run it themselves
            future.set_exception(_Abandoned())
            future.exception()  # retrieved: no "never retrieved" warning when none shared it
            raise
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()
            raise
        finally:
            del self._running[key]
        status, headers, payload = answer
        # only whole answers without errors, and not the largest (a page of 1000 records with
        # their provenance would crowd out hundreds of others)
        if status == 200 and b'"errors"' not in payload and len(payload) <= self.max_answer_bytes:
            keep = [(k.decode(), v.decode()) for k, v in headers if k.lower() == b"content-type"]
            await self.cache.set(key, orjson.dumps([status, keep, payload.decode()]), self.ttl)
        return answer

    async def _run(self, scope: Scope, receive: Receive) -> Answer:
        status = 500
        headers: list[tuple[bytes, bytes]] = []
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal status, headers
            if message["type"] == "http.response.start":
                status, headers = message["status"], list(message.get("headers", ()))
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, capture)
        return status, headers, b"".join(chunks)

    async def _send(
        self, send: Send, scope: Scope, answer: Answer, principal: Principal, version: int
    ) -> None:
        status, headers, body = answer
        headers = [(k, v) for k, v in headers if k.lower() not in (b"content-length", b"etag")]
        # the answer's own digest: the store's data version would tell an anonymous client
        # that a restricted producer changed something, its answers unchanged
        etag = f'"{hashlib.sha256(body).hexdigest()[:40]}"'.encode()
        if status == 200:
            headers.append((b"etag", etag))
            if scope["method"] == "GET":
                scope_word = b"private" if principal.has_token else b"public"
                headers.append((b"cache-control", scope_word + b", max-age=60"))
                headers.append((b"vary", b"Authorization, Accept"))
                if etag in _if_none_match(scope):
                    await send(
                        {
                            "type": "http.response.start",
                            "status": 304,
                            "headers": [
                                (b"etag", etag),
                                *[h for h in headers if h[0] == b"cache-control"],
                            ],
                        }
                    )
                    await send({"type": "http.response.body", "body": b""})
                    return  # fmt: skip
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _if_none_match(scope: Scope) -> list[bytes]:
    for name, value in scope.get("headers", ()):
        if name == b"if-none-match":
            return [v.strip() for v in value.split(b",")]
    return []
