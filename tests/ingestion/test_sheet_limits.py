"""Spreadsheet bombs: a small file that would take gigabytes or minutes to read is refused with
one line naming the file and the limit, before (or while) a child process parses it, and the
process reading it carries on."""

from __future__ import annotations

import struct
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest

from ingestion.readers import ReaderOptions, ReadError, detect, iter_records, sheet_limits
from ingestion.readers.sheet_limits import SheetLimits

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
DOC_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"

# --- minimal files, built by hand -------------------------------------------------------------


def xlsx(
    path: Path,
    sheet_data: str,
    *,
    dimension: str | None = None,
    extra: dict[str, bytes] | None = None,
    sheet: str = "S",
) -> Path:
    """A minimal XLSX whose one sheet holds `sheet_data` (the <sheetData> children)."""
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
            'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
        ),
        "_rels/.rels": (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{RELS}">'
            f'<Relationship Id="rId1" Type="{DOC_RELS}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>"
        ),
        "xl/workbook.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" '
            f'xmlns:r="{DOC_RELS}"><sheets><sheet name="{sheet}" sheetId="1" r:id="rId1"/>'
            "</sheets>"
            "</workbook>"
        ),
        "xl/_rels/workbook.xml.rels": (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{RELS}">'
            f'<Relationship Id="rId1" Type="{DOC_RELS}/worksheet" '
            'Target="worksheets/sheet1.xml"/></Relationships>'
        ),
        "xl/worksheets/sheet1.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}">{dim}'
            f"<sheetData>{sheet_data}</sheetData></worksheet>"
        ),
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return path


def text_cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


HEADER = '<row r="1">' + text_cell("A1", "nom") + text_cell("B1", "ville") + "</row>"
ROW2 = '<row r="2">' + text_cell("A2", "CCAS") + text_cell("B2", "Rennes") + "</row>"

ODS_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
)


MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"'
    ' manifest:version="1.2"><manifest:file-entry manifest:full-path="/"'
    ' manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
    '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
    "</manifest:manifest>"
)


def ods(path: Path, tables: str) -> Path:
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ODS_NS} '
        f'office:version="1.2"><office:body><office:spreadsheet>{tables}</office:spreadsheet>'
        "</office:body></office:document-content>"
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            zipfile.ZipInfo("mimetype"),
            "application/vnd.oasis.opendocument.spreadsheet",
            compress_type=zipfile.ZIP_STORED,
        )
        archive.writestr("META-INF/manifest.xml", MANIFEST)
        archive.writestr("content.xml", content)
    return path


def ods_cell(text: str, repeat: int = 1) -> str:
    times = f' table:number-columns-repeated="{repeat}"' if repeat > 1 else ""
    return (
        f'<table:table-cell office:value-type="string"{times}><text:p>{text}</text:p>'
        "</table:table-cell>"
    )


def ods_row(*cells: str, repeat: int = 1) -> str:
    times = f' table:number-rows-repeated="{repeat}"' if repeat > 1 else ""
    return f"<table:table-row{times}>{''.join(cells)}</table:table-row>"


ODS_DATA = ods_row(ods_cell("nom"), ods_cell("ville")) + ods_row(
    ods_cell("CCAS"), ods_cell("Rennes")
)


def refusal(path: Path, **options: Any) -> str:
    started = time.monotonic()
    with pytest.raises(ReadError) as caught:
        for _ in iter_records(path, ReaderOptions(**options)):
            pass
    assert time.monotonic() - started < 30, "refused, but only after a long time"
    message = str(caught.value)
    assert message.startswith(str(path)) and "\n" not in message
    return message


# --- the sheet's size -----------------------------------------------------------------------------


def test_a_cell_at_the_far_corner_of_the_sheet_is_refused(tmp_path: Path) -> None:
    # 1.5 KB; the spreadsheet library would allocate 512 GiB for the rectangle up to XFD1048576
    far = xlsx(
        tmp_path / "far.xlsx",
        HEADER + '<row r="1048576">' + text_cell("XFD1048576", "x") + "</row>",
    )
    assert far.stat().st_size < 2000
    message = refusal(far)
    assert "1,048,576 rows by 16,384 columns" in message and "`cells`" in message


def test_a_formula_a_billion_rows_down_is_refused_at_once(tmp_path: Path) -> None:
    path = xlsx(
        tmp_path / "f.xlsx", HEADER + '<row r="900000000"><c r="A900000000"><f>1+1</f></c></row>'
    )
    assert "beyond the largest sheet" in refusal(path)


