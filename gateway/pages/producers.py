"""The producers' pages, under /pages/producteurs, for a producer signed in with its producer's
token (`gateway token create --producer SLUG`), kept in a cookie of its own:

- check a file (a form upload): the phase-0 assessment, the validation report explained in
  plain words (what is wrong, how to fix it, counts by problem and their first rows, values no
  value map covers with the closest known one) and what the run would change (new, changed
  field by field, gone, rejected) from a dry run of the same ingest; nothing is stored in the
  referential;
- submit the checked file from the same page: the ingest of `gateway ingest`, refused when the
  file or the source changed since the check;
- the cross-analysis (`gateway report overlap`) as a page and as CSV;
- the online entry tool (gateway/pages/producer_entry.py).

The upload is the JSON endpoint's (gateway/producer_api.py): the body streamed to disk and
capped, the checks and ingests in their thread, the same confirmation value. The checked file is
kept in the upload folder, out of the referential, until it is submitted or an hour has passed.

Every page is in French or in English (gateway/pages/producer_text.py: the language of the
request and the message catalogue the templates read)."""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import re
import secrets
import shutil
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from gateway import access, producer_api
from gateway.pages import forms, producer_text
from gateway.pages.routes import PageError, Pages, _form, token_request

log = logging.getLogger(__name__)
_refused = producer_text.refused

PRODUCER_COOKIE = "gateway_producer_token"
PREFIX = "/pages/producteurs"
DIFFERENCES_SHOWN = 500  # rows of differing values on the page (the CSV has them all)
STAGED_SECONDS = 3600  # a checked file waits this long for its submission
MULTIPART_SLACK = 64 * 1024  # a form's own bytes around the file
FIELD_BYTES = 4096
_STAGE_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")

KIND_LABELS = {"structure": "structure", "service": "service"}

# what the validators say, by the key of its plain words and how to fix it (producer_text.py)
_EXPLAINED: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"field required", re.I), "required"),
    (re.compile(r"is not a date", re.I), "date"),
    (re.compile(r"should have at least (\d+) character", re.I), "short"),
    (re.compile(r"should have at most", re.I), "long"),
    (re.compile(r"SIRET", re.I), "siret"),
    (re.compile(r"phone", re.I), "phone"),
    (re.compile(r"email", re.I), "email"),
    (re.compile(r"INSEE", re.I), "insee"),
    (re.compile(r"postcode|code postal|postal", re.I), "postcode"),
    (re.compile(r"unmapped value", re.I), "unmapped"),
    (re.compile(r"duplicate producer id", re.I), "duplicate"),
    (re.compile(r"structure", re.I), "structure"),
    (re.compile(r"url", re.I), "url"),
    (re.compile(r"input should be|not a value of the schema", re.I), "enum"),
]


def explain(message: str, lang: str = producer_text.DEFAULT) -> tuple[str, str]:
    """(what is wrong, how to fix it) for a validator's message, in `lang`."""
    key = next((k for pattern, k in _EXPLAINED if pattern.search(message)), "other")
    return producer_text.EXPLAINED[lang][key]


