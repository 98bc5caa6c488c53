"""The bundled territory file: exact counts, sane centroids, and refusal of wrong shapes."""

import gzip
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from store.territory_file import DEFAULT_PATH, TerritoryFileError, read


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(gzip.decompress(DEFAULT_PATH.read_bytes()))
    return loaded


def test_bundled_file_has_the_exact_counts(doc: dict[str, Any]) -> None:
    data = read(DEFAULT_PATH)
    types = Counter(c["type"] for c in data.communes)
    assert types["commune-actuelle"] == 34969
    assert types["arrondissement-municipal"] == 45
    assert len(data.epcis) == 1255
    assert sum(1 for d in data.departements if d["zone"] != "com") == 101
    assert sum(1 for r in data.regions if r["zone"] != "com") == 18
    alias_kinds = Counter(a[1] for a in data.aliases)
    assert alias_kinds["ancien-code"] == 4240


def test_centroids_exist_outside_the_overseas_collectivities(doc: dict[str, Any]) -> None:
    communes = doc["communes"]
    missing = [c["code"] for c in communes if c["lat"] is None and c["zone"] != "com"]
    assert missing == []
    com = [c for c in communes if c["zone"] == "com"]
    assert len(com) == 94
    assert all(c["lat"] is None and c["lon"] is None for c in com)


@pytest.mark.parametrize(
    ("code", "lat", "lon"),
    [("75056", 48.86, 2.35), ("59350", 50.63, 3.05), ("35238", 48.11, -1.68)],
)
def test_centroids_are_sane(doc: dict[str, Any], code: str, lat: float, lon: float) -> None:
    commune = next(c for c in doc["communes"] if c["code"] == code)
    assert abs(commune["lat"] - lat) < 0.03
    assert abs(commune["lon"] - lon) < 0.03


def test_every_centroid_lies_in_france_or_overseas(doc: dict[str, Any]) -> None:
    for c in doc["communes"]:
        if c["lat"] is None:
            continue
        if c["zone"] == "metro":  # Corsica included
            assert 41.3 < c["lat"] < 51.2 and -5.3 < c["lon"] < 9.6, c
        else:
            assert -21.5 < c["lat"] < 18.2, c


def _write(tmp_path: Path, doc: Any, name: str = "t.json.gz") -> Path:
    path = tmp_path / name
    path.write_bytes(gzip.compress(json.dumps(doc).encode()))
    return path


def test_refuses_a_file_that_is_not_json(tmp_path: Path) -> None:
    path = tmp_path / "junk.json.gz"
    path.write_bytes(b"\x1f\x8b\x08garbage")
    with pytest.raises(TerritoryFileError, match="not a \\(gzipped\\) JSON territory file"):
        read(path)


def test_refuses_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(TerritoryFileError, match="cannot read"):
        read(tmp_path / "absent.json.gz")


def test_refuses_a_wrong_format_version(tmp_path: Path, doc: dict[str, Any]) -> None:
    with pytest.raises(TerritoryFileError, match="format 99"):
        read(_write(tmp_path, {**doc, "format": 99}))


def test_refuses_a_commune_without_a_name(tmp_path: Path, doc: dict[str, Any]) -> None:
    communes = [dict(c) for c in doc["communes"]]
    del communes[3]["nom"]
    with pytest.raises(TerritoryFileError, match=r"communes\[3\]\.nom is missing"):
        read(_write(tmp_path, {**doc, "communes": communes}))


def test_refuses_a_broken_parent_link(tmp_path: Path, doc: dict[str, Any]) -> None:
    communes = [dict(c) for c in doc["communes"]]
    communes[0]["departement"] = "00"
    with pytest.raises(TerritoryFileError, match="names an unknown parent"):
        read(_write(tmp_path, {**doc, "communes": communes}))


def test_refuses_an_empty_collection(tmp_path: Path, doc: dict[str, Any]) -> None:
    with pytest.raises(TerritoryFileError, match="'epcis' must be a non-empty list"):
        read(_write(tmp_path, {**doc, "epcis": []}))
