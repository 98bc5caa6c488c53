"""Settings, read once from the environment and passed down; nothing else reads it."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sqlalchemy.engine import URL

from store.engine import DatabaseURLError, normalize_url
from store.territory_file import DEFAULT_PATH as DEFAULT_TERRITORIES

DEFAULT_PRODUCERS = Path(__file__).resolve().parent.parent / "producers"
DEFAULT_DATABASE_URL = "sqlite:///./var/gateway.db"


class SettingsError(ValueError):
    """A setting has a value the gateway cannot use; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    """Every knob of the gateway, with its environment variable in the comment."""

    database_url: str = DEFAULT_DATABASE_URL  # DATABASE_URL
    redis_url: str | None = None  # REDIS_URL (unset: an in-process cache)
    host: str = "127.0.0.1"  # GATEWAY_HOST
    port: int = 8000  # GATEWAY_PORT
    workers: int = 1  # GATEWAY_WORKERS
    statement_timeout_ms: int = 5000  # GATEWAY_STATEMENT_TIMEOUT_MS (PostgreSQL only)
    db_pool_size: int = 10  # GATEWAY_DB_POOL_SIZE
    graphiql_assets: Path = Path("var/graphiql")  # GATEWAY_GRAPHIQL_ASSETS
    territories_file: Path = DEFAULT_TERRITORIES  # GATEWAY_TERRITORIES_FILE
    producers_dir: Path = DEFAULT_PRODUCERS  # GATEWAY_PRODUCERS_DIR (registry + mappings)
    log_level: str = "info"  # GATEWAY_LOG_LEVEL
    log_format: str = "json"  # GATEWAY_LOG_FORMAT: json (one object per line) or text
    # add `extensions.sqlStatements` (statements the request ran) to every GraphQL response;
    # for benchmarks and debugging, off in production
    report_sql_statements: bool = False  # GATEWAY_REPORT_SQL_STATEMENTS
    # what a request without a token may read: "read" (everything not restricted), "referential"
    # (territories and enumerations only) or "off" (a token is required)
    anonymous_access: str = "read"  # GATEWAY_ANONYMOUS_ACCESS
    # how long a process trusts a token it looked up (a revocation takes this long to apply)
    token_cache_seconds: int = 30  # GATEWAY_TOKEN_CACHE_SECONDS
    # limits of one request (each refusal has a stable code in `extensions`)
    max_depth: int = 12  # GATEWAY_MAX_DEPTH: fields nested in fields
    max_aliases: int = 30  # GATEWAY_MAX_ALIASES
    max_directives: int = 30  # GATEWAY_MAX_DIRECTIVES
    max_cost: int = 50_000  # GATEWAY_MAX_COST: fields times the `first` of the lists above
    max_tokens: int = 5_000  # GATEWAY_MAX_TOKENS: of one document
    max_body_bytes: int = 1_000_000  # GATEWAY_MAX_BODY_BYTES
    # below uvicorn's own limit on a request line (about 64 KiB), which answers a plain 400
    max_query_string_bytes: int = 16_384  # GATEWAY_MAX_QUERY_STRING_BYTES
    request_deadline_ms: int = 10_000  # GATEWAY_REQUEST_DEADLINE_MS: then 503
    introspection: bool = True  # GATEWAY_INTROSPECTION (GraphiQL needs it)
    # requests per minute (0: no limit), per address without a token and per token
    rate_limit_anonymous: int = 600  # GATEWAY_RATE_LIMIT_ANONYMOUS
    rate_limit_token: int = 6_000  # GATEWAY_RATE_LIMIT_TOKEN
    # addresses of the proxies whose X-Forwarded-For names the client (comma-separated)
    trusted_proxies: tuple[str, ...] = ()  # GATEWAY_TRUSTED_PROXIES
    # browser origins allowed to call the API (CORS; comma-separated, `*` for any; empty: none)
    cors_origins: tuple[str, ...] = ()  # GATEWAY_CORS_ORIGINS
    # how long an answer stays in the response cache (0: no response cache); an ingest that
    # changes data moves every process to new entries at once (the data version is in the key)
    response_cache_seconds: int = 300  # GATEWAY_RESPONSE_CACHE_SECONDS
    # bytes the in-process cache may hold (answers, APQ documents; Redis's stand-in too)
    cache_max_bytes: int = 64 * 1024 * 1024  # GATEWAY_CACHE_MAX_BYTES
    # an answer larger than this is not kept (in Redis either): it would crowd out the others
    response_cache_max_answer_bytes: int = 1024 * 1024  # GATEWAY_RESPONSE_CACHE_MAX_ANSWER_BYTES
    # on SIGTERM, how long requests in flight may still run before the process exits
    shutdown_timeout_seconds: int = 30  # GATEWAY_SHUTDOWN_TIMEOUT_SECONDS
    # `serve` migrates, loads the territories and writes the producer registry before serving;
    # off for a gateway reading a PostgreSQL replica (prepare the primary instead)
    prepare_on_start: bool = True  # GATEWAY_PREPARE_ON_START
    # /metrics only for `Authorization: Bearer <this>` (then with the restricted producers'
    # ingest runs too); unset: /metrics answers anyone, without them
    metrics_token: str | None = None  # GATEWAY_METRICS_TOKEN
    # OpenTelemetry traces: off, otlp (OTLP/HTTP, configured by the standard OTEL_* variables)
    # or console; needs the `otel` extra
    tracing: str = "off"  # GATEWAY_TRACING
    # producers' files sent to /producers/{slug}/check and /submit: the largest accepted, and
    # where they are written while checked or ingested (unset: the system's temporary folder)
    producer_upload_max_bytes: int = 100 * 1024 * 1024  # GATEWAY_PRODUCER_UPLOAD_MAX_BYTES
    upload_dir: Path | None = None  # GATEWAY_UPLOAD_DIR
    # the sign-up page (/pages/signup): "open" (a read token at once), "approval" (the token is
    # shown at once and works once an operator runs `gateway consumer approve`) or "off"
    signup: str = "approval"  # GATEWAY_SIGNUP
    # sign-up and sign-in attempts per minute from one address on the pages (0: no limit)
    signup_rate_limit: int = 5  # GATEWAY_SIGNUP_RATE_LIMIT

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        settings = cls(
            database_url=env.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
            redis_url=env.get("REDIS_URL") or None,
            host=env.get("GATEWAY_HOST") or "127.0.0.1",
            port=_int(env, "GATEWAY_PORT", 8000, low=1, high=65535),
            workers=_int(env, "GATEWAY_WORKERS", 1, low=1, high=64),
            statement_timeout_ms=_int(env, "GATEWAY_STATEMENT_TIMEOUT_MS", 5000, low=0),
            db_pool_size=_int(env, "GATEWAY_DB_POOL_SIZE", 10, low=1, high=500),
            graphiql_assets=Path(env.get("GATEWAY_GRAPHIQL_ASSETS") or "var/graphiql"),
            territories_file=Path(env.get("GATEWAY_TERRITORIES_FILE") or DEFAULT_TERRITORIES),
            producers_dir=Path(env.get("GATEWAY_PRODUCERS_DIR") or DEFAULT_PRODUCERS),
            log_level=(env.get("GATEWAY_LOG_LEVEL") or "info").lower(),
            log_format=_choice(env, "GATEWAY_LOG_FORMAT", "json", ("json", "text")),
            report_sql_statements=_bool(env, "GATEWAY_REPORT_SQL_STATEMENTS", False),
            anonymous_access=_choice(env, "GATEWAY_ANONYMOUS_ACCESS", "read", ANONYMOUS_ACCESS),
            token_cache_seconds=_int(env, "GATEWAY_TOKEN_CACHE_SECONDS", 30, low=0, high=3600),
            max_depth=_int(env, "GATEWAY_MAX_DEPTH", 12, low=2, high=100),
            max_aliases=_int(env, "GATEWAY_MAX_ALIASES", 30, low=0, high=10_000),
            max_directives=_int(env, "GATEWAY_MAX_DIRECTIVES", 30, low=0, high=10_000),
            max_cost=_int(env, "GATEWAY_MAX_COST", 50_000, low=1),
            max_tokens=_int(env, "GATEWAY_MAX_TOKENS", 5_000, low=100),
            max_body_bytes=_int(env, "GATEWAY_MAX_BODY_BYTES", 1_000_000, low=1_000),
            max_query_string_bytes=_int(
                env, "GATEWAY_MAX_QUERY_STRING_BYTES", 16_384, low=1_000, high=60_000
            ),
            request_deadline_ms=_int(env, "GATEWAY_REQUEST_DEADLINE_MS", 10_000, low=100),
            introspection=_bool(env, "GATEWAY_INTROSPECTION", True),
            rate_limit_anonymous=_int(env, "GATEWAY_RATE_LIMIT_ANONYMOUS", 600, low=0),
            rate_limit_token=_int(env, "GATEWAY_RATE_LIMIT_TOKEN", 6_000, low=0),
            response_cache_seconds=_int(env, "GATEWAY_RESPONSE_CACHE_SECONDS", 300, low=0),
            cache_max_bytes=_int(env, "GATEWAY_CACHE_MAX_BYTES", 64 * 1024 * 1024, low=1 << 20),
            response_cache_max_answer_bytes=_int(
                env, "GATEWAY_RESPONSE_CACHE_MAX_ANSWER_BYTES", 1 << 20, low=1_000
            ),
            prepare_on_start=_bool(env, "GATEWAY_PREPARE_ON_START", True),
            tracing=_choice(env, "GATEWAY_TRACING", "off", ("off", "otlp", "console")),
            producer_upload_max_bytes=_int(
                env, "GATEWAY_PRODUCER_UPLOAD_MAX_BYTES", 100 * 1024 * 1024, low=1_000
            ),
            upload_dir=Path(env["GATEWAY_UPLOAD_DIR"]) if env.get("GATEWAY_UPLOAD_DIR") else None,
            signup=_choice(env, "GATEWAY_SIGNUP", "approval", SIGNUP),
            signup_rate_limit=_int(env, "GATEWAY_SIGNUP_RATE_LIMIT", 5, low=0),
            metrics_token=_secret(env, "GATEWAY_METRICS_TOKEN"),
            shutdown_timeout_seconds=_int(
                env, "GATEWAY_SHUTDOWN_TIMEOUT_SECONDS", 30, low=0, high=3600
            ),
            cors_origins=tuple(
                o.strip() for o in (env.get("GATEWAY_CORS_ORIGINS") or "").split(",") if o.strip()
            ),
            trusted_proxies=tuple(
                p.strip()
                for p in (env.get("GATEWAY_TRUSTED_PROXIES") or "").split(",")
                if p.strip()
            ),
        )
        settings.database()  # fail now, naming the setting, rather than at the first request
        return settings

    def database(self) -> URL:
        try:
            return normalize_url(self.database_url)
        except DatabaseURLError as exc:
            raise SettingsError(str(exc)) from exc

    def with_overrides(self, **changes: Any) -> Settings:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def _int(
    env: Mapping[str, str], name: str, default: int, *, low: int, high: int | None = None
) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be an integer, got {raw!r}") from None
    if value < low or (high is not None and value > high):
        bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise SettingsError(f"{name} must be {bounds}, got {value}")
    return value


ANONYMOUS_ACCESS = ("read", "referential", "off")
SIGNUP = ("open", "approval", "off")
MIN_SECRET_CHARS = 16


def _secret(env: Mapping[str, str], name: str) -> str | None:
    raw = (env.get(name) or "").strip()
    if not raw:
        return None
    if len(raw) < MIN_SECRET_CHARS or any(c.isspace() for c in raw):
        raise SettingsError(
            f"{name} must be at least {MIN_SECRET_CHARS} characters without spaces "
            "(`python -c 'import secrets; print(secrets.token_urlsafe(32))'`)"
        )
    return raw


def _choice(env: Mapping[str, str], name: str, default: str, choices: tuple[str, ...]) -> str:
    raw = (env.get(name) or "").strip().lower()
    if raw == "":
        return default
    if raw not in choices:
        raise SettingsError(f"{name} must be one of {', '.join(choices)}, got {raw!r}")
    return raw


_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = (env.get(name) or "").strip().lower()
    if raw == "":
        return default
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise SettingsError(f"{name} must be one of {', '.join(_TRUE + _FALSE)}, got {raw!r}")
