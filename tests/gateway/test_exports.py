"""Exports of the merged referential in the data·inclusion v1 format, on SQLite and PostgreSQL.

The store holds two demo producers (scale 1): dora and the restricted soliguide, plus a small
producer in the data·inclusion format whose records hold personal data (a contact's name, a
person's own e-mail, mobile numbers) and formula-looking text. Every row of
every format, read back, validates with the schema's models; a round trip through the
data·inclusion reader gives the same rows; restricted producers and personal data are left out
of open data and of tokens without their scope; the HTTP download streams with an ETag."""

from __future__ import annotations

import asyncio
import csv
import json
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import openpyxl
import pyarrow.parquet as pq
import pytest

import demo
from gateway import access
from gateway.app import create_app
from gateway.cli_export import export
from gateway.cli_ingest import CommandFailed
from gateway.exports import formats as formats_module
from gateway.exports.formats import FORMATS
from gateway.exports.rows import KINDS, MODELS, Column, columns, neutralised
from gateway.exports.stream import Audience
from gateway.settings import Settings
from ingestion.run import ingest
from store import access as access_store
from store import exports as store_exports
from store.engine import create_engine, normalize_url
from tests.conftest import BACKENDS, fresh_database, prepared_store

PRODUCERS = ("dora", "soliguide")
RESTRICTED = "soliguide"
OWN = "mon-producteur"
ENTRY = '[source]\nslug = "{slug}"\nnom = "{slug}"\n[reader]\nformat = "data-inclusion"\n'
FORMULA = '=HYPERLINK("http://evil.example","clic")'
STRUCTURES = [
    {
        "id": "1",
        "nom": FORMULA,
        "date_maj": "2026-09-01",
        "courriel": "marie.dupont@example.org",
        "telephone": "+33612345678",
        "description": "Appelez le 06 12 34 56 78 pour un rendez-vous.",
        "commune": "Rennes",
        "code_insee": "35238",
        "code_postal": "35000",
        "latitude": 48.11,
        "longitude": -1.68,
    },
    {
        "id": "2",
        "nom": "@SUM(1+1) Association",
        "date_maj": "2026-08-01",
        "courriel": "contact@association.example.org",
        "telephone": "+33299000000",
    },
]
SERVICES = [
    {
        "id": "10",
        "structure_id": "1",
        "nom": "Aide alimentaire",
        "description": "-2+3+cmd|' /C calc'!A0",
        "date_maj": "2026-09-01",
        "contact_nom_prenom": "Marie Dupont",
        "telephone": "06 12 34 56 78",
        "thematiques": ["equipement-et-alimentation--alimentation"],
        "modes_accueil": ["en-presentiel"],
    },
]
OPEN = Audience()
EVERYTHING = Audience(visibility="restricted", has_token=True)


def _entry(folder: Path, slug: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{slug}.toml").write_text(ENTRY.format(slug=slug), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo")
    demo.generate(folder, scale=1, seed=0)
    own = folder / OWN
    own.mkdir()
    (own / "structures.json").write_text(json.dumps(STRUCTURES), encoding="utf-8")
    (own / "services.json").write_text(json.dumps(SERVICES), encoding="utf-8")
    return folder


@pytest.fixture(scope="module", params=BACKENDS)
async def loaded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, demo_files: Path
) -> AsyncIterator[tuple[str, str]]:
    """(backend, URL) of a store holding the two demo producers and our own."""
    tmp = tmp_path_factory.mktemp("exports")
    async with fresh_database(request.param, tmp, "exports") as url:
        await prepared_store(url)
        engine = create_engine(normalize_url(url))
        try:
            for slug in PRODUCERS:
                paths = sorted(p for p in (demo_files / slug).iterdir() if p.is_file())
                report = await ingest(engine, slug, paths)
                assert report.status == "succeeded", report
            own = sorted((demo_files / OWN).iterdir())
            report = await ingest(engine, OWN, own, producers_dir=_entry(tmp / "producers", OWN))
            assert report.status == "succeeded" and report.counts["rejected"] == 0, report.as_json()
        finally:
            await engine.dispose()
        yield request.param, url


