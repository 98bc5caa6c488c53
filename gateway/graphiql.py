"""The GraphiQL page, from pinned assets served locally, or the public CDN when they are absent."""

from __future__ import annotations

import html
from pathlib import Path

import orjson

GRAPHIQL_VERSION = "3.8.3"
REACT_VERSION = "18.3.1"
ASSETS_ROUTE = "/graphiql-assets"
ASSET_FILES = (
    "graphiql.min.css",
    "react.production.min.js",
    "react-dom.production.min.js",
    "graphiql.min.js",
)
CDN = {
    "graphiql.min.css": f"https://cdn.jsdelivr.net/npm/graphiql@{GRAPHIQL_VERSION}/graphiql.min.css",
    "graphiql.min.js": f"https://cdn.jsdelivr.net/npm/graphiql@{GRAPHIQL_VERSION}/graphiql.min.js",
    "react.production.min.js": f"https://cdn.jsdelivr.net/npm/react@{REACT_VERSION}/umd/react.production.min.js",
    "react-dom.production.min.js": f"https://cdn.jsdelivr.net/npm/react-dom@{REACT_VERSION}/umd/react-dom.production.min.js",
}

DEFAULT_QUERY = """# Family services around Rennes (commune 35238),
# each merged from the producers that publish it;
# for its name: the producer that won, the rule that
# chose it, who agrees, who does not, and what each
# producer sent. Run it with ▶ (Ctrl-Enter); the
# Docs pane describes every type and field.
{
  searchServices(
    codeCommune: "35238"
    rayonKm: 5
    filter: { thematiques: ["famille"] }
    first: 10
  ) {
    totalCount
    edges {
      distanceKm
      node {
        id
        nom
        structure { nom adresse communeLibelle }
        sources { slug }
        provenance {
          nom {
            source { slug }
            strategy
            agreeingSources { slug }
            conflictingSources { slug }
          }
        }
        claims(fields: ["nom"]) {
          value
          chosen
          source { slug }
        }
      }
    }
  }
}
"""

_PAGE = """<!doctype html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>data·inclusion gateway — GraphiQL</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="{css}">
<style>html, body, #graphiql {{ height: 100%; margin: 0; }}</style>
</head>
<body>
<div id="graphiql">Chargement de GraphiQL…</div>
<script src="{react}"></script>
<script src="{react_dom}"></script>
<script src="{graphiql}"></script>
<script>
const fetcher = GraphiQL.createFetcher({{ url: window.location.pathname }});
// `/graphql#query=…&variables=…` opens with that document (the audit pages link so)
const given = new URLSearchParams(window.location.hash.slice(1));
const props = {{ fetcher, defaultQuery: {default_query} }};
if (given.get("query")) {{
  props.query = given.get("query");
  props.variables = given.get("variables") || "";
}}
ReactDOM.createRoot(document.getElementById("graphiql")).render(
  React.createElement(GraphiQL, props)
);
</script>
</body>
</html>
"""


def local_assets_present(folder: Path) -> bool:
    return all((folder / name).is_file() for name in ASSET_FILES)


def page(assets_folder: Path) -> str:
    """The HTML page; local asset URLs when every file is present, the CDN otherwise."""
    local = local_assets_present(assets_folder)

    def url(name: str) -> str:
        return html.escape(f"{ASSETS_ROUTE}/{name}" if local else CDN[name])

    return _PAGE.format(
        css=url("graphiql.min.css"),
        react=url("react.production.min.js"),
        react_dom=url("react-dom.production.min.js"),
        graphiql=url("graphiql.min.js"),
        default_query=orjson.dumps(DEFAULT_QUERY).decode().replace("</", "<\\/"),
    )
