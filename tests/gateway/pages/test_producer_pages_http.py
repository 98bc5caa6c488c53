"""The producers' pages over HTTP (httpx on the ASGI app; SQLite and PostgreSQL): who may open
them (a producer's token, its own pages only, never a consumer's token; CSRF), a check that
stores nothing and explains what is wrong, a submission of the checked file (refused once the
source changed since the check), the size cap, the cross-analysis and its CSV, and the online
entry tool (validation as the ingest's, the records in the API with the source's provenance,
the CSV export); every page in French or in English, as asked."""

from __future__ import annotations

import contextlib
import csv
import html
import io
import itertools
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from gateway import access
from gateway.app import create_app
from gateway.bootstrap import sync_sources
from gateway.pages import producer_text
from gateway.settings import Settings
from models import IngestRun, ProducerRecord
from store import access as access_store
from store.engine import create_engine, normalize_url
from tests.ingestion.test_sheet_limits import HEADER as HEADER_ROW
from tests.ingestion.test_sheet_limits import MAIN, xlsx

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "ingestion"
HEADER = "ID;Nom;SIRET;Adresse;CP;Ville;INSEE;Téléphone;Courriel;Mis à jour;Coordonnées"
LIMIT = 40_000
SIRET = "12345678200002"  # 14 digits, Luhn-valid
_counter = itertools.count()


def structures_csv(*rows: str) -> bytes:
    return ("\n".join([HEADER, *rows]) + "\n").encode()


EPICERIE = f"Épicerie solidaire du centre;{SIRET};1 rue de Paris;35000;Rennes;35238"
GOOD = structures_csv(
    f"s1;{EPICERIE};0299000001;;02/09/2026;",
    "s2;Atelier vélo;;2 rue de Brest;35000;Rennes;35238;;contact@velo.example;03/09/2026;",
)
BAD = structures_csv(
    f"s1;{EPICERIE};0299000001;pas-un-courriel;02/09/2026;",
    "s2;Atelier vélo;;2 rue de Brest;35000;Rennes;35238;;;le 3 septembre;",
)


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str, str]:
    """Two copies of the `exemple` producer (files with their own columns) and a producer in
    the data·inclusion format (the entry tool's), under fresh slugs."""
    folder = tmp_path_factory.mktemp("producers")
    tail = folder.name[-6:].lower()
    slugs = [f"{name}-{next(_counter)}-{tail}" for name in ("depot", "autre", "saisie")]
    text = (FIXTURES / "producers" / "exemple.toml").read_text(encoding="utf-8")
    for slug in slugs[:2]:
        (folder / f"{slug}.toml").write_text(
            text.replace('slug = "exemple"', f'slug = "{slug}"'), encoding="utf-8"
        )
    (folder / f"{slugs[2]}.toml").write_text(
        f'[source]\nslug = "{slugs[2]}"\nnom = "Saisie en ligne"\n'
        '[reader]\nformat = "data-inclusion"\n',
        encoding="utf-8",
    )
    return folder, slugs[0], slugs[1], slugs[2]