async def _export(url: str, folder: Path, audience: Audience, **kw: Any) -> dict[str, Any]:
    engine = create_engine(normalize_url(url))
    try:
        return await export(
            engine,
            folder,
            kw.get("formats", list(FORMATS)),
            kw.get("kinds", list(KINDS)),
            audience,
            kw.get("filters", []),
        )
    finally:
        await engine.dispose()


# --- reading the files back ----------------------------------------------------------------


def _text_back(column: Column, value: Any) -> Any:
    """A spreadsheet cell (CSV, XLSX) as the value it stands for."""
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.startswith("'") and neutralised(value[1:]) == value:
        value = value[1:]  # a neutralised formula
    if isinstance(value, list):  # Parquet's lists
        return value or None
    if column.type == "list":
        text = str(value)
        return json.loads(text) if text.startswith("[") else text.split(",")
    if column.type == "float":
        return float(value)
    if column.type == "int":
        return int(value)
    if column.type == "date":
        return value.isoformat()[:10] if isinstance(value, date | datetime) else str(value)
    return value


def read_back(path: Path, kind: str) -> list[dict[str, Any]]:
    """The rows of an exported file, each as the JSON export writes it."""
    cols = columns(kind)
    fmt = path.suffix[1:]
    if fmt == "json":
        rows: list[dict[str, Any]] = json.loads(path.read_bytes())
        return rows
    if fmt == "jsonl":
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    if fmt == "geojson":
        doc = json.loads(path.read_bytes())
        assert doc["type"] == "FeatureCollection"
        out = []
        for feature in doc["features"]:
            row, geometry = feature["properties"], feature["geometry"]
            if row["longitude"] is None or row["latitude"] is None:
                assert geometry is None
            else:
                assert geometry == {
                    "type": "Point",
                    "coordinates": [row["longitude"], row["latitude"]],
                }
            out.append(row)
        return out
    if fmt == "csv":
        with path.open(encoding="utf-8", newline="") as f:
            reader = csv.DictReader(f)
            assert reader.fieldnames == [c.name for c in cols]
            raw = list(reader)
    elif fmt == "xlsx":
        book = openpyxl.load_workbook(path, read_only=True)
        sheet = book[kind]
        header, *cells = list(sheet.iter_rows(values_only=True))
        assert list(header) == [c.name for c in cols]
        raw = [
            dict(zip(header, [*r, *[None] * (len(header) - len(r))], strict=True)) for r in cells
        ]
    else:
        assert fmt == "parquet"
        raw = pq.read_table(path).to_pylist()
    return [{c.name: _text_back(c, r[c.name]) for c in cols} for r in raw]


def _comparable(row: dict[str, Any]) -> dict[str, Any]:
    """A JSON row with empty lists as the spreadsheets write them (no cell)."""
    return {k: (None if v == [] else v) for k, v in row.items()}


# --- the tests ---------------------------------------------------------------------------


async def test_every_row_of_every_format_validates_and_the_formats_agree(
    loaded: tuple[str, str], tmp_path: Path
) -> None:
    _backend, url = loaded
    for name, audience in (("open", OPEN), ("everything", EVERYTHING)):
        folder = tmp_path / name
        summary = await _export(url, folder, audience)
        assert summary["open_data"] is (audience == OPEN)
        for kind in KINDS:
            model = MODELS[kind]
            expected = read_back(folder / f"{kind}.json", kind)
            assert len(expected) == summary["rows"][kind] > 0
            assert [r["id"] for r in expected] == sorted(r["id"] for r in expected)
            for fmt in FORMATS:
                got = read_back(folder / f"{kind}.{fmt}", kind)
                for row in got:
                    model.model_validate(row)  # raises on the first invalid row
                if fmt in ("csv", "xlsx", "parquet"):
                    assert got == [_comparable(r) for r in expected], (kind, fmt)
                else:
                    assert got == expected, (kind, fmt)
        # services point at exported structures
        structures = {r["id"] for r in read_back(folder / "structures.json", "structures")}
        services = read_back(folder / "services.json", "services")
        assert {s["structure_id"] for s in services} <= structures