class ProducerPages:
    def __init__(self, pages: Pages) -> None:
        self.pages = pages
        self.running = 0

    def routes(self) -> list[Route]:
        from gateway.pages import producer_entry

        g = self.pages.guarded
        entry = producer_entry.EntryPages(self)
        return [
            Route("/producteurs", g(self.signin), methods=["GET", "POST"]),
            Route("/producteurs/deconnexion", g(self.signout), methods=["POST"]),
            Route("/producteurs/{slug}", g(self.home), methods=["GET"]),
            Route("/producteurs/{slug}/verifier", g(self.check), methods=["POST"]),
            Route("/producteurs/{slug}/soumettre", g(self.submit), methods=["POST"]),
            Route("/producteurs/{slug}/analyse", g(self.analysis), methods=["GET"]),
            Route("/producteurs/{slug}/analyse.csv", g(self.analysis_csv), methods=["GET"]),
            *entry.routes(),
        ]

    # --- who is asking ----------------------------------------------------------------------

    async def producer_principal(self, token: str, lang: str) -> access.Principal:
        """A producer's token's principal, refused as the JSON endpoints refuse it."""
        carrier = token_request(token, "/producers")
        if carrier is None:
            raise _refused(lang, 401, "token", "token")
        try:
            principal = await access.authenticate(carrier, self.pages.book, "off", producers=True)
        except access.AccessDenied as denied:
            title = producer_text.text(lang, "title.token")
            raise PageError(denied.status, title, denied.message) from None
        if principal.producer is None:
            raise _refused(lang, 403, "token", "consumer_token")
        return principal

    async def admit(self, request: Request) -> tuple[access.Principal, str]:
        """The signed-in producer, if it is the page's; PageError otherwise."""
        lang = producer_text.language(request)
        token = request.cookies.get(PRODUCER_COOKIE)
        if not token:
            raise _refused(lang, 401, "signin", "signin", prefix=PREFIX)
        principal = await self.producer_principal(token, lang)
        slug = str(request.path_params["slug"])
        if principal.producer != slug:
            raise _refused(
                lang, 403, "denied", "other_producer", producer=principal.producer, prefix=PREFIX
            )
        await self.pages.within_rate(request, principal)
        return principal, slug

    async def admitted(self, request: Request) -> tuple[str, Any]:
        """The signed-in producer's slug and registry entry; PageError otherwise."""
        _principal, slug = await self.admit(request)
        return slug, self.producer(slug, producer_text.language(request))

    def producer(self, slug: str, lang: str = producer_text.DEFAULT) -> Any:
        from ingestion import mapping_file

        try:
            return mapping_file.load(slug, self.pages.settings.producers_dir)
        except mapping_file.MappingError:
            raise _refused(lang, 404, "unknown_producer", "unknown_producer", slug=slug) from None

    def render(
        self, request: Request, template: str, status: int = 200, **values: Any
    ) -> HTMLResponse:
        values.setdefault("producer_slug", None)
        values.setdefault("section", "")
        lang = producer_text.language(request)
        switch = {
            other: producer_text.switch_url(request, other, values["producer_slug"])
            for other in producer_text.LANGUAGES
        }
        response = self.pages.render(
            request,
            template,
            status,
            lang=lang,
            t=producer_text.translator(lang),
            switch=switch,
            **values,
        )
        response.headers["content-language"] = lang
        response.headers["vary"] = "Accept-Language, Cookie"
        producer_text.remember(request, response)
        return response

    def failure(self, request: Request, error: PageError, slug: str | None = None) -> Response:
        response = self.render(
            request,
            "producer_message.html",
            error.status,
            title=error.title,
            message=error.message,
            producer_slug=slug,
        )
        if error.retry_after is not None:
            response.headers["retry-after"] = str(error.retry_after)
        return response

    async def posted(self, request: Request) -> dict[str, str]:
        """An url-encoded form that passes the CSRF check."""
        values = await _form(request)
        problem = forms.csrf_problem(request, values.get(forms.CSRF_FIELD))
        if problem is not None:
            title = producer_text.text(producer_text.language(request), "title.form")
            raise PageError(403, title, problem)
        return values

    # --- sign-in ----------------------------------------------------------------------------

    async def signin(self, request: Request) -> Response:
        if request.method == "GET":
            return self.render(request, "producer_signin.html", error=None)
        try:
            await self.pages.attempt(request)
            values = await self.posted(request)
            lang = producer_text.language(request)
            principal = await self.producer_principal(values.get("token", "").strip(), lang)
        except PageError as error:
            status = error.status if error.status in (403, 413, 415, 429, 503) else 401
            refused = self.render(request, "producer_signin.html", status, error=error.message)
            if error.retry_after is not None:
                refused.headers["retry-after"] = str(error.retry_after)
            return refused
        response = RedirectResponse(f"{PREFIX}/{principal.producer}", status_code=303)
        response.set_cookie(
            PRODUCER_COOKIE,
            values["token"].strip(),
            path=PREFIX,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
        )
        log.info("producer token %s signed in on the pages", principal.token_prefix)
        return response

    async def signout(self, request: Request) -> Response:
        try:
            await self.posted(request)
        except PageError as error:
            return self.failure(request, error)
        response = RedirectResponse(PREFIX, status_code=303)
        response.delete_cookie(PRODUCER_COOKIE, path=PREFIX)
        return response

    # --- the producer's home: check a file ----------------------------------------------------

    async def home(self, request: Request) -> Response:
        try:
            slug, producer = await self.admitted(request)
        except PageError as error:
            return self.failure(request, error)
        return self.render(
            request,
            "producer_home.html",
            producer_slug=slug,
            section="home",
            producer=producer,
            patterns={k: list(m.files) for k, m in producer.kinds.items()},
            limit=self.pages.settings.producer_upload_max_bytes,
            entry_tool=producer.data_inclusion,
        )

    async def check(self, request: Request) -> Response:
        slug: str | None = None
        folder: Path | None = None
        staged: Path | None = None
        lang = producer_text.language(request)
        try:
            _principal, slug = await self.admit(request)
            producer = self.producer(slug, lang)
            kind = request.headers.get("content-type", "")
            boundary = re.search(r'boundary="?([^";]+)"?', kind)
            if not kind.lower().startswith("multipart/form-data") or boundary is None:
                raise _refused(lang, 415, "form", "by_the_form")
            if self.running >= producer_api.MAX_RUNNING:
                raise _refused(lang, 429, "busy", "busy_checks", 5)
            self.running += 1
            try:
                settings = self.pages.settings
                folder = Path(tempfile.mkdtemp(prefix="producer-page-", dir=_uploads(settings)))
                limit = settings.producer_upload_max_bytes
                raw = folder / "form"
                try:
                    await producer_api._receive(request, raw, limit + MULTIPART_SLACK)
                except producer_api.Refused as refused:
                    if refused.status == 413:
                        raise _too_large(lang, limit) from None
                    raise _refused(lang, 422, "empty", "choose") from None
                fields, upload = split_form(raw, boundary.group(1).encode(), folder, limit, lang)
                problem = forms.csrf_problem(request, fields.get(forms.CSRF_FIELD))
                if problem is not None:
                    raise PageError(403, producer_text.text(lang, "title.form"), problem)
                if upload is None:
                    raise _refused(lang, 422, "no_file", "choose_check")
                name = _safe_name(upload.name, lang)
                staged = _stage(settings, slug) / secrets.token_urlsafe(18)
                staged.mkdir(parents=True)
                path = staged / name
                upload.path.rename(path)
                return await self.checked(request, producer, path, upload.sha256)
            finally:
                self.running -= 1
                if folder is not None:
                    shutil.rmtree(folder, ignore_errors=True)
        except PageError as error:
            if staged is not None:
                shutil.rmtree(staged, ignore_errors=True)
            return self.failure(request, error, slug)
        except ClientDisconnect:
            if staged is not None:
                shutil.rmtree(staged, ignore_errors=True)
            return Response(status_code=400)
        except BaseException:
            if staged is not None:
                shutil.rmtree(staged, ignore_errors=True)
            raise

    async def checked(self, request: Request, producer: Any, path: Path, sha256: str) -> Response:
        """The check's report and the dry run's changes of a staged file."""
        from ingestion.readers import ReadError
        from ingestion.run import GoneThresholdExceeded, IngestError, IngestOptions
        from ingestion.submission import check_file

        settings, slug = self.pages.settings, producer.source.slug
        lang = producer_text.language(request)
        territories = await producer_api._territories(self.pages.engine)
        try:
            report = await producer_api._in_thread(check_file, producer, path, territories)
        except (ReadError, IngestError) as exc:
            raise PageError(
                422,
                producer_text.text(lang, "title.unreadable"),
                producer_api._where(exc, path) + _patterns(producer, lang),
            ) from None
        dry: dict[str, Any] | None = None
        refusal: str | None = None
        try:
            options = IngestOptions(dry_run=True, wait=False)
            run = await producer_api._in_thread(producer_api._ingest, settings, slug, path, options)
            dry = run.as_json()
        except GoneThresholdExceeded as exc:
            where = producer_api._where(exc, path)
            refusal = producer_text.text(lang, "check.refusal.gone", where=where)
        except IngestError as exc:
            message = producer_api._where(exc, path)
            if "another ingest" in message or "another process" in message:
                raise _refused(lang, 409, "busy", "busy_ingest", 30) from None
            refusal = producer_text.text(lang, "check.refusal", where=message)
        last_run = await producer_api._last_run(cast(Any, _AppRequest(self.pages)), slug)
        confirm = producer_api._confirmation(sha256, producer.sha256, False, last_run)
        if dry is None:
            shutil.rmtree(path.parent, ignore_errors=True)
        lang = producer_text.language(request)
        problems = [
            {**p, "what": explain(p["message"], lang)[0], "fix": explain(p["message"], lang)[1]}
            for p in report["validation"]["problems"]
        ]
        return self.render(
            request,
            "producer_check.html",
            producer_slug=slug,
            section="home",
            report=report,
            problems=problems,
            dry=dry,
            refusal=refusal,
            stage_id=path.parent.name if dry is not None else None,
            confirm=confirm,
            sha256=sha256,
            limit=settings.producer_upload_max_bytes,
        )

    async def submit(self, request: Request) -> Response:
        slug: str | None = None
        lang = producer_text.language(request)
        try:
            _principal, slug = await self.admit(request)
            producer = self.producer(slug, lang)
            values = await self.posted(request)
            stage_id = values.get("fichier", "")
            folder = _stage(self.pages.settings, slug) / stage_id
            files = list(folder.iterdir()) if _STAGE_ID.match(stage_id) and folder.is_dir() else []
            if len(files) != 1:
                raise _refused(lang, 410, "expired", "expired")
            path = files[0]
            sha256 = _sha256(path)
            last_run = await producer_api._last_run(cast(Any, _AppRequest(self.pages)), slug)
            if values.get("confirm") != producer_api._confirmation(
                sha256, producer.sha256, False, last_run
            ):
                raise _refused(lang, 409, "changed", "changed")
            run = await self.ingest(slug, path, lang, "title.submit_refused")
            shutil.rmtree(folder, ignore_errors=True)
            log.info("producer %s submitted %s from the pages: run %s", slug, path.name, run.run_id)
            return self.render(
                request,
                "producer_submitted.html",
                producer_slug=slug,
                section="home",
                run=run.as_json(),
                file=path.name,
            )
        except PageError as error:
            return self.failure(request, error, slug)

    async def ingest(self, slug: str, path: Path, lang: str, refused_title: str) -> Any:
        """`path` ingested as the source's next run (its report); a refusal as a PageError: 409
        while another ingest holds the source, else 422 under the title `refused_title`."""
        from ingestion.run import GoneThresholdExceeded, IngestError, IngestOptions

        options = IngestOptions(wait=False)
        try:
            return await producer_api._in_thread(
                producer_api._ingest, self.pages.settings, slug, path, options
            )
        except (GoneThresholdExceeded, IngestError) as exc:
            message = producer_api._where(exc, path)
            if "another ingest" in message or "another process" in message:
                raise _refused(lang, 409, "busy", "busy_ingest", 30) from None
            raise PageError(422, producer_text.text(lang, refused_title), message) from None

    # --- the cross-analysis -------------------------------------------------------------------

    async def analysis_data(self, request: Request) -> tuple[str, dict[str, Any]]:
        """The signed-in producer's slug and its cross-analysis."""
        from ingestion import overlap

        slug, _producer = await self.admitted(request)
        async with self.pages.engine.connect() as conn:
            report = await overlap.overlap(conn, slug)
            report["differences"] = await differences(conn, slug)
        return slug, report

    async def analysis(self, request: Request) -> Response:
        try:
            slug, report = await self.analysis_data(request)
        except PageError as error:
            return self.failure(request, error)
        return self.render(
            request,
            "producer_analysis.html",
            producer_slug=slug,
            section="analysis",
            report=report,
            shown=report["differences"][:DIFFERENCES_SHOWN],
        )

    async def analysis_csv(self, request: Request) -> Response:
        try:
            slug, report = await self.analysis_data(request)
        except PageError as error:
            return self.failure(request, error)
        return Response(
            analysis_csv(report),
            media_type="text/csv; charset=utf-8",
            headers={
                "content-disposition": f'attachment; filename="analyse-croisee-{slug}.csv"',
                "cache-control": "no-store",
                "x-content-type-options": "nosniff",
            },
        )


