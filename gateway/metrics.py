"""`/metrics` in the Prometheus text format, with `prometheus_client`: HTTP requests and their
latency, GraphQL operations and their latency, errors by code, response-cache lookups, the
connection pool, ingest runs.

**Several workers.** `gateway serve` gives every start a fresh directory in
`PROMETHEUS_MULTIPROC_DIR` (`gateway.cli.fresh_metrics_dir`), before any worker starts: each
worker then keeps its counts in memory-mapped files there (prometheus_client's multiprocess
mode), and /metrics, whichever worker answers it, adds up every worker's files, so counters never go
backwards from one scrape to the next. A worker that stops marks itself dead (its share of the
pool gauges leaves the sum, its counts stay in the totals); a worker that was killed is found
dead at the next scrape. Without that variable (tests, a process embedding the app) the counts
are the process's own, in a registry of each application.

Labels come from closed sets, never from what a client writes: an operation is named only when
the request ran one of the trusted documents an operator registered (`gateway token
documents`); every other operation, APQ documents included (any client may register one), is
`anonymous`. Each label keeps at most `MAX_LABEL_VALUES` values per process (then `other`), so
the page stays small whatever is sent. With `GATEWAY_METRICS_TOKEN` set, /metrics answers only
to `Authorization: Bearer <that token>` and counts the restricted producers' ingest runs too;
without it, it answers anyone and leaves those producers out."""

from __future__ import annotations

import glob
import hmac
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from graphql import OperationDefinitionNode
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
    values,
)
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.extensions import SchemaExtension

from gateway.errors import with_codes
from models import IngestRun, Source
from store.territories import table_of

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
MAX_LABEL_VALUES = 100  # per metric and process; then `other`
MAX_NAME_CHARS = 64  # an operation name longer than this is not a label
ANONYMOUS = "anonymous"
OTHER = "other"
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]*")

disable_created_metrics()  # no `_created` samples: the same page in both modes


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROC_ENV) or None


class _Bounded:
    """A labelled metric whose label sets are kept to `MAX_LABEL_VALUES` (then `other`)."""

    def __init__(self, metric: Any) -> None:
        self.metric = metric
        self.seen: set[tuple[str, ...]] = set()

    def labels(self, *values: str) -> Any:
        if values not in self.seen:
            if len(self.seen) >= MAX_LABEL_VALUES:
                values = tuple(OTHER for _ in values)
            else:
                self.seen.add(values)
        return self.metric.labels(*values)


class Metrics:
    """The gateway's metrics. In multiprocess mode (`PROMETHEUS_MULTIPROC_DIR` set) their values
    live in that directory's files, and `registry` only holds them; otherwise `registry` is what
    /metrics shows."""

    def __init__(self) -> None:
        self.multiprocess = multiprocess_dir()
        if self.multiprocess and values.ValueClass is values.MutexValue:
            raise RuntimeError(
                f"{MULTIPROC_ENV} was set after prometheus_client was imported: this process "
                "would count in memory and /metrics would not see it"
            )
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.http_requests = _Bounded(
            Counter("gateway_http_requests", "HTTP requests to /graphql by status.",
                    ["status"], registry=r)
        )  # fmt: skip
        self.http_seconds = _Bounded(
            Histogram("gateway_http_request_seconds", "Time to answer /graphql, by status.",
                      ["status"], buckets=BUCKETS, registry=r)
        )  # fmt: skip
        self.operations = _Bounded(
            Counter("gateway_graphql_operations", "GraphQL operations executed, by name.",
                    ["operation"], registry=r)
        )  # fmt: skip
        self.operation_seconds = _Bounded(
            Histogram("gateway_graphql_operation_seconds", "Time to execute an operation.",
                      ["operation"], buckets=BUCKETS, registry=r)
        )  # fmt: skip
        self.errors = _Bounded(
            Counter("gateway_graphql_errors", "GraphQL errors by extensions.code.",
                    ["code"], registry=r)
        )  # fmt: skip
        cache = Counter("gateway_response_cache", "Response-cache lookups by result.",
                        ["result"], registry=r)  # fmt: skip
        self.cache_hits, self.cache_misses = cache.labels("hit"), cache.labels("miss")
        # the pool: each live worker's share, added up (a stopped worker's share leaves the sum)
        self.pool_checked_out = Gauge(
            "gateway_db_pool_checked_out", "Database connections in use, all workers.",
            registry=r, multiprocess_mode="livesum",
        )  # fmt: skip
        self.pool_size = Gauge(
            "gateway_db_pool_size", "Connections the pools keep, all workers.",
            registry=r, multiprocess_mode="livesum",
        )  # fmt: skip

    def cache_lookup(self, result: str) -> None:
        """The response cache's report of one lookup: `hit` or `miss`."""
        (self.cache_hits if result == "hit" else self.cache_misses).inc()

    def watch_pool(self, engine: AsyncEngine) -> None:
        """Follow the engine's pool: its size, and connections in use by checkout and checkin."""
        pool = engine.sync_engine.pool
        self.pool_size.set(int(getattr(pool, "size", lambda: 0)()))
        event.listen(engine.sync_engine, "checkout", lambda *_: self.pool_checked_out.inc())
        event.listen(engine.sync_engine, "checkin", lambda *_: self.pool_checked_out.dec())

    def stopped(self) -> None:
        """This worker is stopping: its share of the live gauges leaves the sum."""
        if self.multiprocess:
            multiprocess.mark_process_dead(os.getpid(), self.multiprocess)

    def exposition(self) -> bytes:
        """Every worker's counts added up (multiprocess mode), or this process's."""
        if not self.multiprocess:
            return generate_latest(self.registry)
        _reap_dead_workers(self.multiprocess)
        registry = CollectorRegistry(auto_describe=True)
        multiprocess.MultiProcessCollector(registry, self.multiprocess)
        return generate_latest(registry)


