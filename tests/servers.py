"""Servers the fault tests start, freeze and stop themselves on other loopback ports, so the
machine's own PostgreSQL and Redis are never touched: a PostgreSQL cluster made with Debian's
`pg_createcluster` (run as root; the server runs as the postgres user) and a `redis-server`.

Freezing is SIGSTOP on every process of the server (a hung host: connections open, no answer);
thawing is SIGCONT. Stopping is a real shutdown (connections refused)."""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

# .ci/run sets it: there, a missing tool is a failure, not a skip
STRICT = os.environ.get("TEST_REQUIRE_ALL") == "1"


def need(condition: bool, reason: str) -> None:
    """Skip (on a developer's machine) or fail (in CI) when a test's tool is missing."""
    if condition:
        return
    if STRICT:
        pytest.fail(f"{reason} (TEST_REQUIRE_ALL=1: CI must run this test)")
    pytest.skip(reason)


# Ports for the servers tests start: below Linux's ephemeral range (32768-60999), so that no
# outgoing connection takes one between free_port() and the server's bind, and split between
# pytest-xdist's workers, so that two workers never pick the same one. Picked at random in the
# worker's share (another run of the suite may be going on) and checked free.
PORTS = range(20000, 32000)
_handed_out: set[int] = set()


def _worker_ports() -> range:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT") or 1)
    index = int(worker.removeprefix("gw")) if worker else 0
    share = len(PORTS) // max(count, 1)
    return range(PORTS.start + index * share, PORTS.start + (index + 1) * share)


def free_port() -> int:
    """A loopback port nothing listens on, never handed out twice by this process."""
    ports = _worker_ports()
    for _ in range(1000):
        port = random.randrange(ports.start, ports.stop)
        if port in _handed_out:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed_out.add(port)
        return port
    raise RuntimeError(f"no free loopback port in {ports}")


def copy_beside(source: Path, folder: Path) -> Path:
    """Copy `source` into `folder` (shared by the workers and concurrent runs, e.g. next to
    var/'s node_modules) atomically: a reader sees the old file or the new one, never half."""
    target = folder / source.name
    data = source.read_bytes()
    if target.exists() and target.read_bytes() == data:
        return target
    fd, temporary = tempfile.mkstemp(prefix=f".{source.name}.", dir=folder)
    try:
        with os.fdopen(fd, "wb") as out:
            os.fchmod(out.fileno(), 0o644)  # mkstemp's 0600 would hide it from other users
            out.write(data)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return target


def wait_for_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            s.settimeout(0.2)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


def _children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


class PrivatePostgres:
    """A throwaway PostgreSQL cluster on its own port, with trust authentication."""

    def __init__(self, name: str, port: int) -> None:
        self.name, self.port = name, port
        versions = sorted(os.listdir("/etc/postgresql"))
        self.version = versions[-1]
        self.url = f"postgresql://postgres@127.0.0.1:{port}/postgres"

    @property
    def data_dir(self) -> Path:
        return Path(f"/var/lib/postgresql/{self.version}/{self.name}")

    def _ctl(self, *args: str) -> None:
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", self.version, self.name, *args],
            check=True,
            capture_output=True,
        )

    def create(self) -> None:
        subprocess.run(
            [
                "pg_createcluster",
                *(self.version, self.name, "-p", str(self.port), "--start"),
                *("--", "--auth=trust"),  # initdb's: trust, on this private loopback cluster
            ],
            check=True,
            capture_output=True,
        )
        wait_for_port(self.port)

    def pids(self) -> list[int]:
        postmaster = int((self.data_dir / "postmaster.pid").read_text().split()[0])
        return [postmaster, *_children(postmaster)]

    def freeze(self) -> None:
        for pid in self.pids():  # the postmaster first: it spawns no new backend meanwhile
            os.kill(pid, signal.SIGSTOP)

    def thaw(self) -> None:
        for pid in self.pids():
            os.kill(pid, signal.SIGCONT)

    def stop(self) -> None:
        self._ctl("stop", "-m", "immediate")

    def start(self) -> None:
        self._ctl("start")
        wait_for_port(self.port)

    def drop(self) -> None:
        with contextlib.suppress(OSError, ValueError):  # not running
            self.thaw()
        subprocess.run(
            ["pg_dropcluster", self.version, self.name, "--stop"], check=False, capture_output=True
        )


@contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    need(
        os.geteuid() == 0 and shutil.which("pg_createcluster") is not None,
        "a private PostgreSQL cluster needs root and Debian's pg_createcluster",
    )
    server = PrivatePostgres(f"gwfault{os.getpid()}", free_port())
    server.drop()  # a leftover of an interrupted run
    server.create()
    try:
        yield server
    finally:
        server.drop()


class PrivateRedis:
    """A redis-server of its own, keeping nothing on disk."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                *("--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no"),
            ],
            stdout=subprocess.DEVNULL,
        )
        wait_for_port(self.port)

    def freeze(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGCONT)
        self.process.terminate()
        self.process.wait(10)
        self.process = None

    def keys(self) -> int:
        """How many keys the server holds (through redis-cli, not the gateway's client)."""
        out = subprocess.run(
            ["redis-cli", "-p", str(self.port), "dbsize"], capture_output=True, text=True
        )
        return int(out.stdout.strip() or 0)


@contextmanager
def private_redis() -> Iterator[PrivateRedis]:
    need(shutil.which("redis-server") is not None, "a private Redis needs redis-server")
    server = PrivateRedis(free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()