# --- the cross-analysis's rows ----------------------------------------------------------------


async def differences(conn: Any, slug: str) -> list[dict[str, Any]]:
    """Each value of `slug`'s records that another producer of the same merged record gives
    differently, with both dates and which is more recent."""
    from ingestion.overlap import COMPARED, _norm
    from store import merging as merging_store

    rows: list[dict[str, Any]] = []
    for kind in ("structure", "service"):
        members = await merging_store.load_members(conn, kind)
        by_record = {m.record_id: m for m in members}
        clusters = await merging_store.clusters_by_record(conn, kind)
        for m in (m for m in members if m.source == slug):
            others = [
                by_record[r]
                for r in clusters.get(m.record_id, ())
                if r in by_record and by_record[r].source != slug
            ]
            for o in others:
                for name in COMPARED:
                    mine, theirs = m.data.get(name), o.data.get(name)
                    if mine in (None, "", []) or theirs in (None, "", []):
                        continue
                    if _norm(mine) == _norm(theirs):
                        continue
                    own_date, other_date = m.data.get("date_maj"), o.data.get("date_maj")
                    if own_date and other_date and own_date != other_date:
                        recent = slug if own_date > other_date else o.source
                    else:
                        recent = None
                    rows.append(
                        {"kind": kind, "record": m.public_id, "field": name, "value": mine,
                         "date_maj": own_date, "other_source": o.source,
                         "other_record": o.public_id, "other_value": theirs,
                         "other_date_maj": other_date, "more_recent": recent}
                    )  # fmt: skip
    return rows


