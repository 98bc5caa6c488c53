"""Trusted documents: a token created with --trusted-documents runs the documents registered for
it (by documentId, by APQ hash, or by sending exactly their text) and nothing else; other tokens
and anonymous clients are not affected; registration checks every document and names the file of
a bad one (SQLite and PostgreSQL)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.app import create_app
from gateway.settings import Settings
from tests.conftest import BACKENDS, fresh_database, prepared_store
from tests.gateway.cli import gateway as run_cli

REGIONS = "query Regions { regions { code } }"
BRETAGNE = 'query Bretagne { region(code: "53") { nom } }'
OTHER = '{ region(code: "11") { nom } }'


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture(scope="module", params=BACKENDS)
async def store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    tmp = tmp_path_factory.mktemp("trusted")
    async with fresh_database(request.param, tmp, "gateway_trusted") as url:
        await prepared_store(url)
        yield url


def _cli(url: str, *args: str) -> Any:
    result = run_cli(*args, env={"DATABASE_URL": url})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout) if "--json" in args else result.stdout


def _fails(url: str, *args: str) -> str:
    result = run_cli(*args, env={"DATABASE_URL": url})
    assert result.returncode != 0, result.stdout
    return result.stderr


@pytest.fixture(scope="module")
def tokens(store: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A trusted-documents token with two documents registered (a .graphql file and an Apollo
    manifest), and an ordinary token of the same consumer."""
    _cli(store, "consumer", "create", "front", "--cgu-version", "2.1", "--cgu-date", "2026-11-01")
    trusted = _cli(store, "token", "create", "front", "--trusted-documents", "--json")
    ordinary = _cli(store, "token", "create", "front", "--json")
    folder = tmp_path_factory.mktemp("documents")
    (folder / "regions.graphql").write_text(REGIONS)
    manifest = {
        "format": "apollo-persisted-query-manifest",
        "version": 1,
        "operations": [{"id": _sha(BRETAGNE), "name": "Bretagne", "type": "query",
                        "body": BRETAGNE}],
    }  # fmt: skip
    (folder / "manifest.json").write_text(json.dumps(manifest))
    registered = _cli(
        store, "token", "documents", trusted["prefix"],
        str(folder / "regions.graphql"), str(folder / "manifest.json"), "--json",
    )  # fmt: skip
    assert registered["added"] == 2
    assert {d["id"] for d in registered["documents"]} == {
        f"sha256:{_sha(REGIONS)}",
        f"sha256:{_sha(BRETAGNE)}",
    }
    again = _cli(store, "token", "documents", trusted["prefix"], str(folder / "regions.graphql"),
                 "--json")  # fmt: skip
    assert again["added"] == 0  # registering twice changes nothing
    return {"trusted": trusted["token"], "ordinary": ordinary["token"]}


async def _send(
    url: str, token: str | None, *, get: dict[str, str] | None = None, **body: Any
) -> httpx.Response:
    app = create_app(Settings(database_url=url, token_cache_seconds=0, rate_limit_anonymous=0))
    headers = {"authorization": f"Bearer {token}"} if token else {}
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t"
        ) as client:
            if get is not None:
                return await client.get("/graphql", params=get, headers=headers)
            return await client.post("/graphql", json=body, headers=headers)
    finally:
        await app.state.engine.dispose()


def _code(response: httpx.Response) -> str:
    code: str = response.json()["errors"][0]["extensions"]["code"]
    return code


