"""A producer's files over HTTP, for machines (JSON answers), with the producer's token.

- `POST /producers/{slug}/check?filename=NAME` with the file as the request body: the phase-0
  assessment of the file and its validation report (every record mapped, normalised and
  validated as an ingest would; problems counted by field and message with their first rows;
  producer values no value map covers, with the closest known one). Nothing is stored.
- `POST /producers/{slug}/submit?filename=NAME`: the file ingested as the source's next run,
  by the same ingest as `gateway ingest` (one transaction, rejected rows quarantined, the
  gone-guard). With `dry_run=1` the run is made then rolled back, and the answer says what it
  would change: new records, changed ones field by field, gone ones, rejected rows, plus a
  `confirm` value; a submission carrying `confirm=` that value is refused (409) if the file or
  the source has changed since. `partial=1`: a delta file (absent records stay).

Refusals: no token 401; a token that is not this source's producer token 403; a body larger
than GATEWAY_PRODUCER_UPLOAD_MAX_BYTES 413; a file name whose extension is not a format the
readers know 415; a file that cannot be read or matches none of the producer's file patterns
422; another ingest of the store running 409.

The body is streamed to a temporary file (never held in memory whole) in a directory of its
own, removed when the answer is ready. Checks and ingests run in a thread of their own (the
event loop keeps serving); at most `MAX_RUNNING` run at once in a process (others get 429)."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import shutil
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import orjson
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from gateway import access
from gateway.errors import RETRY_LATER, retry_message
from gateway.ratelimit import RateLimiter
from store.engine import create_engine, unavailability

log = logging.getLogger(__name__)

MAX_RUNNING = 2  # checks and submissions running at once in one process
EXTENSIONS = (".csv", ".tsv", ".txt", ".json", ".jsonl", ".ndjson", ".xml", ".xlsx", ".ods")
_POOL = ThreadPoolExecutor(max_workers=MAX_RUNNING, thread_name_prefix="producer-files")
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


class Refused(Exception):
    def __init__(self, status: int, code: str, message: str, **headers: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers


def _json(doc: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = orjson.dumps(doc, default=str, option=orjson.OPT_NON_STR_KEYS)
    return Response(body, status_code=status, media_type="application/json", headers=headers)


def _error(refused: Refused) -> Response:
    body = {"errors": [{"message": refused.message, "extensions": {"code": refused.code}}]}
    headers = dict(refused.headers)
    if refused.status == 401:
        headers["www-authenticate"] = 'Bearer realm="data-inclusion"'
    return _json(body, refused.status, headers)


class ProducerFiles:
    """The two endpoints; the engine, cache and settings come from the application."""

    def __init__(self) -> None:
        self._running = 0
        self._book: access.TokenBook | None = None
        self._limiter: RateLimiter | None = None

    def routes(self) -> list[Route]:
        return [
            Route("/producers/{slug}/check", self.check, methods=["POST"]),
            Route("/producers/{slug}/submit", self.submit, methods=["POST"]),
        ]

    async def check(self, request: Request) -> Response:
        return await self._answer(request, self._check)

    async def submit(self, request: Request) -> Response:
        return await self._answer(request, self._submit)

    async def _answer(
        self, request: Request, work: Callable[[Request, Any, Path, str], Any]
    ) -> Response:
        folder: Path | None = None
        try:
            slug = await self._admit(request)
            producer = self._producer(request, slug)
            name = _file_name(request)
            if request.headers.get("content-type", "").startswith("multipart/"):
                raise Refused(
                    415,
                    "UNSUPPORTED_FORMAT",
                    "send the file itself as the request body (`curl --data-binary @FILE`), "
                    "not a form",
                )
            if self._running >= MAX_RUNNING:
                raise Refused(
                    429,
                    "RATE_LIMITED",
                    f"at most {MAX_RUNNING} files are checked or submitted at once here; "
                    "try again shortly",
                    **{"retry-after": "5"},
                )
            self._running += 1
            try:
                settings = request.app.state.settings
                if settings.upload_dir is not None:
                    settings.upload_dir.mkdir(parents=True, exist_ok=True)
                folder = Path(tempfile.mkdtemp(prefix="producer-file-", dir=settings.upload_dir))
                path = folder / name
                sha256 = await _receive(request, path, settings.producer_upload_max_bytes)
                return _json(await work(request, producer, path, sha256))
            finally:
                self._running -= 1
        except Refused as refused:
            return _error(refused)
        except ClientDisconnect:
            return Response(status_code=400)
        except Exception as exc:
            if (what := unavailability(exc)) is None:
                raise
            log.warning("database %s: %s", what, type(exc).__name__)
            code, message = retry_message(what)
            return _error(Refused(503, code, message, **{"retry-after": str(RETRY_LATER[code])}))
        finally:
            if folder is not None:
                shutil.rmtree(folder, ignore_errors=True)

    async def _admit(self, request: Request) -> str:
        """The slug of a request whose token is that producer's; Refused otherwise."""
        state = request.app.state
        settings = state.settings
        if self._book is None or self._limiter is None:
            self._book = access.TokenBook(state.engine, settings.token_cache_seconds)
            self._limiter = RateLimiter(
                state.cache,
                anonymous_per_minute=settings.rate_limit_anonymous,
                token_per_minute=settings.rate_limit_token,
            )
        address = access.client_address(request.scope, request, settings.trusted_proxies)
        try:
            principal = await access.authenticate(request, self._book, "off", producers=True)
        except access.AccessDenied as denied:
            verdict = await self._limiter.check(f"ip:{address}", anonymous=True)
            if not verdict.allowed:
                raise Refused(
                    429, "RATE_LIMITED", f"more than {verdict.limit} requests this minute",
                    **{"retry-after": str(verdict.retry_after_s)},
                ) from None  # fmt: skip
            raise Refused(denied.status, denied.code, denied.message) from None
        verdict = await self._limiter.check(f"token:{principal.token_prefix}", anonymous=False)
        if not verdict.allowed:
            raise Refused(
                429, "RATE_LIMITED", f"more than {verdict.limit} requests this minute",
                **{"retry-after": str(verdict.retry_after_s)},
            )  # fmt: skip
        slug = str(request.path_params["slug"])
        if principal.producer is None:
            raise Refused(
                403,
                "FORBIDDEN",
                "checking and submitting files needs a producer's token "
                "(`gateway token create --producer SLUG`)",
            )
        if principal.producer != slug:
            raise Refused(
                403, "FORBIDDEN", f"this token submits the files of {principal.producer!r} only"
            )
        return slug

    def _producer(self, request: Request, slug: str) -> Any:
        from ingestion import mapping_file

        try:
            return mapping_file.load(slug, request.app.state.settings.producers_dir)
        except mapping_file.MappingError as exc:
            raise Refused(404, "NOT_FOUND", str(exc)) from None

    async def _check(self, request: Request, producer: Any, path: Path, sha256: str) -> Any:
        from ingestion.readers import ReadError
        from ingestion.run import IngestError
        from ingestion.submission import check_file

        territories = await _territories(request.app.state.engine)
        try:
            report = await _in_thread(check_file, producer, path, territories)
        except (ReadError, IngestError) as exc:
            raise Refused(422, "BAD_FILE", _where(exc, path)) from None
        return {**report, "sha256": sha256}

    async def _submit(self, request: Request, producer: Any, path: Path, sha256: str) -> Any:
        from ingestion.run import GoneThresholdExceeded, IngestError, IngestOptions

        query = request.query_params
        dry_run = _flag(query.get("dry_run"))
        options = IngestOptions(partial=_flag(query.get("partial")), dry_run=dry_run, wait=False)
        settings = request.app.state.settings
        slug = producer.source.slug
        confirm = _confirmation(
            sha256, producer.sha256, options.partial, await _last_run(request, slug)
        )
        wanted = query.get("confirm")
        if wanted is not None and wanted != confirm and not dry_run:
            raise Refused(
                409,
                "CHANGED_SINCE_PREVIEW",
                "this is not the file previewed, or the source has had another run since: "
                "preview it again (dry_run=1)",
            )
        try:
            report = await _in_thread(_ingest, settings, slug, path, options)
        except GoneThresholdExceeded as exc:
            raise Refused(422, "REFUSED", _where(exc, path)) from None
        except IngestError as exc:
            message = _where(exc, path)
            if "another ingest" in message or "another process" in message:
                raise Refused(409, "BUSY", message, **{"retry-after": "30"}) from None
            raise Refused(422, "BAD_FILE", message) from None
        doc = report.as_json()
        doc["files"] = [{"name": path.name, "sha256": sha256}]
        if dry_run:
            doc["confirm"] = confirm
        return doc


