"""The `gateway` command: clear one-line errors, schema export, loading, and a real `serve`."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from gateway.schema import sdl
from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[2]


def run(
    *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gateway.cli", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        timeout=timeout,
    )


def test_export_schema_prints_the_sdl() -> None:
    result = run("export-schema")
    assert result.returncode == 0
    assert result.stdout == sdl()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://root@localhost/test", "error: DATABASE_URL scheme 'mysql' is not supported"),
        ("::not a url::", "error: DATABASE_URL is not a database URL"),
        (
            "postgresql://postgres@127.0.0.1:1/test",
            "error: DATABASE_URL: cannot reach the database at postgresql+asyncpg://postgres@127.0.0.1:1/test",
        ),
    ],
)
def test_serve_stops_with_one_line_naming_the_setting(url: str, message: str) -> None:
    result = run("serve", "--port", "1", env={"DATABASE_URL": url}, timeout=60)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(message), lines[0]


def test_serve_without_preparing_needs_a_current_store(tmp_path: Path) -> None:
    """GATEWAY_PREPARE_ON_START=0 (a gateway on a replica) writes nothing, so a store behind
    this version's migrations is refused at start, not with errors at every request."""
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}", "GATEWAY_PREPARE_ON_START": "0"}
    result = run("serve", "--port", "1", env=env, timeout=60)
    assert result.returncode == 2
    assert "is at migration none" in result.stderr and "gateway db upgrade" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_wrong_territory_file_is_refused_and_the_store_kept(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'g.db'}"}
    assert run("db", "upgrade", env=env).returncode == 0
    bad = tmp_path / "bad.json.gz"
    bad.write_bytes(gzip.compress(b'{"format": 1, "regions": []}'))
    result = run("territories", "load", "--file", str(bad), env=env)
    assert result.returncode == 2
    assert "'regions' must be a non-empty list" in result.stderr
    again = run("db", "upgrade", env=env)  # same file still loaded: nothing to do
    assert again.stdout.strip() == "store already up to date"


def test_serve_on_an_empty_store_migrates_loads_and_answers(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.db'}"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "gateway.cli", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            assert time.monotonic() < deadline, "gateway did not become ready"
            time.sleep(0.3)
        response = httpx.post(
            f"http://127.0.0.1:{port}/graphql",
            json={"query": '{ commune(code: "35238") { nom epci { nom } } }'},
            timeout=10,
        )
        assert response.json() == {
            "data": {"commune": {"nom": "Rennes", "epci": {"nom": "Rennes Métropole"}}}
        }
    finally:
        proc.terminate()
        output, _ = proc.communicate(timeout=30)
    assert "territories loaded" in output
    assert "migrated empty store" in output
