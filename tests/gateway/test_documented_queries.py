"""The example queries of the README's guide, of docs/ and the benchmark's operations are valid
against the schema, so the documentation cannot drift from the API."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from graphql import parse, validate

from gateway.schema import schema

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
GUIDE = README[README.index("## Using the API") :]
DOCS = "".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "docs").glob("*.md")))
EXAMPLES = re.findall(r"```graphql\n(.*?)```", GUIDE + DOCS, flags=re.S)
OPERATIONS = sorted((ROOT / "bench").glob("*.graphql"))


def test_the_guide_has_its_examples() -> None:
    assert len(EXAMPLES) >= 5  # search page, around a commune, detail, audit, sync


@pytest.mark.parametrize("document", EXAMPLES, ids=lambda d: d.split("{")[0].strip() or "query")
def test_readme_examples_are_valid(document: str) -> None:
    errors = validate(schema._schema, parse(document))
    assert errors == [], [e.message for e in errors]


@pytest.mark.parametrize("path", OPERATIONS, ids=lambda p: p.stem)
def test_bench_operations_are_valid(path: Path) -> None:
    errors = validate(schema._schema, parse(path.read_text(encoding="utf-8")))
    assert errors == [], [e.message for e in errors]
