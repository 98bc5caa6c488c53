"""Pulling a producer's API: its `[pull]` table, the pages fetched one after the other (with
retries and backoff), the records written to a local file, then the same ingest as a file's.

```toml
[pull]
url = "https://api.example.org/structures"   # or [pull.structures] / [pull.services] tables
records_path = "results"      # where the records are in each page (none: the page is a list)
pagination = "next-link"      # none | next-link | link-header | page | offset | cursor
next_path = "next"            # next-link: the next page's URL; cursor: the next cursor
auth_header = "Authorization" # a header sent with every request…
auth_env = "DORA_TOKEN"       # …whose value is read from this environment variable
every = "1d"                  # `gateway pull --due` pulls it when its last pull is this old
```

A pull fetches every page before anything is stored: a page that still fails after the
retries, a body that is not JSON, more pages or bytes than the limits, a total the API
announced (`total_path`) that the pages do not reach: the pull is refused, the store is left
as it was, and a failed run says why. A full pull then goes through the ingest's own gone-guard
(an API answering a fraction of its usual records changes nothing either)."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any
from urllib.parse import urljoin

import httpx
import orjson

from ingestion.mapping_file import KINDS, MappingError, Producer

PAGINATIONS = ("none", "next-link", "link-header", "page", "offset", "cursor")
_EVERY = re.compile(r"^\s*(\d+)\s*([mhdw])\s*$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_KEYS = {
    "url", "records_path", "pagination", "next_path", "total_path", "page_param", "first_page",
    "offset_param", "cursor_param", "size_param", "page_size", "params", "auth_header",
    "auth_env", "auth_scheme", "every", "partial", "file", "max_pages", "max_bytes",
    "timeout_s", "retries", "backoff_s", "max_backoff_s",
}  # fmt: skip

Progress = Callable[[str, int], None]


class PullError(Exception):
    """A pull that cannot complete; nothing was stored. The message says why, in one line."""


@dataclass(frozen=True)
class PullSpec:
    """How one kind of a producer's records is pulled."""

    kind: str  # structures | services
    url: str
    file: str  # the local file's name (it must match the kind's file patterns)
    records_path: str | None = None
    pagination: str = "none"
    next_path: str | None = None
    total_path: str | None = None  # the number of records the API says it has
    page_param: str = "page"
    first_page: int = 1
    offset_param: str = "offset"
    cursor_param: str = "cursor"
    size_param: str | None = None
    page_size: int | None = None
    params: dict[str, str] = field(default_factory=dict)  # sent with every request
    auth_header: str | None = None
    auth_env: str | None = None
    auth_scheme: str | None = None  # "Bearer", "Token"…: put before the variable's value
    every: timedelta | None = None
    partial: bool = False  # the API answers changes only: records it leaves out stay
    max_pages: int = 10_000
    max_bytes: int = 2 * 1024**3
    timeout_s: float = 30.0
    retries: int = 4  # attempts after the first, on timeouts, connection errors, 429, 5xx
    backoff_s: float = 1.0  # first wait; doubled at each retry
    max_backoff_s: float = 60.0


def parse(spec: Any, producer_kinds: dict[str, Any], where: str) -> dict[str, PullSpec]:
    """The `[pull]` table checked: one PullSpec per kind pulled. MappingError names the key."""
    if not isinstance(spec, dict):
        raise MappingError(f"{where}: must be a table")
    common = {k: v for k, v in spec.items() if k not in KINDS}
    if unknown := set(common) - _KEYS:
        raise MappingError(f"{where}: unknown key(s) {sorted(unknown)}; known: {sorted(_KEYS)}")
    tables = {k: spec[k] for k in KINDS if k in spec}
    for kind, table in tables.items():
        if not isinstance(table, dict):
            raise MappingError(f"{where}.{kind}: must be a table")
        if kind not in producer_kinds:
            raise MappingError(f"{where}.{kind}: the producer maps no {kind}")
        if unknown := set(table) - _KEYS:
            raise MappingError(f"{where}.{kind}: unknown key(s) {sorted(unknown)}")
    if not tables:
        if "url" not in common:
            raise MappingError(f"{where}: needs a `url` (or [pull.structures] / [pull.services])")
        if len(producer_kinds) != 1:
            raise MappingError(
                f"{where}: the producer maps structures and services: give each its url in "
                "[pull.structures] and [pull.services]"
            )
        tables = {next(iter(producer_kinds)): {}}
    return {
        kind: _spec(kind, {**common, **table}, producer_kinds[kind], f"{where}.{kind}")
        for kind, table in tables.items()
    }