def analysis_csv(report: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["section", "kind", "record", "field", "value", "date_maj", "other_source",
         "other_record", "other_value", "other_date_maj", "more_recent"]
    )  # fmt: skip
    for kind in ("structures", "services"):
        part = report[kind]
        for source, count in part["shared_with"].items():
            writer.writerow(["shared", kind, "", "", count, "", source, "", "", "", ""])
        for a, b in part["likely_internal_duplicates"]:
            writer.writerow(["duplicate", kind, a, "", "", "", report["source"], b, "", "", ""])
        writer.writerow(["only_here", kind, "", "", part["only_here"], "", "", "", "", "", ""])
    for d in report["differences"]:
        writer.writerow(
            ["differs", f"{d['kind']}s", d["record"], d["field"], _cell(d["value"]),
             d["date_maj"] or "", d["other_source"], d["other_record"], _cell(d["other_value"]),
             d["other_date_maj"] or "", d["more_recent"] or ""]
        )  # fmt: skip
    return out.getvalue()


def _cell(value: Any) -> str:
    """A value for a spreadsheet cell; text a spreadsheet would run as a formula is quoted."""
    text = "|".join(map(str, value)) if isinstance(value, list) else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


# --- uploads -----------------------------------------------------------------------------------


class _AppRequest:
    """What producer_api's helpers read of a request: the application's engine."""

    def __init__(self, pages: Pages) -> None:
        self.app = SimpleNamespace(state=SimpleNamespace(engine=pages.engine))


