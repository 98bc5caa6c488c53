"""The online entry tool, /pages/producteurs/{slug}/saisie: a producer without a file creates and
edits its structures and services in forms of the schema's fields, with the enumerations of the
`data-inclusion-schema` package as choices, and downloads its own records as CSV (to edit in a
spreadsheet, then to check and submit as any file).

What a producer enters is its source's data, in the data·inclusion format (its registry entry
says `[reader] format = "data-inclusion"`): its own ids, `date_maj` the day of the entry. The
source's current dataset is its records in the store; a save writes the kind's full dataset (the
records as they are, the one entered replacing or joining them) to a file and runs the same
ingest as a submitted file: the same validation, merge, provenance and gone-guard."""

from __future__ import annotations

import csv
import enum
import io
import json
import re
import secrets
import shutil
import tempfile
import types
import typing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote

from data_inclusion.schema import v1
from sqlalchemy import select
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from gateway import producer_api
from gateway.pages import forms, producer_text
from gateway.pages.routes import PageError

if typing.TYPE_CHECKING:
    from gateway.pages.producers import ProducerPages

MODELS = {"structures": v1.Structure, "services": v1.Service}
SINGULAR = {"structures": "structure", "services": "service"}
# set by the tool: ids, the day of the entry, the place (from the commune looked up)
AUTOMATIC = {
    "source", "id", "structure_id", "date_maj", "commune", "code_postal", "code_insee",
    "latitude", "longitude",
}  # fmt: skip
LONG_TEXT = {"description", "horaires_accueil", "conditions_acces", "mobilisation_precisions"}
MAX_FORM_BYTES = 65_536
OWN_ID = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
POSTCODE = re.compile(r"\b(\d{5})\b")
_refused = producer_text.refused
_NO_STORE = {"cache-control": "no-store", "x-content-type-options": "nosniff"}


@dataclass
class Choice:
    value: str
    label: str
    description: str | None = None


@dataclass
class FormField:
    name: str
    label: str
    hint: str | None
    required: bool
    widget: str  # text | textarea | select | checkboxes | list
    choices: list[Choice] = field(default_factory=list)
    groups: list[tuple[str, list[Choice]]] = field(default_factory=list)  # thematiques


def _enum_of(annotation: Any) -> tuple[type[enum.Enum] | None, bool]:
    """The enumeration a field takes its values from, and whether it takes several."""
    stack, many = [annotation], False
    while stack:
        current = stack.pop()
        if isinstance(current, type) and issubclass(current, enum.Enum):
            return current, many
        origin = typing.get_origin(current)
        if origin in (set, list, frozenset):
            many = True
        if origin is not None or isinstance(current, types.UnionType):
            stack.extend(typing.get_args(current))
    return None, many


def _choices(kind: type[enum.Enum]) -> list[Choice]:
    return [
        Choice(
            str(m.value), getattr(m, "label", None) or str(m.value), getattr(m, "description", None)
        )
        for m in kind
    ]


def form_fields(kind: str) -> list[FormField]:
    """The form of a structure or a service: the schema's fields, the tool's own left out."""
    out = []
    for name, info in MODELS[kind].model_fields.items():
        if name in AUTOMATIC:
            continue
        # the schema's description: its first sentence labels the field, the rest is its hint
        text = " ".join((info.description or "").split())
        first, _dot, rest = text.partition(". ")
        label = first.rstrip(".") or name.replace("_", " ").capitalize()
        hint = rest.strip() or None
        enum_kind, many = _enum_of(info.annotation)
        if enum_kind is v1.Thematique:
            groups: dict[str, list[Choice]] = {}
            for c in _choices(enum_kind):
                groups.setdefault(c.value.split("--")[0], []).append(c)
            categories = {str(c.value): c.label for c in v1.Categorie}
            out.append(
                FormField(name, label, hint, info.is_required(), "checkboxes",
                          groups=[(categories.get(k, k), v) for k, v in groups.items()])
            )  # fmt: skip
        elif enum_kind is not None:
            widget = "checkboxes" if many else "select"
            out.append(
                FormField(name, label, hint, info.is_required(), widget, _choices(enum_kind))
            )
        elif typing.get_origin(info.annotation) is list or "list[" in str(info.annotation):
            out.append(FormField(name, label, hint, info.is_required(), "list"))
        else:
            widget = "textarea" if name in LONG_TEXT else "text"
            out.append(FormField(name, label, hint, info.is_required(), widget))
    return out


