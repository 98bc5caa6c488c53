"""GraphQL over HTTP conformance, measured by graphql-http's own server audits (the reference
implementation's list of the spec's MUST, SHOULD and MAY): the gateway is served by uvicorn on a
loopback port, with and without its response cache, and every audit must pass.

The npm package (pinned in tests/graphql_http/node/package-lock.json) is installed by
`make graphql-http-deps` into var/graphql-http; without it (or without Node) the test is
skipped, or fails under TEST_REQUIRE_ALL=1 (as in CI)."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from gateway.app import create_app
from gateway.settings import Settings
from tests.conftest import TEST_REDIS_URL
from tests.servers import copy_beside, free_port, need

ROOT = Path(__file__).resolve().parents[2]
NODE_SOURCES = ROOT / "tests" / "graphql_http" / "node"
NODE_HOME = ROOT / "var" / "graphql-http"
AUDITS = 61  # graphql-http 1.23.1: 13 MUST, 23 SHOULD, 25 MAY


@pytest.fixture(scope="module")
def audit_script() -> Path:
    need(shutil.which("node") is not None, "graphql-http's audits need Node.js")
    need(
        (NODE_HOME / ".installed").exists(),
        "graphql-http's npm package is missing (`make graphql-http-deps`)",
    )
    return copy_beside(NODE_SOURCES / "audit.mjs", NODE_HOME)  # next to its node_modules


def _wait(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.post(url, json={"query": "{ __typename }"}, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"the gateway did not answer at {url} after {timeout} s")


@pytest.fixture(scope="module", params=[60, 0], ids=["response-cache", "no-response-cache"])
async def served(request: pytest.FixtureRequest, store_url: str) -> AsyncIterator[str]:
    """The gateway under uvicorn, in a thread; the URL of its /graphql."""
    settings = Settings(
        database_url=store_url,
        redis_url=TEST_REDIS_URL,
        rate_limit_anonymous=0,  # every audit comes from one address
        response_cache_seconds=request.param,
    )
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings), host="127.0.0.1", port=port, loop="asyncio", log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}/graphql"
    try:
        await asyncio.to_thread(_wait, url)
        yield url
    finally:
        server.should_exit = True
        await asyncio.to_thread(thread.join, 10)


def audit(script: Path, url: str) -> list[dict[str, Any]]:
    """graphql-http's server audits against `url`: one dict per audit."""
    ran = subprocess.run(
        ["node", script.name, url], cwd=script.parent, capture_output=True, text=True, timeout=120
    )
    assert ran.returncode == 0, ran.stderr
    results: list[dict[str, Any]] = json.loads(ran.stdout)
    return results


def summary(results: list[dict[str, Any]]) -> str:
    """The counts passed per level: MUST 13/13, SHOULD 23/23, MAY 25/25."""
    parts = []
    for level in ("MUST", "SHOULD", "MAY"):
        mine = [r for r in results if r["name"].startswith(level + " ")]
        passed = sum(1 for r in mine if r["status"] == "ok")
        parts.append(f"{level} {passed}/{len(mine)}")
    return ", ".join(parts)


async def test_every_graphql_over_http_audit_passes(audit_script: Path, served: str) -> None:
    results = await asyncio.to_thread(audit, audit_script, served)
    failing = [r for r in results if r["status"] != "ok"]
    report = "\n".join(
        f"- {r['name']} ({r['id']}): {r['reason']} [{r.get('responseStatus')} "
        f"{r.get('contentType')}] {r.get('body')}"
        for r in failing
    )
    print(summary(results))
    assert len(results) == AUDITS, summary(results)
    assert not failing, f"{summary(results)}; failing:\n{report}"