async def test_restricted_producers_and_personal_data_only_for_who_may_see_them(
    loaded: tuple[str, str], tmp_path: Path
) -> None:
    _backend, url = loaded
    await _export(url, tmp_path / "open", OPEN, formats=["json"])
    await _export(url, tmp_path / "all", EVERYTHING, formats=["json"])

    def ids(folder: str, kind: str) -> set[str]:
        rows = read_back(tmp_path / folder / f"{kind}.json", kind)
        return {i for r in rows for i in [r["id"], *r["doublons"]]} | {r["source"] for r in rows}

    for kind in KINDS:
        assert not any(i.startswith(RESTRICTED) for i in ids("open", kind))
        assert any(i.startswith(RESTRICTED) for i in ids("all", kind))
    open_text = b"".join((tmp_path / "open" / f"{k}.json").read_bytes() for k in KINDS)
    all_text = b"".join((tmp_path / "all" / f"{k}.json").read_bytes() for k in KINDS)
    for personal in (b"Marie Dupont", b"marie.dupont@", b"+33612345678", b"06 12 34 56 78"):
        assert personal not in open_text
        assert personal in all_text
    assert "[numéro masqué]".encode() in open_text
    assert b"contact@association.example.org" in open_text  # not a person's own


async def test_formula_looking_text_is_neutralised_in_csv_and_xlsx(
    loaded: tuple[str, str], tmp_path: Path
) -> None:
    _backend, url = loaded
    await _export(url, tmp_path, EVERYTHING, formats=["csv", "xlsx", "json"])
    csv_text = (tmp_path / "structures.csv").read_text(encoding="utf-8")
    assert "'" + FORMULA.replace('"', '""') in csv_text and "'@SUM(1+1) Association" in csv_text
    services_csv = (tmp_path / "services.csv").read_text(encoding="utf-8")
    assert "'-2+3+cmd|' /C calc'!A0" in services_csv
    assert ",+33612345678," in csv_text  # a phone number is no formula
    sheet = openpyxl.load_workbook(tmp_path / "structures.xlsx")["structures"]
    names = {row[2] for row in sheet.iter_rows(values_only=True)}
    assert "'" + FORMULA in names
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
    assert FORMULA in {r["nom"] for r in read_back(tmp_path / "structures.json", "structures")}
    assert neutralised("-12.5") == "-12.5" and neutralised("+33 6 12 34 56 78")[0] == "+"
    assert neutralised("\t=1") == "'\t=1"


async def test_a_round_trip_through_the_data_inclusion_reader_gives_the_same_rows(
    loaded: tuple[str, str], tmp_path: Path
) -> None:
    backend, url = loaded
    first = tmp_path / "first"
    # everything a token holder with the restricted scope reads: nothing is left out, so the
    # records ingested again are the same (an open-data file withholds values, and with them
    # goes a part of the quality score)
    await _export(url, first, EVERYTHING, formats=["csv", "json"])
    slug = "retour"
    files = [first / "structures.csv", first / "services.json"]
    async with fresh_database(backend, tmp_path, "exports_again") as again:
        await prepared_store(again)
        engine = create_engine(normalize_url(again))
        try:
            report = await ingest(engine, slug, files, producers_dir=_entry(tmp_path / "p", slug))
        finally:
            await engine.dispose()
        assert report.status == "succeeded" and report.counts["rejected"] == 0, report.as_json()
        await _export(again, tmp_path / "second", EVERYTHING, formats=["json"])
    for kind in KINDS:
        before = {r["id"]: r for r in read_back(first / f"{kind}.json", kind)}
        after = read_back(tmp_path / "second" / f"{kind}.json", kind)
        assert len(after) == len(before)
        for row in after:
            assert row["source"] == slug and row["id"].startswith(f"{slug}--")
            original = before[row["id"].removeprefix(f"{slug}--")]
            if kind == "services":
                assert row["structure_id"] == f"{slug}--{original['structure_id']}"
            same = {"id", "source", "structure_id", "doublons"}
            got = {k: v for k, v in row.items() if k not in same}
            want = {k: v for k, v in original.items() if k not in same}
            if kind == "structures" and original["nom"] in (FORMULA, "@SUM(1+1) Association"):
                # from CSV, a neutralised formula comes back as the text it was written as
                assert got.pop("nom") == "'" + want.pop("nom")
            assert got == want, row["id"]


