"""Values that may be personal data: the rules (a table), and what an anonymous client and a
client with a token see of them in fields, producer records, claims and history."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from resolvers.personal import MASK, holds_mobile, is_personal, masked
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
        # numbers the normaliser could not parse, kept as sent
        ("telephone", "06.12.34.56.78 (Mme Dupont)", True),
        ("telephone", "0612345678 poste 3", True),
        ("telephone", "06 12 34 56 78 / 02 99 00 00 00", True),
        ("telephone", "02 99 00 00 00 / 06 12 34 56 78", True),
        ("telephone", "0692 12 34 56", True),  # La Réunion, written the national way
        ("telephone", "02 99 28 63 11", False),
        ("telephone", "02.99.28.63.11 - 02.99.28.63.12", False),
        ("courriel", "dupont.marie@asso.org", True),  # surname first
        ("courriel", "s.martin@asso.org", True),  # an initial
        ("courriel", "martin.s@asso.org", True),
        ("courriel", "0612345678@sms.example.fr", True),
        ("contact_nom_prenom", "Jeanne Martin", True),
        ("contact_nom_prenom", None, False),
        ("nom", "Marie Curie", False),  # only the fields above are checked
        ("description", "Appeler le 06 12 34 56 78", False),  # free text: masked, not withheld
    ],
)
def test_which_values_may_be_personal(field: str, value: str | None, personal: bool) -> None:
    assert is_personal(field, value) is personal


# mobile numbers of France and its overseas départements, in the ways people write them
MOBILE_PREFIXES = ["06", "073", "075", "077", "078", "0690", "0692", "0693", "0694", "0696"]
LANDLINE_PREFIXES = ["01", "02", "03", "04", "05", "09", "0262", "0590", "0596"]
SEPARATORS = ["", " ", ".", "-", " . "]


def _written(prefix: str, rest: str, sep: str, international: bool) -> str:
    digits = prefix + rest[: 10 - len(prefix)]
    if international and prefix.startswith(("06", "07")) and len(prefix) <= 3:
        return "+33 " + digits[1:]
    return sep.join(digits[i : i + 2] for i in range(0, 10, 2))


def _valid(kind: Any) -> Any:
    """Numbers the numbering plans hold valid, of this kind (the oracle is phonenumbers on the
    bare digits, in the number's own region)."""

    def check(text: str) -> bool:
        digits = "".join(c for c in text if c.isdigit())
        national = "0" + digits[2:] if text.startswith("+") else digits
        for region in ("FR", "RE", "GP", "MQ", "GF", "YT"):
            number = phonenumbers.parse(national, region)
            if phonenumbers.is_valid_number(number):
                return phonenumbers.number_type(number) in kind
        return False

    return check


MOBILE = (phonenumbers.PhoneNumberType.MOBILE,)
numbers = st.builds(
    _written,
    st.sampled_from(MOBILE_PREFIXES),
    st.text("0123456789", min_size=8, max_size=8),
    st.sampled_from(SEPARATORS),
    st.booleans(),
).filter(_valid(MOBILE))
landlines = st.builds(
    _written,
    st.sampled_from(LANDLINE_PREFIXES),
    st.text("0123456789", min_size=8, max_size=8),
    st.sampled_from(SEPARATORS),
    st.just(False),
).filter(_valid((phonenumbers.PhoneNumberType.FIXED_LINE,)))
around = st.sampled_from(
    ["", "Tél. ", "Appeler Marie au ", "portable : ", "(Mme Dupont) ", "contact "]
)
after = st.sampled_from(["", " (Mme Dupont)", " poste 3", " / 02 99 00 00 00", ", le mardi"])


@settings(max_examples=300, deadline=None, derandomize=True)
@given(numbers, around, after)
def test_a_mobile_anywhere_in_a_value_is_personal(number: str, before: str, then: str) -> None:
    text = f"{before}{number}{then}"
    assert is_personal("telephone", text), text
    hidden = masked("description", text)
    assert MASK in hidden and not holds_mobile(hidden), hidden


@settings(max_examples=200, deadline=None, derandomize=True)
@given(landlines, around)
def test_landlines_are_not_personal(number: str, before: str) -> None:
    text = f"{before}{number}"
    assert not is_personal("telephone", text), text
    assert masked("description", text) == text


FIRST = ["marie", "jean-pierre", "helene", "sophie", "camille", "thomas"]
SURNAMES = ["dupont", "martin", "le-goff", "nguyen", "bernard"]


@settings(max_examples=200, deadline=None, derandomize=True)
@given(
    st.sampled_from(FIRST),
    st.sampled_from(SURNAMES),
    st.sampled_from([".", "_", "-", ""]),
    st.sampled_from(["name-first", "surname-first", "initial-first", "initial-last"]),
    st.sampled_from(["", "35", "2"]),
)
def test_an_address_with_a_persons_name_is_personal(
    first: str, surname: str, sep: str, order: str, digits: str
) -> None:
    local = {
        "name-first": f"{first}{sep or '.'}{surname}",
        "surname-first": f"{surname}{sep or '.'}{first}",
        "initial-first": f"{first[0]}{sep or '.'}{surname}",
        "initial-last": f"{surname}{sep or '.'}{first[0]}",
    }[order]
    assert is_personal("courriel", f"{local}{digits}@asso-exemple.fr"), local


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


EVERY_PATH = """{ structure(id: "dora--r0") {
  courriel telephone description
  sourceRecords { data }
  doublons { data }
  claims { field value }
  history(first: 100) { edges { node { field value } } }
}
sourceStructures(source: "dora", first: 100) { edges { node { id data } } }
}"""


@pytest.mark.parametrize("backend", BACKENDS)
async def test_no_mobile_and_no_named_address_reaches_an_anonymous_client(
    backend: str, tmp_path: Path
) -> None:
    structures = [structure_row(s) for s in STRUCTURES]
    for row in structures:
        if row["id"] == "r0":
            row |= {
                "courriel": "dupont.marie@secours-exemple.fr",
                "telephone": "06.12.34.56.78 (Mme Dupont)",
                "description": "Permanence : appeler Marie au 07 52 34 56 78, ou le standard.",
            }
    files = write_export(tmp_path / "dora", structures, [service_row(s) for s in SERVICES])
    async with served(backend, tmp_path, "gateway_personal_paths", files) as (gql, _app):
        response = await gql.http.post("/graphql", json={"query": EVERY_PATH})
        body = response.text
        assert response.status_code == 200 and '"errors"' not in body, body
        for leaked in ("12.34.56.78", "52 34 56 78", "0752345678", "dupont.marie", "+336", "+337"):
            assert leaked not in body, leaked
        data = response.json()["data"]["structure"]
        assert data["description"] == f"Permanence : appeler Marie au {MASK}, ou le standard."
        assert data["telephone"] is None and data["courriel"] is None
