"""Who is asking: bearer tokens (random, stored hashed, with scopes, origins, expiry and
revocation), the anonymous policy, and the two steps in front of /graphql that turn them into
the request's `Principal` (its visibility and whether it holds a token) and hold each client to
its rate."""

from __future__ import annotations

import hashlib
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send
from strawberry.extensions import SchemaExtension

from gateway.asgi import refuse
from gateway.errors import RETRY_LATER, retry_message
from gateway.limits import root_fields
from gateway.ratelimit import RateLimiter
from models.access import SCOPES
from store import access as store
from store.engine import unavailability

log = logging.getLogger(__name__)

K = TypeVar("K")
V = TypeVar("V")

TOKEN_PREFIX = "dig_"  # recognisable in logs and secret scanners
PREFIX_LENGTH = 12  # what `token list` shows and `token revoke` takes

# root fields an anonymous client may use when anonymous access is narrowed to "referential"
REFERENTIAL_ROOTS = frozenset(
    {
        "regions", "region", "departements", "departement", "epcis", "epci", "communes",
        "commune", "thematiques", "categories", "publics", "frais", "modesAccueil",
        "typesServices", "reseauxPorteurs", "modesMobilisation", "personnesMobilisatrices",
        "sources", "source", "__schema", "__type", "__typename", "_service",
    }
)  # fmt: skip


def new_token() -> str:
    """A fresh bearer token: 256 random bits."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_scopes(scopes: list[str]) -> list[str]:
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown:
        raise ValueError(f"unknown scope(s) {', '.join(unknown)}; scopes are {', '.join(SCOPES)}")
    return sorted(set(scopes))


@dataclass(frozen=True)
class Principal:
    """The consumer behind a request (None: anonymous) and what it may read."""

    consumer: str | None = None
    token_prefix: str | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)
    referential_only: bool = False  # anonymous access narrowed to territories and enumerations
    token_id: int | None = None
    trusted_documents_only: bool = False  # may only run the documents registered for its token
    producer: str | None = None  # a producer's token: the source whose files it may submit

    @property
    def visibility(self) -> str:
        return "restricted" if "restricted" in self.scopes else "public"

    @property
    def has_token(self) -> bool:
        return self.token_prefix is not None


class AccessDenied(Exception):
    """A request refused for who asks: its HTTP status, a stable code and a readable message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class Remembered(Generic[K, V]):
    """An async lookup in the store whose answers each process remembers for `ttl` seconds (0:
    never), at most `max_entries` of them."""

    def __init__(
        self,
        engine: AsyncEngine,
        lookup: Callable[[AsyncConnection, K], Awaitable[V]],
        ttl: float,
        max_entries: int = 10_000,
    ) -> None:
        self._engine, self._lookup, self._ttl, self._max = engine, lookup, ttl, max_entries
        self._seen: dict[K, tuple[float, V]] = {}

    async def __call__(self, key: K) -> V:
        now = time.monotonic()
        hit = self._seen.get(key)
        if hit is not None and now - hit[0] < self._ttl:
            return hit[1]
        async with self._engine.connect() as conn:
            value = await self._lookup(conn, key)
        if self._ttl > 0:
            if len(self._seen) >= self._max:
                self._seen.clear()
            self._seen[key] = (now, value)
        return value


class TokenBook(Remembered[str, dict[str, Any] | None]):
    """Tokens by hash (a revocation applies within `ttl` seconds)."""

    def __init__(self, engine: AsyncEngine, ttl: float) -> None:
        super().__init__(engine, store.token_by_hash, ttl)


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise AccessDenied(
            401, "UNAUTHENTICATED", "the Authorization header must be `Bearer <token>`"
        )
    return value.strip()


async def authenticate(
    request: Request, book: TokenBook, anonymous: str, *, producers: bool = False
) -> Principal:
    """The request's principal. A producer's token is accepted only where `producers` is set
    (the endpoints where it checks and submits its files): it reads nothing else."""
    token = _bearer(request)
    if token is None:
        if anonymous == "off":
            raise AccessDenied(
                401, "UNAUTHENTICATED", "this gateway needs a token: `Authorization: Bearer …`"
            )
        return Principal(referential_only=anonymous == "referential")
    row = await book(token_hash(token))
    if row is None:
        raise AccessDenied(401, "UNAUTHENTICATED", "unknown token")
    now = datetime.now(UTC)
    if row["revoked_at"] is not None:
        raise AccessDenied(401, "UNAUTHENTICATED", "this token was revoked")
    if row["expires_at"] is not None and row["expires_at"] <= now:
        raise AccessDenied(401, "UNAUTHENTICATED", "this token has expired")
    if row["consumer_disabled_at"] is not None:
        raise AccessDenied(403, "FORBIDDEN", "this token's consumer is disabled")
    if row.get("consumer_awaiting_approval"):
        raise AccessDenied(
            403, "FORBIDDEN", "this token's consumer awaits an operator's approval of its sign-up"
        )
    if row.get("source_slug") is not None and not producers:
        raise AccessDenied(
            403,
            "FORBIDDEN",
            f"this is a producer's token: it checks and submits the files of "
            f"{row['source_slug']!r} (/producers/{row['source_slug']}/…) and reads nothing",
        )
    origin = request.headers.get("origin")
    if row["origins"] and origin is None:
        raise AccessDenied(
            403,
            "FORBIDDEN",
            "this token is bound to browser origins: a request without an `Origin` header "
            "naming one of them is refused (a server calls with a token of its own)",
        )
    if row["origins"] and origin not in row["origins"]:
        shown = (origin or "")[:200]
        raise AccessDenied(403, "FORBIDDEN", f"this token may not be used from {shown}")
    return Principal(
        consumer=row["consumer_name"],
        token_prefix=row["prefix"],
        scopes=frozenset(row["scopes"]),
        token_id=row["id"],
        trusted_documents_only=bool(row["trusted_documents_only"]),
        producer=row.get("source_slug"),
    )


