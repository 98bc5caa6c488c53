"""API benchmark: the bench/*.graphql operations under a real load tool (hey), at several
concurrencies: requests, requests per second, p50/p95/p99 latency, errors, SQL statements.

Usage:
  python scripts/bench_api.py [--database-url URL] [--only NAME[,NAME…]] [--concurrency 1,10]
                              [--duration 15s | --requests N] [--url http://HOST:PORT/graphql]

Without --url, starts `gateway serve` on a free port of 127.0.0.1 (DATABASE_URL from
--database-url or the environment, GATEWAY_REPORT_SQL_STATEMENTS=1, no access log) and stops it
at the end. Each operation is first checked with two plain requests: both must answer 200 with
data and no `errors` (otherwise its rows are marked FAILED, with the errors on stderr, and the
run goes on); the second one's `extensions.sqlStatements` is the "SQL/req" column (the first
may differ: first connection, cold caches). Then `hey -o csv` POSTs the same JSON body; the
latency percentiles are exact (nearest rank over every request), rps = requests / wall time.

hey only sees HTTP statuses: a 200 carrying GraphQL `errors` under load is not counted as an
error (the bodies are deterministic, the check above vouches for them). With --requests, the
requests hey could not complete (timeouts, connection errors) are counted; with --duration hey's
CSV does not list them.

Response caching: the gateway has no response cache today (store.cache only serves /readyz), so
every request runs its resolvers and SQL. The requests say `Cache-Control: no-cache` anyway, and
an operation whose second check ran no SQL statement while the first did is flagged: a response
cache added later must be bypassed for these numbers to mean the same thing.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BENCH_DIR = ROOT / "bench"
# the order of issue 5; other operations found in bench/ follow, by name
ORDER = (
    "search_page",
    "structure_detail",
    "provenance_audit",
    "search_around",
    "territory_fanout",
    "sync_page",
)
HEADERS = {"Content-Type": "application/json", "Cache-Control": "no-cache"}


@dataclass
class Operation:
    name: str
    body: bytes  # the POST body: {"query": …, "variables": …}


@dataclass
class Check:
    ok: bool
    sql_first: int | None = None
    sql: int | None = None
    message: str = ""
    notes: list[str] = field(default_factory=list)


@dataclass
class Row:
    operation: str
    concurrency: int
    requests: int = 0
    rps: float = 0.0
    p50: float = 0.0
    p95: float = 0.0
    p99: float = 0.0
    errors: int = 0
    sql: str = "n/a"
    failed: str = ""


# --- operations ----------------------------------------------------------------------------


def load_operations(bench_dir: Path, only: list[str] | None) -> list[Operation]:
    found = {p.stem: p for p in bench_dir.glob("*.graphql")}
    if only:
        unknown = [n for n in only if n not in found]
        if unknown:
            known = ", ".join(sorted(found))
            raise SystemExit(f"unknown operation(s) {', '.join(unknown)}; in {bench_dir}: {known}")
    names = [n for n in ORDER if n in found] + sorted(n for n in found if n not in ORDER)
    operations = []
    for name in names:
        if only and name not in only:
            continue
        query = found[name].read_text(encoding="utf-8")
        variables_path = found[name].with_suffix(".json")
        variables = (
            json.loads(variables_path.read_text(encoding="utf-8"))
            if variables_path.exists()
            else {}
        )
        body = json.dumps({"query": query, "variables": variables}).encode()
        operations.append(Operation(name, body))
    return operations


# --- plain requests ------------------------------------------------------------------------


def post(url: str, body: bytes, timeout: float) -> tuple[int, Any, str]:
    """(status, parsed JSON or None, raw text)."""
    request = urllib.request.Request(url, data=body, headers=HEADERS, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
        return 0, None, f"request failed: {exc}"
    text = raw.decode("utf-8", "replace")
    try:
        return status, json.loads(text), text
    except ValueError:
        return status, None, text


def check(op: Operation, url: str, timeout: float) -> Check:
    """Two requests: both must be 200 with data and no errors; their SQL statement counts."""
    counts: list[int | None] = []
    for _ in range(2):
        status, doc, text = post(url, op.body, timeout)
        if status != 200 or not isinstance(doc, dict):
            return Check(False, message=f"HTTP {status}: {text[:500]}")
        if doc.get("errors"):
            messages = "; ".join(str(e.get("message", e)) for e in doc["errors"])
            return Check(False, message=f"GraphQL errors: {messages}")
        if doc.get("data") is None:
            return Check(False, message="no data in the response")
        sql = (doc.get("extensions") or {}).get("sqlStatements")
        counts.append(sql if isinstance(sql, int) else None)
    result = Check(True, sql_first=counts[0], sql=counts[1])
    if result.sql is None:
        result.notes.append(
            "no extensions.sqlStatements in the response (server without "
            "GATEWAY_REPORT_SQL_STATEMENTS=1)"
        )
    elif result.sql == 0 and (result.sql_first or 0) > 0:
        result.notes.append(
            "the second request ran no SQL while the first did: is a response cache answering?"
        )
    return result


# --- hey -----------------------------------------------------------------------------------


@dataclass
class HeyResult:
    latencies: list[float]  # seconds, sorted
    statuses: list[int]
    wall: float  # seconds from the first request's start to the last response


def parse_hey_csv(text: str) -> HeyResult:
    """hey -o csv: response-time,DNS+dialup,DNS,Request-write,Response-delay,Response-read,
    status-code,offset (times in seconds; offset = when the request started)."""
    latencies: list[float] = []
    statuses: list[int] = []
    wall = 0.0
    for record in csv.DictReader(io.StringIO(text)):
        latency = float(record["response-time"])
        latencies.append(latency)
        statuses.append(int(record["status-code"]))
        wall = max(wall, float(record["offset"]) + latency)
    latencies.sort()
    return HeyResult(latencies, statuses, wall)


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest rank: the smallest value with at least q % of the values at or below it."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def run_hey(
    hey: str,
    url: str,
    body_file: Path,
    concurrency: int,
    *,
    requests: int | None,
    duration: str | None,
    timeout: int,
    cpus: int,
) -> tuple[HeyResult, int]:
    """The measured requests, and how many requests hey did not complete (--requests only)."""
    cmd = [hey, "-c", str(concurrency), "-m", "POST", "-T", "application/json"]
    cmd += ["-H", "Cache-Control: no-cache", "-D", str(body_file), "-t", str(timeout)]
    cmd += ["-cpus", str(cpus), "-o", "csv"]
    cmd += ["-n", str(max(requests, concurrency))] if requests else ["-z", str(duration)]
    done = subprocess.run([*cmd, url], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"hey exited with {done.returncode}: {done.stderr.strip()[:500]}")
    result = parse_hey_csv(done.stdout)
    missing = 0
    if requests:
        expected = max(requests, concurrency) // concurrency * concurrency
        missing = max(0, expected - len(result.latencies))
    return result, missing


def find_hey(explicit: str | None) -> str:
    hey = explicit or shutil.which("hey")
    if not hey and Path("/usr/bin/hey").exists():
        hey = "/usr/bin/hey"
    if not hey:
        raise SystemExit("hey not found: apt-get install -y hey (Debian package), or --hey PATH")
    return hey


# --- the server ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Process:
    """A server in a child process, its output in a log file."""

    def __init__(
        self, name: str, cmd: list[str], env: dict[str, str], cwd: Path, log_dir: Path, port: int
    ) -> None:
        self.name, self.port = name, port
        self.url = f"http://127.0.0.1:{port}/graphql"
        self.log_path = log_dir / f"{name.replace(' ', '-')}.log"
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            cmd, cwd=cwd, env=env, stdout=self._log, stderr=subprocess.STDOUT
        )

    def wait_until(self, ready: Callable[[], bool | str], timeout: float) -> None:
        """Until `ready()` is True; a text it returns instead is what the server last said."""
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with {self.process.returncode}:\n{self.log_tail()}"
                )
            said = ready()
            if said is True:
                return
            last = said or last
            time.sleep(0.5)
        raise RuntimeError(f"{self.name} not ready after {timeout:.0f}s: {last}\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        self._log.flush()
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


class Server(Process):
    """`gateway serve` in a child process, with the SQL statement report on."""

    def __init__(self, database_url: str, workers: int, log_dir: Path) -> None:
        port = free_port()
        env = dict(os.environ)
        env["DATABASE_URL"] = database_url
        env["GATEWAY_REPORT_SQL_STATEMENTS"] = "1"
        env.setdefault("GATEWAY_RATE_LIMIT_ANONYMOUS", "0")  # hey sends from one address
        # hey repeats one request: measure the work, not the response cache, unless asked
        # (GATEWAY_RESPONSE_CACHE_SECONDS=300 in the environment measures cache hits)
        env.setdefault("GATEWAY_RESPONSE_CACHE_SECONDS", "0")
        env.setdefault("GATEWAY_LOG_LEVEL", "warning")  # no access log line per request
        cmd = [sys.executable, "-m", "gateway.cli", "serve", "--host", "127.0.0.1"]
        cmd += ["--port", str(port), "--workers", str(workers)]
        super().__init__("gateway serve", cmd, env, ROOT, log_dir, port)

    def wait_ready(self, timeout: float) -> None:
        ready = self.url.removesuffix("/graphql") + "/readyz"

        def answered() -> bool | str:
            try:
                with urllib.request.urlopen(ready, timeout=5) as response:
                    return bool(response.status == 200)
            except urllib.error.HTTPError as exc:
                return exc.read().decode("utf-8", "replace")
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                return False

        self.wait_until(answered, timeout)


# --- report --------------------------------------------------------------------------------


def redact(url: str) -> str:
    return re.sub(r"://([^:/@]+):[^@]*@", r"://\1:***@", url)


def git_commit() -> str:
    done = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        return "unknown"
    dirty = subprocess.run(
        ["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return done.stdout.strip() + (" (+ uncommitted changes)" if dirty else "")


def render(rows: list[Row], header: list[str]) -> str:
    lines = [*header, ""]
    lines.append(
        "| operation | concurrency | requests | rps | p50 ms | p95 ms | p99 ms | errors | SQL/req |"
    )
    lines.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        if r.failed:
            lines.append(f"| {r.operation} | {r.concurrency} | FAILED | – | – | – | – | – | – |")
            continue
        lines.append(
            f"| {r.operation} | {r.concurrency} | {r.requests} | {r.rps:.1f} | {r.p50:.1f} "
            f"| {r.p95:.1f} | {r.p99:.1f} | {r.errors} | {r.sql} |"
        )
    failed = {r.operation: r.failed for r in rows if r.failed}
    if failed:
        lines.append("")
        lines.extend(f"* {name} FAILED: {message}" for name, message in failed.items())
    return "\n".join(lines) + "\n"


# --- main ----------------------------------------------------------------------------------


def parse_duration(raw: str) -> str:
    """`15s`, `2m`, `90` (seconds) → a Go duration for hey's -z."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*", raw)
    if not m or float(m.group(1)) <= 0:
        raise argparse.ArgumentTypeError(f"not a duration: {raw!r} (say 15s, 2m)")
    return f"{m.group(1)}{m.group(2) or 's'}"


