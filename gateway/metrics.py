"""`/metrics` in the Prometheus text format (hand-written: a few counters and histograms do not
need a client library): HTTP requests and their latency, GraphQL operations and their latency,
errors by code, response-cache hits, the connection pool, ingest runs.

Labels come from closed sets, never from what a client writes: an operation is named only when
the request ran one of the trusted documents an operator registered (`gateway token
documents`); every other operation, APQ documents included (any client may register one), is
`anonymous`. Each label keeps at most `MAX_LABEL_VALUES` values (then `other`), so the page
stays small whatever is sent. With `GATEWAY_METRICS_TOKEN` set, /metrics answers only to
`Authorization: Bearer <that token>` and counts the restricted producers' ingest runs too;
without it, it answers anyone and leaves those producers out."""

from __future__ import annotations

import hmac
import re
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import Any

from graphql import OperationDefinitionNode
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.extensions import SchemaExtension

from gateway.errors import with_codes
from models import IngestRun, Source
from store.territories import table_of

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
MAX_LABEL_VALUES = 100  # per metric; then `other`
MAX_NAME_CHARS = 64  # an operation name longer than this is not a label
ANONYMOUS = "anonymous"
OTHER = "other"
_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]*")


class Counter(defaultdict[tuple[str, ...], int]):
    """Counts by labels, at most `MAX_LABEL_VALUES` label sets (then `other`)."""

    def __init__(self) -> None:
        super().__init__(int)

    def add(self, labels: tuple[str, ...], n: int = 1) -> None:
        self[bounded(self, labels)] += n


def bounded(seen: Any, labels: tuple[str, ...]) -> tuple[str, ...]:
    """`labels`, or `other` for each when `seen` holds `MAX_LABEL_VALUES` label sets already."""
    if labels in seen or len(seen) < MAX_LABEL_VALUES:
        return labels
    return tuple(OTHER for _ in labels)


class Histogram:
    def __init__(self) -> None:
        self.counts: dict[tuple[str, ...], list[int]] = defaultdict(lambda: [0] * len(BUCKETS))
        self.sums: dict[tuple[str, ...], float] = defaultdict(float)
        self.totals: dict[tuple[str, ...], int] = defaultdict(int)

    def observe(self, labels: tuple[str, ...], seconds: float) -> None:
        labels = bounded(self.totals, labels)
        for i, bound in enumerate(BUCKETS):
            if seconds <= bound:
                self.counts[labels][i] += 1
        self.sums[labels] += seconds
        self.totals[labels] += 1


class Metrics:
    """Per-process counters (each worker answers for itself, as Prometheus expects)."""

    def __init__(self) -> None:
        self.http_requests = Counter()  # (status,)
        self.http_seconds = Histogram()
        self.operations = Counter()  # (operation,)
        self.operation_seconds = Histogram()
        self.errors = Counter()  # (code,)
        self.cache_counts: Callable[[], tuple[int, int]] = lambda: (0, 0)

    def render(self, pool: dict[str, int], runs: dict[tuple[str, str], int]) -> str:
        lines: list[str] = []

        def counter(name: str, text: str, label_names: tuple[str, ...], values: Any) -> None:
            lines.extend([f"# HELP {name} {text}", f"# TYPE {name} counter"])
            for labels, value in sorted(values.items()):
                lines.append(f"{name}{_labels(label_names, labels)} {value}")

        def histogram(name: str, text: str, label_names: tuple[str, ...], h: Histogram) -> None:
            lines.extend([f"# HELP {name} {text}", f"# TYPE {name} histogram"])
            for labels in sorted(h.totals):
                for bound, count in zip(BUCKETS, h.counts[labels], strict=True):
                    le = _labels((*label_names, "le"), (*labels, f"{bound:g}"))
                    lines.append(f"{name}_bucket{le} {count}")
                inf = _labels((*label_names, "le"), (*labels, "+Inf"))
                lines.append(f"{name}_bucket{inf} {h.totals[labels]}")
                lines.append(f"{name}_sum{_labels(label_names, labels)} {h.sums[labels]:.6f}")
                lines.append(f"{name}_count{_labels(label_names, labels)} {h.totals[labels]}")

        counter("gateway_http_requests_total", "HTTP requests to /graphql by status.",
                ("status",), self.http_requests)  # fmt: skip
        histogram("gateway_http_request_seconds", "Time to answer /graphql, by status.",
                  ("status",), self.http_seconds)  # fmt: skip
        counter("gateway_graphql_operations_total", "GraphQL operations executed, by name.",
                ("operation",), self.operations)  # fmt: skip
        histogram("gateway_graphql_operation_seconds", "Time to execute an operation.",
                  ("operation",), self.operation_seconds)  # fmt: skip
        counter("gateway_graphql_errors_total", "GraphQL errors by extensions.code.",
                ("code",), self.errors)  # fmt: skip
        hits, misses = self.cache_counts()
        counter("gateway_response_cache_total", "Response-cache lookups by result.",
                ("result",), {("hit",): hits, ("miss",): misses})  # fmt: skip
        for name, value in sorted(pool.items()):
            lines.extend(
                [f"# TYPE gateway_db_pool_{name} gauge", f"gateway_db_pool_{name} {value}"]
            )
        lines.extend(["# HELP gateway_ingest_runs Ingest runs in the store, by source and status "
                      "(restricted producers only behind GATEWAY_METRICS_TOKEN).",
                      "# TYPE gateway_ingest_runs gauge"])  # fmt: skip
        for (source, status), n in sorted(runs.items()):
            lines.append(
                f"gateway_ingest_runs{_labels(('source', 'status'), (source, status))} {n}"
            )
        return "\n".join(lines) + "\n"


def _labels(names: tuple[str, ...], values: tuple[str, ...]) -> str:
    def escape(v: str) -> str:
        return v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")

    return (
        "{" + ",".join(f'{n}="{escape(str(v))}"' for n, v in zip(names, values, strict=True)) + "}"
    )


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
            self.metrics.http_requests.add((status,))
            self.metrics.http_seconds.observe((status,), time.perf_counter() - started)


def operation_metrics(metrics: Metrics) -> type[SchemaExtension]:
    class OperationMetrics(SchemaExtension):
        def on_operation(self) -> Iterator[None]:
            started = time.perf_counter()
            yield
            context = self.execution_context
            name = operation_label(context)
            metrics.operations.add((name,))
            metrics.operation_seconds.observe((name,), time.perf_counter() - started)
            result = context.result
            errors = [dict(e.formatted) for e in getattr(result, "errors", None) or ()]
            for error in with_codes(errors, suggestions=True):
                metrics.errors.add((str(error["extensions"].get("code", "UNCODED"))[:64],))

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
        pool = engine.sync_engine.pool
        gauges = {
            "checked_out": int(getattr(pool, "checkedout", lambda: 0)()),
            "size": int(getattr(pool, "size", lambda: 0)()),
        }
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
        except Exception:  # the database down: the process's own figures still answer
            counts = {}
        return PlainTextResponse(
            metrics.render(gauges, counts), media_type="text/plain; version=0.0.4"
        )

    return endpoint
