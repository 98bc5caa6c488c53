"""A producer's files over HTTP with its token: checked (nothing stored), previewed (what the
run would change, nothing stored), submitted (the same ingest: quarantine, gone-guard); the
refusals (401, 403, 413, 415, 422, 409); the temporary files removed (SQLite and PostgreSQL)."""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from gateway import access
from gateway.app import create_app
from gateway.bootstrap import sync_sources
from gateway.cli import main
from gateway.settings import Settings
from ingestion import mapping_file
from ingestion.normalize import Territories
from ingestion.preview import preview
from models import IngestRun, ProducerRecord
from store import access as access_store
from store.engine import create_engine, normalize_url
from store.territories import code_tables

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ingestion"
HEADER = "ID;Nom;SIRET;Adresse;CP;Ville;INSEE;Téléphone;Courriel;Mis à jour;Coordonnées"
LIMIT = 20_000  # bytes a test upload may have
_counter = itertools.count()


def structures(n: int, renamed: dict[int, str] | None = None, skip: int | None = None) -> bytes:
    rows = [HEADER]
    for i in range(1, n + 1):
        if i == skip:
            continue
        name = (renamed or {}).get(i, f"Structure numéro {i}")
        rows.append(f"s{i};{name};;{i} rue de Paris;35000;Rennes;35238;;;02/09/2026;")
    rows.append("bad;XY;;;35000;Rennes;35238;;;pas une date;")  # rejected: no date_maj
    return ("\n".join(rows) + "\n").encode()


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str, str]:
    """A registry folder holding three copies of the `exemple` producer under fresh slugs: the
    producer under test, another one, and one for the gone-guard."""
    folder = tmp_path_factory.mktemp("producers")
    slugs = []
    for _ in range(3):
        slug = f"depot-{next(_counter)}-{folder.name[-6:].lower()}"
        text = (FIXTURES / "producers" / "exemple.toml").read_text(encoding="utf-8")
        (folder / f"{slug}.toml").write_text(
            text.replace('slug = "exemple"', f'slug = "{slug}"'), encoding="utf-8"
        )
        slugs.append(slug)
    return folder, slugs[0], slugs[1], slugs[2]


@pytest.fixture(scope="module")
async def tokens(store_url: str, registry: tuple[Path, str, str, str]) -> dict[str, str]:
    """Tokens: the producer's, another producer's, the third one's, and a consumer's with
    every scope."""
    folder, own, other, guarded = registry
    engine = create_engine(normalize_url(store_url))
    await sync_sources(engine, folder)
    made = {}
    async with engine.begin() as conn:
        now = datetime.now(UTC)
        consumer = await access_store.create_consumer(
            conn, name=f"lecteur-{own}", contact=None, cgu_version="1", cgu_accepted_on=now.date(),
            now=now,
        )  # fmt: skip
        for key, slug, consumer_id, scopes in (
            ("own", own, None, []),
            ("other", other, None, []),
            ("guarded", guarded, None, []),
            ("consumer", None, consumer, ["read", "restricted", "admin"]),
        ):
            token = access.new_token()
            await access_store.create_token(
                conn, consumer_id=consumer_id, source_slug=slug, prefix=token[:12],
                sha256=access.token_hash(token), scopes=scopes, origins=[], label=None,
                expires_at=None, now=now,
            )  # fmt: skip
            made[key] = token
    await engine.dispose()
    return made


