"""GraphQL over HTTP: content negotiation and its status codes, legacy application/json, GET
queries, no form or text/plain POST, no mutation (the schema has none) over GET."""

from __future__ import annotations

from typing import Any

import httpx

GRAPHQL_RESPONSE = "application/graphql-response+json"


async def test_graphql_response_json_and_its_statuses(client: httpx.AsyncClient) -> None:
    accept = {"accept": f"{GRAPHQL_RESPONSE}, application/json;q=0.9"}
    ok = await client.post("/graphql", json={"query": "{ regions { code } }"}, headers=accept)
    assert ok.status_code == 200 and ok.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    bad = await client.post("/graphql", json={"query": "{ regions { nope } }"}, headers=accept)
    assert bad.status_code == 400 and bad.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    assert bad.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    broken = await client.post("/graphql", json={"query": "{ regions {"}, headers=accept)
    assert broken.status_code == 400
    # a field error is not a request error: 200 with data and errors
    partial = await client.post(
        "/graphql", json={"query": "{ services(first: 5000) { totalCount } }"}, headers=accept
    )
    assert partial.status_code == 200 and "errors" in partial.json()


async def test_legacy_application_json_keeps_200(client: httpx.AsyncClient) -> None:
    bad = await client.post(
        "/graphql",
        json={"query": "{ regions { nope } }"},
        headers={"accept": "application/json"},
    )
    assert bad.status_code == 200 and bad.headers["content-type"].startswith("application/json")
    assert bad.json()["errors"]


async def test_get_queries_and_no_csrf_prone_posts(client: httpx.AsyncClient) -> None:
    got = await client.get("/graphql", params={"query": "{ regions { code } }"})
    assert got.status_code == 200 and got.json()["data"]["regions"]
    null = await client.get(
        "/graphql", params={"query": "{ regions { code } }", "variables": "null"}
    )
    assert null.json() == got.json()  # `variables=null` is no variables, as in a POST
    for content_type in ("application/x-www-form-urlencoded", "text/plain"):
        refused = await client.post(
            "/graphql",
            content=b'{"query": "{ regions { code } }"}',
            headers={"content-type": content_type},
        )
        assert refused.status_code == 400 and "Unsupported content type" in refused.text
        assert refused.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    mutation = await client.get("/graphql", params={"query": "mutation { x }"})
    assert mutation.status_code == 400
    assert "mutations are not allowed when using GET" in mutation.text


async def test_cors_is_a_setting(settings: Any) -> None:
    from gateway.app import create_app
    from gateway.settings import Settings

    async def preflight(origins: tuple[str, ...]) -> httpx.Response:
        app = create_app(Settings(database_url=settings.database_url, cors_origins=origins))
        try:
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://t"
            ) as client:
                return await client.options(
                    "/graphql",
                    headers={
                        "origin": "https://annuaire.example",
                        "access-control-request-method": "POST",
                        "access-control-request-headers": "authorization, content-type",
                    },
                )
        finally:
            await app.state.engine.dispose()

    allowed = await preflight(("https://annuaire.example",))
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://annuaire.example"
    closed = await preflight(())
    assert "access-control-allow-origin" not in closed.headers