def _spec(kind: str, values: dict[str, Any], kind_mapping: Any, where: str) -> PullSpec:
    if not isinstance(values.get("url"), str) or not re.match(r"^https?://", values["url"]):
        raise MappingError(f"{where}: `url` must be an http(s) URL")
    pagination = values.get("pagination", "none")
    if pagination not in PAGINATIONS:
        raise MappingError(f"{where}: `pagination` must be one of {', '.join(PAGINATIONS)}")
    if pagination in ("next-link", "cursor") and not values.get("next_path"):
        raise MappingError(f"{where}: pagination {pagination!r} needs `next_path`")
    if ("auth_header" in values) != ("auth_env" in values):
        raise MappingError(f"{where}: `auth_header` and `auth_env` go together")
    every = None
    if "every" in values:
        found = _EVERY.match(str(values["every"]))
        if not found:
            raise MappingError(f"{where}: `every` is a number and a unit: 30m, 6h, 1d, 1w")
        every = timedelta(**{_UNITS[found.group(2)]: int(found.group(1))})
    file = values.get("file") or _file_name(kind_mapping)
    if not kind_mapping.matches(Path(file)):
        raise MappingError(
            f"{where}: `file` {file!r} must match the {kind} file patterns "
            f"({', '.join(kind_mapping.files)})"
        )
    known = {k: values[k] for k in _KEYS if k in values and k not in ("every", "file")}
    try:
        spec = PullSpec(kind=kind, file=file, every=every, **known)
        for name in ("first_page", "max_pages", "max_bytes", "retries"):
            int(getattr(spec, name))
        for name in ("timeout_s", "backoff_s", "max_backoff_s"):
            float(getattr(spec, name))
    except (TypeError, ValueError) as exc:
        raise MappingError(f"{where}: {exc}") from None
    if spec.page_size is not None and spec.size_param is None:
        raise MappingError(f"{where}: `page_size` needs `size_param` (the parameter's name)")
    return spec


def _file_name(kind_mapping: Any) -> str:
    """A file name the kind's first pattern matches (`structures-*.json` -> structures-.json)."""
    name = re.sub(r"\[[^\]]*\]", "x", kind_mapping.files[0]).replace("*", "").replace("?", "x")
    return name if Path(name).suffix else name + ".json"


def spec_for(producer: Producer, kind: str, url: str) -> PullSpec:
    """The producer's pull of `kind` with another URL (`gateway ingest SLUG URL`); a producer
    without a [pull] table is read as a single page."""
    if kind not in producer.kinds:
        raise MappingError(f"{producer.source.slug} maps no {kind}")
    known: PullSpec | None = (producer.pull or {}).get(kind)
    if known is not None:
        return replace(known, url=url)
    return _spec(kind, {"url": url}, producer.kinds[kind], f"{producer.source.slug} {kind}")


def due(spec: PullSpec, last_pull: datetime | None, now: datetime) -> bool:
    """A pull is due when it never succeeded, or succeeded `every` ago (no `every`: never by
    schedule, only when asked)."""
    if spec.every is None:
        return False
    return last_pull is None or now - last_pull >= spec.every


# --- fetching --------------------------------------------------------------------------------


@dataclass
class Fetched:
    """What a pull of one kind brought: its local file, pages, records, bytes."""

    spec: PullSpec
    path: Path
    pages: int = 0
    records: int = 0
    bytes: int = 0
    retries: int = 0


def dig(body: Any, path: str | None) -> Any:
    """The value at a dotted path of a JSON body (None when absent)."""
    if not path:
        return body
    for part in path.split("."):
        if isinstance(body, dict):
            body = body.get(part)
        elif isinstance(body, list) and part.isdigit() and int(part) < len(body):
            body = body[int(part)]
        else:
            return None
    return body


