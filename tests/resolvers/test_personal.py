"""Values that may be personal data: the rules (a table), and what an anonymous client and a
client with a token see of them in fields, producer records, claims and history."""

from __future__ import annotations

from pathlib import Path

import pytest

from resolvers.personal import is_personal
from tests.conftest import BACKENDS
from tests.gateway.cli import gateway as run_cli
from tests.resolvers.places import (
    SERVICES,
    STRUCTURES,
    served,
    service_row,
    structure_row,
    write_export,
)


@pytest.mark.parametrize(
    ("field", "value", "personal"),
    [
        ("courriel", "marie.dupont@ville-rennes.fr", True),
        ("courriel", "Jean-Pierre.Martin@asso.org", True),
        ("courriel", "helene@epicerie.fr", True),  # accents stripped: hélène
        ("courriel", "sophie35@orange.fr", True),
        ("courriel", "contact@ville-rennes.fr", False),
        ("courriel", "accueil.ccas@ville-rennes.fr", False),
        ("courriel", "epicerie-solidaire@orange.fr", False),
        ("courriel", "mairie@ville-rennes.fr", False),
        ("courriel", "not an address", False),
        ("telephone", "+33612345678", True),  # a mobile
        ("telephone", "+33752345678", True),
        ("telephone", "+262692123456", True),  # a mobile in La Réunion
        ("telephone", "+33299286311", False),  # a landline
        ("telephone", "+33972123456", False),
        ("telephone", "garbage", False),
        ("contact_nom_prenom", "Jeanne Martin", True),
        ("contact_nom_prenom", None, False),
        ("nom", "Marie Curie", False),  # only the fields above are checked
    ],
)
def test_which_values_may_be_personal(field: str, value: str | None, personal: bool) -> None:
    assert is_personal(field, value) is personal


QUERY = """{ structure(id: "dora--r0") {
  courriel telephone
  sourceRecords { data }
  claims(fields: ["courriel", "telephone"]) { field value }
  history(field: "courriel") { edges { node { value } } }
} }"""


@pytest.mark.parametrize("backend", BACKENDS)
async def test_anonymous_clients_do_not_see_personal_values(backend: str, tmp_path: Path) -> None:
    structures = [structure_row(s) for s in STRUCTURES]
    for row in structures:
        if row["id"] == "r0":
            row |= {"courriel": "jeanne.martin@secours-exemple.fr", "telephone": "+33612345678"}
    files = write_export(tmp_path / "dora", structures, [service_row(s) for s in SERVICES])
    async with served(backend, tmp_path, "gateway_personal", files) as (gql, app):
        anonymous = (await gql.data(QUERY))["structure"]
        assert anonymous["courriel"] is None and anonymous["telephone"] is None
        assert not {"courriel", "telephone"} & set(anonymous["sourceRecords"][0]["data"])
        assert anonymous["claims"] == []
        assert anonymous["history"]["edges"] == []

        url = app.state.settings.database_url
        env = {"DATABASE_URL": url}
        made = run_cli("consumer", "create", "cd35", "--cgu-version", "2", "--cgu-date",
                       "2026-11-01", env=env)  # fmt: skip
        assert made.returncode == 0, made.stderr
        token = run_cli("token", "create", "cd35", env=env).stdout.split()[0]
        response = await gql.http.post(
            "/graphql", json={"query": QUERY}, headers={"authorization": f"Bearer {token}"}
        )
        known = response.json()["data"]["structure"]
        assert known["courriel"] == "jeanne.martin@secours-exemple.fr"
        assert known["telephone"] == "+33612345678"
        assert known["sourceRecords"][0]["data"]["telephone"] == "+33612345678"
        assert {c["field"] for c in known["claims"]} == {"courriel", "telephone"}
        assert [e["node"]["value"] for e in known["history"]["edges"]] == [
            "jeanne.martin@secours-exemple.fr"
        ]
