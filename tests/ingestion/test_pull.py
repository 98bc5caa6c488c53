"""Pulling a producer's API, against a local HTTP server the tests start: every pagination,
the authentication header, retries with backoff (5xx, timeouts), the limits, a server failing
mid-way and one answering half a dataset (nothing changes), the schedule (`gateway pull
--due`) and `gateway ingest SLUG URL`; the registry's `[pull]` table checked."""

from __future__ import annotations

import contextlib
import itertools
import json
import re
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.cli import main
from ingestion import mapping_file, pull
from ingestion.mapping_file import MappingError
from ingestion.run import IngestOptions
from models import IngestRun, ProducerRecord

STRUCTURES = [
    {"id": f"s{i}", "nom": f"Structure numéro {i}", "date_maj": "2026-09-01",
     "commune": "Rennes", "code_insee": "35238", "code_postal": "35000"}
    for i in range(1, 13)
]  # fmt: skip
SERVICES = [
    {"id": "v1", "structure_id": "s1", "nom": "Aide alimentaire",
     "description": "Colis alimentaires", "date_maj": "2026-09-01"},
]  # fmt: skip
SIZE = 5  # records per page: 12 structures are 3 pages
TOKEN = "Token s3cr3t-du-producteur"
FAST = "retries = 2\nbackoff_s = 0.01\ntimeout_s = 2\n"
_counter = itertools.count()


class Api:
    """The producer's API: the same structures behind every kind of pagination, with knobs to
    make it fail."""

    def __init__(self) -> None:
        self.structures: list[dict[str, Any]] = list(STRUCTURES)
        self.fail_page: int | None = None  # this page (1-based) answers 500…
        self.fail_times = 10**6  # …this many times
        self.slow_first = False  # the first request waits longer than the client's timeout
        self.requests: list[tuple[str, dict[str, str], dict[str, str]]] = []
        self.lock = threading.Lock()

    def answer(self, path: str, query: dict[str, str], headers: dict[str, str]) -> Any:
        """(status, body, extra headers) of a request."""
        with self.lock:
            self.requests.append((path, query, headers))
            first = len(self.requests) == 1
        if self.slow_first and first:
            time.sleep(0.6)
        if path.startswith("/auth/") and headers.get("authorization") != TOKEN:
            return 401, {"detail": "bad token"}, {}
        services = path.endswith("/services")
        dataset = SERVICES if services else self.structures
        style = path.split("/")[1]
        number = int(query.get("page", "1"))
        if style == "offset":
            number = int(query.get("offset", "0")) // SIZE + 1
        elif style == "cursor":
            number = int(query.get("cursor", "1"))
        if number == self.fail_page and not services:
            with self.lock:
                if self.fail_times > 0:
                    self.fail_times -= 1
                    return 500, {"detail": "boom"}, {}
        rows = dataset[(number - 1) * SIZE : number * SIZE]
        more = number * SIZE < len(dataset)
        following = f"{path}?page={number + 1}" if more else None  # relative links
        if style in ("next", "auth", "flaky"):
            return 200, {"count": len(dataset), "results": rows, "next": following}, {}
        if style == "announced":  # says 12 whatever it holds
            return 200, {"count": 12, "results": rows, "next": following}, {}
        if style == "page":
            return 200, {"items": rows}, {}
        if style == "offset":
            return 200, {"data": {"rows": rows}}, {}
        if style == "cursor":
            return (
                200,
                {"results": rows, "meta": {"next_cursor": str(number + 1) if more else None}},
                {},
            )
        if style == "link":
            link = f'<http://{headers["host"]}{following}>; rel="next"'
            return 200, rows, ({"Link": link} if more else {})
        if style == "single":
            return 200, dataset, {}
        if style == "html":
            return 200, "<html>maintenance</html>", {}
        return 404, {"detail": "no such page"}, {}


@pytest.fixture
def api() -> Iterator[tuple[Api, str]]:
    state = Api()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, body, extra = state.answer(parts.path, query, headers)
            data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in extra.items():
                self.send_header(name, value)
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # timed out
                self.wfile.write(data)

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def entry(folder: Path, pull_table: str, slug: str | None = None) -> tuple[str, Path]:
    """A producer in the data·inclusion format whose API is pulled: its registry entry."""
    slug = slug or f"api-{next(_counter)}-{folder.name[-6:].lower()}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{slug}.toml").write_text(
        f'[source]\nslug = "{slug}"\nnom = "API {slug}"\n[reader]\nformat = "data-inclusion"\n'
        + pull_table,
        encoding="utf-8",
    )
    return slug, folder


