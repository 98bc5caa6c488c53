"""The `list` and `unprefix` transforms, alone and as a mapping file names them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ingestion import mapping_file
from ingestion.transforms import TRANSFORMS, TransformError, to_list, unprefix


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        (["a", "b"], ["a", "b"]),  # a JSON file's list, as it is
        ([], []),
        ('["a","b"]', ["a", "b"]),
        (' [ "a" , " b ", "", null ] ', ["a", "b"]),
        ("[]", []),
        ('["75056", 35]', ["75056", 35]),
        ("a,b", ["a", "b"]),
        ("a;b", ["a", "b"]),
        ("a|b", ["a", "b"]),
        (" a , b ;; c | ", ["a", "b", "c"]),
        ("seul", ["seul"]),
        ("", []),
        ("  ", []),
        (75056, ["75056"]),
        (
            "equipement-et-alimentation--alimentation,famille--garde-denfants",
            ["equipement-et-alimentation--alimentation", "famille--garde-denfants"],
        ),
    ],
)
def test_list_reads_every_encoding(value: Any, expected: Any) -> None:
    assert to_list(value, {}) == expected
    assert TRANSFORMS["list"](value, {}) == expected


@pytest.mark.parametrize(
    "value", ['["a", "b"', "[a, b]", '["a" "b"]', "[", '["a"] et plus', {"a": 1}]
)
def test_list_refuses_a_malformed_json_list(value: Any) -> None:
    with pytest.raises(TransformError, match=r"not a (JSON )?list"):
        to_list(value, {})


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("src--42", "42"),
        ("42", "42"),
        (" src--42 ", "42"),
        ("src--src--42", "src--42"),  # one prefix only
        ("other--42", "other--42"),
        ("42-src--1", "42-src--1"),  # only a leading one
        ("src--", ""),
        (None, None),
        (42, 42),  # numbers left to the id reader
        (["src--1", "2", None], ["1", "2"]),
    ],
)
def test_unprefix(value: Any, expected: Any) -> None:
    assert unprefix(value, {"text": "src--"}) == expected
    assert TRANSFORMS["unprefix"](value, {"text": "src--"}) == expected


def test_unprefix_without_text_changes_nothing_but_spaces() -> None:
    assert unprefix(" 42 ", {}) == "42"


def test_a_mapping_file_may_name_them(tmp_path: Path) -> None:
    (tmp_path / "exemple.toml").write_text(
        '[source]\nslug = "exemple"\nnom = "Exemple"\n'
        '[services]\nid = { from = "ref", transform = "unprefix", text = "exemple--" }\n'
        'structure_id = "structure"\n'
        '[services.fields]\nthematiques = { from = "themes", transform = "list" }\n',
        encoding="utf-8",
    )
    producer = mapping_file.load("exemple", tmp_path)
    services = producer.kinds["services"]
    assert services.id.transforms == (("unprefix", {"text": "exemple--"}),)
    assert services.fields[0].transforms == (("list", {}),)
