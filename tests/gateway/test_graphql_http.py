"""GraphQL over HTTP: content negotiation and its status codes, legacy application/json, GET
queries, no form or text/plain POST, no POST without Content-Type, parameters of their JSON
types, one operation or an `operationName`, no mutation (the schema has none) over GET. (The
whole of graphql-http's audit: tests/gateway/test_graphql_http_audit.py.)"""

from __future__ import annotations

from typing import Any

import httpx
import orjson

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
    # not executed: no `data` entry at all (application/json keeps its `"data": null`)
    assert "data" not in bad.json() and "data" not in broken.json()
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


async def _refusals(client: httpx.AsyncClient) -> None:
    query = "{ __typename }"
    # no Content-Type: 415, with a code like the gateway's other refusals
    bare = await client.post("/graphql", content=orjson.dumps({"query": query}))
    assert bare.status_code == 415
    assert bare.json()["errors"][0]["extensions"]["code"] == "UNSUPPORTED_MEDIA_TYPE"
    assert "Content-Type" in bare.json()["errors"][0]["message"]
    for name, value, message in [
        ("variables", 0, "`variables` must be an object or null, not a number"),
        ("variables", "x", "`variables` must be an object or null, not a string"),
        ("variables", False, "`variables` must be an object or null, not a boolean"),
        ("extensions", ["a"], "`extensions` must be an object or null, not an array"),
        ("operationName", {"a": 1}, "`operationName` must be a string or null, not an object"),
    ]:
        refused = await client.post("/graphql", json={"query": query, name: value})
        assert refused.status_code == 400, (name, value)
        assert refused.json()["errors"] == [
            {"message": message, "extensions": {"code": "BAD_REQUEST"}}
        ]
    got = await client.get("/graphql", params={"query": query, "variables": "[1]"})
    assert got.status_code == 400 and "`variables` must be an object" in got.text
    for name in ("variables", "extensions", "operationName"):  # null is allowed
        ok = await client.post("/graphql", json={"query": query, name: None})
        assert ok.json() == {"data": {"__typename": "Query"}}


async def test_request_forms_the_view_refuses(client: httpx.AsyncClient) -> None:
    await _refusals(client)


async def test_the_response_cache_does_not_answer_what_the_view_refuses(settings: Any) -> None:
    """A cached answer of `{ __typename }` is not given to the same document in a request the
    view would refuse (the cache's key holds neither the Content-Type nor `extensions`)."""
    from gateway.app import create_app
    from gateway.settings import Settings

    app = create_app(
        Settings(database_url=settings.database_url, redis_url=settings.redis_url,
                 rate_limit_anonymous=0, response_cache_seconds=60)
    )  # fmt: skip
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t"
        ) as client:
            for _ in range(2):  # cached by then
                warm = await client.post("/graphql", json={"query": "{ __typename }"})
                assert warm.status_code == 200
            await _refusals(client)
    finally:
        await app.state.cache.close()
        await app.state.engine.dispose()


async def test_several_operations_need_an_operation_name(client: httpx.AsyncClient) -> None:
    document = "query Codes { regions { code } } query Names { regions { nom } }"
    for accept in ("application/json", GRAPHQL_RESPONSE):
        refused = await client.post("/graphql", json={"query": document},
                                    headers={"accept": accept})  # fmt: skip
        assert refused.status_code == 400
        assert refused.json() == {"errors": [{
            "message": "give `operationName`: this document has 2 operations: Codes, Names",
            "extensions": {"code": "BAD_REQUEST"}}]}  # fmt: skip
    got = await client.get("/graphql", params={"query": document})
    assert got.status_code == 400 and "2 operations: Codes, Names" in got.text
    named = await client.post("/graphql", json={"query": document, "operationName": "Names"})
    assert named.status_code == 200 and "nom" in named.json()["data"]["regions"][0]
    one = await client.post("/graphql", json={"query": "query Codes { regions { code } }"})
    assert one.status_code == 200 and "code" in one.json()["data"]["regions"][0]


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