def table(base: str, style: str, extra: str = "", services: bool = True) -> str:
    given = {line.split("=")[0].strip() for line in extra.splitlines() if "=" in line}
    fast = "".join(f"{line}\n" for line in FAST.splitlines() if line.split(" =")[0] not in given)
    text = f'[pull]\n{fast}{extra}\n[pull.structures]\nurl = "{base}/{style}/structures"\n'
    if services:
        text += f'[pull.services]\nurl = "{base}/{style}/services"\n'
    return text


async def run_pull(
    engine: AsyncEngine, slug: str, folder: Path, env: dict[str, str] | None = None, **kw: Any
) -> pull.PullReport:
    producer = mapping_file.load(slug, folder)
    assert producer.pull is not None
    return await pull.pull(
        engine, producer, producer.pull, producers_dir=folder, env=env or {},
        options=IngestOptions(merge=False, **kw),
    )  # fmt: skip


async def stored(engine: AsyncEngine, slug: str) -> dict[str, tuple[int, str, str]]:
    """producer id -> (version, status, content hash) of a source's structures."""
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(ProducerRecord.producer_id, ProducerRecord.version, ProducerRecord.status,
                   ProducerRecord.content_hash)
            .where(ProducerRecord.source_slug == slug, ProducerRecord.kind == "structure")
        )  # fmt: skip
        return {pid: (v, status, h) for pid, v, status, h in rows}


async def runs(engine: AsyncEngine, slug: str) -> list[dict[str, Any]]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(IngestRun.status, IngestRun.files, IngestRun.error)
            .where(IngestRun.source_slug == slug)
            .order_by(IngestRun.id)
        )
        return [dict(r._mapping) for r in rows]


PAGINATIONS = {
    # style: ([pull] keys, pages of structures fetched)
    "next": ('records_path = "results"\npagination = "next-link"\nnext_path = "next"', 3),
    "link": ('pagination = "link-header"', 3),
    "page": (
        f'records_path = "items"\npagination = "page"\nsize_param = "size"\npage_size = {SIZE}',
        3,
    ),
    "offset": (
        'records_path = "data.rows"\npagination = "offset"\nsize_param = "limit"\n'
        f"page_size = {SIZE}",
        3,
    ),
    "cursor": (
        'records_path = "results"\npagination = "cursor"\nnext_path = "meta.next_cursor"',
        3,
    ),
    "single": ("", 1),
}


@pytest.mark.parametrize("style", list(PAGINATIONS))
async def test_each_pagination(
    style: str, api: tuple[Api, str], store_engine: AsyncEngine, tmp_path: Path
) -> None:
    state, base = api
    keys, pages = PAGINATIONS[style]
    slug, folder = entry(tmp_path, table(base, style, keys))
    report = await run_pull(store_engine, slug, folder)
    assert report.error is None, report.error
    assert [(f.spec.kind, f.pages, f.records) for f in report.fetched] == [
        ("structures", pages, 12),
        ("services", 1, 1),
    ]
    assert report.ingest is not None and report.ingest["status"] == "succeeded"
    assert report.ingest["new"] == 13 and report.ingest["rejected"] == 0
    assert sorted(await stored(store_engine, slug)) == sorted(s["id"] for s in STRUCTURES)
    if style in ("page", "offset"):  # the page size is asked for
        asked = [q for p, q, _h in state.requests if p.endswith("/structures")]
        key = "page" if style == "page" else "offset"
        size = "size" if style == "page" else "limit"
        assert [(q[key], q[size]) for q in asked] == (
            [("1", "5"), ("2", "5"), ("3", "5")]
            if style == "page"
            else [("0", "5"), ("5", "5"), ("10", "5")]
        )
    # the run names the API, not a temporary file
    last = (await runs(store_engine, slug))[-1]
    assert [f["url"] for f in last["files"]] == [
        f"{base}/{style}/structures",
        f"{base}/{style}/services",
    ]