class Upload:
    def __init__(self, name: str, path: Path, sha256: str) -> None:
        self.name, self.path, self.sha256 = name, path, sha256


def split_form(
    raw: Path, boundary: bytes, folder: Path, limit: int, lang: str = producer_text.DEFAULT
) -> tuple[dict[str, str], Upload | None]:
    """A multipart/form-data body kept on disk, read in chunks: its text fields (small) and its
    one file, written to `folder` (at most `limit` bytes)."""
    delimiter = b"\r\n--" + boundary
    keep = len(delimiter) + 4
    fields: dict[str, str] = {}
    upload: Upload | None = None
    bad = _refused(lang, 400, "form", "form_unreadable")
    with raw.open("rb") as source:
        buffer = b"\r\n"

        def more() -> bool:
            nonlocal buffer
            chunk = source.read(65536)
            buffer += chunk
            return bool(chunk)

        while True:
            while (at := buffer.find(delimiter)) < 0:
                buffer = buffer[-keep:]
                if not more():
                    raise bad
            buffer = buffer[at + len(delimiter) :]
            while len(buffer) < 2 and more():
                pass
            if buffer.startswith(b"--"):
                return fields, upload
            if not buffer.startswith(b"\r\n"):
                raise bad
            buffer = buffer[2:]
            while (end := buffer.find(b"\r\n\r\n")) < 0:
                if len(buffer) > 16384 or not more():
                    raise bad
            headers = buffer[:end].decode("utf-8", "replace")
            buffer = buffer[end + 4 :]
            name = re.search(r'\bname="([^"]*)"', headers)
            filename = re.search(r'\bfilename="([^"]*)"', headers)
            if name is None:
                raise bad
            if filename is not None:
                if upload is not None:
                    raise _refused(lang, 400, "form", "one_file")
                path = folder / "file"
                digest, size = hashlib.sha256(), 0
                with path.open("wb") as out:
                    while True:
                        at = buffer.find(delimiter)
                        part = buffer if at < 0 else buffer[:at]
                        if at < 0:
                            part = buffer[: max(0, len(buffer) - keep)]
                        size += len(part)
                        if size > limit:
                            raise _too_large(lang, limit)
                        digest.update(part)
                        out.write(part)
                        buffer = buffer[len(part) :]
                        if at >= 0:
                            break
                        if not more():
                            raise bad
                if filename.group(1) and size:
                    upload = Upload(filename.group(1), path, digest.hexdigest())
            else:
                while (at := buffer.find(delimiter)) < 0:
                    if len(buffer) > FIELD_BYTES or not more():
                        raise bad
                if at > FIELD_BYTES or len(fields) >= 20:
                    raise _refused(lang, 413, "form", "form_too_long")
                fields[name.group(1)] = buffer[:at].decode("utf-8", "replace")
                buffer = buffer[at:]


