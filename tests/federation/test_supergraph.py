"""The proof with real federation tooling: our gateway and a partner subgraph (Node, written for
the test: it extends `Structure` and `Commune` with fields of its own) composed by Apollo's
composition library into a supergraph (The Guild's composer, Hive's, must accept it too), served
by Apollo Gateway, all on loopback.

Cross-subgraph queries through the router give what our API gives directly; our subgraph gets
one batched `_entities` call per type; the consumer's token, passed through by the router,
decides what `_entities` shows, as it does for root fields.

The npm packages (pinned in tests/federation/node/package-lock.json) are installed by
`make federation-deps` into var/federation; without them the test is skipped, or fails under
TEST_REQUIRE_ALL=1 (as in CI)."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.app import create_app
from gateway.asgi import read_body, replay
from gateway.settings import Settings
from tests.conftest import EXAMPLE_PRODUCERS, prepared_store
from tests.gateway.cli import gateway as run_cli
from tests.servers import copy_beside, free_port, need

ROOT = Path(__file__).resolve().parents[2]
NODE_SOURCES = Path(__file__).resolve().parent / "node"
NODE_HOME = ROOT / "var" / "federation"
PICKS = ["dora--a1", "dora--a2", "dora--a3"]
TOWNS = ["35238", "29019", "75056"]
RESTRICTED = "soliguide--884"

QUERY = """{
  partnerPicks { id nom partnerNote commune { code nom } }
  partnerTowns { code nom partnerEvents departement { nom } }
}"""


class Recording:
    """Keeps the GraphQL requests our subgraph receives."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.requests: list[dict[str, Any]] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == "/graphql" and scope["method"] == "POST":
            body = await read_body(receive)
            assert body is not None
            self.requests.append(orjson.loads(body))
            receive = replay(body)
        await self.app(scope, receive, send)


def _wait_graphql(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            response = httpx.post(url, json={"query": "{ __typename }"}, timeout=2)
            if response.status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"no GraphQL server answered at {url} after {timeout} s")