def test_the_declared_dimension_is_held_to_the_limit(tmp_path: Path) -> None:
    path = xlsx(tmp_path / "d.xlsx", HEADER + ROW2, dimension="A1:ZZ100000")
    message = refusal(path)
    assert "declares 100,000 rows by 702 columns" in message
    assert "the limit is 10,000,000 cells" in message
    # a dimension that tells the truth reads as before
    fine = xlsx(tmp_path / "ok.xlsx", HEADER + ROW2, dimension="A1:B2")
    assert [r.data for r in iter_records(fine)] == [{"nom": "CCAS", "ville": "Rennes"}]


def test_styled_empty_cells_at_the_edge_are_not_data(tmp_path: Path) -> None:
    # a formatted but empty cell far away is nothing to read (spreadsheets save such cells)
    path = xlsx(
        tmp_path / "s.xlsx", HEADER + ROW2 + '<row r="1048576"><c r="XFD1048576" s="1"/></row>'
    )
    assert [r.data for r in iter_records(path)] == [{"nom": "CCAS", "ville": "Rennes"}]


def test_the_cell_limit_can_be_set_per_producer(tmp_path: Path) -> None:
    rows = "".join(
        f'<row r="{n}">' + text_cell(f"A{n}", f"x{n}") + text_cell(f"B{n}", "y") + "</row>"
        for n in range(2, 60)
    )
    path = xlsx(tmp_path / "p.xlsx", HEADER + rows)
    assert "51 rows by 2 columns = 102 cells; the limit is 100 cells" in refusal(
        path, limits={"cells": 100}
    )
    assert len(list(iter_records(path, ReaderOptions(limits={"cells": 118})))) == 58


def test_ods_rows_repeated_a_billion_times_are_refused(tmp_path: Path) -> None:
    bomb = ods(
        tmp_path / "r.ods",
        f'<table:table table:name="F">{ODS_DATA}{ods_row(ods_cell("x"), repeat=900_000_000)}'
        "</table:table>",
    )
    assert bomb.stat().st_size < 1000
    assert "sheet 'F' spans 900,000,002 rows" in refusal(bomb)
    wide = ods(
        tmp_path / "c.ods",
        f'<table:table table:name="F">{ODS_DATA}{ods_row(ods_cell("x", repeat=5_000))}'
        f"{ods_row(ods_cell('y'), repeat=3_000)}</table:table>",
    )
    # 3 003 rows of 5 000 columns: within a sheet's edges, beyond the cell limit
    assert "3,003 rows by 5,000 columns = 15,015,000 cells" in refusal(wide)


def test_every_ods_table_is_checked_not_only_the_chosen_one(tmp_path: Path) -> None:
    # the library reads every table of an ODS when it opens it
    path = ods(
        tmp_path / "t.ods",
        f'<table:table table:name="F">{ODS_DATA}</table:table>'
        f'<table:table table:name="G">{ods_row(ods_cell("x", repeat=16_000), repeat=1_000)}'
        "</table:table>",
    )
    assert "sheet 'G' spans 1,000 rows by 16,000 columns" in refusal(path, sheet="F")


def test_ods_padding_to_the_sheets_edge_is_read(tmp_path: Path) -> None:
    # what LibreOffice saves after the data: empty rows and cells repeated to the sheet's edge
    padding = ods_row(
        '<table:table-cell table:style-name="ce1" table:number-columns-repeated="16384"/>',
        repeat=1_048_574,
    )
    path = ods(
        tmp_path / "lo.ods", f'<table:table table:name="F">{ODS_DATA}{padding}</table:table>'
    )
    assert [r.data for r in iter_records(path)] == [{"nom": "CCAS", "ville": "Rennes"}]


# --- the container --------------------------------------------------------------------------------