async def test_the_auth_header_is_read_from_the_environment(
    api: tuple[Api, str], store_engine: AsyncEngine, tmp_path: Path
) -> None:
    state, base = api
    keys = (
        'records_path = "results"\npagination = "next-link"\nnext_path = "next"\n'
        'auth_header = "Authorization"\nauth_env = "MON_API_TOKEN"\nauth_scheme = "Token"'
    )
    slug, folder = entry(tmp_path, table(base, "auth", keys, services=False))
    missing = await run_pull(store_engine, slug, folder, env={})
    assert missing.error is not None and "MON_API_TOKEN" in missing.error
    assert state.requests == []  # not even asked without its token
    wrong = await run_pull(store_engine, slug, folder, env={"MON_API_TOKEN": "nope"})
    assert wrong.error is not None and "HTTP 401" in wrong.error
    assert len(state.requests) == 1  # a 401 is not retried
    assert await stored(store_engine, slug) == {}
    good = await run_pull(store_engine, slug, folder, env={"MON_API_TOKEN": "s3cr3t-du-producteur"})
    assert good.error is None, good.error
    assert {h["authorization"] for _p, _q, h in state.requests[1:]} == {TOKEN}
    assert len(await stored(store_engine, slug)) == 12
    assert "s3cr3t" not in json.dumps(await runs(store_engine, slug), default=str)


async def test_retries_with_backoff_on_5xx_and_timeouts(
    api: tuple[Api, str], store_engine: AsyncEngine, tmp_path: Path
) -> None:
    state, base = api
    state.fail_page, state.fail_times = 2, 2  # page 2 fails twice, then answers
    state.slow_first = True  # and the very first request times out
    keys = (
        'records_path = "results"\npagination = "next-link"\nnext_path = "next"\n'
        "retries = 3\ntimeout_s = 0.3"
    )
    slug, folder = entry(tmp_path, table(base, "flaky", keys, services=False))
    started = time.monotonic()
    report = await run_pull(store_engine, slug, folder)
    assert report.error is None, report.error
    assert report.fetched[0].retries == 3 and report.fetched[0].records == 12
    # 1 timed out + page 1 + page 2 three times + page 3
    assert len(state.requests) == 6
    assert time.monotonic() - started < 5
    assert len(await stored(store_engine, slug)) == 12


async def test_a_server_failing_mid_way_changes_nothing(
    api: tuple[Api, str], store_engine: AsyncEngine, tmp_path: Path
) -> None:
    state, base = api
    keys = 'records_path = "results"\npagination = "next-link"\nnext_path = "next"'
    slug, folder = entry(tmp_path, table(base, "next", keys))
    assert (await run_pull(store_engine, slug, folder)).error is None
    before = await stored(store_engine, slug)
    async with store_engine.connect() as conn:
        pulled_at = await pull.last_pull(conn, slug)
    state.structures = [{**s, "nom": s["nom"] + " (modifiée)"} for s in STRUCTURES]
    state.fail_page = 2  # page 1 answers (changed records), page 2 never does
    report = await run_pull(store_engine, slug, folder)
    assert report.error is not None
    assert (
        "HTTP 500, still after 2 retries" in report.error and "nothing was stored" in report.error
    )
    assert await stored(store_engine, slug) == before  # not one record changed
    last = (await runs(store_engine, slug))[-1]
    assert last["status"] == "failed" and last["error"].startswith("pull: ")
    assert last["files"][0]["url"] == f"{base}/next/structures"
    async with store_engine.connect() as conn:
        assert await pull.last_pull(conn, slug) == pulled_at  # a failure is not a pull


async def test_half_a_dataset_is_refused(
    api: tuple[Api, str], store_engine: AsyncEngine, tmp_path: Path
) -> None:
    state, base = api
    keys = 'records_path = "results"\npagination = "next-link"\nnext_path = "next"'
    slug, folder = entry(tmp_path, table(base, "next", keys))
    assert (await run_pull(store_engine, slug, folder)).error is None
    before = await stored(store_engine, slug)
    state.structures = STRUCTURES[:4]  # the API answers 4 of its 12 structures, without error
    report = await run_pull(store_engine, slug, folder)
    assert report.error is not None and "would mark 8 of 12" in report.error  # the gone-guard
    assert await stored(store_engine, slug) == before
    assert (await runs(store_engine, slug))[-1]["status"] == "refused"
    assert (await runs(store_engine, slug))[-1]["files"][0]["url"] == f"{base}/next/structures"

    # an API announcing its total: fewer records than announced is refused before the ingest
    announced = 'records_path = "results"\npagination = "next-link"\nnext_path = "next"\n'
    slug, folder = entry(
        tmp_path / "b", table(base, "announced", announced + 'total_path = "count"', False)
    )
    report = await run_pull(store_engine, slug, folder)
    assert report.error is not None and "announced 12 records" in report.error
    assert await stored(store_engine, slug) == {}