def _flag(value: str | None) -> bool:
    return (value or "").lower() in ("1", "true", "yes", "on")


def _file_name(request: Request) -> str:
    """The uploaded file's name (`?filename=`, or the Content-Disposition header's), reduced
    to safe characters; its extension says the format."""
    name = request.query_params.get("filename")
    if not name:
        found = re.search(r'filename="?([^";]+)"?', request.headers.get("content-disposition", ""))
        name = found.group(1) if found else None
    if not name:
        raise Refused(
            422,
            "BAD_USER_INPUT",
            "name the file: `?filename=structures.csv` (its name says which records it holds "
            "and its extension the format)",
        )
    name = _SAFE_NAME.sub("-", Path(name.replace("\\", "/")).name).strip(".-")[:120]
    if Path(name).suffix.lower() not in EXTENSIONS:
        raise Refused(
            415,
            "UNSUPPORTED_FORMAT",
            f"{name or 'the file'}: unknown format; send CSV, JSON, JSON Lines, XML, XLSX or "
            f"ODS, named with its extension ({', '.join(EXTENSIONS)})",
        )
    return name


async def _receive(request: Request, path: Path, limit: int) -> str:
    """Write the body to `path` as it arrives; its SHA-256. Refused (413) past `limit` bytes."""
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > limit:
        raise Refused(413, "REQUEST_TOO_LARGE", _too_large(limit))
    digest = hashlib.sha256()
    size = 0
    with path.open("wb") as out:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise Refused(413, "REQUEST_TOO_LARGE", _too_large(limit))
            digest.update(chunk)
            out.write(chunk)
    if size == 0:
        raise Refused(422, "BAD_FILE", f"{path.name}: the request body is empty; send the file")
    return digest.hexdigest()


