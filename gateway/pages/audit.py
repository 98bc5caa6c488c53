"""The audit pages' GraphQL documents and how their answers are laid out for a person: for each
field of a merged record, the value, the producer that supplied it and why, the values of the
other producers side by side, and the field's history."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

KINDS = {"structures": "structure", "services": "service"}  # URL segment -> root field
ID_LIKE = re.compile(r"^[a-z0-9][a-z0-9-]*--\S+$")  # `dora--42`: a producer slug, `--`, its id
COMMUNE_CODE = re.compile(r"^(\d{5}|2[AB]\d{3})$", re.IGNORECASE)
PAGE_SIZE = 20
HISTORY_SIZE = 500

PROVENANCE = """
fragment Why on FieldProvenance {
  source { slug nom }
  sourceRecordId
  sourceUpdatedAt
  sourceUpdatedAtTrusted
  valueSince
  lastConfirmedAt
  strategy
  ruleSetVersion
  agreeingSources { slug nom }
  conflictingSources { slug nom }
  rejectedSources { source reason }
  elements { value sources }
}"""

SEARCH = """
query AuditSearch($filter: %(Filter)s, $first: Int, $after: String) {
  %(kind)s(filter: $filter, first: $first, after: $after, orderBy: NOM) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id nom communeLibelle codeInsee sources { slug nom } } }
  }
}"""

FIND = """
query AuditFind($id: ID!) {
  %(root)s(id: $id) { id }
}"""

COMMUNE = """
query AuditCommune($search: String!) {
  communes(search: $search, first: 1) { edges { node { code nom } } }
}"""


def search_document(kind: str) -> str:
    filter_type = "StructureFilter" if kind == "structures" else "ServiceFilter"
    return SEARCH % {"kind": kind, "Filter": filter_type}


def find_document(kind: str) -> str:
    return FIND % {"root": KINDS[kind]}


def detail_document(root: str, fields: list[str]) -> str:
    """The whole audit of one record: its values, the provenance of each, every producer's
    claims, the history, the links and the producer records behind it."""
    values = "\n    ".join(fields)
    provenance = "\n      ".join(f"{name} {{ ...Why }}" for name in fields)
    return f"""query Audit($id: ID!) {{
  {root}(id: $id) {{
    id
    {values}
    sources {{ slug nom }}
    provenance {{
      {provenance}
    }}
    claims {{ field value source {{ slug nom }} sourceRecordId sourceUpdatedAt chosen }}
    history(first: {HISTORY_SIZE}) {{
      totalCount
      edges {{ node {{ field source sourceRecordId value version validFrom validTo }} }}
    }}
    links {{ records method score ruleVersion evidence reason decidedBy createdAt }}
    sourceRecords {{ id source {{ slug nom }} }}
  }}
}}
{PROVENANCE.strip()}
"""


@dataclass
class FieldAudit:
    """One field of a merged record as the audit page shows it."""

    name: str
    value: Any
    why: dict[str, Any] | None
    claims: list[dict[str, Any]] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)

    @property
    def disputed(self) -> bool:
        return bool(self.why and self.why["conflictingSources"])


def fields_of(record: dict[str, Any], names: list[str]) -> list[FieldAudit]:
    """The record's fields in the schema's order, each with its claims and history."""
    claims: dict[str, list[dict[str, Any]]] = {}
    for claim in record["claims"]:
        claims.setdefault(claim["field"], []).append(claim)
    history: dict[str, list[dict[str, Any]]] = {}
    for edge in record["history"]["edges"]:
        history.setdefault(edge["node"]["field"], []).append(edge["node"])
    return [
        FieldAudit(
            name,
            record.get(name),
            record["provenance"].get(name),
            sorted(claims.get(name, []), key=lambda c: (not c["chosen"], c["sourceRecordId"])),
            history.get(name, []),
        )
        for name in names
    ]


def commune_code(text: str) -> str | None:
    """The INSEE code the search box holds, when it holds one."""
    text = text.strip()
    return text.upper() if COMMUNE_CODE.match(text) else None