@pytest.fixture(scope="module")
async def tokens(loaded: tuple[str, str]) -> dict[str, str]:
    """A plain read token and one with the restricted scope."""
    _backend, url = loaded
    engine = create_engine(normalize_url(url))
    out = {}
    try:
        async with engine.begin() as conn:
            now = datetime.now(UTC)
            consumer = await access_store.create_consumer(
                conn,
                name="exports",
                contact=None,
                cgu_version="1",
                cgu_accepted_on=date(2026, 1, 1),
                now=now,
            )
            for name, scopes in (("read", ["read"]), ("restricted", ["read", "restricted"])):
                token = access.new_token()
                await access_store.create_token(
                    conn,
                    consumer_id=consumer,
                    prefix=token[: access.PREFIX_LENGTH],
                    sha256=access.token_hash(token),
                    scopes=scopes,
                    origins=[],
                    label=name,
                    expires_at=None,
                    now=now,
                )
                out[name] = token
    finally:
        await engine.dispose()
    return out


@pytest.fixture(scope="module")
async def http(loaded: tuple[str, str]) -> AsyncIterator[Any]:
    _backend, url = loaded
    app = create_app(Settings(database_url=url, rate_limit_anonymous=0))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        c.app = app  # type: ignore[attr-defined]
        yield c
    await app.state.cache.close()
    await app.state.engine.dispose()