def parse_concurrency(raw: str) -> list[int]:
    try:
        levels = [int(x) for x in raw.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of integers: {raw!r}") from None
    if not levels or min(levels) < 1:
        raise argparse.ArgumentTypeError(f"concurrency levels must be at least 1: {raw!r}")
    return levels


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        description="Run bench/*.graphql against the gateway with hey; print a Markdown table."
    )
    p.add_argument("--url", help="a running gateway's /graphql (default: start one)")
    p.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL"),
        help="store of the gateway this script starts (default: $DATABASE_URL)",
    )
    p.add_argument("--workers", type=int, default=1, help="uvicorn workers of that gateway")
    p.add_argument("--only", help="comma-separated operation names (bench/NAME.graphql)")
    p.add_argument("--concurrency", type=parse_concurrency, default=[1, 10], help="e.g. 1,10")
    amount = p.add_mutually_exclusive_group()
    amount.add_argument(
        "--duration", type=parse_duration, help="per operation and concurrency (default 15s)"
    )
    amount.add_argument("--requests", type=int, help="per operation and concurrency")
    p.add_argument("--bench-dir", type=Path, default=BENCH_DIR)
    p.add_argument("--hey", help="path of the hey binary (default: found on PATH)")
    p.add_argument(
        "--hey-cpus",
        type=int,
        default=1,
        help="cores hey may use (default 1: leave the others to the gateway)",
    )
    p.add_argument("--timeout", type=int, default=20, help="per request, seconds")
    p.add_argument("--startup-timeout", type=float, default=120.0)
    p.add_argument("--out", type=Path, help="also write the Markdown report to this file")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.requests is not None and args.requests < 1:
        raise SystemExit("--requests must be at least 1")
    duration = None if args.requests else (args.duration or "15s")
    hey = find_hey(args.hey)
    only = [n.strip() for n in args.only.split(",") if n.strip()] if args.only else None
    operations = load_operations(args.bench_dir, only)
    if not operations:
        raise SystemExit(f"no operation in {args.bench_dir}")
    if not args.url and not args.database_url:
        raise SystemExit("say --url, or --database-url (or set DATABASE_URL) to start a gateway")

    started = datetime.now(UTC)
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="bench-api-") as tmp:
        server = None
        try:
            if args.url:
                url, target = args.url, f"gateway at {args.url}"
            else:
                server = Server(args.database_url, args.workers, Path(tmp))
                log(f"starting gateway serve on {server.url} ({redact(args.database_url)})")
                server.wait_ready(args.startup_timeout)
                url = server.url
                database = redact(args.database_url)
                target = f"`gateway serve` ({args.workers} worker(s)) on {database}"
            for op in operations:
                rows.extend(bench_operation(op, url, hey, args, duration, Path(tmp)))
        finally:
            if server is not None:
                server.stop()

    amount = f"{args.requests} requests" if args.requests else f"{duration}"
    header = [
        f"API benchmark, {started:%Y-%m-%d %H:%M} UTC, commit {git_commit()}",
        f"{target}; hey -cpus {args.hey_cpus}, {amount} per row, keep-alive; "
        f"{os.cpu_count()} CPU(s), {platform.machine()}, Python {platform.python_version()}",
    ]
    report = render(rows, header)
    sys.stdout.write(report)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(report, encoding="utf-8")
    return 1 if any(r.failed for r in rows) else 0


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def bench_operation(
    op: Operation,
    url: str,
    hey: str,
    args: argparse.Namespace,
    duration: str | None,
    tmp: Path,
) -> list[Row]:
    result = check(op, url, timeout=max(args.timeout, 60))
    if not result.ok:
        log(f"{op.name}: FAILED — {result.message}")
        return [Row(op.name, c, failed=result.message) for c in args.concurrency]
    for note in result.notes:
        log(f"{op.name}: note: {note}")
    sql = "n/a" if result.sql is None else str(result.sql)
    if result.sql is not None and result.sql_first not in (None, result.sql):
        sql += f" (first {result.sql_first})"
    body_file = tmp / f"{op.name}.json"
    body_file.write_bytes(op.body)
    rows = []
    for concurrency in args.concurrency:
        log(f"{op.name}: concurrency {concurrency} …")
        try:
            measured, missing = run_hey(
                hey,
                url,
                body_file,
                concurrency,
                requests=args.requests,
                duration=duration,
                timeout=args.timeout,
                cpus=args.hey_cpus,
            )
        except RuntimeError as exc:
            log(f"{op.name}: FAILED — {exc}")
            rows.append(Row(op.name, concurrency, failed=str(exc)))
            continue
        lat = measured.latencies
        rows.append(
            Row(
                op.name,
                concurrency,
                requests=len(lat),
                rps=len(lat) / measured.wall if measured.wall else 0.0,
                p50=percentile(lat, 50) * 1000,
                p95=percentile(lat, 95) * 1000,
                p99=percentile(lat, 99) * 1000,
                errors=sum(1 for s in measured.statuses if s != 200) + missing,
                sql=sql,
            )
        )
    return rows


if __name__ == "__main__":
    raise SystemExit(main())