FORMS = {kind: form_fields(kind) for kind in MODELS}


class EntryPages:
    def __init__(self, producers: ProducerPages) -> None:
        self.producers = producers
        self.pages = producers.pages

    def routes(self) -> list[Route]:
        g = self.pages.guarded
        return [
            Route("/producteurs/{slug}/saisie", g(self.index), methods=["GET"]),
            Route("/producteurs/{slug}/saisie/{kind}.csv", g(self.export), methods=["GET"]),
            Route("/producteurs/{slug}/saisie/{kind}", g(self.edit), methods=["GET", "POST"]),
            Route("/producteurs/{slug}/saisie/{kind}/verifier", g(self.live), methods=["POST"]),
        ]

    async def admitted(self, request: Request) -> tuple[str, Any]:
        slug, producer = await self.producers.admitted(request)
        if not producer.data_inclusion:
            lang = producer_text.language(request)
            raise _refused(lang, 409, "entry_unavailable", "entry_unavailable")
        return slug, producer

    async def current(self, slug: str, kind: str) -> list[dict[str, Any]]:
        """The source's active records of `kind` as they stand (the schema's fields)."""
        from store.records import records

        async with self.pages.engine.connect() as conn:
            rows = await conn.execute(
                select(records.c.producer_id, records.c.data)
                .where(
                    records.c.source_slug == slug,
                    records.c.kind == SINGULAR[kind],
                    records.c.status == "active",
                )
                .order_by(records.c.producer_id)
            )
            return [{**_data(data), "id": pid} for pid, data in rows]

    async def asked(
        self, request: Request, slug: str, kind: str
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], str | None, dict[str, Any] | None]:
        """The source's structures, its records of `kind`, the id the page asks for (`?id=`)
        and that record, if the source has it."""
        structures = await self.current(slug, "structures")
        own = await self.current(slug, kind) if kind == "services" else structures
        wanted = request.query_params.get("id")
        existing = next((r for r in own if r["id"] == wanted), None) if wanted else None
        return structures, own, wanted, existing

    async def sent(
        self,
        request: Request,
        kind: str,
        structures: list[dict[str, Any]],
        own: list[dict[str, Any]],
        existing: dict[str, Any] | None,
        lang: str,
    ) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
        """The form sent (CSRF-checked): its values, the record they describe and what is wrong
        with it (`record_of`)."""
        sent = await _multi_form(request)
        problem = forms.csrf_problem(request, _one(sent, forms.CSRF_FIELD))
        if problem is not None:
            raise PageError(403, producer_text.text(lang, "title.form"), problem)
        values = {k: v if k in _many(kind) else _one(sent, k) for k, v in sent.items()}
        record, errors = await self.record_of(kind, values, structures, own, existing, lang)
        return values, record, errors

    # --- pages ----------------------------------------------------------------------------

    async def index(self, request: Request) -> Response:
        slug: str | None = None
        try:
            slug, producer = await self.admitted(request)
            structures = await self.current(slug, "structures")
            services = await self.current(slug, "services")
        except PageError as error:
            return self.producers.failure(request, error, slug)
        return self.producers.render(
            request,
            "producer_entry.html",
            producer_slug=slug,
            section="entry",
            producer=producer,
            structures=structures,
            services=services,
            saved=request.query_params.get("enregistre"),
            run_id=request.query_params.get("integration"),
        )

    async def edit(self, request: Request) -> Response:
        slug: str | None = None
        lang = producer_text.language(request)
        try:
            slug, producer = await self.admitted(request)
            kind = _kind(request, lang, "entry_kinds")
            structures, own, wanted, existing = await self.asked(request, slug, kind)
            if kind == "services" and not structures:
                raise _refused(lang, 409, "structure_first", "structure_first")
            if wanted and existing is None:
                raise _refused(lang, 404, "not_found", "no_record", id=wanted)
            if request.method == "GET":
                values = _as_form(existing) if existing else {}
                return self.form(request, slug, kind, values, {}, structures, existing, 200)
            values, record, errors = await self.sent(request, kind, structures, own, existing, lang)
            if not errors:
                errors = await self.validated(producer, kind, record, lang)
            if errors:
                return self.form(request, slug, kind, values, errors, structures, existing, 422)
            run_id = await self.save(producer, kind, own, record, lang)
        except PageError as error:
            return self.producers.failure(request, error, slug)
        saved = f"{SINGULAR[kind]}:{record['id']}"
        target = f"/pages/producteurs/{slug}/saisie?enregistre={quote(saved)}"
        if run_id is not None:
            target += f"&integration={run_id}"
        return RedirectResponse(target, status_code=303)

    async def live(self, request: Request) -> Response:
        """The form as it stands checked on the server's rules, without saving: its errors by
        field, as JSON (the form's script shows them as the producer types)."""
        lang = producer_text.language(request)
        try:
            slug, producer = await self.admitted(request)
            kind = _kind(request, lang, "entry_kinds")
            structures, own, _wanted, existing = await self.asked(request, slug, kind)
            _values, record, errors = await self.sent(
                request, kind, structures, own, existing, lang
            )
            for name, message in (await self.validated(producer, kind, record, lang)).items():
                errors.setdefault(name, message)
        except PageError as error:
            return JSONResponse({"error": error.message}, error.status, headers=_NO_STORE)
        return JSONResponse({"errors": errors}, headers=_NO_STORE)

    def form(
        self,
        request: Request,
        slug: str,
        kind: str,
        values: dict[str, Any],
        errors: dict[str, str],
        structures: list[dict[str, Any]],
        existing: dict[str, Any] | None,
        status: int,
    ) -> Response:
        return self.producers.render(
            request,
            "producer_entry_form.html",
            status,
            producer_slug=slug,
            section="entry",
            kind=kind,
            singular=SINGULAR[kind],
            fields=FORMS[kind],
            values=values,
            errors=errors,
            structures=structures,
            existing=existing,
        )

    async def record_of(
        self,
        kind: str,
        values: dict[str, Any],
        structures: list[dict[str, Any]],
        own: list[dict[str, Any]],
        existing: dict[str, Any] | None,
        lang: str = producer_text.DEFAULT,
    ) -> tuple[dict[str, Any], dict[str, str]]:
        """The record a form describes, in the schema's fields, and what is wrong with it that
        the schema's validation cannot say (the id, the structure, the commune)."""
        errors: dict[str, str] = {}
        record: dict[str, Any] = {}
        if existing is not None:
            record["id"] = existing["id"]
        else:
            own_id = str(values.get("id") or "").strip()
            if not own_id:
                own_id = f"{SINGULAR[kind][:2]}-{secrets.token_hex(4)}"
            if not OWN_ID.match(own_id):
                errors["id"] = producer_text.text(lang, "err.id")
            elif any(r["id"] == own_id for r in own):
                errors["id"] = producer_text.text(lang, "err.id_taken", id=own_id)
            record["id"] = own_id
        if kind == "services":
            structure = str(values.get("structure_id") or "")
            if not any(s["id"] == structure for s in structures):
                errors["structure_id"] = producer_text.text(lang, "err.structure")
            record["structure_id"] = structure
        for f in FORMS[kind]:
            value = values.get(f.name)
            if f.widget == "checkboxes":
                record[f.name] = [v for v in (value or []) if v] or None
            elif f.widget == "list":
                text = str(value or "").strip()
                record[f.name] = [
                    p.strip() for p in re.split(r"[,;\s]+", text) if p.strip()
                ] or None
            else:
                record[f.name] = str(value or "").strip() or None
        place = str(values.get("commune_recherche") or "").strip()
        if place:
            found = await self.commune(place, lang)
            if isinstance(found, str):
                errors["commune_recherche"] = found
            else:
                record.update(found)
        record["date_maj"] = datetime.now(UTC).date().isoformat()
        return {k: v for k, v in record.items() if v is not None}, errors

    async def commune(self, text: str, lang: str = producer_text.DEFAULT) -> dict[str, Any] | str:
        """A commune named by its name, its postcode or both, from the store's territories; or
        why none or several match."""
        from store.territories import CommuneSearch, search_communes

        postcode = POSTCODE.search(text)
        name = POSTCODE.sub(" ", text).strip(" ,-") or None
        query = CommuneSearch(search=name, code_postal=postcode.group(1) if postcode else None)
        async with AsyncSession(self.pages.engine) as session:
            rows = await search_communes(session, query, first=8, after=None)
        found = [c for _key, c in rows]
        if name:
            exact = [c for _key, c in rows if _key and _key[0] == 0]
            found = exact if len(exact) == 1 else found
        if not found:
            return producer_text.text(lang, "err.no_commune", text=text)
        if len(found) > 1:
            named = ", ".join(f"{c.nom} ({' '.join(c.codes_postaux[:3])})" for c in found[:6])
            return producer_text.text(lang, "err.communes", named=named)
        commune = found[0]
        codes = list(commune.codes_postaux or [])
        chosen = postcode.group(1) if postcode else (codes[0] if len(codes) == 1 else None)
        out = {"commune": commune.nom, "code_insee": commune.code}
        if chosen:
            out["code_postal"] = chosen
        return out

    async def validated(
        self, producer: Any, kind: str, record: dict[str, Any], lang: str = producer_text.DEFAULT
    ) -> dict[str, str]:
        """The record checked as the ingest checks a row of a file (the same mapping,
        normalisation and validation): what would reject it, or drop one of its values."""
        from gateway.pages.producers import explain
        from ingestion.submission import check_file

        folder = Path(tempfile.mkdtemp(prefix="producer-entry-", dir=_uploads(self.pages)))
        try:
            path = folder / _file_name(producer, kind, "json", lang)
            path.write_text(json.dumps([record], ensure_ascii=False), encoding="utf-8")
            territories = await producer_api._territories(self.pages.engine)
            report = await producer_api._in_thread(check_file, producer, path, territories)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        errors: dict[str, str] = {}
        for p in report["validation"]["problems"]:
            if p["severity"] != "error" and "dropped" not in p["message"]:
                continue
            where = p["field"] or "id"
            if where in ("commune", "code_postal", "code_insee"):
                where = "commune_recherche"
            what, fix = explain(p["message"], lang)
            colon = producer_text.text(lang, "colon")
            errors.setdefault(where, f"{what}{colon}{fix}. ({p['message']})")
        return errors

    async def save(
        self,
        producer: Any,
        kind: str,
        own: list[dict[str, Any]],
        record: dict[str, Any],
        lang: str = producer_text.DEFAULT,
    ) -> int | None:
        """The kind's full dataset with `record` in it, ingested as the source's next run."""
        dataset = [r for r in own if r["id"] != record["id"]] + [record]
        folder = Path(tempfile.mkdtemp(prefix="producer-entry-", dir=_uploads(self.pages)))
        try:
            path = folder / _file_name(producer, kind, "json", lang)
            path.write_text(json.dumps(dataset, ensure_ascii=False, default=str), encoding="utf-8")
            run = await self.producers.ingest(
                producer.source.slug, path, lang, "title.save_refused"
            )
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        if run.counts.get("rejected"):
            why = "; ".join(
                f"{r['field']}: {r['message']}" for r in run.as_json()["top_rejections"]
            )
            raise _refused(lang, 422, "save_refused", "record_refused", why=why)
        run_id: int | None = run.run_id
        return run_id

    async def export(self, request: Request) -> Response:
        slug: str | None = None
        lang = producer_text.language(request)
        try:
            slug, producer = await self.admitted(request)
            kind = _kind(request, lang, "export_kinds")
            rows = await self.current(slug, kind)
        except PageError as error:
            return self.producers.failure(request, error, slug)
        columns = [n for n in MODELS[kind].model_fields if n != "source"]
        out = io.StringIO()
        writer = csv.writer(out, delimiter=";")
        writer.writerow(columns)
        for r in rows:
            writer.writerow([_cell(r.get(c)) for c in columns])
        name = _file_name(producer, kind, "csv", lang)
        return Response(
            out.getvalue().encode("utf-8-sig"),
            media_type="text/csv; charset=utf-8",
            headers={
                "content-disposition": f'attachment; filename="{name}"',
                "cache-control": "no-store",
                "x-content-type-options": "nosniff",
            },
        )