def _too_large(limit: int) -> str:
    return (
        f"the file is larger than {limit} bytes, the limit of this gateway; an operator can "
        "ingest it (`gateway ingest`)"
    )


def _where(exc: Exception, path: Path) -> str:
    """An error's message with the temporary folder left out of the file's path."""
    return str(exc).replace(str(path), path.name).replace(str(path.parent) + "/", "")


def _confirmation(file_sha: str, mapping_sha: str, partial: bool, last_run: int | None) -> str:
    key = f"{file_sha}\0{mapping_sha}\0{partial}\0{last_run}"
    return hashlib.sha256(key.encode()).hexdigest()[:32]


async def _last_run(request: Request, slug: str) -> int | None:
    from store import records as record_store

    async with request.app.state.engine.connect() as conn:
        runs = await record_store.runs_of(conn, slug, limit=1)
    return int(runs[0]["id"]) if runs else None


async def _territories(engine: Any) -> Any:
    from ingestion.normalize import Territories
    from store import territories as territory_store

    async with engine.connect() as conn:
        current, aliases = await territory_store.code_tables(conn)
    return Territories(current=current, aliases=aliases)


async def _in_thread(fn: Callable[..., Any], *args: Any) -> Any:
    return await asyncio.get_running_loop().run_in_executor(_POOL, lambda: fn(*args))


def _ingest(settings: Any, slug: str, path: Path, options: Any) -> Any:
    """The ingest, on an event loop and an engine of this thread's own (the serving loop keeps
    answering meanwhile)."""
    from ingestion.run import ingest

    async def run() -> Any:
        engine = create_engine(settings.database(), statement_timeout_ms=None, pool_size=2)
        try:
            return await ingest(engine, slug, [path], options, producers_dir=settings.producers_dir)
        finally:
            await engine.dispose()

    return asyncio.run(run())