async def test_a_trusted_token_runs_its_documents_named_or_sent(
    store: str, tokens: dict[str, str]
) -> None:
    token = tokens["trusted"]
    by_text = await _send(store, token, query=BRETAGNE)
    assert by_text.json() == {"data": {"region": {"nom": "Bretagne"}}}
    by_id = await _send(store, token, documentId=f"sha256:{_sha(BRETAGNE)}")
    assert by_id.json() == by_text.json()
    by_get = await _send(store, token, get={"documentId": f"sha256:{_sha(REGIONS)}"})
    assert by_get.status_code == 200 and len(by_get.json()["data"]["regions"]) == 18
    by_apq = await _send(
        store,
        token,
        extensions={"persistedQuery": {"version": 1, "sha256Hash": _sha(REGIONS)}},
    )
    assert by_apq.json() == by_get.json()
    with_variables = await _send(
        store, token, documentId=_sha(BRETAGNE), variables={}, operationName="Bretagne"
    )
    assert with_variables.json() == by_text.json()


async def test_a_trusted_token_runs_nothing_else(store: str, tokens: dict[str, str]) -> None:
    token = tokens["trusted"]
    refused = [
        await _send(store, token, query=OTHER),
        await _send(store, token, query=BRETAGNE + " "),  # not exactly the registered text
        await _send(store, token, documentId=f"sha256:{_sha(OTHER)}"),
        await _send(store, token, get={"query": OTHER}),
        # APQ registration is closed to it
        await _send(
            store,
            token,
            query=OTHER,
            extensions={"persistedQuery": {"version": 1, "sha256Hash": _sha(OTHER)}},
        ),
    ]
    for response in refused:
        assert response.status_code == 403, response.text
        assert _code(response) == "DOCUMENT_NOT_TRUSTED"
    app = create_app(Settings(database_url=store, token_cache_seconds=0))
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t"
        ) as client:
            batch = await client.post(
                "/graphql",
                content=json.dumps([{"query": BRETAGNE}, {"query": OTHER}]),
                headers={"authorization": f"Bearer {token}", "content-type": "application/json"},
            )
    finally:
        await app.state.engine.dispose()
    assert batch.status_code == 403 and _code(batch) == "DOCUMENT_NOT_TRUSTED"


async def test_other_clients_are_not_limited_to_documents(
    store: str, tokens: dict[str, str]
) -> None:
    for token in (tokens["ordinary"], None):
        response = await _send(store, token, query=OTHER)
        assert response.json() == {"data": {"region": {"nom": "Île-de-France"}}}


def test_registration_checks_every_document(
    store: str, tokens: dict[str, str], tmp_path: Path
) -> None:
    prefix = tokens["trusted"][:12]
    bad_field = tmp_path / "bad.graphql"
    bad_field.write_text("{ regions { code population } }")
    assert "bad.graphql" in (err := _fails(store, "token", "documents", prefix, str(bad_field)))
    assert "population" in err
    broken = tmp_path / "broken.graphql"
    broken.write_text("{ regions { code ")
    assert "broken.graphql" in _fails(store, "token", "documents", prefix, str(broken))
    lying = tmp_path / "lying.json"
    lying.write_text(json.dumps({_sha(OTHER): BRETAGNE}))
    assert "SHA-256" in _fails(store, "token", "documents", prefix, str(lying))
    ordinary = tokens["ordinary"][:12]
    good = tmp_path / "good.graphql"
    good.write_text(OTHER)
    assert "--trusted-documents" in _fails(store, "token", "documents", ordinary, str(good))
    # nothing was registered by the failed attempts
    listed = {t["prefix"]: t for t in _cli(store, "token", "list", "--json")}
    assert listed[prefix]["documents"] == 2 and listed[prefix]["trusted_documents_only"]
    assert "trusted-documents=2" in _cli(store, "token", "list")


def test_a_document_of_many_operations_keeps_a_name_that_fits(tmp_path: Path) -> None:
    from gateway.trusted import NAME_LENGTH, read_documents

    many = tmp_path / "many.graphql"
    many.write_text("\n".join(f"query Operation{i:03} {{ regions {{ code }} }}" for i in range(40)))
    (document,) = read_documents([many])
    assert document.name is not None and len(document.name) <= NAME_LENGTH
    assert document.name.startswith("Operation000, Operation001")