def _kind(request: Request, lang: str, refusal: str) -> str:
    """The page's kind (`structures` or `services`); a 404 saying `refusal` otherwise."""
    kind = str(request.path_params["kind"])
    if kind not in MODELS:
        raise _refused(lang, 404, "page_not_found", refusal)
    return kind


def _data(data: Any) -> dict[str, Any]:
    if isinstance(data, str):
        data = json.loads(data)
    record = {k: v for k, v in dict(data).items() if v not in (None, [], "")}
    if "structure_id" in record:
        record["structure_id"] = str(record["structure_id"]).split("--", 1)[-1]
    record.pop("source", None)
    return record


def _as_form(record: dict[str, Any]) -> dict[str, Any]:
    values = dict(record)
    for f in FORMS["services"] + FORMS["structures"]:
        if f.widget == "list" and isinstance(values.get(f.name), list):
            values[f.name] = ", ".join(values[f.name])
    place = " ".join(str(record[k]) for k in ("code_postal", "commune") if record.get(k))
    values["commune_recherche"] = place
    return values


def _many(kind: str) -> set[str]:
    return {f.name for f in FORMS[kind] if f.widget == "checkboxes"}


def _one(sent: dict[str, list[str]], name: str) -> str:
    values = sent.get(name) or [""]
    return values[-1]


