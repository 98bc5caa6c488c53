"""HTTP surface: GraphiQL for browsers, GET queries, health and readiness."""

from pathlib import Path
from typing import Any

import httpx

from gateway import graphiql
from gateway.app import create_app
from gateway.settings import Settings


async def test_a_browser_gets_graphiql_from_local_assets(
    client: httpx.AsyncClient, app: Any
) -> None:
    response = await client.get("/graphql", headers={"accept": "text/html"})
    assert response.status_code == 200
    assert "GraphiQL" in response.text
    if graphiql.local_assets_present(app.state.settings.graphiql_assets):
        assert "/graphiql-assets/graphiql.min.js" in response.text
        asset = await client.get("/graphiql-assets/graphiql.min.js")
        assert asset.status_code == 200 and len(asset.content) > 100_000
    else:
        assert graphiql.CDN["graphiql.min.js"] in response.text


def test_graphiql_falls_back_to_the_cdn_without_local_assets(tmp_path: Path) -> None:
    html = graphiql.page(tmp_path / "absent")
    assert graphiql.CDN["graphiql.min.js"] in html
    assert graphiql.CDN["react.production.min.js"] in html
    assert "/graphiql-assets/" not in html


def test_graphiql_uses_local_assets_when_all_are_present(tmp_path: Path) -> None:
    for name in graphiql.ASSET_FILES:
        (tmp_path / name).write_text("x")
    html = graphiql.page(tmp_path)
    assert "cdn.jsdelivr.net" not in html
    assert html.count("/graphiql-assets/") == len(graphiql.ASSET_FILES)


async def test_queries_work_over_get(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", params={"query": '{ region(code: "53") { nom } }'})
    assert response.status_code == 200
    assert response.json() == {"data": {"region": {"nom": "Bretagne"}}}


async def test_a_malformed_query_is_a_readable_error(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json={"query": "{ commune(code: ) { nom } }"})
    body = response.json()
    assert "Syntax Error" in body["errors"][0]["message"]
    response = await client.post("/graphql", json={"query": '{ commune(code: "35238") { nme } }'})
    assert "Cannot query field 'nme'" in response.json()["errors"][0]["message"]


async def test_healthz_and_readyz(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"]["database"] == "ok"
    assert ready.json()["checks"]["migrations"] == "current"


async def test_readyz_fails_when_the_database_is_unreachable() -> None:
    app = create_app(Settings(database_url="postgresql://postgres@127.0.0.1:1/nothing"))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.get("/readyz")
    await app.state.engine.dispose()
    assert response.status_code == 503
    assert response.json()["checks"]["database"].startswith("unreachable")


async def test_readyz_fails_when_migrations_are_not_applied(tmp_path: Path) -> None:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'empty.db'}"))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.get("/readyz")
    await app.state.engine.dispose()
    assert response.status_code == 503
    assert response.json()["checks"]["migrations"].startswith("at None")
