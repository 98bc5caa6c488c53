"""Nested fields go through loaders: the SQL statements per query do not grow with the page."""

import pytest

from tests.conftest import GraphQLClient, StatementCounter

NESTED = """query($first: Int) {
  communes(codeDepartement: "35", first: $first) {
    edges { node {
      code
      departement { nom region { nom departements { code } } }
      region { nom }
      epci { nom communes { code } }
      arrondissements { code }
    } }
  }
}"""


@pytest.mark.parametrize("query", [NESTED])
async def test_statements_do_not_depend_on_page_size(
    gql: GraphQLClient, sql_statements: StatementCounter, query: str
) -> None:
    counts = {}
    for first in (2, 20, 200):
        sql_statements.reset()
        data = await gql.data(query, {"first": first})
        assert len(data["communes"]["edges"]) == first
        counts[first] = sql_statements.count
    assert counts[2] == counts[20] == counts[200], counts
    # page, departement, region, departements of the region, epci, epci communes,
    # arrondissements: one statement per loader per level
    assert counts[2] <= 8, counts


async def test_a_region_tree_costs_one_statement_per_level(
    gql: GraphQLClient, sql_statements: StatementCounter
) -> None:
    data = await gql.data("{ regions { departements { communes { epci { code } } } } }")
    assert len(data["regions"]) == 18
    assert sql_statements.count == 4, sql_statements.statements