class Fetcher:
    """Pages of one spec fetched in order; retries with exponential backoff on timeouts,
    connection errors, 429 and 5xx; everything else refuses the pull."""

    def __init__(self, client: httpx.Client, spec: PullSpec, env: dict[str, str]) -> None:
        self.client, self.spec = client, spec
        self.headers = {"accept": "application/json"}
        if spec.auth_header and spec.auth_env:
            value = env.get(spec.auth_env)
            if not value:
                raise PullError(
                    f"the environment variable {spec.auth_env} (the {spec.auth_header} header "
                    "of the producer's API) is not set"
                )
            self.headers[spec.auth_header] = (
                f"{spec.auth_scheme} {value}" if spec.auth_scheme else value
            )
        self.bytes = 0
        self.retries = 0

    def get(self, url: str, params: dict[str, Any]) -> httpx.Response:
        spec = self.spec
        attempt = 0
        while True:
            wait: float | None = None
            try:
                # the URL's own query (a next link's) kept, the parameters added to it
                target = httpx.URL(url).copy_merge_params({**spec.params, **params})
                response = self.client.get(target, headers=self.headers, timeout=spec.timeout_s)
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                failure = f"{type(exc).__name__} ({exc})" if str(exc) else type(exc).__name__
            else:
                if response.status_code < 400:
                    self.bytes += len(response.content)
                    if self.bytes > spec.max_bytes:
                        raise PullError(
                            f"{_shown(url)}: more than {spec.max_bytes} bytes (max_bytes)"
                        )
                    return response
                failure = f"HTTP {response.status_code}"
                if response.status_code != 429 and response.status_code < 500:
                    raise PullError(f"{_shown(url)} answered {failure}: {_excerpt(response)}")
                wait = _retry_after(response)
            if attempt >= spec.retries:
                raise PullError(
                    f"{_shown(url)}: {failure}, still after {spec.retries} retries; nothing was "
                    "stored"
                )
            backoff = spec.backoff_s * 2**attempt
            time.sleep(min(wait if wait is not None else backoff, spec.max_backoff_s))
            attempt += 1
            self.retries += 1

    def pages(self) -> Iterator[tuple[str, list[Any], Any]]:
        """(url, records, body) of each page, in order."""
        spec = self.spec
        url: str | None = spec.url
        params: dict[str, Any] = {}
        size = {spec.size_param: spec.page_size} if spec.size_param and spec.page_size else {}
        if spec.pagination == "page":
            params = {spec.page_param: spec.first_page, **size}
        elif spec.pagination == "offset":
            params = {spec.offset_param: 0, **size}
        else:
            params = dict(size)
        seen: set[str] = set()
        count = 0
        while url is not None:
            count += 1
            if count > spec.max_pages:
                raise PullError(f"{_shown(spec.url)}: more than {spec.max_pages} pages (max_pages)")
            response = self.get(url, params)
            try:
                body = orjson.loads(response.content)
            except orjson.JSONDecodeError:
                raise PullError(
                    f"{_shown(str(response.url))}: the answer is not JSON "
                    f"({response.headers.get('content-type', 'no content type')})"
                ) from None
            records = dig(body, spec.records_path)
            if records is None and count > 1 and spec.pagination in ("page", "offset"):
                records = []
            if not isinstance(records, list):
                where = f"at {spec.records_path!r}" if spec.records_path else "the page itself"
                raise PullError(f"{_shown(str(response.url))}: no list of records {where}")
            yield str(response.url), records, body
            url, params = self._next(response, body, records, url, params, seen)

    def _next(
        self,
        response: httpx.Response,
        body: Any,
        records: list[Any],
        url: str,
        params: dict[str, Any],
        seen: set[str],
    ) -> tuple[str | None, dict[str, Any]]:
        spec = self.spec
        short = spec.page_size is not None and len(records) < spec.page_size
        if spec.pagination == "none":
            return None, params
        if spec.pagination in ("page", "offset"):
            if not records or short:
                return None, params
            if spec.pagination == "page":
                return url, {**params, spec.page_param: int(params[spec.page_param]) + 1}
            return url, {**params, spec.offset_param: int(params[spec.offset_param]) + len(records)}
        if spec.pagination == "cursor":
            cursor = dig(body, spec.next_path)
            if cursor in (None, "") or not records:
                return None, params
            key = f"cursor:{cursor}"
            if key in seen:
                raise PullError(f"{_shown(spec.url)}: the cursor {cursor!r} came back twice")
            seen.add(key)
            return url, {**params, spec.cursor_param: cursor}
        if spec.pagination == "next-link":
            following = dig(body, spec.next_path)
        else:  # link-header
            following = response.links.get("next", {}).get("url")
        if following in (None, ""):
            return None, params
        following = urljoin(str(response.url), str(following))
        if following in seen or following == str(response.url):
            raise PullError(f"{_shown(following)}: this next page was already fetched (a loop)")
        seen.add(str(response.url))
        seen.add(following)
        return following, {}  # the link carries its own parameters


