"""The gateway side by side with PostGraphile v5 over the same PostgreSQL tables (`make
bench-compare`): the search page and the structure page, under wrk, at several concurrencies.

Usage:
  python scripts/bench_compare.py [--database-url URL] [--concurrency 1,10] [--duration 10]
                                  [--rounds 3] [--out FILE]

What runs:
  * the store: --database-url (default the scale-10 demo, `s10`); a database that does not exist
    is created and loaded with `gateway demo-load --scale 10`;
  * the schema `pgl` (bench/postgraphile/views.sql, dropped and re-created): the golden tables as
    typed views of the anonymous view (visibility `all`/`public`, not deleted), relations by
    smart comments, the search as an inlinable SQL function over the same GIN-indexed tags;
  * PostGraphile v5 (bench/postgraphile/package.json, installed by `make bench-compare` into
    var/bench-compare with Node 22 from npm): ONE Node process, NODE_ENV=production, Amber
    preset, no GraphiQL, no explain, no watch (bench/postgraphile/graphile.config.mjs);
  * the gateway: ONE uvicorn worker (`gateway serve`) with the response cache off (uncached:
    every request runs its resolvers and SQL), and a second one with the response cache on
    (cached: the same request repeated, answered from the in-process cache); both without the
    anonymous rate limit (wrk sends from one address) and without an access log.

Before measuring, each page is asked of both servers and the answers compared: the same ids in
the same order (services of the search page; the structure and its services), the same total
counts and producers; a difference fails the run. Other fields that differ are listed (the
gateway masks personal data for anonymous consumers; PostGraphile serves the column as is).

Then, per page and concurrency, wrk runs the three targets in turn, --rounds times (the order
rotates each round), --duration seconds each after a short unmeasured warm-up; a row reports the
medians over the rounds: requests per second and p50 latency (wrk's own percentiles).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_api import Process, free_port, git_commit, parse_concurrency, post, redact

ROOT = Path(__file__).resolve().parents[1]
BENCH_DIR = ROOT / "bench"
PGL_DIR = BENCH_DIR / "postgraphile"
DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/s10"
DEFAULT_NODE_DIR = ROOT / "var" / "bench-compare"
PGL_SCHEMA = "pgl"

GATEWAY = "gateway"
CACHED = "gateway cached"
POSTGRAPHILE = "PostGraphile v5"

# wrk: POST the body read from a file; at the end, one JSON line with what the table needs
WRK_SCRIPT = """
local path = os.getenv("BENCH_BODY")
local f = assert(io.open(path, "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json"

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '\\nBENCH_RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, '
    .. '"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect, e.read, e.write, e.status, e.timeout))
end
"""


# --- the two pages ----------------------------------------------------------------------------


def expand_thematiques(values: Sequence[str]) -> list[str]:
    """The gateway's `thematiques` filter (resolvers/filters.py, whose expansion this is): a
    category stands for all of its thematiques; PostGraphile's search function receives them
    expanded."""
    from resolvers.errors import BadUserInput
    from resolvers.filters import _thematiques

    try:
        return _thematiques(list(values))
    except BadUserInput as exc:
        raise SystemExit(f"bench/search_page.json: {exc}") from None


@dataclass(frozen=True)
class Shape:
    """What both servers must agree on, and the other fields compared (informative)."""

    ids: list[str]  # in order: must be equal
    counts: dict[str, Any]  # total counts, producers…: must be equal
    fields: dict[str, Any]  # other fields: differences listed, not fatal


def _slugs(nodes: list[dict[str, Any]]) -> list[str]:
    return sorted(n["slug"] for n in nodes)


Node = dict[str, Any]


def _search_shape(
    conn: dict[str, Any],
    id_key: str,
    sources: Callable[[Node], list[Node]],
    structure: Callable[[Node], Node | None],
) -> Shape:
    """The shape of a search answer whose ids are under `id_key`: `sources` gives a service's
    producers as they are compared, `structure` its structure as {id, nom, telephone}."""
    nodes = [e["node"] for e in conn["edges"]]
    return Shape(
        ids=[n[id_key] for n in nodes],
        counts={
            "totalCount": conn["totalCount"],
            "hasNextPage": conn["pageInfo"]["hasNextPage"],
            "sources": [_slugs(sources(n)) for n in nodes],
            "structures": [(structure(n) or {}).get("id") for n in nodes],
        },
        fields={
            n[id_key]: {
                "nom": n["nom"],
                "description": n["description"],
                "thematiques": sorted(n["thematiques"]),
                "frais": n["frais"],
                "modesAccueil": sorted(n["modesAccueil"]),
                "codeInsee": n["codeInsee"],
                "commune": n["commune"],
                "scoreQualite": n["scoreQualite"],
                "structure": structure(n),
                "sources": sources(n),
            }
            for n in nodes
        },
    )


def search_shape_gateway(data: dict[str, Any]) -> Shape:
    return _search_shape(
        data["services"],
        "id",
        lambda n: n["sources"],
        lambda n: n["structure"] and {**n["structure"]},
    )


def search_shape_postgraphile(data: dict[str, Any]) -> Shape:
    def sources(n: Node) -> list[Node]:
        return sorted((s["source"] for s in n["serviceSources"]["nodes"]), key=lambda s: s["slug"])

    def structure(n: Node) -> Node | None:
        s = n["structure"]
        return s and {"id": s["rowId"], "nom": s["nom"], "telephone": s["telephone"]}

    return _search_shape(data["searchServices"], "rowId", sources, structure)


STRUCTURE_SCALARS = [
    "nom",
    "dateMaj",
    "description",
    "lienSource",
    "siret",
    "codePostal",
    "codeInsee",
    "adresse",
    "complementAdresse",
    "longitude",
    "latitude",
    "telephone",
    "courriel",
    "siteWeb",
    "horairesAccueil",
    "accessibiliteLieu",
    "reseauxPorteurs",
    "scoreQualite",
]
SERVICE_SCALARS = ("nom", "thematiques", "publics", "frais", "modesAccueil")


def _services_fields(nodes: list[dict[str, Any]], id_key: str) -> dict[str, Any]:
    return {
        n[id_key]: {k: sorted(n[k]) if isinstance(n[k], list) else n[k] for k in SERVICE_SCALARS}
        for n in nodes
    }


def _structure_shape(
    s: dict[str, Any] | None, id_key: str, sources: Callable[[dict[str, Any]], list[str]]
) -> Shape:
    """The shape of one structure's answer, whose ids are under `id_key`."""
    if s is None:
        return Shape(ids=[], counts={"structure": None}, fields={})
    services = [e["node"] for e in s["services"]["edges"]]
    scalars = {k: s[k] for k in STRUCTURE_SCALARS}
    scalars["reseauxPorteurs"] = sorted(s["reseauxPorteurs"])
    return Shape(
        ids=[s[id_key], *(n[id_key] for n in services)],
        counts={"services.totalCount": s["services"]["totalCount"], "sources": sources(s)},
        fields={
            "structure": scalars,
            "commune": s["commune"],
            **_services_fields(services, id_key),
        },
    )


def structure_shape_gateway(data: dict[str, Any]) -> Shape:
    return _structure_shape(data["structure"], "id", lambda s: _slugs(s["sources"]))


def structure_shape_postgraphile(data: dict[str, Any]) -> Shape:
    return _structure_shape(
        data["structureByRowId"],
        "rowId",
        lambda s: sorted(n["source"]["slug"] for n in s["structureSources"]["nodes"]),
    )


@dataclass(frozen=True)
class Page:
    name: str
    label: str
    gateway_query: Path
    gateway_variables: Path
    postgraphile_query: Path
    to_postgraphile: Callable[[dict[str, Any]], dict[str, Any]]
    gateway_shape: Callable[[dict[str, Any]], Shape]
    postgraphile_shape: Callable[[dict[str, Any]], Shape]

    def bodies(self) -> dict[str, bytes]:
        variables = json.loads(self.gateway_variables.read_text(encoding="utf-8"))
        gateway = {"query": self.gateway_query.read_text(encoding="utf-8"), "variables": variables}
        pgl = {
            "query": self.postgraphile_query.read_text(encoding="utf-8"),
            "variables": self.to_postgraphile(variables),
        }
        return {
            GATEWAY: json.dumps(gateway).encode(),
            CACHED: json.dumps(gateway).encode(),
            POSTGRAPHILE: json.dumps(pgl).encode(),
        }


PAGES = (
    Page(
        "search_page",
        "search page",
        BENCH_DIR / "search_page.graphql",
        BENCH_DIR / "search_page.json",
        PGL_DIR / "search_page.graphql",
        lambda v: {
            "codeDepartement": v["codeDepartement"],
            "thematiques": expand_thematiques(v["thematiques"]),
        },
        search_shape_gateway,
        search_shape_postgraphile,
    ),
    Page(
        "structure_detail",
        "structure detail",
        BENCH_DIR / "structure_detail.graphql",
        BENCH_DIR / "structure_detail.json",
        PGL_DIR / "structure_detail.graphql",
        lambda v: {"id": v["id"]},
        structure_shape_gateway,
        structure_shape_postgraphile,
    ),
)


# --- the store --------------------------------------------------------------------------------


def plain_url(url: str) -> str:
    """postgresql+asyncpg://… → postgresql://… (what asyncpg and PostGraphile read)."""
    scheme, sep, rest = url.partition("://")
    if not sep or not scheme.startswith(("postgresql", "postgres")):
        raise SystemExit(f"--database-url must be a PostgreSQL URL, not {redact(url)}")
    return "postgresql://" + rest


def database_name(url: str) -> str:
    return url.rsplit("/", 1)[-1].split("?", 1)[0]


async def _database_exists(url: str) -> bool:
    import asyncpg

    admin = url.rsplit("/", 1)[0] + "/postgres"
    conn = await asyncpg.connect(admin)
    try:
        found = await conn.fetchval(
            "SELECT 1 FROM pg_database WHERE datname = $1", database_name(url)
        )
        if not found:
            await conn.execute(f'CREATE DATABASE "{database_name(url)}"')
        return bool(found)
    finally:
        await conn.close()


async def _golden_count(url: str) -> int:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        table = await conn.fetchval("SELECT to_regclass('public.golden_record')")
        if table is None:
            return 0
        return int(await conn.fetchval("SELECT count(*) FROM golden_record"))
    finally:
        await conn.close()


async def _apply_views(url: str, sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        async with conn.transaction():
            await conn.execute(f"DROP SCHEMA IF EXISTS {PGL_SCHEMA} CASCADE")
            await conn.execute(sql)
    finally:
        await conn.close()


def ensure_store(url: str, scale: int) -> None:
    """The store exists and holds golden records; otherwise create and load the demo."""
    existed = asyncio.run(_database_exists(url))
    if existed and asyncio.run(_golden_count(url)) > 0:
        return
    log(f"{redact(url)}: {'empty' if existed else 'created'}; gateway demo-load --scale {scale} …")
    env = {**os.environ, "DATABASE_URL": url}
    cmd = [sys.executable, "-m", "gateway.cli", "demo-load", "--scale", str(scale)]
    subprocess.run(cmd, cwd=ROOT, env=env, check=True)
    if asyncio.run(_golden_count(url)) == 0:
        raise SystemExit(f"{redact(url)}: still no golden record after demo-load")


# --- the servers ------------------------------------------------------------------------------


def wait_answering(server: Process, probe: bytes, timeout: float) -> None:
    """Until a GraphQL request answers 200 (PostGraphile builds its schema first)."""

    def answered() -> bool | str:
        status, _doc, text = post(server.url, probe, timeout=5)
        return status == 200 or text[:300]

    server.wait_until(answered, timeout)


def gateway_process(
    name: str, url: str, log_dir: Path, *, cache_seconds: int, prepare: bool
) -> Process:
    port = free_port()
    env = dict(os.environ)
    env.pop("REDIS_URL", None)  # the in-process response cache of one worker
    env.update(
        DATABASE_URL=url,
        GATEWAY_RESPONSE_CACHE_SECONDS=str(cache_seconds),
        GATEWAY_RATE_LIMIT_ANONYMOUS="0",  # wrk sends from one address
        GATEWAY_REPORT_SQL_STATEMENTS="0",
        GATEWAY_LOG_LEVEL="warning",  # no access log line per request
        GATEWAY_PREPARE_ON_START="1" if prepare else "0",
    )
    cmd = [sys.executable, "-m", "gateway.cli", "serve", "--host", "127.0.0.1"]
    cmd += ["--port", str(port), "--workers", "1"]
    return Process(name, cmd, env, ROOT, log_dir, port)


def node_binary(node_dir: Path) -> Path:
    for candidate in (
        node_dir / "node_modules" / "node" / "bin" / "node",
        node_dir / "node_modules" / ".bin" / "node",
    ):
        if candidate.exists():
            return candidate
    raise SystemExit(
        f"no Node 22 under {node_dir}/node_modules: run `make bench-compare` (it installs "
        "bench/postgraphile/package.json there), or pass --node-dir"
    )


def postgraphile_process(url: str, node_dir: Path, log_dir: Path) -> Process:
    node = node_binary(node_dir)
    cli = node_dir / "node_modules" / "postgraphile" / "dist" / "cli-run.js"
    if not cli.exists():
        raise SystemExit(f"no PostGraphile under {node_dir}: run `make bench-compare`")
    # the config imports postgraphile's presets: it must sit beside node_modules
    shutil.copy(PGL_DIR / "graphile.config.mjs", node_dir / "graphile.config.mjs")
    port = free_port()
    env = dict(os.environ)
    env["NODE_ENV"] = "production"
    env.pop("DEBUG", None)
    cmd = [str(node), str(cli), "-C", "graphile.config.mjs", "-c", url, "-s", PGL_SCHEMA]
    cmd += ["--host", "127.0.0.1", "--port", str(port)]
    return Process(POSTGRAPHILE, cmd, env, node_dir, log_dir, port)


# --- the check --------------------------------------------------------------------------------


def answer(server: Process, body: bytes) -> dict[str, Any]:
    status, doc, text = post(server.url, body, timeout=60)
    if status != 200 or not isinstance(doc, dict):
        raise SystemExit(f"{server.name}: HTTP {status}: {text[:500]}")
    if doc.get("errors"):
        raise SystemExit(f"{server.name}: GraphQL errors: {json.dumps(doc['errors'])[:800]}")
    data = doc.get("data")
    if not isinstance(data, dict):
        raise SystemExit(f"{server.name}: no data in the answer")
    return data


def differences(a: Any, b: Any, path: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        out: list[str] = []
        for key in sorted(set(a) | set(b)):
            out += differences(a.get(key), b.get(key), f"{path}.{key}" if path else str(key))
        return out
    if isinstance(a, float) and isinstance(b, float) and abs(a - b) <= 1e-9:
        return []
    return [] if a == b else [f"{path}: gateway {a!r} / PostGraphile {b!r}"]


@dataclass
class Checked:
    rows: int
    notes: list[str] = field(default_factory=list)


def check_page(page: Page, gateway: Process, pgl: Process) -> Checked:
    """Fail (SystemExit) unless both return the same ids, counts and producers."""
    bodies = page.bodies()
    ours = page.gateway_shape(answer(gateway, bodies[GATEWAY]))
    theirs = page.postgraphile_shape(answer(pgl, bodies[POSTGRAPHILE]))
    if not ours.ids:
        raise SystemExit(f"{page.name}: the gateway returned nothing: nothing to compare")
    if ours.ids != theirs.ids:
        only_ours = [i for i in ours.ids if i not in theirs.ids]
        only_theirs = [i for i in theirs.ids if i not in ours.ids]
        raise SystemExit(
            f"{page.name}: the ids differ ({len(ours.ids)} from the gateway, {len(theirs.ids)} "
            f"from PostGraphile; only the gateway's: {only_ours[:5]}; only PostGraphile's: "
            f"{only_theirs[:5]}; same set, other order: {set(ours.ids) == set(theirs.ids)})"
        )
    wrong = differences(ours.counts, theirs.counts)
    if wrong:
        raise SystemExit(f"{page.name}: the answers differ: " + "; ".join(wrong[:10]))
    notes = differences(ours.fields, theirs.fields)
    return Checked(rows=len(ours.ids), notes=notes)


# --- wrk --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    requests: int


def run_wrk(
    wrk: str, url: str, script: Path, body: Path, concurrency: int, seconds: int, timeout: int
) -> Run:
    cmd = [wrk, "-t", "1", "-c", str(concurrency), "-d", f"{seconds}s"]
    cmd += ["--timeout", f"{timeout}s", "-s", str(script), url]
    env = {**os.environ, "BENCH_BODY": str(body)}
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"wrk exited with {done.returncode}: {done.stderr.strip()[:500]}")
    line = next((x for x in done.stdout.splitlines() if x.startswith("BENCH_RESULT ")), None)
    if line is None:
        raise RuntimeError(f"no result from wrk: {done.stdout[-500:]}")
    r = json.loads(line.removeprefix("BENCH_RESULT "))
    errors = sum(r[k] for k in ("connect", "read", "write", "status", "timeout"))
    seconds_run = r["duration_us"] / 1e6
    return Run(
        rps=r["requests"] / seconds_run if seconds_run else 0.0,
        p50_ms=r["p50_us"] / 1000,
        p99_ms=r["p99_us"] / 1000,
        errors=errors,
        requests=r["requests"],
    )


@dataclass
class Row:
    page: str
    concurrency: int
    runs: dict[str, list[Run]] = field(default_factory=dict)

    def median(self, target: str, what: str) -> float:
        values = [getattr(r, what) for r in self.runs.get(target, [])]
        return statistics.median(values) if values else float("nan")

    def errors(self) -> int:
        return sum(r.errors for runs in self.runs.values() for r in runs)


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}×" if b > 0 else "–"


def render(rows: list[Row], header: list[str], notes: list[str]) -> str:
    lines = [*header, ""]
    lines.append(
        "| page | concurrency | gateway uncached req/s | PostGraphile v5 req/s | ratio "
        "| gateway cached req/s | cached / PG | gateway uncached p50 ms | PostGraphile p50 ms "
        "| gateway cached p50 ms | errors |"
    )
    lines.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        ours, theirs, cached = (r.median(t, "rps") for t in (GATEWAY, POSTGRAPHILE, CACHED))
        p50 = [r.median(t, "p50_ms") for t in (GATEWAY, POSTGRAPHILE, CACHED)]
        lines.append(
            f"| {r.page} | {r.concurrency} | {ours:.1f} | {theirs:.1f} | {ratio(ours, theirs)} "
            f"| {cached:.1f} | {ratio(cached, theirs)} | {p50[0]:.1f} | {p50[1]:.1f} "
            f"| {p50[2]:.2f} | {r.errors()} |"
        )
    lines.append("")
    lines.append(
        "req/s and p50: medians over the rounds; ratio = gateway uncached / PostGraphile; "
        "cached / PG = gateway cached / PostGraphile (uncached: PostGraphile has no response "
        "cache). Each round's values (req/s):"
    )
    for r in rows:
        per = "; ".join(
            f"{t} " + ", ".join(f"{run.rps:.1f}" for run in r.runs.get(t, []))
            for t in (GATEWAY, POSTGRAPHILE, CACHED)
        )
        lines.append(f"* {r.page}, c={r.concurrency}: {per}")
    if notes:
        lines.append("")
        lines.extend(notes)
    return "\n".join(lines) + "\n"


# --- main -------------------------------------------------------------------------------------


def load_average() -> str:
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "unknown"
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        description="The gateway against PostGraphile v5 over the same tables, under wrk."
    )
    p.add_argument("--database-url", default=DEFAULT_DATABASE_URL, help="default: %(default)s")
    p.add_argument("--scale", type=int, default=10, help="demo scale when the store must be built")
    p.add_argument("--concurrency", type=parse_concurrency, default=[1, 10], help="e.g. 1,10")
    p.add_argument("--duration", type=int, default=10, help="seconds per wrk run (default 10)")
    p.add_argument("--rounds", type=int, default=3, help="runs per target and row (default 3)")
    p.add_argument("--warmup", type=int, default=2, help="unmeasured seconds before each run")
    p.add_argument("--only", help="comma-separated pages: search_page, structure_detail")
    p.add_argument("--node-dir", type=Path, default=DEFAULT_NODE_DIR)
    p.add_argument("--wrk", default=shutil.which("wrk") or "/usr/bin/wrk")
    p.add_argument("--timeout", type=int, default=20, help="per request, seconds")
    p.add_argument("--startup-timeout", type=float, default=180.0)
    p.add_argument("--out", type=Path, help="also write the report to this file")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.duration < 1 or args.rounds < 1 or args.warmup < 0:
        raise SystemExit("--duration and --rounds must be at least 1, --warmup at least 0")
    if not Path(args.wrk).exists():
        raise SystemExit("wrk not found: apt-get install -y wrk, or --wrk PATH")
    only = {n.strip() for n in args.only.split(",")} if args.only else None
    pages = [p for p in PAGES if only is None or p.name in only]
    if not pages:
        raise SystemExit(f"no page among {', '.join(p.name for p in PAGES)}")
    url = plain_url(args.database_url)
    node_binary(args.node_dir)  # fail before building anything

    ensure_store(url, args.scale)
    log(f"schema {PGL_SCHEMA}: {PGL_DIR / 'views.sql'}")
    asyncio.run(_apply_views(url, (PGL_DIR / "views.sql").read_text(encoding="utf-8")))

    started = datetime.now(UTC)
    loads = [load_average()]
    rows: list[Row] = []
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="bench-compare-") as tmp_name:
        tmp = Path(tmp_name)
        script = tmp / "post.lua"
        script.write_text(WRK_SCRIPT, encoding="utf-8")
        servers: dict[str, Process] = {}
        try:
            probe = json.dumps({"query": "{ __typename }"}).encode()
            # one at a time: the first gateway prepares the store, the others only read it
            starters: list[tuple[str, Callable[[], Process]]] = [
                (
                    GATEWAY,
                    lambda: gateway_process(GATEWAY, url, tmp, cache_seconds=0, prepare=True),
                ),
                (
                    CACHED,
                    lambda: gateway_process(CACHED, url, tmp, cache_seconds=300, prepare=False),
                ),
                (POSTGRAPHILE, lambda: postgraphile_process(url, args.node_dir, tmp)),
            ]
            for name, start in starters:
                servers[name] = start()
                log(f"starting {name} on {servers[name].url} …")
                wait_answering(servers[name], probe, args.startup_timeout)
            for page in pages:
                checked = check_page(page, servers[GATEWAY], servers[POSTGRAPHILE])
                log(f"{page.name}: same {checked.rows} ids from both")
                if checked.notes:
                    notes.append(
                        f"{page.label}: {len(checked.notes)} other field value(s) differ "
                        f"(ids, counts and producers agree): "
                        + "; ".join(checked.notes[:6])
                        + (" …" if len(checked.notes) > 6 else "")
                    )
            targets = (GATEWAY, POSTGRAPHILE, CACHED)
            for page in pages:
                bodies = page.bodies()
                files = {}
                for target, body in bodies.items():
                    files[target] = tmp / f"{page.name}-{target.replace(' ', '-')}.json"
                    files[target].write_bytes(body)
                for concurrency in args.concurrency:
                    row = Row(page.label, concurrency)
                    for round_ in range(args.rounds):
                        order = targets[round_ % 3 :] + targets[: round_ % 3]
                        for target in order:
                            server = servers[target]
                            if args.warmup:
                                run_wrk(
                                    args.wrk, server.url, script, files[target], concurrency,
                                    args.warmup, args.timeout,
                                )  # fmt: skip
                            run = run_wrk(
                                args.wrk, server.url, script, files[target], concurrency,
                                args.duration, args.timeout,
                            )  # fmt: skip
                            row.runs.setdefault(target, []).append(run)
                            log(
                                f"{page.name} c={concurrency} round {round_ + 1} {target}: "
                                f"{run.rps:.1f} req/s, p50 {run.p50_ms:.1f} ms, "
                                f"{run.errors} errors"
                            )
                    rows.append(row)
                    loads.append(load_average())
        finally:
            for server in servers.values():
                server.stop()

    node = subprocess.run(
        [str(node_binary(args.node_dir)), "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    header = [
        f"Gateway vs PostGraphile v5, {started:%Y-%m-%d %H:%M} UTC, commit {git_commit()}",
        f"store {redact(url)}; gateway: `gateway serve`, 1 uvicorn worker, Python "
        f"{platform.python_version()}; PostGraphile 5 ({PGL_DIR.name}/package-lock.json), 1 Node "
        f"{node} process, NODE_ENV=production; wrk -t1, {args.duration} s per run after "
        f"{args.warmup} s of warm-up, {args.rounds} round(s), keep-alive",
        f"{os.cpu_count()} CPU(s), {platform.machine()}; load average (1, 5, 15 min) at the start "
        f"and after each row: {' | '.join(loads)}",
    ]
    report = render(rows, header, notes)
    sys.stdout.write(report)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(report, encoding="utf-8")
    return 1 if any(r.errors() for r in rows) else 0


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
