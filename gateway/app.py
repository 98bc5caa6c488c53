"""`create_app(settings)`: the Starlette application serving /graphql, GraphiQL and health."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import AsyncIterator, Sequence
from functools import partial
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp
from strawberry.extensions import DisableIntrospection, MaxTokensLimiter

from gateway import access, graphiql, pages, sql_report, tracing
from gateway.context import CloseReads, GatewayGraphQL
from gateway.deadline import Deadline
from gateway.exports.http import Exports
from gateway.health import healthz, readyz_endpoint
from gateway.http import Negotiation
from gateway.limits import Limits, limits_extension
from gateway.logs import RequestIds
from gateway.metrics import Measured, Metrics, metrics_endpoint, operation_metrics
from gateway.persisted import DocumentBook, PersistedQueries
from gateway.producer_api import ProducerFiles
from gateway.ratelimit import RateLimiter
from gateway.request import ReadRequest
from gateway.response_cache import ResponseCache
from gateway.schema import build_schema
from gateway.settings import Settings
from gateway.slices import TimeSlices
from store.cache import make_cache
from store.engine import create_engine
from store.reads import reading
from store.versions import DataVersions


def create_app(settings: Settings, *, tracer_provider: Any = None) -> Starlette:
    """The application; `tracer_provider` (an OpenTelemetry SDK provider) overrides the one
    GATEWAY_TRACING would make (the tests pass one with an in-memory exporter)."""
    if tracer_provider is None and settings.tracing != "off":
        tracer_provider = tracing.provider(settings.tracing)
    engine = create_engine(
        settings.database(),
        statement_timeout_ms=settings.statement_timeout_ms,
        pool_size=settings.db_pool_size,
    )
    cache = make_cache(settings.redis_url, settings.cache_max_bytes)
    versions = DataVersions(engine)
    db = partial(AsyncSession, reading(engine), expire_on_commit=False)
    limits = Limits(
        max_depth=settings.max_depth,
        max_aliases=settings.max_aliases,
        max_directives=settings.max_directives,
        max_cost=settings.max_cost,
        introspection=settings.introspection,
    )
    metrics = Metrics()
    extensions: list[Any] = [
        operation_metrics(metrics),
        lambda: MaxTokensLimiter(max_token_count=settings.max_tokens),
        limits_extension(limits),
        TimeSlices,
    ]
    if not settings.introspection:
        extensions.append(DisableIntrospection)
    if settings.anonymous_access == "referential":
        extensions.append(access.ReferentialOnly)
    if tracer_provider is not None:
        extensions.append(tracing.extension(tracer_provider))
    if settings.report_sql_statements:
        sql_report.install(engine)
        extensions.append(sql_report.SQLStatementReport)
    graphql_schema = build_schema([*extensions, CloseReads])
    graphql_app = GatewayGraphQL(
        graphql_schema,
        db=db,
        cache=cache,
        ide_html=graphiql.page(settings.graphiql_assets),
        suggestions=settings.introspection,
        versions=versions,
    )
    book = access.TokenBook(engine, settings.token_cache_seconds)
    limiter = RateLimiter(
        cache,
        anonymous_per_minute=settings.rate_limit_anonymous,
        token_per_minute=settings.rate_limit_token,
    )
    proxies = settings.trusted_proxies
    # The HTTP steps of a request, outermost first: each hands the request on to the next one
    # or answers it. Those above ROUTING serve every route, those below /graphql alone.
    steps = [
        Middleware(RequestIds),
        *optional(
            settings.cors_origins,
            Middleware(
                CORSMiddleware,
                allow_origins=list(settings.cors_origins),
                allow_methods=["GET", "POST"],
                allow_headers=["Authorization", "Content-Type"],
                max_age=600,
            ),
        ),
        ROUTING,
        *optional(tracer_provider, Middleware(tracing.Traced, traces=tracer_provider)),
        Middleware(Measured, metrics=metrics),
        Middleware(Negotiation),
        Middleware(Deadline, seconds=settings.request_deadline_ms / 1000),
        Middleware(
            ReadRequest,
            max_body_bytes=settings.max_body_bytes,
            max_query_string_bytes=settings.max_query_string_bytes,
        ),
        Middleware(
            access.Authentication,
            book=book,
            anonymous=settings.anonymous_access,
            limiter=limiter,
            trusted_proxies=proxies,
        ),
        Middleware(access.RateLimit, limiter=limiter, trusted_proxies=proxies),
        Middleware(
            PersistedQueries,
            cache=cache,
            documents=DocumentBook(engine, settings.token_cache_seconds),
        ),
        Middleware(
            ResponseCache,
            cache=cache,
            data_version=versions.current,
            ttl_seconds=settings.response_cache_seconds,
            max_tokens=settings.max_tokens,
            max_answer_bytes=settings.response_cache_max_answer_bytes,
            on_lookup=metrics.cache_lookup,
        ),
    ]
    at = steps.index(ROUTING)
    metrics.watch_pool(engine)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        settle_heap()
        versions.start()
        yield
        metrics.stopped()
        await versions.stop()
        await cache.close()
        await engine.dispose()
        if tracer_provider is not None:
            tracer_provider.shutdown()  # the spans still in the batch are sent

    app = Starlette(
        routes=[
            Route(
                "/graphql",
                chain(graphql_app, steps[at + 1 :]),
                methods=["GET", "POST"],
            ),
            Route("/exports/{name}", Exports(), methods=["GET"]),
            *ProducerFiles().routes(),
            pages.mount(settings, graphql_app, book, cache, engine),
            Route("/healthz", healthz, methods=["GET"]),
            Route(
                "/metrics",
                metrics_endpoint(metrics, engine, settings.metrics_token),
                methods=["GET"],
            ),
            Route("/readyz", readyz_endpoint(engine, cache), methods=["GET"]),
            Mount(
                graphiql.ASSETS_ROUTE,
                StaticFiles(directory=settings.graphiql_assets, check_dir=False),
            ),
        ],
        lifespan=lifespan,
        middleware=[Middleware(chain, steps[:at])],
    )
    app.state.settings = settings
    app.state.steps = steps
    app.state.engine = engine
    app.state.cache = cache
    app.state.versions = versions
    app.state.shared_reads = graphql_app.shared
    return app


def routing(app: ASGIApp) -> ASGIApp:
    """Where Starlette routes the request, in a list of steps (nothing of its own)."""
    return app


ROUTING = Middleware(routing)


def chain(endpoint: ASGIApp, steps: Sequence[Middleware]) -> ASGIApp:
    """`endpoint` behind `steps`, the first outermost. It takes the app first, as a step does:
    Starlette's middleware list holds the steps of every route as one, `Middleware(chain, …)`."""
    app = endpoint
    for cls, args, kwargs in reversed(steps):
        app = cls(app, *args, **kwargs)
    return app


def optional(condition: object, step: Middleware) -> list[Middleware]:
    """`step` in the list when `condition` holds."""
    return [step] if condition else []


def settle_heap() -> None:
    """Once the application is built, before serving: what the process holds by then (modules,
    the schema, the enumerations: about a million objects) is left out of the garbage
    collector's full passes (`gc.freeze`), which otherwise walk it all and hold every thread,
    the event loop's too, for a few hundred milliseconds each time; and those passes come ten
    times less often (every 100 passes over the middle generation rather than 10: a page of
    1000 records no longer triggers several)."""
    gc.collect()
    gc.freeze()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, 100)


def app_from_env() -> Starlette:
    """Factory for uvicorn workers: settings from the environment."""
    return create_app(Settings.from_env())