def fetch(
    spec: PullSpec,
    folder: Path,
    reader_format: str | None,
    reader_records_path: str | None,
    *,
    client: httpx.Client,
    env: dict[str, str],
    progress: Progress | None = None,
    label: str = "",
) -> Fetched:
    """Every page of `spec`, its records written to `folder/spec.file` as the producer's reader
    reads it (JSON Lines, or a JSON document with the records at the reader's records_path)."""
    fetcher = Fetcher(client, spec, env)
    path = folder / spec.file
    done = Fetched(spec, path)
    total: Any = None
    with path.open("wb") as out:
        writer = _Writer(out, reader_format, reader_records_path)
        for _url, records, body in fetcher.pages():
            done.pages += 1
            if done.pages == 1 and spec.total_path:
                total = dig(body, spec.total_path)
            for record in records:
                writer.add(record)
            done.records += len(records)
            if progress:
                progress(label or spec.kind, done.records)
        writer.close()
    done.bytes, done.retries = fetcher.bytes, fetcher.retries
    if spec.total_path:
        if not isinstance(total, int):
            raise PullError(f"{_shown(spec.url)}: no number of records at {spec.total_path!r}")
        if done.records != total:
            raise PullError(
                f"{_shown(spec.url)}: the API announced {total} records and its pages held "
                f"{done.records}: half a dataset is not stored"
            )
    if done.records == 0 and not spec.partial:
        raise PullError(f"{_shown(spec.url)}: no records at all; nothing was stored")
    return done


class _Writer:
    def __init__(self, out: IO[bytes], reader_format: str | None, records_path: str | None):
        self.out = out
        self.lines = reader_format == "jsonl"
        self.first = True
        self.suffix = b"]"
        if not self.lines:
            parts = records_path.split(".") if records_path else []
            out.write(b"".join(b"{" + orjson.dumps(p) + b":" for p in parts) + b"[")
            self.suffix = b"]" + b"}" * len(parts)

    def add(self, record: Any) -> None:
        data = orjson.dumps(record)
        if self.lines:
            self.out.write(data + b"\n")
            return
        self.out.write(data if self.first else b"," + data)
        self.first = False

    def close(self) -> None:
        if not self.lines:
            self.out.write(self.suffix)


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "")
    return float(value) if value.strip().isdigit() else None


def _shown(url: str) -> str:
    """A URL as shown in messages: without its query string (tokens are sometimes there)."""
    return url.split("?", 1)[0]


def _excerpt(response: httpx.Response) -> str:
    text = response.text.strip().replace("\n", " ")
    return text[:200] or "(empty body)"


# --- pulling into the store -----------------------------------------------------------------


@dataclass
class PullReport:
    source: str
    fetched: list[Fetched] = field(default_factory=list)
    ingest: dict[str, Any] | None = None
    error: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "status": "failed" if self.error else (self.ingest or {}).get("status"),
            "error": self.error,
            "fetched": [
                {
                    "kind": f.spec.kind,
                    "url": _shown(f.spec.url),
                    "pages": f.pages,
                    "records": f.records,
                    "bytes": f.bytes,
                    "retries": f.retries,
                }
                for f in self.fetched
            ],
            "ingest": self.ingest,
        }


def reader_of(producer: Producer, kind: str) -> tuple[str | None, str | None]:
    """The format and records path the producer's reader expects of a pulled kind's file."""
    options = producer.kinds[kind].reader_options(producer.reader)
    if options.format not in (None, "json", "jsonl", "json-pages"):
        raise PullError(
            f"{producer.source.slug}: its {kind} are read as {options.format}; a pulled API is "
            "written as JSON: set the reader's format to json (or leave it out)"
        )
    return ("jsonl" if options.format == "jsonl" else "json"), options.records_path


