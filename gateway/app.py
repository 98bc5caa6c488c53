"""`create_app(settings)`: the Starlette application serving /graphql, GraphiQL and health."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from functools import partial
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.applications import Starlette
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from gateway import access, graphiql, sql_report
from gateway.context import GatewayGraphQL
from gateway.health import healthz, readyz_endpoint
from gateway.schema import build_schema, schema
from gateway.settings import Settings
from store.cache import make_cache
from store.engine import create_engine


def create_app(settings: Settings) -> Starlette:
    engine = create_engine(
        settings.database(),
        statement_timeout_ms=settings.statement_timeout_ms,
        pool_size=settings.db_pool_size,
    )
    cache = make_cache(settings.redis_url)
    db = partial(AsyncSession, engine, expire_on_commit=False)
    extensions: list[Any] = []
    if settings.anonymous_access == "referential":
        extensions.append(access.ReferentialOnly)
    if settings.report_sql_statements:
        sql_report.install(engine)
        extensions.append(sql_report.SQLStatementReport)
    graphql_schema = build_schema(extensions) if extensions else schema
    graphql_app = GatewayGraphQL(
        graphql_schema, db=db, cache=cache, ide_html=graphiql.page(settings.graphiql_assets)
    )
    book = access.TokenBook(engine, settings.token_cache_seconds)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        await cache.close()
        await engine.dispose()

    app = Starlette(
        routes=[
            Route(
                "/graphql",
                access.Guard(graphql_app, book, settings.anonymous_access),
                methods=["GET", "POST"],
            ),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz_endpoint(engine, cache), methods=["GET"]),
            Mount(
                graphiql.ASSETS_ROUTE,
                StaticFiles(directory=settings.graphiql_assets, check_dir=False),
            ),
        ],
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.cache = cache
    return app


def app_from_env() -> Starlette:
    """Factory for uvicorn workers: settings from the environment."""
    return create_app(Settings.from_env())
