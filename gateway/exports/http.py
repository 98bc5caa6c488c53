"""`GET /exports/{structures|services}.{csv|json|jsonl|geojson|xlsx|parquet}?<filter>`: the
merged referential as a download, for token holders.

- a token is required (`401` without, as the API's token errors; `403` for another origin or a
  disabled consumer); each download counts one request toward the token's rate limit;
- the token's scopes decide the view: restricted producers only with `restricted`; values that
  may be personal data are kept (a token holder reads them in the API too);
- the filter is the API's (`gateway/exports/filters.py`), `400` `BAD_USER_INPUT` when wrong;
- the answer streams a page of records at a time from one snapshot of the store (memory stays
  one page; XLSX, which is written whole at the end, goes through a temporary file), with
  `Content-Disposition: attachment`, and an `ETag` made of the data version, the export, its
  filter and the view: an unchanged referential answers `304` to `If-None-Match`;
- at most `MAX_RUNNING` downloads run at once in a process (others get `429` and
  `Retry-After`): each holds a database connection for as long as it streams."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import tempfile
from collections.abc import AsyncIterator
from typing import IO, Any
from urllib.parse import urlencode

from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from gateway import access
from gateway.errors import RETRY_LATER, retry_message
from gateway.exports.filters import FilterError, store_filter
from gateway.exports.formats import WRITERS, Chunks, Writer
from gateway.exports.rows import KINDS
from gateway.exports.stream import Audience, rows
from gateway.ratelimit import RateLimiter
from store import exports as store
from store.cpu import off_loop
from store.engine import unavailability
from store.reads import reading

log = logging.getLogger(__name__)

MAX_RUNNING = 2  # downloads streaming at once in one process
FILE_CHUNK = 256 * 1024  # bytes sent at a time from an XLSX's temporary file


def _error(status: int, code: str, message: str, **extensions: Any) -> Response:
    import orjson

    body = {"errors": [{"message": message, "extensions": {"code": code, **extensions}}]}
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


def etag(version: int, kind: str, extension: str, query: str, audience: Audience) -> str:
    """The download's entity tag: the data version, the export, its filter and the view."""
    key = f"{version}\0{kind}.{extension}\0{query}\0{audience.visibility}\0{audience.has_token}"
    return f'"{hashlib.sha256(key.encode()).hexdigest()[:40]}"'


