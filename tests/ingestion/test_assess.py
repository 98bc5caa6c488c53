"""Phase 0 assessment of a raw file, and `gateway mapping check`."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from ingestion import assess, check
from ingestion.mapping_file import MappingError
from ingestion.normalize import Territories
from ingestion.readers import ReaderOptions
from store import territories as territory_store

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ingestion"


@pytest.fixture
async def territories(store_engine: AsyncEngine) -> Territories:
    async with store_engine.connect() as conn:
        current, aliases = await territory_store.code_tables(conn)
    return Territories(current, aliases)


async def test_assess_answers_the_phase_0_questions(territories: Territories) -> None:
    report = assess.profile(FIXTURES / "files" / "structures.csv", ReaderOptions(), territories)
    assert (report["format"], report["encoding"], report["delimiter"], report["rows"]) == (
        "csv",
        "utf-8",
        ";",
        5,
    )
    assert report["id_candidates"][0]["column"] == "ID"
    fill = {c["name"]: c["fill_rate"] for c in report["columns"]}
    assert fill["ID"] == 1.0 and fill["SIRET"] == 0.4
    dates = report["update_date"][0]
    assert dates["column"] == "Mis à jour"
    assert dates["formats"] == {"DD/MM/YYYY": 3, "YYYY-MM-DD": 1}  # distinct values
    siret = report["siret"][0]
    assert (siret["fourteen_digits"], siret["luhn_valid"]) == (2, 1)
    insee = report["insee"][0]
    assert insee["former_or_delegated"] == 1 and insee["resolved_examples"] == {"14011": "14581"}
    phone = report["contact"]["phone"][0]
    assert phone["column"] == "Téléphone" and phone["valid_share"] == 1.0
    text = assess.render(report)
    assert "id candidate        ID: unique, stable yes" in text
    assert "1 of 2 distinct pass Luhn" in text


async def test_assess_flags_row_numbers_and_export_dates(
    tmp_path: Path, territories: Territories
) -> None:
    path = tmp_path / "export.csv"
    path.write_text(
        "num,nom,date export\n" + "".join(f"{i},Lieu {i},01/11/2026\n" for i in range(1, 30)),
        encoding="utf-8",
    )
    report = assess.profile(path, ReaderOptions(), territories)
    num = next(c for c in report["id_candidates"] if c["column"] == "num")
    assert num["stable"] == "doubtful" and "row numbers" in num["note"]
    assert "export date" in report["update_date"][0]["note"]


def test_mapping_check_lists_uncovered_values() -> None:
    report = check.check("exemple", [FIXTURES / "files" / "services.csv"], FIXTURES / "producers")
    assert report.records["services"] == 5
    assert dict(report.unmapped) == {("categories", "Inconnue"): 1}
    assert "categories: 'Inconnue' ×1" in check.render(report)


def _mapping(tmp_path: Path, old: str, new: str) -> Path:
    text = (FIXTURES / "producers" / "exemple.toml").read_text(encoding="utf-8")
    assert old in text
    (tmp_path / "exemple.toml").write_text(text.replace(old, new), encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            '"Aide alimentaire" = ["equipement-et-alimentation--alimentation"]',
            '"Aide alimentaire" = ["equipement-et-alimentation--alimentatoin"]',
            "did you mean 'equipement-et-alimentation--alimentation'",
        ),
        (
            '"oui" = "gratuit"',
            '"oui" = "gratuite"',
            "'gratuite' is not a Frais value (did you mean 'gratuit'?)",
        ),
        (
            'nom = "Nom"\nsiret',
            'nome = "Nom"\nsiret',
            "'nome' is not a field of Structure (did you mean 'nom'?)",
        ),
        ('transform = "strip_html"', 'transform = "strip_htm"', "unknown transform 'strip_htm'"),
        ('map = "frais"', 'map = "frai"', "unknown value map 'frai'"),
        (
            'sep = "|", map = "categories"',
            'sep = "|", map = "frais"',
            "value map 'frais' gives Frais values but thematiques takes Thematique",
        ),
    ],
    ids=["enum-target", "frais-target", "field", "transform", "value-map", "enum-of-field"],
)
def test_mapping_errors_suggest(tmp_path: Path, old: str, new: str, message: str) -> None:
    with pytest.raises(MappingError) as err:
        check.check("exemple", [], _mapping(tmp_path, old, new))
    assert message in str(err.value)


def test_unknown_source(tmp_path: Path) -> None:
    with pytest.raises(MappingError, match="unknown source 'nope'"):
        check.check("nope", [], FIXTURES / "producers")
