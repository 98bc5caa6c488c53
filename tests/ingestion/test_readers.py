"""Streaming readers: formats, encodings, delimiters, values, numbering, errors and memory."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import json
import tracemalloc
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import openpyxl
import pytest

from ingestion.readers import (
    FileInfo,
    ReaderOptions,
    ReadError,
    Record,
    base,
    detect,
    formula_like,
    iter_records,
    open_records,
)

# --- helpers -----------------------------------------------------------------------------------


def write(path: Path, content: str | bytes) -> Path:
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def read(path: Path, **options: object) -> list[Record]:
    return list(iter_records(path, ReaderOptions(**options)))  # type: ignore[arg-type]


def datas(records: Sequence[Record]) -> list[dict[str, object]]:
    return [r.data for r in records]


def numbers(records: Sequence[Record]) -> list[int]:
    return [r.number for r in records]


def read_error(path: Path, **options: object) -> ReadError:
    with pytest.raises(ReadError) as caught:
        read(path, **options)
    return caught.value


@pytest.fixture(autouse=True)
def _restore_csv_field_limit() -> Iterator[None]:
    # the csv field size limit is process-wide; tests that lower it must not leak
    limit = csv.field_size_limit()
    yield
    csv.field_size_limit(limit)


# ODS cells, rendered as content.xml fragments
def ods_text(text: str) -> str:
    return (
        f'<table:table-cell office:value-type="string"><text:p>{escape(text)}</text:p>'
        "</table:table-cell>"
    )


def ods_number(value: float) -> str:
    return (
        f'<table:table-cell office:value-type="float" office:value="{value}">'
        f"<text:p>{value}</text:p></table:table-cell>"
    )


def ods_formula(formula: str, cached: str | None = None) -> str:
    if cached is None:
        return f"<table:table-cell table:formula={quoteattr(formula)}/>"
    return (
        f'<table:table-cell table:formula={quoteattr(formula)} office:value-type="string" '
        f'office:string-value="{escape(cached)}"><text:p>{escape(cached)}</text:p></table:table-cell>'
    )


def ods_empty(repeat: int = 1) -> str:
    return f'<table:table-cell table:number-columns-repeated="{repeat}"/>'


def write_ods(path: Path, sheets: dict[str, list[list[str]]]) -> Path:
    """A minimal valid ODS: mimetype first and stored, a manifest, and content.xml."""
    tables = []
    for name, rows in sheets.items():
        body = "".join(f"<table:table-row>{''.join(row)}</table:table-row>" for row in rows)
        tables.append(f"<table:table table:name={quoteattr(name)}>{body}</table:table>")
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
        ' xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
        ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f"<office:body><office:spreadsheet>{''.join(tables)}</office:spreadsheet></office:body>"
        "</office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"'
        ' manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/"'
        ' manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            zipfile.ZipInfo("mimetype"),
            "application/vnd.oasis.opendocument.spreadsheet",
            compress_type=zipfile.ZIP_STORED,
        )
        archive.writestr("META-INF/manifest.xml", manifest)
        archive.writestr("content.xml", content)
    return path


def write_xlsx(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.worksheets[0])
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
    workbook.save(path)
    return path


# --- CSV: encodings ----------------------------------------------------------------------------


def test_csv_utf8(tmp_path: Path) -> None:
    path = write(tmp_path / "a.csv", "nom,ville\nÉpicerie solidaire,Saint-Étienne\n")
    info = detect(path)
    assert (info.format, info.encoding, info.delimiter, info.warnings) == ("csv", "utf-8", ",", ())
    assert datas(read(path)) == [{"nom": "Épicerie solidaire", "ville": "Saint-Étienne"}]


def test_csv_utf8_bom(tmp_path: Path) -> None:
    path = write(tmp_path / "a.csv", "\ufeffnom;ville\nCafé;Brest\n")
    assert detect(path).encoding == "utf-8-sig"
    # the BOM must not stick to the first column's name
    assert datas(read(path)) == [{"nom": "Café", "ville": "Brest"}]


def test_csv_cp1252(tmp_path: Path) -> None:
    path = write(tmp_path / "a.csv", "nom;note\nCafé – crèche;œuvre\n".encode("cp1252"))
    info = detect(path)
    assert (info.encoding, info.warnings) == ("cp1252", ())
    assert datas(read(path)) == [{"nom": "Café – crèche", "note": "œuvre"}]


def test_csv_mixed_encodings_are_refused(tmp_path: Path) -> None:
    content = (
        b"nom;ville\n"
        + "Café;Rennes\n".encode()
        + b"Plain;Vannes\n"
        + "Crèche;Brest\n".encode("cp1252")
        + "Hôtel;Lorient\n".encode("cp1252")
    )
    path = write(tmp_path / "a.csv", content)
    error = read_error(path)
    assert error.line == 4
    assert str(error) == (
        f'{path}, line 4: mixed encodings: line 2 is UTF-8 ("Café;Rennes") but line 4 is not '
        '(as CP1252: "Crèche;Brest"); save the whole file in one encoding, UTF-8 preferably'
    )
    # whichever comes first: UTF-8 lines in a CP1252 file are named the same way
    cp1252_first = write(tmp_path / "b.csv", content.replace(b"Caf\xc3\xa9", b"Caf\xe9"))
    cp1252_first = write(cp1252_first, cp1252_first.read_bytes() + "Forêt;Vitré\n".encode())
    error = read_error(cp1252_first)
    assert error.line == 6 and 'line 6 is UTF-8 ("Forêt;Vitré")' in str(error)
    # a UTF-8 byte order mark says UTF-8 as much as a UTF-8 line does
    bom = write(tmp_path / "c.csv", codecs.BOM_UTF8 + "nom\nCrèche\n".encode("cp1252"))
    assert "line 1 is UTF-8 (a UTF-8 byte order mark) but line 2 is not" in str(read_error(bom))


def test_csv_declared_single_byte_encoding_with_utf8_lines_is_refused(tmp_path: Path) -> None:
    content = (
        b"nom;ville\n"
        + "CCAS;Vitré\n".encode("cp1252")
        + "Mission locale;Besançon\n".encode()
        + "Épicerie;Brest\n".encode("cp1252")
    )
    path = write(tmp_path / "a.csv", content)
    error = read_error(path, encoding="cp1252")
    assert error.line == 3
    assert str(error).startswith(
        f'{path}, line 3: line 3 is UTF-8 ("Mission locale;Besançon"), which cp1252 would read '
        'as "Mission locale;BesanÃ§on": save the whole file in one encoding and declare it'
    )
    # a file that is UTF-8 throughout, declared CP1252, is refused at its first accent
    utf8 = write(tmp_path / "b.csv", "nom\nallée des Tilleuls\n")
    assert read_error(utf8, encoding="latin-1").line == 2
    assert "line 1 starts with a UTF-8 byte order mark" in str(
        read_error(write(tmp_path / "c.csv", "\ufeffnom\nx\n"), encoding="cp1252")
    )
    # CP1252 text as it is, declared, reads as before
    fine = write(tmp_path / "d.csv", "nom;note\nCafé – crèche;« œuvre »\n".encode("cp1252"))
    assert datas(read(fine, encoding="cp1252")) == [{"nom": "Café – crèche", "note": "« œuvre »"}]


def test_csv_utf8_encoded_twice_is_refused(tmp_path: Path) -> None:
    twice = "Besançon".encode().decode("cp1252").encode()  # "BesanÃ§on" in UTF-8
    content = b"nom;ville\n" + b"CCAS;Rennes\n" + b"Mission locale;" + twice + b"\n"
    path = write(tmp_path / "a.csv", content)
    error = read_error(path)
    assert error.line == 3
    assert str(error) == (
        f'{path}, line 3: line 3 holds "Mission locale;BesanÃ§on": UTF-8 text encoded twice '
        '("Ã§" for "ç"); fix the export, which converted text that already was UTF-8'
    )
    # the same pattern for curly quotes, and in a file read as CP1252
    quote = write(tmp_path / "b.csv", "nom\nl’école\n".encode().decode("cp1252").encode())
    assert '("â€™" for "’")' in str(read_error(quote))
    # French text with accents, guillemets and capitals next to symbols is left alone
    fine = write(tmp_path / "c.csv", "nom\nÉcole « Château » – N° 3 / São Paulo / CHÂTEAU°\n")
    assert len(read(fine)) == 1


def test_csv_explicit_encoding(tmp_path: Path) -> None:
    path = write(tmp_path / "a.csv", "nom\nÉcole\n".encode("latin-1"))
    assert datas(read(path, encoding="latin-1")) == [{"nom": "École"}]
    bom = write(tmp_path / "b.csv", "\ufeffnom\nÉcole\n")
    assert datas(read(bom, encoding="utf-8")) == [{"nom": "École"}]
    assert "unknown encoding 'klingon'" in str(read_error(path, encoding="klingon"))


def test_csv_utf16_with_bom(tmp_path: Path) -> None:
    # Excel's "Unicode text" export: UTF-16 with a BOM, tab-separated
    path = write(tmp_path / "a.txt", "nom\tcp\nCafé\t35000\n".encode("utf-16"))
    assert (detect(path).encoding, detect(path).delimiter) == ("utf-16", "\t")
    assert datas(read(path)) == [{"nom": "Café", "cp": "35000"}]


# --- CSV: delimiters, values, numbering --------------------------------------------------------


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_csv_delimiter(tmp_path: Path, delimiter: str) -> None:
    d = delimiter
    content = f'nom{d}adresse{d}cp\n"Asso, A"{d}"1, rue{d}Haute"{d}35000\nB{d}2 rue{d}29200\n'
    path = write(tmp_path / "a.txt", content)
    assert detect(path).delimiter == delimiter
    assert datas(read(path)) == [
        {"nom": "Asso, A", "adresse": f"1, rue{d}Haute", "cp": "35000"},
        {"nom": "B", "adresse": "2 rue", "cp": "29200"},
    ]


def test_csv_delimiter_header_overrides_sniffer(tmp_path: Path) -> None:
    # commas in unquoted text outnumber the semicolons on every data line
    content = "nom;description\nA;un, deux, trois, quatre\nB;cinq, six, sept, huit\n"
    path = write(tmp_path / "a.csv", content)
    assert detect(path).delimiter == ";"
    assert read(path)[0].data == {"nom": "A", "description": "un, deux, trois, quatre"}


def test_csv_explicit_delimiter(tmp_path: Path) -> None:
    path = write(tmp_path / "a.csv", "a;b\n1,5;2\n")
    assert datas(read(path, delimiter=";")) == [{"a": "1,5", "b": "2"}]


def test_csv_multiline_quoted_fields_and_line_numbers(tmp_path: Path) -> None:
    content = 'id,desc\r\n1,"a\r\nb\r\nc"\r\n2,x\r\n\r\n3,"y\n\nz"\n4,w\n'
    records = read(write(tmp_path / "a.csv", content))
    assert numbers(records) == [2, 5, 7, 10]
    assert [r.data["desc"] for r in records] == ["a\nb\nc", "x", "y\n\nz", "w"]


def test_csv_values_stripped_empty_none_and_blank_rows(tmp_path: Path) -> None:
    content = " nom , Nom ,nom, cp \n  A  ,, b ,\n,,,\n\n C ,D,E, 35000 \n"
    records = read(write(tmp_path / "a.csv", content))
    assert datas(records) == [
        {"nom": "A", "Nom": None, "nom_2": "b", "cp": None},
        {"nom": "C", "Nom": "D", "nom_2": "E", "cp": "35000"},
    ]
    assert numbers(records) == [2, 5]


def test_csv_fewer_fields_and_trailing_empty_fields(tmp_path: Path) -> None:
    content = "a;b;c;\n1;2\n4;5;6;;\n"
    assert datas(read(write(tmp_path / "a.csv", content))) == [
        {"a": "1", "b": "2", "c": None},
        {"a": "4", "b": "5", "c": "6"},
    ]


def test_csv_header_row(tmp_path: Path) -> None:
    content = "Liste des lieux mise à jour en mars;;\nnom;ville;cp\nA;Rennes;35000\n"
    records = read(write(tmp_path / "a.csv", content), header_row=1)
    assert datas(records) == [{"nom": "A", "ville": "Rennes", "cp": "35000"}]
    assert numbers(records) == [3]


def test_csv_formula_like_cells_flagged(tmp_path: Path) -> None:
    content = 'nom,lien,tel\nA,"=HYPERLINK(""http://x"",""y"")",+33 6 12 34 56 78\n'
    record = read(write(tmp_path / "a.csv", content))[0]
    assert record.data["lien"] == '=HYPERLINK("http://x","y")'
    assert record.formulas == {"lien": '=HYPERLINK("http://x","y")'}


def test_csv_ten_megabyte_field_is_read(tmp_path: Path) -> None:
    big = "x" * (10 * 1024 * 1024)
    path = write(tmp_path / "a.csv", f'id,description\n1,"{big}"\n2,court\n')
    records = read(path)
    assert len(records[0].data["description"]) == len(big)
    assert records[1].data == {"id": "2", "description": "court"}
    assert numbers(records) == [2, 3]


# --- JSON --------------------------------------------------------------------------------------


def test_json_top_level_array(tmp_path: Path) -> None:
    records = [
        {"id": "a", "n": 3, "x": 1.5, "tags": ["a", "b"], "adresse": {"cp": "35000"}},
        {"id": "b", "n": None, "ok": True},
    ]
    path = write(tmp_path / "a.json", json.dumps(records, indent=2))
    assert detect(path).format == "json"
    got = read(path)
    assert datas(got) == records
    assert numbers(got) == [1, 2]
    assert type(got[0].data["n"]) is int
    assert type(got[0].data["x"]) is float


def test_json_object_with_records_path(tmp_path: Path) -> None:
    page = {"count": 2, "results": [{"id": 1}, {"id": 2}], "next": None}
    path = write(tmp_path / "a.json", json.dumps(page))
    assert datas(read(path, records_path="results")) == [{"id": 1}, {"id": 2}]


def test_json_nested_records_path(tmp_path: Path) -> None:
    doc = {"meta": {}, "data": {"total": 1, "items": [{"id": "x"}]}}
    path = write(tmp_path / "a.json", json.dumps(doc))
    assert datas(read(path, records_path="data.items")) == [{"id": "x"}]


def test_json_empty_array_is_no_records(tmp_path: Path) -> None:
    assert read(write(tmp_path / "a.json", '{"results": []}'), records_path="results") == []
    assert read(write(tmp_path / "b.json", "[]")) == []


def test_json_with_bom(tmp_path: Path) -> None:
    path = write(tmp_path / "a.json", '\ufeff[{"id": 1}]')
    assert datas(read(path)) == [{"id": 1}]


def test_json_lines(tmp_path: Path) -> None:
    content = '{"id": 1, "a": {"b": [1]}}\n\n{"id": 2}\n'
    for name in ("a.jsonl", "a.ndjson", "a.json"):
        path = write(tmp_path / name, content)
        assert detect(path).format == "jsonl"
        records = read(path)
        assert datas(records) == [{"id": 1, "a": {"b": [1]}}, {"id": 2}]
        assert numbers(records) == [1, 3]


def test_json_pretty_object_is_not_json_lines(tmp_path: Path) -> None:
    path = write(tmp_path / "a.json", json.dumps({"results": [{"id": 1}]}, indent=2))
    assert detect(path).format == "json"


def test_json_pages_folder(tmp_path: Path) -> None:
    pages = tmp_path / "pages"
    pages.mkdir()
    for n in (1, 2, 10):
        doc = {"results": [{"id": f"{n}-a"}, {"id": f"{n}-b"}]}
        write(pages / f"page-{n}.json", json.dumps(doc))
    write(pages / "notes.txt", "ignored")
    info = detect(pages)
    assert info.format == "json-pages"
    records = list(open_records([pages], ReaderOptions(records_path="results")))
    assert [r.data["id"] for r in records] == ["1-a", "1-b", "2-a", "2-b", "10-a", "10-b"]
    assert [Path(r.file).name for r in records][:3] == ["page-1.json", "page-1.json", "page-2.json"]
    assert numbers(records) == [1, 2, 1, 2, 1, 2]


def test_open_records_several_files_in_order(tmp_path: Path) -> None:
    first = write(tmp_path / "a.json", '[{"id": 1}]')
    second = write(tmp_path / "b.json", '[{"id": 2}, {"id": 3}]')
    records = list(open_records([second, first], ReaderOptions()))
    assert [(Path(r.file).name, r.data["id"]) for r in records] == [
        ("b.json", 2),
        ("b.json", 3),
        ("a.json", 1),
    ]


# --- XML ---------------------------------------------------------------------------------------

XML = """<?xml version="1.0" encoding="UTF-8"?>
<o:offres xmlns:o="urn:example:offres" xmlns="urn:example:default">
  <o:meta><o:total>2</o:total></o:meta>
  <o:organisme id="1" o:type="asso">
    <nom>Asso A</nom>
    <adresse><rue>1 rue X</rue><cp>35000</cp></adresse>
    <service>S1</service>
    <service>S2</service>
    <tel type="fixe">02 99 00 00 00</tel>
    <vide/>
  </o:organisme>
  <o:organisme id="2"><nom> B </nom></o:organisme>
