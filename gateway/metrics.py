"""`/metrics` in the Prometheus text format (hand-written: a few counters and histograms do not
need a client library): HTTP requests and their latency, GraphQL operations and their latency,
errors by code, response-cache hits, the connection pool, ingest runs."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.extensions import SchemaExtension

from gateway.errors import with_codes
from models import IngestRun
from store.territories import table_of

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Histogram:
    def __init__(self) -> None:
        self.counts: dict[tuple[str, ...], list[int]] = defaultdict(lambda: [0] * len(BUCKETS))
        self.sums: dict[tuple[str, ...], float] = defaultdict(float)
        self.totals: dict[tuple[str, ...], int] = defaultdict(int)

    def observe(self, labels: tuple[str, ...], seconds: float) -> None:
        for i, bound in enumerate(BUCKETS):
            if seconds <= bound:
                self.counts[labels][i] += 1
        self.sums[labels] += seconds
        self.totals[labels] += 1


class Metrics:
    """Per-process counters (each worker answers for itself, as Prometheus expects)."""

    def __init__(self) -> None:
        self.http_requests: dict[tuple[str, ...], int] = defaultdict(int)  # (status,)
        self.http_seconds = Histogram()
        self.operations: dict[tuple[str, ...], int] = defaultdict(int)  # (operation,)
        self.operation_seconds = Histogram()
        self.errors: dict[tuple[str, ...], int] = defaultdict(int)  # (code,)
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
        lines.extend(["# HELP gateway_ingest_runs Ingest runs in the store, by source and status.",
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
            self.metrics.http_requests[(status,)] += 1
            self.metrics.http_seconds.observe((status,), time.perf_counter() - started)


def operation_metrics(metrics: Metrics) -> type[SchemaExtension]:
    class OperationMetrics(SchemaExtension):
        def on_operation(self) -> Iterator[None]:
            started = time.perf_counter()
            yield
            context = self.execution_context
            name = context.operation_name or "anonymous"
            metrics.operations[(name,)] += 1
            metrics.operation_seconds.observe((name,), time.perf_counter() - started)
            result = context.result
            errors = [dict(e.formatted) for e in getattr(result, "errors", None) or ()]
            for error in with_codes(errors, suggestions=True):
                metrics.errors[(str(error["extensions"].get("code", "UNCODED")),)] += 1

    return OperationMetrics


def metrics_endpoint(metrics: Metrics, engine: AsyncEngine) -> Callable[..., Any]:
    runs = table_of(IngestRun)

    async def endpoint(_request: Request) -> PlainTextResponse:
        pool = engine.sync_engine.pool
        gauges = {
            "checked_out": int(getattr(pool, "checkedout", lambda: 0)()),
            "size": int(getattr(pool, "size", lambda: 0)()),
        }
        counts: dict[tuple[str, str], int] = {}
        try:
            async with engine.connect() as conn:
                result = await conn.execute(
                    select(runs.c.source_slug, runs.c.status, func.count()).group_by(
                        runs.c.source_slug, runs.c.status
                    )
                )
                counts = {(s, st): int(n) for s, st, n in result}
        except Exception:  # the database down: the process's own figures still answer
            counts = {}
        return PlainTextResponse(
            metrics.render(gauges, counts), media_type="text/plain; version=0.0.4"
        )

    return endpoint