async def _multi_form(request: Request) -> dict[str, list[str]]:
    """An url-encoded form whose fields may repeat (checkboxes), 64 KB at most."""
    lang = producer_text.language(request)
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        raise _refused(lang, 415, "form", "by_the_page")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise _refused(lang, 413, "form", "form_too_long")
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=500)
    except (UnicodeDecodeError, ValueError):
        raise _refused(lang, 400, "form", "form_unreadable") from None
    out: dict[str, list[str]] = {}
    for k, v in pairs:
        out.setdefault(k, []).append(v)
    return out


def _file_name(producer: Any, kind: str, extension: str, lang: str = producer_text.DEFAULT) -> str:
    """A file name the producer's `kind` patterns match (what a file of that kind is named)."""
    mapping = producer.kinds[kind]
    candidates = [p.replace("*", "saisie") for p in mapping.files]
    candidates = [Path(c).stem + f".{extension}" for c in candidates] + [f"{kind}.{extension}"]
    for name in candidates:
        if mapping.matches(Path(name)):
            return name
    files = ", ".join(mapping.files)
    raise _refused(
        lang, 409, "entry_unavailable", "entry_names", kind=kind, files=files, extension=extension
    )


def _cell(value: Any) -> str:
    """A value as a spreadsheet cell: lists joined by `|`; text a spreadsheet would run as a
    formula starts with an apostrophe."""
    if value is None:
        return ""
    text = "|".join(map(str, value)) if isinstance(value, list) else str(value)
    if text[:1] in ("=", "@") or (
        text[:1] in ("+", "-") and not re.fullmatch(r"[+-][\d .]*", text)
    ):
        return "'" + text
    return text


def _uploads(pages: Any) -> Path:
    folder = pages.settings.upload_dir or Path(tempfile.gettempdir())
    folder.mkdir(parents=True, exist_ok=True)
    return Path(folder)
