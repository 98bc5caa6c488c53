"""A gateway on a read-only PostgreSQL (what a streaming replica is to its clients): with
GATEWAY_PREPARE_ON_START=0 it serves; with the default it stops at start-up, saying why, when
preparing would have to write (here: the producers' registry changed since the primary's)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from gateway.bootstrap import prepare
from store.engine import create_engine, normalize_url
from store.territory_file import DEFAULT_PATH
from tests.conftest import TEST_DATABASE_URL, fresh_database
from tests.gateway.cli import ROOT
from tests.gateway.test_faults import _wait_ready
from tests.servers import free_port

pytestmark = pytest.mark.skipif(not TEST_DATABASE_URL, reason="needs TEST_DATABASE_URL")


@pytest.fixture
async def replica(tmp_path: Path) -> AsyncIterator[str]:
    async with fresh_database("postgresql", tmp_path, "gateway_replica") as url:
        engine = create_engine(normalize_url(url))
        await prepare(engine, DEFAULT_PATH)
        database = normalize_url(url).database
        async with engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            # the registry as an older primary wrote it: preparing would rewrite it
            await conn.execute(
                text("UPDATE source SET nom = 'Dora (ancien nom)' WHERE slug = 'dora'")
            )
            await conn.execute(
                text(f"ALTER DATABASE {database} SET default_transaction_read_only = on")
            )
        await engine.dispose()
        yield url


def _serve(url: str, port: int, **env: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "gateway.cli", "serve", "--port", str(port)],
        cwd=ROOT,
        env=os.environ | {"DATABASE_URL": url, "GATEWAY_LOG_FORMAT": "text"} | env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def test_a_gateway_serves_from_a_read_only_database(replica: str) -> None:
    refused = _serve(replica, free_port())
    assert refused.wait(60) != 0
    said = refused.stderr.read()  # type: ignore[union-attr]
    assert b"GATEWAY_PREPARE_ON_START=0" in said and b"Traceback" not in said

    port = free_port()
    server = _serve(replica, port, GATEWAY_PREPARE_ON_START="0")
    try:
        _wait_ready(f"http://127.0.0.1:{port}")
        response = httpx.post(
            f"http://127.0.0.1:{port}/graphql",
            json={"query": '{ region(code: "53") { nom } }'},
            timeout=10,
        )
        assert response.json() == {"data": {"region": {"nom": "Bretagne"}}}
    finally:
        server.terminate()
        server.wait(20)
