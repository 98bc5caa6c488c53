"""The steps of a request, as `create_app` lists them: in the order the README's "How a request
flows" names them, the optional ones in that same list, and `chain` composing them in order."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
from opentelemetry.sdk.trace import TracerProvider
from starlette.middleware import Middleware
from starlette.types import Receive, Scope, Send

from gateway.app import ROUTING, chain, create_app
from gateway.settings import Settings

README = Path(__file__).resolve().parents[2] / "README.md"
ORDER = [
    "RequestIds", "CORSMiddleware", "Traced", "Measured", "Negotiation", "Deadline",
    "ReadRequest", "Authentication", "RateLimit", "PersistedQueries", "ResponseCache",
]  # fmt: skip


def _names(settings: Settings, **options: Any) -> list[str]:
    """The steps' classes; "|" where the router is (above: every route; below: /graphql)."""
    steps = create_app(settings, **options).state.steps
    return ["|" if step is ROUTING else step.cls.__name__ for step in steps]


def _documented() -> list[str]:
    """The classes the README's request flow names, in its order."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## How a request flows", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\d+\. `(\w+)`", section, flags=re.MULTILINE)


def test_the_steps_are_in_the_documented_order(settings: Settings) -> None:
    every = Settings(database_url=settings.database_url, cors_origins=("https://a.example",))
    names = _names(every, tracer_provider=TracerProvider())
    assert names[:3] == ["RequestIds", "CORSMiddleware", "|"]
    assert [name for name in names if name != "|"] == ORDER
    assert _documented() == [*ORDER, "GatewayGraphQL"]
    # without CORS or tracing, the same list without them
    assert _names(Settings(database_url=settings.database_url)) == [
        name for name in names if name not in ("CORSMiddleware", "Traced")
    ]


async def test_chain_hands_the_request_on_first_step_outermost() -> None:
    seen: list[str] = []

    class Step:
        def __init__(self, app: Any, name: str) -> None:
            self.app, self.name = app, name

        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            seen.append(self.name)
            await self.app(scope, receive, send)

    async def endpoint(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append("endpoint")
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    app = chain(endpoint, [Middleware(Step, name="a"), ROUTING, Middleware(Step, name="b")])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        assert (await c.get("/")).status_code == 204
    assert seen == ["a", "b", "endpoint"]