</o:offres>
"""


def test_xml_namespaces_attributes_nested_repeated(tmp_path: Path) -> None:
    records = read(write(tmp_path / "a.xml", XML), records_path="offres/organisme")
    assert datas(records) == [
        {
            "@id": "1",
            "@type": "asso",
            "nom": "Asso A",
            "adresse": {"rue": "1 rue X", "cp": "35000"},
            "service": ["S1", "S2"],
            "tel": {"@type": "fixe", "#text": "02 99 00 00 00"},
            "vide": None,
        },
        {"@id": "2", "nom": "B"},
    ]
    assert numbers(records) == [1, 2]
    # the last part of the path is enough
    assert len(read(tmp_path / "a.xml", records_path="organisme")) == 2


def test_xml_default_records_are_children_of_root(tmp_path: Path) -> None:
    path = write(
        tmp_path / "a.xml", "<lieux><lieu><nom>A</nom></lieu><lieu><nom>B</nom></lieu></lieux>"
    )
    assert datas(read(path)) == [{"nom": "A"}, {"nom": "B"}]


# --- spreadsheets ------------------------------------------------------------------------------


def test_xlsx_values(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "a.xlsx",
        {
            "Lieux": [
                [" Nom ", "SIRET", "Code postal", "Date", "Ouvert", "Nom", "Prix"],
                ["A", 1.2345678901234e13, 35000.0, dt.date(2024, 3, 1), True, " x ", 2.5],
                [None] * 7,
                ["B", 12345678901234, 29200, dt.datetime(2024, 3, 1, 9, 30), False, "", 0.1],
            ]
        },
    )
    info = detect(path)
    assert (info.format, info.sheet, info.encoding) == ("xlsx", "Lieux", None)
    records = read(path)
    assert datas(records) == [
        {
            "Nom": "A",
            "SIRET": "12345678901234",
            "Code postal": "35000",
            "Date": "2024-03-01",
            "Ouvert": "true",
            "Nom_2": "x",
            "Prix": "2.5",
        },
        {
            "Nom": "B",
            "SIRET": "12345678901234",
            "Code postal": "29200",
            "Date": "2024-03-01T09:30:00",
            "Ouvert": "false",
            "Nom_2": None,
            "Prix": "0.1",
        },
    ]
    assert numbers(records) == [2, 4]


def test_xlsx_chosen_sheet(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "a.xlsx", {"Notes": [["x"], ["1"]], "Lieux": [["nom"], ["A"], ["B"]]}
    )
    assert datas(read(path)) == [{"x": "1"}]
    assert datas(read(path, sheet="Lieux")) == [{"nom": "A"}, {"nom": "B"}]
    assert datas(read(path, sheet=1)) == [{"nom": "A"}, {"nom": "B"}]
    assert detect(path, ReaderOptions(sheet=1)).sheet == "Lieux"


def test_xlsx_header_row(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "a.xlsx",
        {"S": [["Liste tenue à la main, mise à jour mars 2024"], [], ["nom", "cp"], ["A", 35000]]},
    )
    records = read(path, header_row=1)
    assert datas(records) == [{"nom": "A", "cp": "35000"}]
    assert numbers(records) == [4]


def test_xlsx_data_not_in_first_column(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet["B3"], sheet["C3"], sheet["B4"], sheet["C5"] = "nom", "cp", "A", 29200
    workbook.save(tmp_path / "a.xlsx")
    records = read(tmp_path / "a.xlsx")
    assert datas(records) == [{"nom": "A", "cp": None}, {"nom": None, "cp": "29200"}]
    assert numbers(records) == [4, 5]


def test_xlsx_formulas_not_evaluated(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "a.xlsx",
        {"S": [["nom", "lien", "calc"], ["A", '=HYPERLINK("http://x","y")', "=1+1"]]},
    )
    # a formula-looking text typed as text (not a formula) comes back as it is
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["S"]
    sheet["A3"] = "@SUM(1,2)"
    sheet["A3"].data_type = "s"
    sheet["B3"] = "+33 6 12 34 56 78"
    workbook.save(path)
    records = read(path)
    # openpyxl stores no cached value: the formula text comes back, never a result
    assert records[0].data == {"nom": "A", "lien": '=HYPERLINK("http://x","y")', "calc": "=1+1"}
    assert records[0].formulas == {"lien": '=HYPERLINK("http://x","y")', "calc": "=1+1"}
    assert records[1].data == {"nom": "@SUM(1,2)", "lien": "+33 6 12 34 56 78", "calc": None}
    assert records[1].formulas == {"nom": "@SUM(1,2)"}


def test_xlsx_formula_with_cached_value(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "a.xlsx", {"S": [["nom", "lien"], ["A", "placeholder"]]})
    # rewrite the cell as a formula with a cached result, as Excel saves it
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    sheet_xml = parts["xl/worksheets/sheet1.xml"].decode()
    cell = sheet_xml[sheet_xml.index('<c r="B2"') :]
    cell = cell[: cell.index("</c>") + 4]
    formula = '<c r="B2" t="str"><f>HYPERLINK("http://x","voir")</f><v>voir</v></c>'
    parts["xl/worksheets/sheet1.xml"] = sheet_xml.replace(cell, formula).encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    record = read(path)[0]
    assert record.data == {"nom": "A", "lien": "voir"}
    assert record.formulas == {"lien": '=HYPERLINK("http://x","voir")'}


def test_ods_values_and_formulas(tmp_path: Path) -> None:
    path = write_ods(
        tmp_path / "a.ods",
        {
            "Feuille1": [
                [ods_text(" Nom "), ods_text("CP"), ods_text("Lien"), ods_text("Calc")],
                [ods_empty(4)],
                [
                    ods_text("A"),
                    ods_number(35000),
                    ods_formula('of:=HYPERLINK("http://x";"y")', cached="y"),
                    ods_formula("of:=SUM(1;2)"),
                ],
                [ods_text("B"), ods_number(29200.0), ods_text("=cmd|' /C calc'!A0"), ods_empty()],
            ]
        },
    )
    info = detect(path)
    assert (info.format, info.sheet) == ("ods", "Feuille1")
    records = read(path)
    assert datas(records) == [
        {"Nom": "A", "CP": "35000", "Lien": "y", "Calc": "=SUM(1;2)"},
        {"Nom": "B", "CP": "29200", "Lien": "=cmd|' /C calc'!A0", "Calc": None},
    ]
    assert records[0].formulas == {"Lien": '=HYPERLINK("http://x";"y")', "Calc": "=SUM(1;2)"}
    assert records[1].formulas == {"Lien": "=cmd|' /C calc'!A0"}
    assert numbers(records) == [3, 4]


def test_ods_chosen_sheet(tmp_path: Path) -> None:
    path = write_ods(
        tmp_path / "a.ods",
        {
            "Notes": [[ods_text("x")], [ods_text("1")]],
            "Lieux": [[ods_text("nom")], [ods_formula('of:=UPPER("a")')], [ods_text("B")]],
        },
    )
    records = read(path, sheet="Lieux")
    assert datas(records) == [{"nom": '=UPPER("a")'}, {"nom": "B"}]
    assert records[0].formulas == {"nom": '=UPPER("a")'}
    assert datas(read(path, sheet=0)) == [{"x": "1"}]


def test_formula_like() -> None:
    for text in [
        '=HYPERLINK("http://x","y")',
        "=1+1",
        "+SUM(A1)",
        "-cmd(1)",
        "@SUM(1,2)",
        "+cmd|x",
    ]:
        assert formula_like(text), text
    for text in ["+33 6 12 34 56 78", "-5", "- voir plus", "@asso", "a=b", "=", "", "email@x.fr"]:
        assert not formula_like(text), text


# --- detection ---------------------------------------------------------------------------------


def test_detect_by_content_when_extension_unknown(tmp_path: Path) -> None:
    cases = {
        "a.dat": ("[1]", "json"),
        "b.dat": ('{"a": 1}\n{"a": 2}\n', "jsonl"),
        "c.dat": ("  <?xml version='1.0'?><a/>", "xml"),
        "d": ("nom;cp\nA;1\n", "csv"),
    }
    for name, (content, fmt) in cases.items():
        assert detect(write(tmp_path / name, content)).format == fmt, name
    write_xlsx(tmp_path / "e.bin", {"S": [["a"]]})
    write_ods(tmp_path / "f.bin", {"S": [[ods_text("a")]]})
    assert detect(tmp_path / "e.bin").format == "xlsx"
    assert detect(tmp_path / "f.bin").format == "ods"


def test_detect_explicit_format_and_info(tmp_path: Path) -> None:
    path = write(tmp_path / "export.data", "a|b\n1|2\n")
    info = detect(path, ReaderOptions(format="csv"))
    assert info == FileInfo(str(path), "csv", "utf-8", "|", None, 8, ())


# --- errors ------------------------------------------------------------------------------------


def test_error_empty_file(tmp_path: Path) -> None:
    for name in ("a.csv", "a.json", "a.xml", "a.xlsx"):
        error = read_error(write(tmp_path / name, b""))
        assert str(error) == f"{tmp_path / name}: file is empty"
    assert "file is empty" in str(read_error(write(tmp_path / "b.csv", "\ufeff  \n\n")))


def test_error_missing_file(tmp_path: Path) -> None:
    assert "file not found" in str(read_error(tmp_path / "nope.csv"))


def test_error_binary_junk(tmp_path: Path) -> None:
    error = read_error(write(tmp_path / "a.csv", b"nom\nab\x00\x01\x02cd\n"))
    assert "not a text file" in str(error)
    assert error.line == 2
    assert "not a text file" in str(read_error(write(tmp_path / "a.json", b"\x00\x00[]")))


def test_error_undecodable_in_all_encodings(tmp_path: Path) -> None:
    # 0x81 is neither valid UTF-8 here nor defined in CP1252
    error = read_error(write(tmp_path / "a.csv", b"nom\nok\n\x81\xff\n"))
    assert str(error) == f"{tmp_path / 'a.csv'}, line 3: not a text file (neither UTF-8 nor CP1252)"


def test_error_spreadsheet_with_csv_extension(tmp_path: Path) -> None:
    write_xlsx(tmp_path / "a.csv", {"S": [["a"]]})
    assert "ZIP archive" in str(read_error(tmp_path / "a.csv"))


def test_error_truncated_json(tmp_path: Path) -> None:
    path = write(tmp_path / "a.json", '[{"a": 1}, {"a": 2}, {"a": ')
    with pytest.raises(ReadError, match="JSON ends unexpectedly after record 2") as caught:
        for _ in iter_records(path):
            pass
    assert caught.value.file == str(path)


def test_error_invalid_json(tmp_path: Path) -> None:
    path = write(tmp_path / "a.json", '[{"a": 1}, {"a" 2}]')
    message = str(read_error(path))
    assert "invalid JSON after record 1" in message
    assert "colon" in message


def test_error_wrong_records_path(tmp_path: Path) -> None:
    path = write(tmp_path / "a.json", json.dumps({"a": 1, "b": {"c": []}, "data": {}}))
    error = read_error(path, records_path="results")
    assert str(error) == f"{path}: no array at 'results'; top-level keys are: a, b, data"
    error = read_error(path, records_path="data")
    assert "no array at 'data' (it holds an object); top-level keys are: a, b, data" in str(error)


def test_error_object_without_records_path(tmp_path: Path) -> None:
    path = write(tmp_path / "a.json", json.dumps({"count": 1, "results": [{"id": 1}]}))
    message = str(read_error(path))
    assert "top-level value is an object" in message
    assert "top-level keys are: count, results" in message


def test_error_records_are_not_objects(tmp_path: Path) -> None:
    assert "record 2 is a string, not an object" in str(
        read_error(write(tmp_path / "a.json", '[{"a": 1}, "x"]'))
    )


def test_error_invalid_json_line(tmp_path: Path) -> None:
    path = write(tmp_path / "a.jsonl", '{"a": 1}\n{"a": 2}\n{"a": ')
    error = read_error(path)
    assert error.line == 3
    assert "line 3 is not valid JSON" in str(error)
    assert "truncated" in str(error)


def test_error_invalid_xml(tmp_path: Path) -> None:
    path = write(
        tmp_path / "a.xml", "<lieux>\n<lieu><nom>A</nom></lieu>\n<lieu><nom>B</lieu>\n</lieux>"
    )
    error = read_error(path)
    assert error.line == 3
    assert "invalid XML at line 3, column" in str(error)
    assert "mismatched tag" in str(error)
    assert "after record 1" in str(error)


def test_error_xml_entities_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "a.xml", '<!DOCTYPE a [<!ENTITY x "yyyy">]><a><b>&x;</b></a>')
    assert "refused" in str(read_error(path))


def test_error_xml_records_path_not_found(tmp_path: Path) -> None:
    error = read_error(write(tmp_path / "a.xml", XML), records_path="offres/lieu")
    assert "no element at 'offres/lieu'" in str(error)
    assert "offres/organisme" in str(error)


def test_error_csv_row_with_more_fields_than_header(tmp_path: Path) -> None:
    path = write(tmp_path / "a.csv", 'nom;cp\nA;35000\nB;"2\n9";200;oops\n')
    error = read_error(path)
    assert error.line == 3
    assert str(error) == f"{path}, line 3: line 3 has 4 fields but the header (line 1) has 2"


def test_error_missing_sheet(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "a.xlsx", {"Lieux": [["a"]], "Notes": [["b"]]})
    error = read_error(path, sheet="Services")
    assert str(error) == f"{path}: no sheet named 'Services'; the sheets are: 'Lieux', 'Notes'"
    assert "no sheet number 5" in str(read_error(path, sheet=5))
    ods = write_ods(tmp_path / "a.ods", {"Feuille1": [[ods_text("a")]]})
    assert "the sheets are: 'Feuille1'" in str(read_error(ods, sheet="Lieux"))


def test_error_field_beyond_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(base, "MAX_FIELD_BYTES", 1000)
    path = write(tmp_path / "a.csv", f'id,desc\n1,ok\n2,"{"x" * 2000}"\n3,ok\n')
    error = read_error(path)
    assert error.line == 3
    assert "a field of the record starting at line 3 is larger than 1000 characters" in str(error)


def test_error_unclosed_quote(tmp_path: Path) -> None:
    path = write(tmp_path / "a.csv", 'id,desc\n1,ok\n2,"never closed\n3,ok\n')
    error = read_error(path)
    assert error.line == 3
    assert "never closed" in str(error)


def test_error_not_a_spreadsheet(tmp_path: Path) -> None:
    assert "not a readable spreadsheet" in str(
        read_error(write(tmp_path / "a.xlsx", b"PK\x03\x04xx"))
    )


# --- memory ------------------------------------------------------------------------------------

RECORDS = 200_000
PEAK_LIMIT = 20 * 1024 * 1024


def _peak_while_reading(path: Path, options: ReaderOptions) -> tuple[int, int]:
    tracemalloc.start()
    try:
        count = sum(1 for _ in iter_records(path, options))
        return count, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_does_not_grow_with_file_size(tmp_path: Path) -> None:
    filler = "Accompagnement social et professionnel, aide aux démarches. " * 4
    json_path = tmp_path / "big.json"
    with json_path.open("w", encoding="utf-8") as f:
        f.write("[\n")
        for i in range(RECORDS):
            sep = ",\n" if i else ""
            f.write(
                f'{sep}{{"id": "{i}", "nom": "Structure {i}", "n": {i}, "description": "{filler}"}}'
            )
        f.write("\n]\n")
    csv_path = tmp_path / "big.csv"
    with csv_path.open("w", encoding="utf-8") as f:
        f.write("id;nom;description\n")
        for i in range(RECORDS):
            f.write(f'{i};Structure {i};"{filler}"\n')
    for path, options in ((json_path, ReaderOptions()), (csv_path, ReaderOptions())):
        size = path.stat().st_size
        assert size > 2 * PEAK_LIMIT
        count, peak = _peak_while_reading(path, options)
        assert count == RECORDS
        assert peak < PEAK_LIMIT, f"{path.name}: peak {peak / 1e6:.1f} MB for {size / 1e6:.0f} MB"
