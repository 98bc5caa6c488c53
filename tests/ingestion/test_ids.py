"""Public ids of merged records: a table of earlier clusters -> new clusters -> ids."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ingestion.ids import Previous, assign
from ingestion.members import Member, SourceFacts
from ingestion.survivorship import golden_views, load_rules

SOURCES = {s: SourceFacts(s) for s in ("dora", "emplois", "cd35")} | {
    "soliguide": SourceFacts("soliguide", restreinte=True)
}
T0 = datetime(2026, 1, 1, tzinfo=UTC)

# one record per id; the number after the letter is its age rank (1 = seen first)
RECORDS = {
    name: Member(
        record_id=n,
        version_id=None,
        source=source,
        kind="structure",
        public_id=f"{source}--{name}",
        data={"nom": f"Structure {name}"},
        first_seen_at=T0 + timedelta(days=n),
    )
    for n, (name, source) in enumerate(
        [("a", "dora"), ("b", "emplois"), ("c", "cd35"), ("d", "dora"), ("e", "emplois"),
         ("s", "soliguide"), ("t", "soliguide")],
        start=1,
    )
}  # fmt: skip


def cluster(names: str) -> list[Member]:
    return [RECORDS[n] for n in names]


def previous(pid: str, names: str) -> Previous:
    return Previous(RECORDS[pid].public_id, frozenset(RECORDS[n].record_id for n in names))


def short(public_id: str) -> str:
    return public_id.partition("--")[2]


# (case, earlier golden records as (id, members), new clusters, expected id of each cluster)
CASES = [
    ("a new cluster takes its oldest member's id", [], ["abc"], ["a"]),
    ("an unchanged cluster keeps its id", [("a", "abc")], ["abc"], ["a"]),
    ("a new record joining keeps the id", [("b", "bc")], ["bce"], ["b"]),
    ("a singleton joining an older cluster", [("a", "ab"), ("c", "c")], ["abc"], ["a"]),
    ("two records merge: the oldest id wins", [("a", "ad"), ("b", "bc")], ["abcd"], ["a"]),
    ("the bearer deleted: the others keep the id", [("a", "abc")], ["bc"], ["a"]),
    ("split: the larger part keeps the id", [("a", "abcde")], ["ae", "bcd"], ["e", "a"]),
    ("split: a bearer left alone keeps its own id", [("a", "abcd")], ["a", "bcd"], ["a", "b"]),
    ("split in two equal parts: the bearer's part keeps it", [("a", "abcd")], ["ab", "cd"],
     ["a", "c"]),
    ("a restricted id is never a public id", [("s", "st")], ["bst"], ["b"]),
    ("an all-restricted cluster keeps its restricted id", [("s", "st")], ["t"], ["s"]),
    ("a restricted member never lends its id", [], ["sa"], ["a"]),
]  # fmt: skip


@pytest.mark.parametrize(("case", "before", "after", "expected"), CASES)
def test_id_rules(
    case: str, before: list[tuple[str, str]], after: list[str], expected: list[str]
) -> None:
    got = assign([cluster(c) for c in after], [previous(p, m) for p, m in before], SOURCES)
    assert [short(g) for g in got] == expected, case
    assert len(set(got)) == len(got), "ids are unique"


def test_a_kept_id_is_the_golden_record_id_and_source() -> None:
    views = golden_views("structure", cluster("bc"), SOURCES, load_rules(), keep_id="dora--a")
    golden = views["all"]
    assert golden.public_id == golden.data["id"] == "dora--a"
    assert golden.data["source"] == "dora"


def test_one_shared_row_without_a_restricted_member_two_views_with_one() -> None:
    rules = load_rules()
    assert set(golden_views("structure", cluster("ab"), SOURCES, rules)) == {"all"}
    assert set(golden_views("structure", cluster("as"), SOURCES, rules)) == {
        "public",
        "restricted",
    }
    assert set(golden_views("structure", cluster("s"), SOURCES, rules)) == {"restricted"}


def test_a_restricted_kept_id_never_reaches_the_public_view() -> None:
    views = golden_views("structure", cluster("as"), SOURCES, load_rules(), keep_id="soliguide--s")
    assert views["public"].public_id == "dora--a"