def _reap_dead_workers(path: str) -> None:
    """Workers that died without saying so (killed): their live gauges leave the sum."""
    pids = {
        int(m.group(1))
        for f in glob.glob(os.path.join(path, "gauge_live*_*.db"))
        if (m := re.search(r"_(\d+)\.db$", f))
    }
    for pid in pids - {os.getpid()}:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            multiprocess.mark_process_dead(pid, path)
        except PermissionError:  # alive, another user's
            pass


class _IngestRuns:
    """`gateway_ingest_runs`, read from the store at scrape time (the same from every worker)."""

    def __init__(self, counts: dict[tuple[str, str], int]) -> None:
        self.counts = counts

    def collect(self) -> Iterable[Metric]:
        family = GaugeMetricFamily(
            "gateway_ingest_runs",
            "Ingest runs in the store, by source and status "
            "(restricted producers only behind GATEWAY_METRICS_TOKEN).",
            labels=["source", "status"],
        )
        for (source, status), n in sorted(self.counts.items()):
            family.add_metric([source, status], n)
        yield family


class Measured:
    """Counts and times every HTTP request to the app it wraps."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = "500"

        async def noted(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = str(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, noted)
        finally:
            self.metrics.http_requests.labels(status).inc()
            self.metrics.http_seconds.labels(status).observe(time.perf_counter() - started)


def operation_metrics(metrics: Metrics) -> type[SchemaExtension]:
    class OperationMetrics(SchemaExtension):
        def on_operation(self) -> Iterator[None]:
            started = time.perf_counter()
            yield
            context = self.execution_context
            name = operation_label(context)
            metrics.operations.labels(name).inc()
            metrics.operation_seconds.labels(name).observe(time.perf_counter() - started)
            result = context.result
            errors = [dict(e.formatted) for e in getattr(result, "errors", None) or ()]
            for error in with_codes(errors, suggestions=True):
                metrics.errors.labels(str(error["extensions"].get("code", "UNCODED"))[:64]).inc()

    return OperationMetrics


def operation_label(execution: Any) -> str:
    """The operation's name when the request ran a trusted document (a name an operator
    registered, as written in that document), `anonymous` otherwise."""
    request = getattr(execution.context, "request", None)
    state = getattr(request, "scope", {}).get("state", {}) if request is not None else {}
    document = execution.graphql_document
    if not state.get(TRUSTED_DOCUMENT) or document is None:
        return ANONYMOUS
    try:
        name = execution.operation_name
    except RuntimeError:  # no operation, or several and none chosen
        return ANONYMOUS
    written = {
        d.name.value
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode) and d.name is not None
    }
    if name not in written or len(name) > MAX_NAME_CHARS or not _NAME.fullmatch(name):
        return ANONYMOUS
    return str(name)


# set in the request's scope state by gateway/persisted.py when it runs a trusted document
TRUSTED_DOCUMENT = "trusted_document"


def metrics_endpoint(
    metrics: Metrics, engine: AsyncEngine, token: str | None = None
) -> Callable[..., Any]:
    """/metrics; with `token`, only for `Authorization: Bearer <token>`, and the restricted
    producers' ingest runs counted too."""
    runs = table_of(IngestRun)
    sources = table_of(Source)
    expected = f"Bearer {token}".encode() if token else None

    async def endpoint(request: Request) -> Response:
        if expected is not None:
            given = request.headers.get("authorization", "").encode()
            if not hmac.compare_digest(given, expected):
                return PlainTextResponse(
                    "/metrics needs `Authorization: Bearer <GATEWAY_METRICS_TOKEN>`\n",
                    status_code=401,
                    headers={"www-authenticate": 'Bearer realm="metrics"'},
                )
        counts: dict[tuple[str, str], int] = {}
        try:
            async with engine.connect() as conn:
                query = select(runs.c.source_slug, runs.c.status, func.count()).group_by(
                    runs.c.source_slug, runs.c.status
                )
                if expected is None:  # open to anyone: not the restricted producers
                    query = query.join(sources, sources.c.slug == runs.c.source_slug).where(
                        sources.c.restreinte.is_(False)
                    )
                result = await conn.execute(query)
                counts = {(s, st): int(n) for s, st, n in result}
        except Exception:  # the database down: the workers' own figures still answer
            counts = {}
        store = CollectorRegistry(auto_describe=True)
        store.register(_IngestRuns(counts))
        body = metrics.exposition() + generate_latest(store)
        return Response(body, media_type=CONTENT_TYPE_PLAIN_0_0_4)

    return endpoint