async def pull(
    engine: Any,
    producer: Producer,
    specs: dict[str, PullSpec],
    *,
    producers_dir: Path,
    env: dict[str, str] | None = None,
    options: Any = None,
    progress: Progress | None = None,
    transport: httpx.BaseTransport | None = None,
) -> PullReport:
    """Fetch every kind's pages, then ingest the files together as one run. A failure before
    the ingest stores nothing and records a failed run; the ingest's own refusals (the
    gone-guard) are recorded by the ingest."""
    from ingestion.run import IngestError, IngestOptions, ingest

    slug = producer.source.slug
    report = PullReport(slug)
    folder = Path(tempfile.mkdtemp(prefix=f"pull-{slug}-"))
    started = datetime.now(UTC)
    try:
        try:
            with httpx.Client(follow_redirects=True, transport=transport) as client:
                for kind, spec in sorted(specs.items(), key=lambda kv: KINDS.index(kv[0])):
                    fmt, records_path = reader_of(producer, kind)
                    fetched = await asyncio.to_thread(
                        fetch, spec, folder, fmt, records_path, client=client,
                        env=dict(os.environ if env is None else env), progress=progress,
                        label=f"{slug} {kind}",
                    )  # fmt: skip
                    report.fetched.append(fetched)
        except PullError as exc:
            report.error = str(exc)
            await _record_failed_pull(engine, producer, specs, str(exc), started)
            return report
        options = options or IngestOptions()
        options = replace(
            options, partial=options.partial or all(s.partial for s in specs.values())
        )
        try:
            result = await ingest(
                engine, slug, [f.path for f in report.fetched], options,
                progress=progress, producers_dir=producers_dir,
            )  # fmt: skip
        except IngestError as exc:
            report.error = str(exc).replace(str(folder) + "/", "")
            await _name_a_refusal(engine, slug, folder, report)
            return report
        report.ingest = result.as_json()
        if result.run_id is not None:
            await _name_the_run(engine, result.run_id, report)
        return report
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _run_files(report: PullReport) -> list[dict[str, Any]]:
    from ingestion.run import _sha256

    return [
        {"url": _shown(f.spec.url), "kind": f.spec.kind, "pages": f.pages, "records": f.records,
         "sha256": _sha256(f.path) if f.path.exists() else None}
        for f in report.fetched
    ]  # fmt: skip


async def _name_the_run(engine: Any, run_id: int, report: PullReport) -> None:
    """The run's files are the API's URLs, not the temporary files they were written to: how
    `gateway runs` shows it and how `gateway pull --due` finds the last pull."""
    from store import records as store

    async with engine.begin() as conn:
        await store.finish_run(conn, run_id, files=_run_files(report))


async def _name_a_refusal(engine: Any, slug: str, folder: Path, report: PullReport) -> None:
    """A run the ingest refused (the gone-guard) names the API's URLs too."""
    from store import records as store

    async with engine.begin() as conn:
        last = await store.runs_of(conn, slug, limit=1)
        files = last[0]["files"] if last else []
        if last and any(str(f.get("path", "")).startswith(str(folder)) for f in files):
            await store.finish_run(
                conn, last[0]["id"], files=_run_files(report), error=f"pull: {report.error}"
            )


async def _record_failed_pull(
    engine: Any, producer: Producer, specs: dict[str, PullSpec], error: str, started: datetime
) -> None:
    from store import records as store

    source = producer.source
    async with engine.begin() as conn:
        await store.upsert_source(conn, dict(source.__dict__), started)
        await store.create_run(
            conn,
            {
                "source_slug": source.slug,
                "status": "failed",
                "partial": all(s.partial for s in specs.values()),
                "files": [{"url": _shown(s.url), "kind": s.kind} for s in specs.values()],
                "counts": {},
                "error": f"pull: {error}",
                "started_at": started,
                "finished_at": datetime.now(UTC),
            },
        )


async def last_pull(conn: Any, slug: str) -> datetime | None:
    """When the source's last successful pull finished (a run whose files are URLs)."""
    from sqlalchemy import select

    from store.records import runs

    rows = await conn.execute(
        select(runs.c.files, runs.c.finished_at, runs.c.started_at)
        .where(runs.c.source_slug == slug, runs.c.status.in_(("succeeded", "unchanged")))
        .order_by(runs.c.id.desc())
        .limit(200)
    )
    for files, finished, started in rows:
        if files and all(isinstance(f, dict) and "url" in f for f in files):
            moment: datetime | None = finished or started
            if moment is not None and moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
            return moment
    return None