class Exports:
    """The ASGI endpoint; the engine, cache, settings and data versions come from the app."""

    def __init__(self) -> None:
        self._running = 0
        self._book: access.TokenBook | None = None
        self._limiter: RateLimiter | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        try:
            response = await self.respond(request)
        except Exception as exc:  # the store could not answer: 503, as the API does
            if (what := unavailability(exc)) is None:
                raise
            log.warning("database %s: %s", what, type(exc).__name__)
            code, message = retry_message(what)
            response = _error(503, code, message)
            response.headers["retry-after"] = str(RETRY_LATER[code])
        await response(scope, receive, send)

    def _tools(self, request: Request) -> tuple[access.TokenBook, RateLimiter]:
        state = request.app.state
        if self._book is None or self._limiter is None:
            settings = state.settings
            self._book = access.TokenBook(state.engine, settings.token_cache_seconds)
            self._limiter = RateLimiter(
                state.cache,
                anonymous_per_minute=settings.rate_limit_anonymous,
                token_per_minute=settings.rate_limit_token,
            )
        return self._book, self._limiter

    async def respond(self, request: Request) -> Response:
        settings = request.app.state.settings
        if len(request.scope.get("query_string", b"")) > settings.max_query_string_bytes:
            return _error(414, "REQUEST_TOO_LARGE", "the query string is too long")
        kind, _, extension = str(request.path_params.get("name", "")).partition(".")
        if kind not in KINDS or extension not in WRITERS:
            return _error(
                404,
                "NOT_FOUND",
                f"exports are {' and '.join(KINDS)}, as {', '.join(WRITERS)} "
                "(`/exports/services.csv`)",
            )
        book, limiter = self._tools(request)
        address = access.client_address(request.scope, request, settings.trusted_proxies)
        try:
            principal = await access.authenticate(request, book, "off")
        except access.AccessDenied as denied:
            verdict = await limiter.check(f"ip:{address}", anonymous=True)
            if not verdict.allowed:
                return _limited(verdict.limit, verdict.retry_after_s)
            return _denied(denied)
        verdict = await limiter.check(f"token:{principal.token_prefix}", anonymous=False)
        if not verdict.allowed:
            return _limited(verdict.limit, verdict.retry_after_s)
        audience = Audience(visibility=principal.visibility, has_token=principal.has_token)
        state = request.app.state
        db = _reads(state.engine)
        pairs = list(request.query_params.multi_items())
        try:
            where = await store_filter(kind, pairs, db, state.cache)
        except FilterError as exc:
            extra = {"argument": exc.argument} if exc.argument else {}
            return _error(400, "BAD_USER_INPUT", str(exc), **extra)
        version = await state.versions.current()
        tag = etag(version, kind, extension, urlencode(sorted(pairs)), audience)
        headers = {
            "etag": tag,
            "cache-control": "private, no-cache",
            "vary": "Authorization",
            "x-data-version": str(version),
        }
        matches = [t.strip() for t in request.headers.get("if-none-match", "").split(",")]
        if tag in matches or "*" in matches:
            return Response(status_code=304, headers=headers)
        if self._running >= MAX_RUNNING:
            return _limited(MAX_RUNNING, 5, f"at most {MAX_RUNNING} downloads run at once here")
        headers["content-disposition"] = f'attachment; filename="{kind}.{extension}"'
        body = self._body(state.engine, WRITERS[extension], kind, audience, where)
        return StreamingResponse(body, media_type=WRITERS[extension].media_type, headers=headers)

    async def _body(
        self, engine: Any, writer_type: type[Writer], kind: str, audience: Audience, where: Any
    ) -> AsyncIterator[bytes]:
        self._running += 1
        try:
            async with store.snapshot(engine) as session:
                if writer_type.streamable:
                    async for chunk in _streamed(session, writer_type, kind, audience, where):
                        yield chunk
                else:
                    async for chunk in _through_file(session, writer_type, kind, audience, where):
                        yield chunk
        except (asyncio.CancelledError, GeneratorExit):
            raise
        except Exception:  # the answer has started: all that can be done is to cut it short
            log.exception("export of %s failed while streaming", kind)
            raise
        finally:
            self._running -= 1


async def _streamed(
    session: AsyncSession, writer_type: type[Writer], kind: str, audience: Audience, where: Any
) -> AsyncIterator[bytes]:
    sink = Chunks()
    writer = await off_loop(writer_type, sink, kind)
    try:
        async for page in rows(session, kind, audience, where):
            await off_loop(writer.write, page)
            if chunk := sink.take():
                yield chunk
        await off_loop(writer.close)
    except BaseException:
        writer.discard()
        raise
    if chunk := sink.take():
        yield chunk


async def _through_file(
    session: AsyncSession, writer_type: type[Writer], kind: str, audience: Audience, where: Any
) -> AsyncIterator[bytes]:
    with tempfile.TemporaryFile(prefix="export-") as file:
        out: IO[bytes] = file
        writer = await off_loop(writer_type, out, kind)
        try:
            async for page in rows(session, kind, audience, where):
                await off_loop(writer.write, page)
            await off_loop(writer.close)
        except BaseException:
            writer.discard()
            raise
        await off_loop(file.seek, 0)
        while chunk := await off_loop(file.read, FILE_CHUNK):
            yield chunk


def _reads(engine: Any) -> Any:
    """A session factory for the filter's few lookups (territories, producers)."""
    from contextlib import asynccontextmanager

    reader = reading(engine)

    @asynccontextmanager
    async def reads() -> AsyncIterator[AsyncSession]:
        async with AsyncSession(reader, expire_on_commit=False) as session:
            yield session

    return reads


def _denied(denied: access.AccessDenied) -> Response:
    response = _error(denied.status, denied.code, denied.message)
    if denied.status == 401:
        response.headers["www-authenticate"] = 'Bearer realm="data-inclusion"'
    return response


def _limited(limit: int, retry_after: int, message: str | None = None) -> Response:
    response = _error(429, "RATE_LIMITED", message or f"more than {limit} requests this minute")
    response.headers["retry-after"] = str(retry_after)
    return response