@pytest.fixture(scope="module")
def uploads(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("uploads")


@pytest.fixture(scope="module")
async def http(
    store_url: str, registry: tuple[Path, str, str, str], uploads: Path
) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(
        database_url=store_url,
        producers_dir=registry[0],
        token_cache_seconds=0,
        rate_limit_anonymous=0,
        response_cache_seconds=0,
        producer_upload_max_bytes=LIMIT,
        upload_dir=uploads,
    )
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as client:
        yield client
    await app.state.cache.close()
    await app.state.engine.dispose()


@pytest.fixture(autouse=True)
def no_file_left(uploads: Path) -> Iterator[None]:
    yield
    assert list(uploads.iterdir()) == [], "a temporary upload was left behind"


def _bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


async def _stored(store_url: str, slug: str) -> tuple[int, int]:
    """(active records, runs) of a source."""
    engine = create_engine(normalize_url(store_url))
    try:
        async with engine.connect() as conn:
            records = await conn.scalar(
                select(func.count()).select_from(ProducerRecord)
                .where(ProducerRecord.source_slug == slug, ProducerRecord.status == "active")
            )  # fmt: skip
            runs = await conn.scalar(
                select(func.count()).select_from(IngestRun).where(IngestRun.source_slug == slug)
            )
    finally:
        await engine.dispose()
    return int(records or 0), int(runs or 0)


async def test_a_check_reports_on_the_file_and_stores_nothing(
    http: httpx.AsyncClient, tokens: dict[str, str], registry: tuple[Path, str, str, str],
    store_url: str,
) -> None:  # fmt: skip
    slug = registry[1]
    body = (FIXTURES / "files" / "structures.csv").read_bytes()
    response = await http.post(
        f"/producers/{slug}/check?filename=structures.csv", content=body,
        headers=_bearer(tokens["own"]),
    )  # fmt: skip
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["kinds"] == ["structures"]
    assert report["assessment"]["format"] == "csv" and report["assessment"]["rows"] == 5
    assert report["assessment"]["file"] == "structures.csv"  # no temporary path shown
    # the records as the ingest would take them: the same verdicts as a preview of the file
    engine = create_engine(normalize_url(store_url))
    async with engine.connect() as conn:
        current, aliases = await code_tables(conn)
    await engine.dispose()
    previewed = preview(
        mapping_file.load(slug, registry[0]), [FIXTURES / "files" / "structures.csv"],
        Territories(current=current, aliases=aliases),
    )  # fmt: skip
    rejected = [p for p in previewed if p["record"] is None]
    assert rejected  # the fixture has rows the schema refuses
    counts = report["validation"]["counts"]
    assert counts["structure_read"] == 5
    assert counts["structure_rejected"] == len(rejected)
    assert counts["structure_valid"] == 5 - len(rejected)
    assert report["ok"] is False
    for problem in report["validation"]["problems"]:
        assert problem["count"] >= len(problem["rows"]) >= 1
        assert {"row", "producer_id", "value"} <= set(problem["rows"][0])
    # the courriel "contact@" of s3 is named with its row
    courriel = [p for p in report["validation"]["problems"] if p["field"] == "courriel"]
    assert courriel and courriel[0]["rows"][0]["producer_id"] == "s3"
    assert await _stored(store_url, slug) == (0, 0)


async def test_unmapped_values_come_with_the_closest_known_one(
    http: httpx.AsyncClient, tokens: dict[str, str], registry: tuple[Path, str, str, str]
) -> None:
    slug = registry[1]
    services = (
        "ID;Structure;Nom;Description;Mis à jour;Catégories;Gratuit\n"
        "v1;s1;Aide;Colis alimentaires;02/09/2026;Aide alimentair;oui\n"
    ).encode()
    response = await http.post(
        f"/producers/{slug}/check", params={"filename": "services.csv"}, content=services,
        headers=_bearer(tokens["own"]),
    )  # fmt: skip
    assert response.status_code == 200, response.text
    unmapped = response.json()["validation"]["unmapped_values"]
    assert unmapped == [
        {"value_map": "categories", "value": "Aide alimentair", "count": 1,
         "did_you_mean": "Aide alimentaire"}
    ]  # fmt: skip


async def test_refusals(
    http: httpx.AsyncClient, tokens: dict[str, str], registry: tuple[Path, str, str, str]
) -> None:
    slug = registry[1]
    body = structures(3)
    url = f"/producers/{slug}/check?filename=structures.csv"

    async def code(response: httpx.Response) -> tuple[int, str]:
        return response.status_code, response.json()["errors"][0]["extensions"]["code"]

    assert await code(await http.post(url, content=body)) == (401, "UNAUTHENTICATED")
    for who in ("consumer", "other"):
        refused = await http.post(url, content=body, headers=_bearer(tokens[who]))
        assert await code(refused) == (403, "FORBIDDEN"), who
    assert (
        "submits the files of"
        in (await http.post(url, content=body, headers=_bearer(tokens["other"]))).json()["errors"][
            0
        ]["message"]
    )
    own = _bearer(tokens["own"])
    too_large = b"x" * (LIMIT + 1)
    assert await code(await http.post(url, content=too_large, headers=own)) == (
        413, "REQUEST_TOO_LARGE",
    )  # fmt: skip

    async def trickled() -> AsyncIterator[bytes]:  # no Content-Length: counted as it arrives
        for _ in range(LIMIT // 1000 + 2):
            yield b"y" * 1000

    assert await code(await http.post(url, content=trickled(), headers=own)) == (
        413, "REQUEST_TOO_LARGE",
    )  # fmt: skip
    pdf = await http.post(f"/producers/{slug}/check?filename=export.pdf", content=body, headers=own)
    assert await code(pdf) == (415, "UNSUPPORTED_FORMAT")
    assert "CSV, JSON, JSON Lines, XML, XLSX or ODS" in pdf.json()["errors"][0]["message"]
    form = await http.post(url, files={"file": ("structures.csv", body)}, headers=own)
    assert await code(form) == (415, "UNSUPPORTED_FORMAT")
    assert "--data-binary" in form.json()["errors"][0]["message"]
    unnamed = await http.post(f"/producers/{slug}/check", content=body, headers=own)
    assert await code(unnamed) == (422, "BAD_USER_INPUT")
    other_name = await http.post(
        f"/producers/{slug}/check?filename=lieux.csv", content=body, headers=own
    )
    assert await code(other_name) == (422, "BAD_FILE")
    assert "matches none of" in other_name.json()["errors"][0]["message"]
    not_csv = await http.post(url, content=b"\x00\x01\x02binary\x00", headers=own)
    assert await code(not_csv) == (422, "BAD_FILE")
    assert "/tmp" not in not_csv.text and str(Path.cwd()) not in not_csv.text


async def test_a_producer_token_reads_nothing(
    http: httpx.AsyncClient, tokens: dict[str, str]
) -> None:
    own = _bearer(tokens["own"])
    graphql = await http.post("/graphql", json={"query": "{ sources { slug } }"}, headers=own)
    assert graphql.status_code == 403
    assert "producer's token" in graphql.json()["errors"][0]["message"]
    export = await http.get("/exports/structures.csv", headers=own)
    assert export.status_code == 403


async def test_preview_then_submit(
    http: httpx.AsyncClient, tokens: dict[str, str], registry: tuple[Path, str, str, str],
    store_url: str,
) -> None:  # fmt: skip
    slug = registry[1]
    own = _bearer(tokens["own"])
    submit = f"/producers/{slug}/submit?filename=structures.csv"

    preview = await http.post(submit + "&dry_run=1", content=structures(10), headers=own)
    assert preview.status_code == 200, preview.text
    doc = preview.json()
    assert doc["status"] == "dry-run" and doc["run_id"] is None
    assert (doc["new"], doc["rejected"]) == (10, 1)
    assert sorted(r["producer_id"] for r in doc["changes"]["new"]) == sorted(
        f"s{i}" for i in range(1, 11)
    )
    assert [r["producer_id"] for r in doc["changes"]["rejected"]] == ["bad"]
    assert doc["changes"]["rejected"][0]["issues"][0]["field"] == "date_maj"
    assert await _stored(store_url, slug) == (0, 0)  # nothing stored, no run recorded

    done = await http.post(
        submit + f"&confirm={doc['confirm']}", content=structures(10), headers=own
    )
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "succeeded" and done.json()["new"] == 10
    assert await _stored(store_url, slug) == (10, 1)

    # one renamed, one gone: the preview says which field changes, from what to what
    changed = structures(10, renamed={3: "Épicerie solidaire"}, skip=7)
    preview = await http.post(submit + "&dry_run=1", content=changed, headers=own)
    doc = preview.json()
    assert (doc["changed"], doc["gone"], doc["new"]) == (1, 1, 0), doc
    assert doc["changes"]["changed"] == [
        {"kind": "structure", "producer_id": "s3",
         "fields": {"nom": {"before": "Structure numéro 3", "after": "Épicerie solidaire"}}}
    ]  # fmt: skip
    assert doc["changes"]["gone"] == [{"kind": "structure", "producer_id": "s7"}]
    assert await _stored(store_url, slug) == (10, 1)

    # another file than the one previewed: refused, nothing changes
    stale = await http.post(submit + f"&confirm={doc['confirm']}", content=structures(10),
                            headers=own)  # fmt: skip
    assert stale.status_code == 409
    assert stale.json()["errors"][0]["extensions"]["code"] == "CHANGED_SINCE_PREVIEW"
    done = await http.post(submit + f"&confirm={doc['confirm']}", content=changed, headers=own)
    assert done.status_code == 200 and (done.json()["changed"], done.json()["gone"]) == (1, 1)
    assert await _stored(store_url, slug) == (9, 2)


async def test_half_a_file_is_refused_by_the_gone_guard(
    http: httpx.AsyncClient, tokens: dict[str, str], registry: tuple[Path, str, str, str],
    store_url: str,
) -> None:  # fmt: skip
    slug = registry[3]
    own = _bearer(tokens["guarded"])
    submit = f"/producers/{slug}/submit?filename=structures.csv"
    assert (await http.post(submit, content=structures(10), headers=own)).status_code == 200
    assert await _stored(store_url, slug) == (10, 1)
    for dry in ("&dry_run=1", ""):
        half = await http.post(submit + dry, content=structures(5), headers=own)
        assert half.status_code == 422, half.text
        error = half.json()["errors"][0]
        assert error["extensions"]["code"] == "REFUSED" and "would mark 5 of 10" in error["message"]
    records, runs = await _stored(store_url, slug)
    assert records == 10 and runs == 2  # the refusal is recorded, nothing changed


def test_a_producer_token_from_the_command_line(
    store_url: str,
    registry: tuple[Path, str, str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder, _own, other, _guarded = registry
    monkeypatch.setenv("DATABASE_URL", store_url)
    monkeypatch.setenv("GATEWAY_PRODUCERS_DIR", str(folder))
    main(["token", "create", "--producer", other, "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert doc["producer"] == other and doc["token"].startswith("dig_")
    main(["token", "list", "--producer", other, "--json"])
    rows = json.loads(capsys.readouterr().out)
    assert doc["prefix"] in [r["prefix"] for r in rows]
    assert all(r["producer"] == other and r["consumer"] is None for r in rows)
    with pytest.raises(SystemExit) as exit_status:
        main(["token", "create", "--producer", "nobody-here"])
    assert exit_status.value.code == 2
    assert "unknown source 'nobody-here'" in capsys.readouterr().err
