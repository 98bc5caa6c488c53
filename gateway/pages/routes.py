"""The pages' endpoints, under /pages (see the package's docstring)."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast
from urllib.parse import parse_qsl, quote, urlencode

import orjson
from graphql import GraphQLObjectType, GraphQLSchema
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from gateway import access
from gateway.context import GatewayGraphQL
from gateway.errors import RETRY_LATER, retry_message
from gateway.pages import audit, cgu, forms
from gateway.ratelimit import RateLimiter, Verdict
from gateway.settings import Settings
from store import access as store
from store.cache import Cache
from store.engine import unavailability

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
TOKEN_COOKIE = "gateway_token"
MAX_TOKEN_CHARS = 200
MAX_FORM_BYTES = 16_384
SECURITY_HEADERS = {
    # no script or style but the gateway's own files; forms and scripts post only here
    "content-security-policy": (
        "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "cache-control": "no-store",  # a token, or what a token may read: never kept by a cache
}


def token_request(token: str, path: str) -> Request | None:
    """A GET of `path` carrying `token` as its bearer token, to authenticate it as a request
    would be; None for a token no header could carry (too long, not printable ASCII)."""
    if len(token) > MAX_TOKEN_CHARS or not token.isascii() or not token.isprintable():
        return None
    scope = {
        "type": "http",
        "method": "GET",
        "path": path,
        "query_string": b"",
        "headers": [(b"authorization", f"Bearer {token}".encode())],
    }
    return Request(scope)


def _within(verdict: Verdict, title: str, message: str) -> None:
    """A 429 page titled `title` when the rate limiter's `verdict` refuses: `message` (its
    "{limit}" filled in), then when to try again."""
    if not verdict.allowed:
        wait = verdict.retry_after_s
        text = message.format(limit=verdict.limit) + f" : réessayez dans {wait} s."
        raise PageError(429, title, text, wait)


class PageError(Exception):
    """A page that cannot be shown: its status, a title and an explanation."""

    def __init__(self, status: int, title: str, message: str, retry_after: int | None = None):
        super().__init__(message)
        self.status, self.title, self.message, self.retry_after = (
            status,
            title,
            message,
            retry_after,
        )


class NameTaken(Exception):
    """A consumer of this name exists already."""


def mount(
    settings: Settings,
    graphql_app: GatewayGraphQL,
    book: access.TokenBook,
    cache: Cache,
    engine: AsyncEngine,
) -> Mount:
    """The /pages mount of the application."""
    from gateway.pages import producers  # (its pages build on these)

    pages = Pages(settings, graphql_app, book, cache, engine)
    guarded = pages.guarded
    return Mount(
        "/pages",
        routes=[
            Route("/", guarded(pages.home), methods=["GET"]),
            Route("/signup", guarded(pages.signup), methods=["GET", "POST"]),
            Route("/signin", guarded(pages.signin), methods=["GET", "POST"]),
            Route("/signout", guarded(pages.signout), methods=["POST"]),
            Route("/audit", guarded(pages.search), methods=["GET"]),
            Route("/audit/{kind}/{id:path}", guarded(pages.record), methods=["GET"]),
            *producers.ProducerPages(pages).routes(),
            Mount("/static", StaticFiles(directory=HERE / "static"), name="pages-static"),
        ],
    )


class Pages:
    def __init__(
        self,
        settings: Settings,
        graphql_app: GatewayGraphQL,
        book: access.TokenBook,
        cache: Cache,
        engine: AsyncEngine,
    ) -> None:
        self.settings, self.graphql, self.book, self.engine = settings, graphql_app, book, engine
        self.templates = Environment(
            loader=FileSystemLoader(HERE / "templates"),
            autoescape=select_autoescape(["html"]),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.templates.filters["when"] = _when
        self.templates.filters["shown"] = _shown
        # page views count as API requests do (per address, or per token)
        self.views = RateLimiter(
            cache,
            anonymous_per_minute=settings.rate_limit_anonymous,
            token_per_minute=settings.rate_limit_token,
        )
        # sign-up and sign-in attempts, per address
        self.attempts = RateLimiter(
            cache, anonymous_per_minute=settings.signup_rate_limit, token_per_minute=0
        )
        # graphql-core's schema, for the names of the provenance fields
        schema: GraphQLSchema = cast(Any, graphql_app.schema)._schema
        self.fields: dict[str, list[str]] = {}
        for kind, root in audit.KINDS.items():
            provenance = schema.get_type(f"{root.capitalize()}Provenance")
            assert isinstance(provenance, GraphQLObjectType)
            self.fields[kind] = list(provenance.fields)

    def guarded(
        self, endpoint: Callable[[Request], Awaitable[Response]]
    ) -> Callable[[Request], Awaitable[Response]]:
        """The endpoint, answering 503 (and when to come back) when the store cannot answer,
        as the API does."""

        @functools.wraps(endpoint)
        async def page(request: Request) -> Response:
            try:
                return await endpoint(request)
            except Exception as exc:
                what = unavailability(exc)
                if what is None:
                    raise
                log.warning("database %s: %s", what, type(exc).__name__)
                code, message = retry_message(what)
                error = PageError(503, "Service indisponible", message, RETRY_LATER[code])
                return self.failure(request, error)

        return page

    # --- rendering ------------------------------------------------------------------------

    def render(
        self,
        request: Request,
        template: str,
        status: int = 200,
        *,
        principal: access.Principal | None = None,
        **values: Any,
    ) -> HTMLResponse:
        csrf = forms.csrf_value(request)
        body = self.templates.get_template(template).render(
            csrf=csrf,
            csrf_field=forms.CSRF_FIELD,
            honeypot=forms.HONEYPOT_FIELD,
            signed_in=principal if principal is not None and principal.has_token else None,
            signup_mode=self.settings.signup,
            path=request.url.path,
            **values,
        )
        response = HTMLResponse(body, status_code=status, headers=SECURITY_HEADERS)
        forms.remember_csrf(request, response, csrf)
        return response

    def failure(
        self, request: Request, error: PageError, principal: access.Principal | None = None
    ) -> HTMLResponse:
        response = self.render(
            request,
            "message.html",
            error.status,
            principal=principal,
            title=error.title,
            message=error.message,
        )
        if error.retry_after is not None:
            response.headers["retry-after"] = str(error.retry_after)
        return response

    # --- who is asking --------------------------------------------------------------------

    async def principal(self, request: Request) -> tuple[access.Principal, str | None]:
        """The token of the cookie's principal, or the anonymous one (with why the cookie's
        token no longer works, when it does not)."""
        anonymous = access.Principal(
            referential_only=self.settings.anonymous_access == "referential"
        )
        token = request.cookies.get(TOKEN_COOKIE)
        if not token:
            if self.settings.anonymous_access == "off":
                raise PageError(
                    401,
                    "Connexion nécessaire",
                    "Cette passerelle ne sert ses données qu'avec un jeton : connectez-vous.",
                )
            return anonymous, None
        try:
            return await self.check_token(token), None
        except PageError as refused:
            if self.settings.anonymous_access == "off":
                raise
            return anonymous, refused.message

    async def check_token(self, token: str) -> access.Principal:
        """The principal of a token, refused as the API refuses it (and a token that may run
        only its registered documents: the pages run their own)."""
        carrier = token_request(token, "/graphql")
        if carrier is None:
            raise PageError(401, "Jeton refusé", "Ce jeton n'est pas valable.")
        try:
            principal = await access.authenticate(
                carrier, self.book, self.settings.anonymous_access
            )
        except access.AccessDenied as denied:
            raise PageError(denied.status, "Jeton refusé", denied.message) from None
        if principal.trusted_documents_only:
            raise PageError(
                403,
                "Jeton refusé",
                "Ce jeton ne peut exécuter que les documents enregistrés pour lui : il ne sert "
                "pas aux pages.",
            )
        return principal

    async def within_rate(self, request: Request, principal: access.Principal) -> None:
        if principal.has_token:
            verdict = await self.views.check(f"token:{principal.token_prefix}", anonymous=False)
        else:
            verdict = await self.views.check(f"ip:{self.address(request)}", anonymous=True)
        _within(verdict, "Trop de requêtes", "Plus de {limit} requêtes cette minute")

    async def attempt(self, request: Request) -> None:
        """Count a sign-up or sign-in attempt of the request's address."""
        verdict = await self.attempts.check(f"signup:{self.address(request)}", anonymous=True)
        _within(
            verdict,
            "Trop de tentatives",
            "Plus de {limit} envois de formulaire cette minute depuis votre adresse",
        )

    def address(self, request: Request) -> str:
        return access.client_address(request.scope, request, self.settings.trusted_proxies)

    async def checked_form(self, request: Request) -> dict[str, str]:
        """The POSTed form, once the address is within its rate and the CSRF check passes."""
        await self.attempt(request)
        values = await _form(request)
        problem = forms.csrf_problem(request, values.get(forms.CSRF_FIELD))
        if problem is not None:
            raise PageError(403, "Formulaire refusé", problem)
        return values

    # --- GraphQL, in process --------------------------------------------------------------

    async def query(
        self,
        request: Request,
        principal: access.Principal,
        document: str,
        variables: dict[str, Any],
    ) -> dict[str, Any]:
        """Run a document on the API's schema with the context a request to /graphql with
        this principal gets; its data, or a PageError saying why there is none."""
        request.scope.setdefault("state", {})["principal"] = principal
        context = await self.graphql.get_context(request, Response())
        result = await self.graphql.schema.execute(
            document, variable_values=variables, context_value=context
        )
        if result.errors:
            codes = [(e.extensions or {}).get("code", "") for e in result.errors]
            messages = "; ".join(e.message for e in result.errors)
            wait = [RETRY_LATER[c] for c in codes if c in RETRY_LATER]
            if wait:
                raise PageError(503, "Service indisponible", messages, max(wait))
            if "FORBIDDEN" in codes:
                raise PageError(403, "Accès refusé", messages)
            if "BAD_USER_INPUT" in codes:
                raise PageError(400, "Recherche refusée", messages)
            log.error("an audit page's query failed: %s", messages)
            raise PageError(500, "Erreur", "La page n'a pas pu être construite.")
        return result.data or {}

    # --- the pages ------------------------------------------------------------------------

    async def home(self, request: Request) -> Response:
        try:
            principal, notice = await self.principal(request)
        except PageError:
            principal, notice = access.Principal(), None
        return self.render(request, "home.html", principal=principal, notice=notice)

    async def signup(self, request: Request) -> Response:
        if self.settings.signup == "off":
            return self.failure(
                request,
                PageError(
                    403,
                    "Inscription fermée",
                    "Cette passerelle n'ouvre pas d'inscription en ligne : écrivez à ses "
                    "opérateurs pour obtenir un jeton.",
                ),
            )
        form = forms.SignUp(cgu_version=cgu.VERSION)
        if request.method == "GET":
            return self.render_signup(request, form)
        try:
            values = await self.checked_form(request)
        except PageError as error:
            return self.failure(request, error)
        if values.get(forms.HONEYPOT_FIELD, "").strip():
            log.info("sign-up refused: the honeypot field was filled")
            return self.failure(
                request,
                PageError(400, "Inscription refusée", "Cette inscription n'a pas été acceptée."),
            )
        form = forms.SignUp.read(values, cgu.VERSION)
        if form.errors:
            return self.render_signup(request, form, 422)
        awaiting = self.settings.signup == "approval"
        token = access.new_token()
        now = datetime.now(UTC)
        try:
            async with self.engine.begin() as conn:
                if await store.consumer_by_name_or_id(conn, form.name) is not None:
                    raise NameTaken(form.name)
                consumer_id = await store.create_consumer(
                    conn,
                    name=form.name,
                    contact=form.contact,
                    cgu_version=cgu.VERSION,
                    cgu_accepted_on=now.date(),
                    now=now,
                    intended_use=form.intended_use,
                    awaiting_approval=awaiting,
                )
                await store.create_token(
                    conn,
                    consumer_id=consumer_id,
                    prefix=token[: access.PREFIX_LENGTH],
                    sha256=access.token_hash(token),
                    scopes=["read"],
                    origins=[],
                    label="sign-up",
                    expires_at=None,
                    now=now,
                )
        except (NameTaken, IntegrityError):  # (the unique name, when two sign up at once)
            form.errors["name"] = "Une organisation de ce nom est déjà inscrite."
            return self.render_signup(request, form, 409)
        log.info("consumer %s signed up%s", consumer_id, " (awaiting approval)" if awaiting else "")
        return self.render(
            request,
            "signup_done.html",
            201,
            token=token,
            consumer_id=consumer_id,
            name=form.name,
            awaiting=awaiting,
            cgu_version=cgu.VERSION,
            accepted_on=now.date().isoformat(),
            base_url=forms.own_origin(request),
        )

    def render_signup(self, request: Request, form: forms.SignUp, status: int = 200) -> Response:
        return self.render(
            request,
            "signup.html",
            status,
            form=form,
            cgu_version=cgu.VERSION,
            cgu_published=cgu.PUBLISHED.isoformat(),
            cgu_text=cgu.TEMPLATE,
        )

    async def signin(self, request: Request) -> Response:
        if request.method == "GET":
            principal, notice = await self.principal_or_anonymous(request)
            target = _local(request.query_params.get("next", "")) or ""
            return self.render(
                request, "signin.html", principal=principal, notice=notice, request_next=target
            )
        values: dict[str, str] = {}
        try:
            values = await self.checked_form(request)
            principal = await self.check_token(values.get("token", "").strip())
        except PageError as error:
            status = error.status if error.status in (403, 429, 503) else 401
            refused = self.render(
                request,
                "signin.html",
                status,
                principal=None,
                notice=None,
                error=error.message,
                request_next=_local(values.get("next", "")) or "",
            )
            if error.retry_after is not None:
                refused.headers["retry-after"] = str(error.retry_after)
            return refused
        target = _local(values.get("next", "")) or "/pages/audit"
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(
            TOKEN_COOKIE,
            values["token"].strip(),
            path=forms.COOKIE_PATH,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
        )
        log.info("token %s signed in on the pages", principal.token_prefix)
        return response

    async def principal_or_anonymous(
        self, request: Request
    ) -> tuple[access.Principal | None, str | None]:
        try:
            return await self.principal(request)
        except PageError as error:
            return None, error.message if request.cookies.get(TOKEN_COOKIE) else None

    async def signout(self, request: Request) -> Response:
        try:
            await self.checked_form(request)
        except PageError as error:
            return self.failure(request, error)
        response = RedirectResponse("/pages/audit", status_code=303)
        response.delete_cookie(TOKEN_COOKIE, path=forms.COOKIE_PATH)
        return response

    async def search(self, request: Request) -> Response:
        principal: access.Principal | None = None
        try:
            principal, notice = await self.principal(request)
            await self.within_rate(request, principal)
            return await self.search_page(request, principal, notice)
        except PageError as error:
            return self.failure(request, error, principal)

    async def search_page(
        self, request: Request, principal: access.Principal, notice: str | None
    ) -> Response:
        params = request.query_params
        kind = params.get("kind", "structures")
        if kind not in audit.KINDS:
            kind = "structures"
        text = params.get("q", "").strip()[:500]
        commune = params.get("commune", "").strip()[:200]
        after = params.get("after") or None
        values: dict[str, Any] = {
            "kind": kind,
            "q": text,
            "commune": commune,
            "searched": bool(text or commune),
            "results": None,
            "message": None,
            "principal_view": principal,
            "notice": notice,
        }
        if text and audit.ID_LIKE.match(text):
            data = await self.query(request, principal, audit.find_document(kind), {"id": text})
            found = data.get(audit.KINDS[kind])
            if found:
                return RedirectResponse(_record_url(kind, found["id"]), status_code=303)
            values["message"] = f"Aucun enregistrement visible n'a l'identifiant « {text} »."
            return self.render(request, "audit_search.html", 404, principal=principal, **values)
        filter_: dict[str, Any] = {}
        if commune:
            code = audit.commune_code(commune)
            if code is None:
                data = await self.query(request, principal, audit.COMMUNE, {"search": commune})
                edges = data["communes"]["edges"]
                if not edges:
                    values["message"] = f"Aucune commune ne s'appelle « {commune} »."
                    return self.render(
                        request, "audit_search.html", 404, principal=principal, **values
                    )
                code = edges[0]["node"]["code"]
                values["commune_found"] = f"{edges[0]['node']['nom']} ({code})"
            filter_["codeCommune"] = code
        if text:
            filter_["texte"] = text
        if filter_:
            variables = {"filter": filter_, "first": audit.PAGE_SIZE, "after": after}
            data = await self.query(request, principal, audit.search_document(kind), variables)
            values["results"] = data[kind]
            if data[kind]["pageInfo"]["hasNextPage"]:
                query = {"kind": kind, "q": text, "commune": commune}
                query["after"] = data[kind]["pageInfo"]["endCursor"]
                values["next_url"] = f"/pages/audit?{urlencode(query)}"
        return self.render(request, "audit_search.html", principal=principal, **values)

    async def record(self, request: Request) -> Response:
        principal: access.Principal | None = None
        try:
            principal, notice = await self.principal(request)
            await self.within_rate(request, principal)
            kind = request.path_params["kind"]
            if kind not in audit.KINDS:
                raise PageError(
                    404, "Page introuvable", "Les audits portent sur structures ou services."
                )
            root, names = audit.KINDS[kind], self.fields[kind]
            document = audit.detail_document(root, names)
            variables = {"id": request.path_params["id"]}
            data = await self.query(request, principal, document, variables)
            record = data.get(root)
            if record is None:
                raise PageError(
                    404,
                    "Enregistrement introuvable",
                    f"Aucun enregistrement visible n'a l'identifiant « {variables['id']} »"
                    + (" avec vos droits." if principal.has_token else " sans jeton."),
                )
            return self.render(
                request,
                "audit_record.html",
                principal=principal,
                principal_view=principal,
                notice=notice,
                kind=kind,
                record=record,
                fields=audit.fields_of(record, names),
                graphiql_url=graphiql_url(document, variables),
            )
        except PageError as error:
            return self.failure(request, error, principal)


