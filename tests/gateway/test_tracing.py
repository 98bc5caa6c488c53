"""Optional OpenTelemetry traces: a server span per /graphql request, child of the caller's
`traceparent`, with the operation's spans under it and no span per resolver."""

from __future__ import annotations

import httpx
import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from gateway.app import create_app
from gateway.settings import Settings, SettingsError

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT = "00f067aa0ba902b7"


async def test_a_request_is_one_trace_under_the_callers(settings: Settings) -> None:
    exporter = InMemorySpanExporter()
    traces = TracerProvider()
    traces.add_span_processor(SimpleSpanProcessor(exporter))
    app = create_app(settings, tracer_provider=traces)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t"
        ) as client:
            response = await client.post(
                "/graphql",
                json={"query": "query Regions { regions { code nom departements { code } } }"},
                headers={"traceparent": f"00-{TRACE_ID}-{PARENT}-01"},
            )
    finally:
        await app.state.engine.dispose()
    assert response.status_code == 200
    spans = {s.name: s for s in exporter.get_finished_spans()}
    server = spans["POST /graphql"]
    assert format(server.context.trace_id, "032x") == TRACE_ID  # the caller's trace
    assert server.parent is not None and format(server.parent.span_id, "016x") == PARENT
    assert server.attributes is not None
    assert server.attributes["http.response.status_code"] == 200
    operation = spans["GraphQL Query: Regions"]
    assert operation.parent is not None and operation.parent.span_id == server.context.span_id
    assert {"GraphQL Parsing", "GraphQL Validation", "GraphQL Execution"} <= set(spans)
    assert not [name for name in spans if name.startswith("GraphQL Resolving")]


def test_the_tracing_setting_names_its_choices() -> None:
    assert Settings.from_env({"GATEWAY_TRACING": "otlp"}).tracing == "otlp"
    assert Settings.from_env({}).tracing == "off"
    with pytest.raises(SettingsError, match="GATEWAY_TRACING"):
        Settings.from_env({"GATEWAY_TRACING": "jaeger"})