def _auth(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


async def test_downloads_need_a_token_and_follow_its_scopes(
    http: httpx.AsyncClient, tokens: dict[str, str]
) -> None:
    anonymous = await http.get("/exports/services.csv")
    assert anonymous.status_code == 401
    assert anonymous.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert anonymous.headers["www-authenticate"].startswith("Bearer")
    unknown = await http.get("/exports/services.csv", headers=_auth("dig_nope"))
    assert unknown.status_code == 401
    assert (await http.get("/exports/lieux.csv", headers=_auth(tokens["read"]))).status_code == 404
    for name, restricted_seen in (("read", False), ("restricted", True)):
        response = await http.get("/exports/structures.jsonl", headers=_auth(tokens[name]))
        assert response.status_code == 200
        assert response.headers["content-disposition"] == 'attachment; filename="structures.jsonl"'
        rows = [json.loads(line) for line in response.text.splitlines()]
        seen = any(i.startswith(RESTRICTED) for r in rows for i in [r["id"], *r["doublons"]])
        assert seen is restricted_seen
        # a token holder reads personal data, as in the API
        assert any(r["courriel"] == "marie.dupont@example.org" for r in rows)


async def test_a_download_has_an_etag_and_answers_304(
    http: httpx.AsyncClient, tokens: dict[str, str]
) -> None:
    url = "/exports/services.json?codeDepartement=35"
    first = await http.get(url, headers=_auth(tokens["read"]))
    assert first.status_code == 200 and first.headers["etag"].startswith('"')
    again = await http.get(
        url, headers={**_auth(tokens["read"]), "if-none-match": first.headers["etag"]}
    )
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == first.headers["etag"]
    other_view = await http.get(url, headers=_auth(tokens["restricted"]))
    assert other_view.headers["etag"] != first.headers["etag"]
    other_filter = await http.get(url + "&thematiques=famille", headers=_auth(tokens["read"]))
    assert other_filter.headers["etag"] != first.headers["etag"]


async def test_filters_mean_what_the_api_means(
    http: httpx.AsyncClient, tokens: dict[str, str]
) -> None:
    cases = [
        ("services", "codeDepartement=35", '{codeDepartement: "35"}'),
        (
            "services",
            "thematiques=famille,equipement-et-alimentation",
            '{thematiques: ["famille", "equipement-et-alimentation"]}',
        ),
        ("services", "sources=mon-producteur", '{sources: ["mon-producteur"]}'),
        ("structures", "codeCommune=35238", '{codeCommune: "35238"}'),
    ]
    for kind, query, graphql_filter in cases:
        download = await http.get(f"/exports/{kind}.json?{query}", headers=_auth(tokens["read"]))
        assert download.status_code == 200, download.text
        exported = [r["id"] for r in download.json()]
        document = (
            f"{{ {kind}(first: 1000, filter: {graphql_filter}) {{ edges {{ node {{ id }} }} }} }}"
        )
        answer = await http.post(
            "/graphql", json={"query": document}, headers=_auth(tokens["read"])
        )
        listed = [e["node"]["id"] for e in answer.json()["data"][kind]["edges"]]
        assert exported == listed and exported, (kind, query)
    bad = await http.get("/exports/services.csv?thematiques=nope", headers=_auth(tokens["read"]))
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["extensions"] == {
        "code": "BAD_USER_INPUT",
        "argument": "thematiques",
    }
    unknown = await http.get(
        "/exports/structures.csv?thematiques=famille", headers=_auth(tokens["read"])
    )
    assert unknown.status_code == 400 and "unknown filter" in unknown.text


async def test_a_download_streams_a_page_at_a_time(
    http: httpx.AsyncClient, tokens: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_exports, "PAGE", 50)
    app: Any = http.app  # type: ignore[attr-defined]
    messages: list[dict[str, Any]] = []
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/exports/services.csv",
        "raw_path": b"/exports/services.csv",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"t"), (b"authorization", f"Bearer {tokens['read']}".encode())],
        "client": ("127.0.0.1", 1),
        "server": ("t", 80),
    }

    received = asyncio.Event()

    async def receive() -> dict[str, Any]:
        if received.is_set():  # the client stays until the answer ends
            await asyncio.Event().wait()
        received.set()
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    await app(scope, receive, send)
    bodies = [m for m in messages if m["type"] == "http.response.body" and m.get("body")]
    assert messages[0]["status"] == 200
    rows = sum(m["body"].count(b"\r\n") for m in bodies) - 1
    assert len(bodies) >= rows // 50 > 2  # a chunk per page of 50


async def test_the_command_writes_every_file_or_none(
    loaded: tuple[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _backend, url = loaded
    out = tmp_path / "out"
    out.mkdir()
    (out / "structures.csv").write_text("the previous export\n", encoding="utf-8")

    def broken(self: Any, rows: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(formats_module.ParquetWriter, "_write", broken)
    with pytest.raises(OSError, match="disk full"):
        await _export(url, out, OPEN)
    assert sorted(p.name for p in out.iterdir()) == ["structures.csv"]
    assert (out / "structures.csv").read_text(encoding="utf-8") == "the previous export\n"
    monkeypatch.undo()
    summary = await _export(url, out, OPEN, kinds=["services"], filters=[("codeDepartement", "35")])
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["structures.csv", *(f"services.{f}" for f in FORMATS)]
    )
    rows = read_back(out / "services.json", "services")
    assert len(rows) == summary["rows"]["services"] > 0
    with pytest.raises(CommandFailed, match="unknown filter"):
        await _export(url, out, OPEN, filters=[("thematiques", "famille")])