def test_a_zip_bomb_is_refused_from_its_directory(tmp_path: Path) -> None:
    # 4 MiB of one repeated shared string compress about a thousand times
    strings = b"<si><t>x</t></si>" * (4 * 1024 * 1024 // 17)
    sst = f'<sst xmlns="{MAIN}">'.encode() + strings + b"</sst>"
    path = xlsx(tmp_path / "z.xlsx", HEADER, extra={"xl/sharedStrings.xml": sst})
    assert path.stat().st_size < 20_000
    message = refusal(path)
    assert "'xl/sharedStrings.xml' is compressed" in message and "a zip bomb?" in message
    assert "`ratio`" in message


@pytest.mark.parametrize(
    ("limits", "expected"),
    [
        ({"members": 5}, "the archive has 6 members; the limit is 5 (`members`"),
        ({"member_mib": 1, "ratio": 10_000}, "unpacks to 2 MiB; the limit is 1 MiB (`member_mib`"),
        ({"total_mib": 1, "ratio": 10_000}, "the archive unpacks to 2 MiB; the limit is 1 MiB"),
    ],
    ids=["members", "member-size", "total-size"],
)
def test_container_limits(tmp_path: Path, limits: dict[str, int], expected: str) -> None:
    path = xlsx(
        tmp_path / "m.xlsx", HEADER, extra={"docProps/big.xml": b" " * (2 * 1024 * 1024 + 10)}
    )
    assert expected in refusal(path, limits=limits)


def test_a_forged_member_count_is_refused_before_the_directory_is_read(tmp_path: Path) -> None:
    path = xlsx(tmp_path / "n.xlsx", HEADER + ROW2)
    data = bytearray(path.read_bytes())
    at = data.rfind(b"PK\x05\x06")
    data[at + 8 : at + 12] = struct.pack("<HH", 60_000, 60_000)  # entries on disk, in all
    path.write_bytes(bytes(data))
    assert "the archive has 60,000 members" in refusal(path)


def test_an_extensionless_bomb_is_refused_while_detecting_its_format(tmp_path: Path) -> None:
    path = xlsx(
        tmp_path / "upload", HEADER, extra={"docProps/big.xml": b" " * (2 * 1024 * 1024 + 10)}
    )
    with pytest.raises(ReadError, match=r"compressed .* times"):
        detect(path)


# --- the process that reads -----------------------------------------------------------------------


def _busy_sheet(path: Path) -> Path:
    # a million small cells: several seconds of parsing, nothing a limit on size refuses
    row = "<c><v>1</v></c>" * 1000
    return xlsx(path, "".join(f"<row>{row}</row>" for _ in range(1000)))


def test_cpu_time_is_limited(tmp_path: Path) -> None:
    path = _busy_sheet(tmp_path / "cpu.xlsx")
    message = refusal(path, limits={"cpu_seconds": 1, "ratio": 10_000})
    assert "needs more than 1 s of CPU" in message and "`cpu_seconds`" in message


def test_memory_is_limited(tmp_path: Path) -> None:
    # one shared string of 96 MiB: the library holds it whole
    big = b"<sst><si><t>" + b"x" * (96 * 1024 * 1024) + b"</t></si></sst>"
    path = xlsx(tmp_path / "mem.xlsx", HEADER, extra={"xl/sharedStrings.xml": big})
    message = refusal(path, limits={"memory_mib": 64, "ratio": 100_000})
    assert "needs more than 64 MiB of memory" in message and "`memory_mib`" in message


def test_the_defaults_can_be_changed_for_a_deployment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = xlsx(tmp_path / "d.xlsx", HEADER + ROW2)
    monkeypatch.setattr(sheet_limits, "DEFAULT_LIMITS", SheetLimits(cells=2))
    assert "the limit is 2 cells" in refusal(path)


def test_limits_are_checked_when_given() -> None:
    with pytest.raises(ValueError, match=r"unknown key\(s\) \['cell'\]"):
        SheetLimits.from_mapping({"cell": 3})
    with pytest.raises(ValueError, match="`cells` must be a positive integer"):
        SheetLimits.from_mapping({"cells": "many"})


PRODUCER = """
[source]
slug = "tableur"
nom = "Tableur"
[reader]
format = "xlsx"
[reader.limits]
{limits}
[structures]
files = ["*.xlsx"]
id = "nom"
[structures.fields]
nom = "nom"
"""


def test_a_producer_sets_its_limits_in_its_mapping(tmp_path: Path) -> None:
    from ingestion import mapping_file

    (tmp_path / "tableur.toml").write_text(PRODUCER.format(limits="cells = 3"), encoding="utf-8")
    producer = mapping_file.load("tableur", tmp_path)
    options = producer.kinds["structures"].reader_options(producer.reader)
    assert options.limits == SheetLimits(cells=3)
    path = xlsx(tmp_path / "t.xlsx", HEADER + ROW2)
    assert "the limit is 3 cells" in refusal(path, limits=options.limits)
    (tmp_path / "tableur.toml").write_text(PRODUCER.format(limits="cell = 3"), encoding="utf-8")
    with pytest.raises(mapping_file.MappingError, match=r"limits: unknown key\(s\) \['cell'\]"):
        mapping_file.load("tableur", tmp_path)
