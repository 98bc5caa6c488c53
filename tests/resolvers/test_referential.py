"""Enumerations are served exactly as the data-inclusion-schema package defines them."""

import pytest
from data_inclusion.schema import v1

from tests.conftest import GraphQLClient

FIELDS = {
    "thematiques": v1.Thematique,
    "categories": v1.Categorie,
    "publics": v1.Public,
    "frais": v1.Frais,
    "typesServices": v1.TypeService,
    "modesAccueil": v1.ModeAccueil,
    "modesMobilisation": v1.ModeMobilisation,
    "personnesMobilisatrices": v1.PersonneMobilisatrice,
    "reseauxPorteurs": v1.ReseauPorteur,
}


@pytest.mark.parametrize("field", sorted(FIELDS))
async def test_values_match_the_package(gql: GraphQLClient, field: str) -> None:
    data = await gql.data(f"{{ {field} {{ value label description }} }}")
    expected = [
        {"value": d["value"], "label": d["label"], "description": d["description"] or None}
        for d in FIELDS[field].as_dict_list()
    ]
    assert data[field] == expected


async def test_thematiques_give_their_category(gql: GraphQLClient) -> None:
    data = await gql.data("{ thematiques { value categorie { value } } }")
    for t in data["thematiques"]:
        assert t["value"].startswith(t["categorie"]["value"] + "--")
        assert v1.Categorie(t["categorie"]["value"])


async def test_categories_list_their_thematiques(gql: GraphQLClient) -> None:
    data = await gql.data("{ categories { value thematiques { value } } }")
    listed = sorted(t["value"] for c in data["categories"] for t in c["thematiques"])
    assert listed == sorted(t.value for t in v1.Thematique)