async def _form(request: Request) -> dict[str, str]:
    """An url-encoded form's fields (the pages' forms are no larger than a few kilobytes)."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        raise PageError(415, "Formulaire refusé", "Le formulaire doit être envoyé par la page.")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise PageError(413, "Formulaire refusé", "Le formulaire envoyé est trop long.")
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=20)
    except (UnicodeDecodeError, ValueError):
        raise PageError(400, "Formulaire refusé", "Le formulaire envoyé est illisible.") from None
    return dict(pairs)


def graphiql_url(document: str, variables: dict[str, Any]) -> str:
    """GraphiQL (/graphql) with this document and these variables in its editors: they travel
    in the URL's fragment, which the GraphiQL page reads and the server never receives."""
    fragment = urlencode(
        {"query": document, "variables": orjson.dumps(variables).decode()}, quote_via=quote
    )
    return f"/graphql#{fragment}"


def _record_url(kind: str, record_id: str) -> str:
    return f"/pages/audit/{kind}/{quote(record_id, safe='')}"


def _local(target: str) -> str | None:
    """A path of the pages to go back to after signing in; anything else is dropped."""
    if target.startswith("/pages/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


def _when(value: str | None) -> str:
    """An ISO date-time as `2026-12-02 15:54 UTC` (a date as it is)."""
    if not value:
        return "—"
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    if len(value) <= 10:
        return value
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _shown(value: Any) -> str:
    """A value as a person reads it."""
    if value is None or value == [] or value == "":
        return "—"
    if isinstance(value, list):
        return ", ".join(_shown(v) for v in value)
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, dict):
        return orjson.dumps(value).decode()
    return str(value)