@pytest.fixture(scope="module")
async def tokens(store_url: str, registry: tuple[Path, str, str, str]) -> dict[str, str]:
    folder, own, other, entry = registry
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
            ("entry", entry, None, []),
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
async def app(
    store_url: str, registry: tuple[Path, str, str, str], tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[object]:
    settings = Settings(
        database_url=store_url,
        producers_dir=registry[0],
        token_cache_seconds=0,
        rate_limit_anonymous=0,
        rate_limit_token=0,
        signup_rate_limit=0,
        response_cache_seconds=0,
        producer_upload_max_bytes=LIMIT,
        upload_dir=tmp_path_factory.mktemp("uploads"),
    )
    application = create_app(settings)
    yield application
    await application.state.cache.close()
    await application.state.engine.dispose()


def client(app: object) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    return httpx.AsyncClient(transport=transport, base_url="http://gateway.test")


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, "no CSRF field on the page"
    return found.group(1)


@contextlib.asynccontextmanager
async def signed_in(app: object, token: str) -> AsyncIterator[httpx.AsyncClient]:
    """A browser-like client signed in on the producers' pages with `token`."""
    async with client(app) as c:
        page = await c.get("/pages/producteurs")
        response = await c.post(
            "/pages/producteurs", data={"csrf": csrf_of(page.text), "token": token}
        )
        assert response.status_code == 303, response.text
        yield c


async def stored(store_url: str, slug: str) -> tuple[int, int]:
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


async def check(c: httpx.AsyncClient, slug: str, name: str, body: bytes) -> httpx.Response:
    home = await c.get(f"/pages/producteurs/{slug}")
    assert home.status_code == 200, home.text
    return await c.post(
        f"/pages/producteurs/{slug}/verifier",
        data={"csrf": csrf_of(home.text)},
        files={"file": (name, body, "text/csv")},
    )


def hidden(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert found, f"no {name} on the page"
    return found.group(1)


async def test_who_may_open_the_producer_pages(
    app: object, tokens: dict[str, str], registry: tuple[Path, str, str, str], store_url: str
) -> None:
    _folder, own, other, _entry = registry
    async with client(app) as anonymous:
        for path in ("", "/analyse", "/analyse.csv", "/saisie"):
            response = await anonymous.get(f"/pages/producteurs/{own}{path}")
            assert response.status_code == 401, path
            assert "jeton de producteur" in response.text
        # a consumer's token, even admin, is not a producer's
        page = await anonymous.get("/pages/producteurs")
        refused = await anonymous.post(
            "/pages/producteurs", data={"csrf": csrf_of(page.text), "token": tokens["consumer"]}
        )
        assert refused.status_code == 403 and "pas d&#39;un producteur" in refused.text
        assert "gateway_producer_token" not in refused.headers.get("set-cookie", "")
        # no CSRF value: refused, no cookie
        refused = await anonymous.post("/pages/producteurs", data={"token": tokens["own"]})
        assert refused.status_code == 403
        # an unknown token
        refused = await anonymous.post(
            "/pages/producteurs", data={"csrf": csrf_of(page.text), "token": "dig_nothing"}
        )
        assert refused.status_code == 401

    async with signed_in(app, tokens["other"]) as c:
        for path in ("", "/analyse", "/saisie"):
            response = await c.get(f"/pages/producteurs/{own}{path}")
            assert response.status_code == 403, path
            assert other in response.text
        # a form from another site, or without its CSRF value: refused, nothing checked
        home = await c.get(f"/pages/producteurs/{other}")
        response = await c.post(
            f"/pages/producteurs/{other}/verifier",
            files={"file": ("structures.csv", GOOD, "text/csv")},
        )
        assert response.status_code == 403
        response = await c.post(
            f"/pages/producteurs/{other}/verifier",
            data={"csrf": csrf_of(home.text)},
            files={"file": ("structures.csv", GOOD, "text/csv")},
            headers={"origin": "https://elsewhere.example"},
        )
        assert response.status_code == 403
        # the producer's token still reads nothing of the API
        api = await c.post(
            "/graphql",
            json={"query": "{ sources { slug } }"},
            headers={"authorization": f"Bearer {tokens['other']}"},
        )
        assert api.status_code == 403
    assert await stored(store_url, other) == (0, 0)


async def test_check_explains_stores_nothing_then_the_fixed_file_is_submitted(
    app: object, tokens: dict[str, str], registry: tuple[Path, str, str, str], store_url: str
) -> None:
    own = registry[1]
    async with signed_in(app, tokens["own"]) as c:
        response = await check(c, own, "structures-2026-12.csv", BAD)
        assert response.status_code == 200, response.text
        page = response.text
        assert "date illisible" in page and "AAAA-MM-JJ" in page  # what is wrong, how to fix
        assert "adresse électronique invalide" in page
        assert "ligne 3, <code>s2</code> : « le 3 septembre »" in page  # its first rows
        assert 'data-count="new">1<' in page  # the dry run: s1 would be new, s2 rejected
        assert 'data-count="rejected">1<' in page
        assert "Le fichier tel qu'il est (phase 0)" in page and "Mis à jour" in page
        assert await stored(store_url, own) == (0, 0)  # nothing stored by a check

        # services with a category no value map covers: "did you mean"
        services = (
            "ID;Structure;Nom;Description;Mis à jour;Catégories;Gratuit\n"
            "v1;s1;Aide;Colis alimentaires;02/09/2026;Aide alimentair;oui\n"
        ).encode()
        response = await check(c, own, "services.csv", services)
        assert "« Aide alimentair »" in response.text
        assert "« Aide alimentaire » ?" in response.text

        # fixed, checked again, then submitted with the page's confirmation
        response = await check(c, own, "structures-2026-12.csv", GOOD)
        assert 'id="verdict">Le fichier est prêt' in response.text
        assert 'data-count="new">2<' in response.text
        form = response.text
        submitted = await c.post(
            f"/pages/producteurs/{own}/soumettre",
            data={
                "csrf": csrf_of(form),
                "fichier": hidden(form, "fichier"),
                "confirm": hidden(form, "confirm"),
            },
        )
        assert submitted.status_code == 200, submitted.text
        assert "est intégré (intégration n°" in submitted.text
        assert await stored(store_url, own) == (2, 1)
        # the same checked file cannot be submitted twice
        again = await c.post(
            f"/pages/producteurs/{own}/soumettre",
            data={"csrf": csrf_of(form), "fichier": hidden(form, "fichier"),
                  "confirm": hidden(form, "confirm")},
        )  # fmt: skip
        assert again.status_code == 410

        # checked, then the source changes before the submission: refused, preview again
        renamed = GOOD.replace(b"Atelier v\xc3\xa9lo", b"Atelier v\xc3\xa9lo solidaire")
        first = await check(c, own, "structures-2026-12.csv", renamed)
        assert "Fiches modifiées, champ par champ" in first.text
        assert "Atelier vélo solidaire" in first.text
        # a file that would make half the records gone: the gone-guard, shown before submitting
        refused = await check(c, own, "structures-2026-12.csv", BAD)
        assert "trop de vos fiches" in refused.text and 'name="fichier"' not in refused.text
        phone = GOOD.replace(b"0299000001", b"0299000009")
        other_check = await check(c, own, "structures-2026-12.csv", phone)
        submitted = await c.post(
            f"/pages/producteurs/{own}/soumettre",
            data={"csrf": csrf_of(other_check.text), "fichier": hidden(other_check.text, "fichier"),
                  "confirm": hidden(other_check.text, "confirm")},
        )  # fmt: skip
        assert submitted.status_code == 200
        stale = await c.post(
            f"/pages/producteurs/{own}/soumettre",
            data={"csrf": csrf_of(first.text), "fichier": hidden(first.text, "fichier"),
                  "confirm": hidden(first.text, "confirm")},
        )  # fmt: skip
        assert stale.status_code == 409
        assert await stored(store_url, own) == (2, 2)


async def test_uploads_too_large_unknown_or_unreadable_are_refused(
    app: object, tokens: dict[str, str], registry: tuple[Path, str, str, str], store_url: str,
    tmp_path: Path,
) -> None:  # fmt: skip
    other = registry[2]
    async with signed_in(app, tokens["other"]) as c:
        big = GOOD + b"x" * (LIMIT + 1)
        response = await check(c, other, "structures.csv", big)
        assert response.status_code == 413 and "la limite de cette passerelle" in response.text
        response = await check(c, other, "structures.exe", GOOD)
        assert response.status_code == 415
        response = await check(c, other, "inconnu.csv", GOOD)  # matches no file pattern
        assert response.status_code == 422 and "structures*.csv" in response.text
    assert await stored(store_url, other) == (0, 0)
    # a file that is not what its extension says: read as such, refused with where and why
    entry = registry[3]
    async with signed_in(app, tokens["entry"]) as c:
        response = await check(c, entry, "structures.xlsx", b"id;nom\ns1;Un texte\n")
        assert response.status_code == 422 and "Fichier illisible" in response.text
        assert "structures.xlsx" in response.text and "/tmp" not in response.text
        # a spreadsheet bomb, XML entities: refused with the reader's reason
        strings = b"<si><t>x</t></si>" * (4 * 1024 * 1024 // 17)
        sst = f'<sst xmlns="{MAIN}">'.encode() + strings + b"</sst>"
        bomb = xlsx(tmp_path / "b.xlsx", HEADER_ROW, extra={"xl/sharedStrings.xml": sst})
        response = await check(c, entry, "structures.xlsx", bomb.read_bytes())
        assert response.status_code == 422 and "a zip bomb?" in response.text
        entities = b'<!DOCTYPE a [<!ENTITY x "yyyy">]><a><b>&x;</b></a>'
        response = await check(c, entry, "structures.xml", entities)
        assert response.status_code == 422 and "refused" in response.text
    assert await stored(store_url, entry) == (0, 0)


async def test_the_cross_analysis_shows_shared_and_differing_records(
    app: object, tokens: dict[str, str], registry: tuple[Path, str, str, str]
) -> None:
    _folder, own, other, _entry = registry
    # the other producer publishes the same épicerie (same SIRET), another phone, later
    theirs = structures_csv(f"e1;{EPICERIE};0299000002;;15/10/2026;")
    async with signed_in(app, tokens["own"]) as c:
        mine = await check(c, own, "structures-2026-12.csv", GOOD)
        if "fichier" in mine.text and 'data-count="unchanged">2<' not in mine.text:
            await c.post(
                f"/pages/producteurs/{own}/soumettre",
                data={"csrf": csrf_of(mine.text), "fichier": hidden(mine.text, "fichier"),
                      "confirm": hidden(mine.text, "confirm")},
            )  # fmt: skip
    async with signed_in(app, tokens["other"]) as c:
        checked = await check(c, other, "structures.csv", theirs)
        response = await c.post(
            f"/pages/producteurs/{other}/soumettre",
            data={"csrf": csrf_of(checked.text), "fichier": hidden(checked.text, "fichier"),
                  "confirm": hidden(checked.text, "confirm")},
        )  # fmt: skip
        assert response.status_code == 200, response.text
    async with signed_in(app, tokens["own"]) as c:
        page = await c.get(f"/pages/producteurs/{own}/analyse")
        assert page.status_code == 200, page.text
        assert 'data-count="structures-shared">1<' in page.text
        assert 'data-count="structures-alone">1<' in page.text
        assert f'<th scope="row">{other}</th><td>1</td>' in page.text
        assert "<code>telephone</code>" in page.text
        download = await c.get(f"/pages/producteurs/{own}/analyse.csv")
        assert download.status_code == 200
        assert download.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(download.text)))
        differs = [r for r in rows if r["section"] == "differs" and r["field"] == "telephone"]
        assert differs and differs[0]["other_source"] == other
        assert differs[0]["more_recent"] == other  # 2026-10-15 after 2026-09-02
        assert any(r["section"] == "shared" and r["other_source"] == other for r in rows)


async def test_the_entry_tool_validates_saves_and_exports(
    app: object, tokens: dict[str, str], registry: tuple[Path, str, str, str], store_url: str
) -> None:
    entry, own = registry[3], registry[1]
    async with signed_in(app, tokens["own"]) as c:
        # a producer whose data comes from files with its own columns has no entry tool
        response = await c.get(f"/pages/producteurs/{own}/saisie")
        assert response.status_code == 409
    async with signed_in(app, tokens["entry"]) as c:
        form = await c.get(f"/pages/producteurs/{entry}/saisie/structures")
        assert form.status_code == 200
        csrf = csrf_of(form.text)
        # refused: a name too short and a commune that does not exist; nothing stored
        response = await c.post(
            f"/pages/producteurs/{entry}/saisie/structures",
            data={"csrf": csrf, "id": "cs-1", "nom": "AB", "commune_recherche": "Nullepart"},
        )
        assert response.status_code == 422
        assert 'id="form-errors"' in response.text and "Aucune commune" in response.text
        assert await stored(store_url, entry) == (0, 0)
        # the same rules as the form is typed (the page's script asks): errors by field, as JSON
        live = await c.post(
            f"/pages/producteurs/{entry}/saisie/structures/verifier",
            data={"csrf": csrf, "nom": "Centre social", "courriel": "pas-un-courriel",
                  "commune_recherche": "35000 Rennes"},
        )  # fmt: skip
        assert live.status_code == 200, live.text
        assert set(live.json()["errors"]) == {"courriel"}
        assert "adresse électronique invalide" in live.json()["errors"]["courriel"]
        refused = await c.post(
            f"/pages/producteurs/{entry}/saisie/structures/verifier", data={"nom": "Centre"}
        )
        assert refused.status_code == 403
        assert await stored(store_url, entry) == (0, 0)
        # without its CSRF value
        response = await c.post(
            f"/pages/producteurs/{entry}/saisie/structures", data={"nom": "Centre social"}
        )
        assert response.status_code == 403
        response = await c.post(
            f"/pages/producteurs/{entry}/saisie/structures",
            data={"csrf": csrf, "id": "cs-1", "nom": "Centre social des Champs",
                  "adresse": "3 place du Marché", "commune_recherche": "35000 Rennes",
                  "courriel": "accueil@cs.example", "reseaux_porteurs": ["banques-alimentaires"]},
        )  # fmt: skip
        assert response.status_code == 303, response.text
        assert await stored(store_url, entry) == (1, 1)
        # a service: the thematiques among the package's values
        response = await c.post(
            f"/pages/producteurs/{entry}/saisie/services",
            data={"csrf": csrf, "id": "sv-1", "structure_id": "cs-1", "nom": "Aide aux devoirs",
                  "description": "Aide aux devoirs pour les collégiens, le soir.",
                  "thematiques": ["famille--soutien-a-la-parentalite-et-a-leducation"],
                  "frais": "gratuit", "publics": ["familles"]},
        )  # fmt: skip
        assert response.status_code == 303, response.text
        # edited: the same id, a new version
        response = await c.post(
            f"/pages/producteurs/{entry}/saisie/services?id=sv-1",
            data={"csrf": csrf, "structure_id": "cs-1", "nom": "Aide aux devoirs du soir",
                  "description": "Aide aux devoirs pour les collégiens, le soir.",
                  "frais": "gratuit"},
        )  # fmt: skip
        assert response.status_code == 303, response.text
        assert await stored(store_url, entry) == (2, 3)
        index = await c.get(f"/pages/producteurs/{entry}/saisie")
        assert "Aide aux devoirs du soir" in index.text and "Centre social des Champs" in index.text
        download = await c.get(f"/pages/producteurs/{entry}/saisie/structures.csv")
        assert download.status_code == 200
        rows = list(
            csv.DictReader(io.StringIO(download.content.decode("utf-8-sig")), delimiter=";")
        )
        assert [(r["id"], r["code_insee"], r["commune"]) for r in rows] == [
            ("cs-1", "35238", "Rennes")
        ]
        # edited in a spreadsheet, imported back: checked, then submitted like any file
        name = re.search(r'filename="([^"]+)"', download.headers["content-disposition"])
        assert name is not None
        edited = download.content.decode("utf-8-sig").replace(
            "Centre social des Champs", "Centre social des Champs-Élysées"
        )
        checked = await check(c, entry, name.group(1), edited.encode("utf-8"))
        assert checked.status_code == 200, checked.text
        assert 'data-count="changed">1<' in checked.text
        assert "Centre social des Champs-Élysées" in checked.text
        submitted = await c.post(
            f"/pages/producteurs/{entry}/soumettre",
            data={"csrf": csrf_of(checked.text), "fichier": hidden(checked.text, "fichier"),
                  "confirm": hidden(checked.text, "confirm")},
        )  # fmt: skip
        assert submitted.status_code == 200, submitted.text
        assert await stored(store_url, entry) == (2, 4)
        services = await c.get(f"/pages/producteurs/{entry}/saisie/services.csv")
        assert "Aide aux devoirs du soir" in services.content.decode("utf-8-sig")
    # in the API, with the source in the provenance
    async with client(app) as c:
        answer = await c.post(
            "/graphql",
            json={"query": "query($id: ID!) { service(id: $id) { nom sources { slug } "
                  "structure { nom communeLibelle } } }",
                  "variables": {"id": f"{entry}--sv-1"}},
        )  # fmt: skip
        service = answer.json()["data"]["service"]
        assert service["nom"] == "Aide aux devoirs du soir"
        assert [s["slug"] for s in service["sources"]] == [entry]
        assert service["structure"]["nom"] == "Centre social des Champs-Élysées"


def test_spreadsheet_cells_that_would_run_as_formulas_are_quoted() -> None:
    from gateway.pages.producer_entry import _cell

    assert _cell('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    assert _cell("@SUM(A1)") == "'@SUM(A1)"
    assert _cell("-2+3") == "'-2+3"  # a sum is a formula
    assert _cell("-12.5") == "-12.5"  # a negative number stays
    assert _cell("+33 2 99 00 00 00") == "+33 2 99 00 00 00"  # a phone stays
    assert _cell("+cmd|' /C calc'!A0") == "'+cmd|' /C calc'!A0"
    assert _cell(["a", "b"]) == "a|b"


# --- French and English -------------------------------------------------------------------------


def page_text(page: str) -> str:
    """What a reader sees of a page (and its attributes' labels): its text, tags removed."""
    page = re.sub(r"<script\b.*?</script>", " ", page, flags=re.S)
    labels = " ".join(re.findall(r'(?:aria-label|data-errors|data-ok)="([^"]*)"', page))
    text = re.sub(r"<[^>]+>", " ", page + " " + labels)
    return " ".join(html.unescape(text).split())


def french_leaks(page: str, *data: str) -> list[str]:
    """The French catalogue's texts (their parts between values and markup) found on a page,
    but in its `data`; parts the English catalogue shares, and short ones (punctuation, codes,
    a single word the schema's French labels may hold), are not counted."""
    english = " ".join([*producer_text.EN.values(), *map(str, producer_text.EXPLAINED_EN.values())])
    seen = page_text(page)
    for value in data:
        seen = seen.replace(value, " ")
    leaks = []
    for french in producer_text.french_texts():
        for part in re.split(r"\{[a-z_]+\}|<[^>]+>", french):
            part = " ".join(part.split()).strip(" .,;:()«»—")
            if len(part) >= (8 if " " in part else 12) and part not in english and part in seen:
                leaks.append(part)
    return leaks


async def test_the_check_report_is_in_english_when_asked_and_in_french_by_default(
    app: object, tokens: dict[str, str], registry: tuple[Path, str, str, str]
) -> None:
    own = registry[1]
    async with signed_in(app, tokens["own"]) as c:
        # French by default, with the switch to English
        response = await check(c, own, "structures-2026-12.csv", BAD)
        assert '<html lang="fr">' in response.text and "date illisible" in response.text
        assert f'href="/pages/producteurs/{own}?lang=en"' in response.text  # back home, in English
        assert "gateway_producer_lang" not in response.headers.get("set-cookie", "")

        # ?lang=en: English, and kept in a cookie for the next pages (the check, a POST)
        home = await c.get(f"/pages/producteurs/{own}", params={"lang": "en"})
        assert '<html lang="en">' in home.text and "Check and submit a file" in home.text
        assert "gateway_producer_lang=en" in home.headers["set-cookie"]
        assert home.headers["content-language"] == "en"
        response = await check(c, own, "structures-2026-12.csv", BAD)
        page = response.text
        assert response.status_code == 200, page
        assert '<html lang="en">' in page
        assert "unreadable date" in page and "YYYY-MM-DD" in page  # what is wrong, how to fix
        assert "invalid email address" in page
        assert "row 3, <code>s2</code>: “le 3 septembre”" in page  # its first rows
        assert "The file as it is (phase 0)" in page
        assert "What ingesting it would change" in page
        assert french_leaks(page) == []
        # the French catalogue's own test: the same report in French shows its texts
        french = await c.get(f"/pages/producteurs/{own}", params={"lang": "fr"})
        assert '<html lang="fr">' in french.text
        response = await check(c, own, "structures-2026-12.csv", BAD)
        assert "date illisible" in response.text and len(french_leaks(response.text)) > 20

        # an unreadable file's refusal, in English
        await c.get(f"/pages/producteurs/{own}", params={"lang": "en"})
        refused = await check(c, own, "structures.pdf", b"%PDF-1.4")
        assert refused.status_code == 415 and "Unknown format" in refused.text
        assert french_leaks(refused.text) == []

    # the browser's Accept-Language, when no language was chosen
    for header, lang in (
        ("en-GB,en;q=0.9,fr;q=0.5", "en"),
        ("fr-FR,fr;q=0.9,en;q=0.8", "fr"),
        ("de-DE,de;q=0.9,en;q=0.7", "en"),
        ("de-DE", "fr"),
    ):
        async with signed_in(app, tokens["own"]) as c:
            c.headers["accept-language"] = header
            response = await check(c, own, "structures-2026-12.csv", BAD)
            assert f'<html lang="{lang}">' in response.text, header
            assert ("unreadable date" in response.text) == (lang == "en"), header
            if lang == "en":
                assert french_leaks(response.text) == []
            # a chosen language wins over the browser's
            chosen = "fr" if lang == "en" else "en"
            await c.get(f"/pages/producteurs/{own}", params={"lang": chosen})
            response = await check(c, own, "structures-2026-12.csv", BAD)
            assert f'<html lang="{chosen}">' in response.text, header


async def test_every_producer_page_has_its_english(
    app: object, tokens: dict[str, str], registry: tuple[Path, str, str, str]
) -> None:
    _folder, own, _other, entry = registry
    async with client(app) as c:
        signin = await c.get("/pages/producteurs", params={"lang": "en"})
        assert "Producer area" in signin.text and french_leaks(signin.text) == []
        refused = await c.get(f"/pages/producteurs/{own}")  # the cookie: English, signed out
        assert refused.status_code == 401 and "Sign-in needed" in refused.text
        assert french_leaks(refused.text) == []
    async with signed_in(app, tokens["entry"]) as c:
        pages = [
            f"/pages/producteurs/{entry}",
            f"/pages/producteurs/{entry}/analyse",
            f"/pages/producteurs/{entry}/saisie",
            f"/pages/producteurs/{entry}/saisie/structures",
            f"/pages/producteurs/{own}",  # another producer's: refused, in English
        ]
        for path in pages:
            response = await c.get(path, params={"lang": "en"})
            assert '<html lang="en">' in response.text, path
            assert french_leaks(response.text, "Saisie en ligne") == [], path  # its name
        # a form sent with problems: its errors in English
        form = await c.get(f"/pages/producteurs/{entry}/saisie/structures")
        sent = await c.post(
            f"/pages/producteurs/{entry}/saisie/structures",
            data={"csrf": csrf_of(form.text), "id": "é?", "nom": "", "commune_recherche": "zz"},
        )
        assert sent.status_code == 422, sent.text
        assert "The record is not saved" in sent.text and "Letters without accents" in sent.text
        assert french_leaks(sent.text, "Saisie en ligne") == []


def test_the_catalogues_have_the_same_keys_and_values() -> None:
    assert producer_text.FR.keys() == producer_text.EN.keys()
    assert producer_text.EXPLAINED_FR.keys() == producer_text.EXPLAINED_EN.keys()
    for key, french in producer_text.FR.items():
        names = sorted(re.findall(r"\{(\w+)\}", french))
        assert names == sorted(re.findall(r"\{(\w+)\}", producer_text.EN[key])), key
    assert producer_text.accepted("") == "fr"
    assert producer_text.accepted("en-US,en;q=0.9") == "en"
    assert producer_text.accepted("fr;q=0.4, en;q=0.6") == "en"
    assert producer_text.accepted("en;q=0, fr;q=0.1") == "fr"