def _safe_name(name: str, lang: str = producer_text.DEFAULT) -> str:
    """The uploaded file's name as the JSON endpoint reduces it (its extension, the format)."""
    try:
        return producer_api._file_name(
            SimpleNamespace(query_params={"filename": name}, headers={})  # type: ignore[arg-type]
        )
    except producer_api.Refused:
        extensions = ", ".join(producer_api.EXTENSIONS)
        raise _refused(lang, 415, "format", "format", name=name, extensions=extensions) from None


def _uploads(settings: Any) -> Path:
    folder = settings.upload_dir or Path(tempfile.gettempdir())
    folder.mkdir(parents=True, exist_ok=True)
    return Path(folder)


def _stage(settings: Any, slug: str) -> Path:
    """The folder of `slug`'s checked files waiting for their submission; older ones removed."""
    folder = _uploads(settings) / "producer-pages-checked" / slug
    folder.mkdir(parents=True, exist_ok=True)
    now = time.time()
    for old in folder.iterdir():
        try:
            if now - old.stat().st_mtime > STAGED_SECONDS:
                shutil.rmtree(old, ignore_errors=True)
        except FileNotFoundError:
            pass
    return folder


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _too_large(lang: str, limit: int) -> PageError:
    return _refused(lang, 413, "too_large", "too_large", kib=limit // 1024)


def _patterns(producer: Any, lang: str) -> str:
    colon = producer_text.text(lang, "colon")
    names = "; ".join(f"{k}{colon}{', '.join(m.files)}" for k, m in producer.kinds.items())
    return producer_text.text(lang, "check.patterns", names=names)