class Authentication:
    """Turns the request's token into its `Principal`, in `scope["state"]["principal"]`; a bad
    or missing token is refused (401/403), after counting toward its address's rate (a 429 once
    over it: guessing tokens is limited too). A token that cannot be looked up (the database
    down) is a 503."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        book: TokenBook,
        anonymous: str,
        limiter: RateLimiter | None = None,
        trusted_proxies: tuple[str, ...] = (),
    ) -> None:
        self.app, self.book, self.anonymous = app, book, anonymous
        self.limiter, self.trusted_proxies = limiter, trusted_proxies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        try:
            principal = await authenticate(request, self.book, self.anonymous)
        except AccessDenied as denied:
            address = client_address(scope, request, self.trusted_proxies)
            if await within_rate(self.limiter, send, f"ip:{address}", anonymous=True):
                await refuse(send, denied.status, denied.code, denied.message)
            return
        except Exception as exc:  # the token could not be looked up
            if not await refuse_unavailable(send, exc):
                raise
            return
        scope.setdefault("state", {})["principal"] = principal
        await self.app(scope, receive, send)


class RateLimit:
    """Counts the request toward its token's rate, or its address's for an anonymous client,
    and refuses it once over (429, with Retry-After)."""

    def __init__(
        self, app: ASGIApp, *, limiter: RateLimiter | None, trusted_proxies: tuple[str, ...] = ()
    ) -> None:
        self.app, self.limiter, self.trusted_proxies = app, limiter, trusted_proxies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        principal = principal_of(request)
        if principal.has_token:
            identity = f"token:{principal.token_prefix}"
        else:
            identity = f"ip:{client_address(scope, request, self.trusted_proxies)}"
        if await within_rate(self.limiter, send, identity, anonymous=not principal.has_token):
            await self.app(scope, receive, send)


async def within_rate(
    limiter: RateLimiter | None, send: Send, identity: str, *, anonymous: bool
) -> bool:
    """Count one request of `identity`; False (and a 429 sent) when it is over its rate."""
    if limiter is None:
        return True
    verdict = await limiter.check(identity, anonymous=anonymous)
    if verdict.allowed:
        return True
    message = f"more than {verdict.limit} requests this minute"
    if anonymous:
        message += " from this address (a token has more; failed authentications count too)"
    await refuse(send, 429, "RATE_LIMITED", message, retry_after=verdict.retry_after_s)
    return False


def client_address(scope: Scope, request: Request, trusted: tuple[str, ...]) -> str:
    """The client's address: the peer's, or behind a trusted proxy the last address before the
    trusted ones in X-Forwarded-For."""
    peer = (scope.get("client") or ("unknown", 0))[0]
    if peer not in trusted:
        return str(peer)
    hops = [h.strip() for h in request.headers.get("x-forwarded-for", "").split(",") if h.strip()]
    for hop in reversed(hops):
        if hop not in trusted:
            return hop
    return str(peer)


async def refuse_unavailable(send: Send, exc: BaseException) -> bool:
    """Answer 503 when `exc` says the database could not answer; False for any other error."""
    kind = unavailability(exc)
    if kind is None:
        return False
    log.warning("database %s: %s", kind, type(exc).__name__)
    code, message = retry_message(kind)
    await refuse(send, 503, code, message, retry_after=RETRY_LATER[code])
    return True


def principal_of(request: Any) -> Principal:
    state: Mapping[str, Any] = getattr(request, "scope", {}).get("state", {}) if request else {}
    principal = state.get("principal")
    return principal if isinstance(principal, Principal) else Principal()


class ReferentialOnly(SchemaExtension):
    """Anonymous access narrowed to "referential": root fields other than the territories, the
    enumerations and the producers are refused, with a FORBIDDEN error naming them."""

    async def on_execute(self) -> Any:
        context = self.execution_context.context
        principal = getattr(context, "extra", {}).get("principal")
        document = self.execution_context.graphql_document
        if principal is not None and principal.referential_only and document is not None:
            from graphql import GraphQLError, OperationDefinitionNode

            roots = root_fields(
                [d for d in document.definitions if isinstance(d, OperationDefinitionNode)],
                document,
            )
            refused = sorted(roots - REFERENTIAL_ROOTS)
            if refused:
                raise GraphQLError(
                    f"anonymous access covers the territories and the referential only; "
                    f"{', '.join(refused)} need a token",
                    extensions={"code": "FORBIDDEN"},
                )
        yield