async def test_limits_and_bad_answers(
    api: tuple[Api, str], store_engine: AsyncEngine, tmp_path: Path
) -> None:
    _state, base = api
    keys = 'records_path = "results"\npagination = "next-link"\nnext_path = "next"\nmax_pages = 2'
    slug, folder = entry(tmp_path, table(base, "next", keys, services=False))
    report = await run_pull(store_engine, slug, folder)
    assert report.error is not None and "more than 2 pages" in report.error
    slug, folder = entry(tmp_path / "b", table(base, "html", "", services=False))
    report = await run_pull(store_engine, slug, folder)
    assert report.error is not None and "not JSON" in report.error
    slug, folder = entry(tmp_path / "c", table(base, "page", 'records_path = "nowhere"', False))
    report = await run_pull(store_engine, slug, folder)
    assert report.error is not None and "no list of records at 'nowhere'" in report.error
    assert await stored(store_engine, slug) == {}


def test_the_pull_table_is_checked(tmp_path: Path) -> None:
    base = "https://api.example.org"
    for keys, message in (
        ('pagination = "scroll"', "`pagination` must be one of"),
        ('pagination = "next-link"', "needs `next_path`"),
        ('auth_header = "Authorization"', "`auth_header` and `auth_env` go together"),
        ('every = "tous les jours"', "`every` is a number and a unit"),
        ("page_size = 50", "`page_size` needs `size_param`"),
        ("colour = 1", "unknown key(s) ['colour']"),
    ):
        slug, folder = entry(tmp_path, table(base, "x", keys))
        with pytest.raises(MappingError, match=re.escape(message)):
            mapping_file.load(slug, folder)
    slug, folder = entry(tmp_path, f'[pull]\nurl = "{base}/all"\n')
    with pytest.raises(MappingError, match="give each its url"):
        mapping_file.load(slug, folder)
    slug, folder = entry(tmp_path, table(base, "x", 'every = "6h"'))
    producer = mapping_file.load(slug, folder)
    assert producer.pull is not None
    spec = producer.pull["structures"]
    assert spec.every == timedelta(hours=6) and spec.file == "structure.json"
    now = datetime(2026, 12, 2, 12, tzinfo=UTC)
    assert pull.due(spec, None, now)
    assert not pull.due(spec, now - timedelta(hours=5), now)
    assert pull.due(spec, now - timedelta(hours=6), now)


def test_gateway_pull_due_and_ingest_from_a_url(
    api: tuple[Api, str],
    store_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _state, base = api
    keys = 'records_path = "results"\npagination = "next-link"\nnext_path = "next"\nevery = "1d"'
    slug, folder = entry(tmp_path, table(base, "next", keys))
    monkeypatch.setenv("DATABASE_URL", store_url)
    monkeypatch.setenv("GATEWAY_PRODUCERS_DIR", str(folder))
    main(["pull", "--due", "--json"])
    (doc,) = json.loads(capsys.readouterr().out)
    assert doc["source"] == slug and doc["status"] == "succeeded" and doc["ingest"]["new"] == 13
    main(["pull", "--due"])
    assert capsys.readouterr().out.strip() == "nothing to pull (nothing due)"
    # by hand, from another URL: the producer's pagination, an unchanged dataset
    main(["ingest", slug, f"structures={base}/next/structures", f"services={base}/next/services"])
    out = capsys.readouterr().out
    assert "3 page(s), 12 records" in out and "unchanged" in out
    with pytest.raises(SystemExit) as failed:
        main(["ingest", slug, f"{base}/next/structures"])
    assert failed.value.code == 2
    assert "structures=URL" in capsys.readouterr().err
    # a pull that fails exits 1 for cron to notice
    broken = table(base, "nowhere", 'records_path = "results"')
    entry(folder, broken, slug=slug)
    with pytest.raises(SystemExit) as failed:
        main(["pull", slug])
    assert failed.value.code == 1
    assert "HTTP 404" in capsys.readouterr().err