def _node(script: str, *args: str, port: int, **env: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        ["node", script, *args],
        cwd=NODE_HOME,
        env={
            "PATH": os.environ["PATH"],
            "PORT": str(port),
            "APOLLO_TELEMETRY_DISABLED": "1",
            "NO_COLOR": "1",
            **env,
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


@contextmanager
def _serving(script: str, *args: str, **env: str) -> Iterator[str]:
    """A Node GraphQL server on a free loopback port, its URL once it answers; stopped after."""
    port = free_port()
    process = _node(script, *args, port=port, **env)
    try:
        url = f"http://127.0.0.1:{port}/"
        _wait_graphql(url)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def node_ready() -> None:
    need(shutil.which("node") is not None, "the federation proof needs Node.js")
    need(
        (NODE_HOME / ".installed").exists(),
        "the federation proof's npm packages are missing (`make federation-deps`)",
    )
    for source in NODE_SOURCES.iterdir():  # the scripts next to their node_modules
        if source.suffix in {".mjs", ".graphql"}:
            copy_beside(source, NODE_HOME)


@pytest.fixture(scope="module")
async def store(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('federation') / 'gateway.db'}"
    await prepared_store(url, EXAMPLE_PRODUCERS)
    return url


@pytest.fixture(scope="module")
async def ours(store: str) -> AsyncIterator[tuple[str, Recording]]:
    """Our gateway under uvicorn, in a thread, recording what it receives."""
    # the router calls from one address: no per-address limit here (give a router a token)
    settings = Settings(database_url=store, rate_limit_anonymous=0, response_cache_seconds=0)
    recording = Recording(create_app(settings))
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(recording, host="127.0.0.1", port=port, loop="asyncio", log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}/graphql"
    await asyncio.to_thread(_wait_graphql, url)
    try:
        yield url, recording
    finally:
        server.should_exit = True
        await asyncio.to_thread(thread.join, 10)


@pytest.fixture(scope="module")
def partner(node_ready: None) -> Iterator[str]:
    """The partner's subgraph (Node), listing a few of our structures and communes."""
    with _serving("partner.mjs", PICKS=",".join(PICKS), TOWNS=",".join(TOWNS),
                  MAYBE=RESTRICTED) as url:  # fmt: skip
        yield url


@pytest.fixture(scope="module")
def subgraphs(
    ours: tuple[str, Recording], partner: str, tmp_path_factory: pytest.TempPathFactory
) -> list[str]:
    """`name=url=sdl-file` of both subgraphs, their SDL read from `_service { sdl }`."""
    tmp = tmp_path_factory.mktemp("subgraphs")
    specs = []
    for name, url in {"referential": ours[0], "partner": partner}.items():
        answer = httpx.post(url, json={"query": "{ _service { sdl } }"}, timeout=10).json()
        (tmp / f"{name}.graphql").write_text(answer["data"]["_service"]["sdl"])
        specs.append(f"{name}={url}={tmp / f'{name}.graphql'}")
    return specs


def _compose(script: str, out: Path, specs: list[str]) -> None:
    composed = subprocess.run(
        ["node", script, str(out), *specs], cwd=NODE_HOME, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip
    assert composed.returncode == 0, composed.stderr
    assert "join__Graph" in out.read_text()


def test_apollos_and_the_guilds_composers_accept_the_subgraph(
    subgraphs: list[str], tmp_path: Path
) -> None:
    _compose("compose.mjs", tmp_path / "apollo.graphql", subgraphs)
    _compose("compose-guild.mjs", tmp_path / "guild.graphql", subgraphs)


@pytest.fixture(scope="module")
def router(subgraphs: list[str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Apollo Gateway in front of both subgraphs, on the supergraph Apollo's library composed."""
    supergraph = tmp_path_factory.mktemp("supergraph") / "supergraph.graphql"
    _compose("compose.mjs", supergraph, subgraphs)
    with _serving("router.mjs", str(supergraph)) as url:
        yield url


def _entities_calls(recording: Recording) -> list[list[dict[str, Any]]]:
    return [
        r["variables"]["representations"]
        for r in recording.requests
        if "_entities" in r.get("query", "")
    ]


async def test_cross_subgraph_queries_through_a_real_router(
    router: str, ours: tuple[str, Recording]
) -> None:
    our_url, recording = ours
    recording.requests.clear()
    async with httpx.AsyncClient(timeout=30) as client:
        answer = (await client.post(router, json={"query": QUERY})).json()
        direct = {}
        for pid in PICKS:
            detail = f'{{ structure(id: "{pid}") {{ id nom commune {{ code nom }} }} }}'
            response = await client.post(our_url, json={"query": detail})
            direct[pid] = response.json()["data"]["structure"]
    assert "errors" not in answer, answer
    picks = answer["data"]["partnerPicks"]
    assert [p["id"] for p in picks] == PICKS
    for pick in picks:
        assert pick["partnerNote"] == f"note for {pick['id']}"  # from the partner
        assert {k: pick[k] for k in ("id", "nom", "commune")} == direct[pick["id"]]  # from us
    towns = {t["code"]: t for t in answer["data"]["partnerTowns"]}
    assert towns["35238"]["nom"] == "Rennes"
    assert towns["35238"]["departement"] == {"nom": "Ille-et-Vilaine"}
    assert towns["29019"]["partnerEvents"] == 19

    # one batched _entities call per type, with every representation of that type
    calls = _entities_calls(recording)
    by_type: dict[str, list[int]] = {}
    for representations in calls:
        for typename in {r["__typename"] for r in representations}:
            count = sum(1 for r in representations if r["__typename"] == typename)
            by_type.setdefault(typename, []).append(count)
    assert by_type == {"Structure": [len(PICKS)], "Commune": [len(TOWNS)]}, calls


async def test_the_consumers_token_decides_what_entities_show(router: str, store: str) -> None:
    env = {"DATABASE_URL": store}
    made = run_cli("consumer", "create", "partner", "--cgu-version", "2.1", "--cgu-date",
                   "2026-11-01", env=env)  # fmt: skip
    assert made.returncode == 0, made.stderr
    token = run_cli("token", "create", "partner", "--scopes", "read,restricted", env=env)
    secret = token.stdout.split()[0]
    query = "{ partnerMaybe { id nom partnerNote } }"
    async with httpx.AsyncClient(timeout=30) as client:
        anonymous = (await client.post(router, json={"query": query})).json()
        restricted = (
            await client.post(
                router, json={"query": query}, headers={"authorization": f"Bearer {secret}"}
            )
        ).json()
    # without the scope, the restricted record is not there (the router nulls the entity)
    assert (anonymous["data"]["partnerMaybe"] or {}).get("nom") is None
    assert restricted["data"]["partnerMaybe"]["id"] == RESTRICTED
    assert restricted["data"]["partnerMaybe"]["nom"]
