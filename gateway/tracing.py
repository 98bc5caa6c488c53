"""Optional OpenTelemetry traces (GATEWAY_TRACING=otlp or console; the `otel` extra).

One server span per /graphql request (its parent taken from the caller's `traceparent`, its
status code recorded), and under it spans for the operation, its parsing, validation and
execution. Resolvers get no span of their own: a search page resolves about 900 fields, and
the loaders' batches are what costs. The OTLP exporter reads the standard environment
(`OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_SERVICE_NAME`…)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.extensions import SchemaExtension

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider

KINDS = ("off", "otlp", "console")


class TracingUnavailable(RuntimeError):
    """GATEWAY_TRACING asks for traces but the OpenTelemetry packages are not installed."""


def check(kind: str) -> None:
    """Fail now, with the fix in the message, when `kind` needs packages that are missing."""
    if kind == "off":
        return
    try:
        import opentelemetry.sdk.trace  # noqa: F401
    except ImportError as exc:
        raise TracingUnavailable(
            f"GATEWAY_TRACING={kind} needs OpenTelemetry: pip install 'inclusion-gateway[otel]'"
        ) from exc


def provider(kind: str) -> TracerProvider:
    """A tracer provider exporting to OTLP/HTTP or to the console, in batches."""
    try:
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter
    except ImportError as exc:
        raise TracingUnavailable(
            f"GATEWAY_TRACING={kind} needs OpenTelemetry: pip install 'inclusion-gateway[otel]'"
        ) from exc
    traces = TracerProvider(resource=Resource.create({"service.name": "inclusion-gateway"}))
    if kind == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        traces.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    else:
        traces.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
    return traces


def extension(traces: TracerProvider) -> type[SchemaExtension]:
    """Spans for the operation, its parsing, validation and execution, and none per resolver:
    an extension with a `resolve` hook (as strawberry's OpenTelemetryExtension has) would put
    every field of every request through one more await."""
    tracer = traces.get_tracer("gateway.graphql")

    class OperationSpans(SchemaExtension):
        def on_operation(self) -> Iterator[None]:
            with tracer.start_as_current_span("GraphQL Query") as span:
                yield
                name = self.execution_context.operation_name  # known once parsed
                if name:
                    span.update_name(f"GraphQL Query: {name}")
                    span.set_attribute("graphql.operation.name", name)
                result = self.execution_context.result
                errors = getattr(result, "errors", None) or []
                span.set_attribute("graphql.errors", len(errors))

        def on_parse(self) -> Iterator[None]:
            with tracer.start_as_current_span("GraphQL Parsing"):
                yield

        def on_validate(self) -> Iterator[None]:
            with tracer.start_as_current_span("GraphQL Validation"):
                yield

        def on_execute(self) -> Iterator[None]:
            with tracer.start_as_current_span("GraphQL Execution"):
                yield

    return OperationSpans


class Traced:
    """The server span of each HTTP request, child of the caller's trace when it sends one."""

    def __init__(self, app: ASGIApp, traces: TracerProvider) -> None:
        from opentelemetry import trace

        self.app = app
        self.tracer = traces.get_tracer("gateway.http")
        self.kind = trace.SpanKind.SERVER

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        from opentelemetry import context, propagate

        carrier = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        token = context.attach(propagate.extract(carrier))
        try:
            name = f"{scope['method']} {scope['path']}"
            with self.tracer.start_as_current_span(name, kind=self.kind) as span:
                span.set_attribute("http.request.method", scope["method"])
                span.set_attribute("url.path", scope["path"])

                async def recorded(message: Message) -> None:
                    if message["type"] == "http.response.start":
                        span.set_attribute("http.response.status_code", message["status"])
                    await send(message)

                await self.app(scope, receive, recorded)
        finally:
            context.detach(token)
