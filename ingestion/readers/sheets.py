"""XLSX and ODS sheets through calamine; formula cells found in the sheet XML, never evaluated."""

from __future__ import annotations

import datetime as dt
import posixpath
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

import python_calamine as calamine
from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeElementTree

from ingestion.readers.base import (
    ReaderOptions,
    ReadError,
    Record,
    Row,
    clean_cell,
    formula_like,
    tabular_records,
)

_ODS_TABLE_NS = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
# beyond this a repeated ODS cell is padding to the sheet's edge, not data
_MAX_REPEATED_FORMULA_CELLS = 1024

# row index -> column index -> raw formula text ("=...")
FormulaMap = dict[int, dict[int, str]]


def resolve_sheet(path: Path, sheet: str | int | None) -> str:
    """Name of the chosen sheet (default: the first); ReadError listing the sheets if absent."""
    with _open(path) as workbook:
        return _sheet_name(str(path), workbook.sheet_names, sheet)


def read_sheet(path: Path, fmt: str, options: ReaderOptions) -> Iterator[Record]:
    """Records of one sheet; the number of a record is its row as the spreadsheet shows it."""
    file = str(path)
    with _open(path) as workbook:
        name = _sheet_name(file, workbook.sheet_names, options.sheet)
        # skip_empty_area=False keeps indexes absolute, so row numbers match what people see
        values = workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
    try:
        formulas = _ods_formulas(path, name) if fmt == "ods" else _xlsx_formulas(path, name)
    except (zipfile.BadZipFile, KeyError, SafeElementTree.ParseError, DefusedXmlException):
        # calamine read the values already; without the XML we only lose formula flags
        formulas = {}
    rows = _rows(values, formulas)
    yield from tabular_records(file, rows, options.header_row, unit="row", items="cells")


def cell_text(value: Any) -> str | None:
    """A calamine value as the string a person sees: integral floats without ".0", ISO dates."""
    if isinstance(value, str):
        return clean_cell(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return clean_cell(str(value))


def _open(path: Path) -> calamine.CalamineWorkbook:
    try:
        return calamine.CalamineWorkbook.from_path(str(path))
    except (calamine.CalamineError, OSError, ValueError) as exc:
        raise ReadError(str(path), f"not a readable spreadsheet ({exc})") from None


def _sheet_name(file: str, names: Sequence[str], sheet: str | int | None) -> str:
    listed = ", ".join(repr(n) for n in names)
    if sheet is None:
        sheet = 0
    if isinstance(sheet, int):
        if 0 <= sheet < len(names):
            return names[sheet]
        raise ReadError(file, f"no sheet number {sheet} (0-based); the sheets are: {listed}")
    if sheet in names:
        return sheet
    raise ReadError(file, f"no sheet named {sheet!r}; the sheets are: {listed}")


def _rows(values: list[list[Any]], formulas: FormulaMap) -> Iterator[Row]:
    height = max(len(values), max(formulas, default=-1) + 1)
    for index in range(height):
        cells = [cell_text(v) for v in values[index]] if index < len(values) else []
        flagged: dict[int, str] = {}
        for col, raw in formulas.get(index, {}).items():
            if col >= len(cells):
                cells.extend([None] * (col + 1 - len(cells)))
            if cells[col] is None:
                cells[col] = raw  # no cached value: the formula's text, never its result
            flagged[col] = raw
        for col, cell in enumerate(cells):
            if col not in flagged and cell is not None and formula_like(cell):
                flagged[col] = cell
        yield index + 1, cells, flagged


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _xlsx_formulas(path: Path, name: str) -> FormulaMap:
    with zipfile.ZipFile(path) as archive:
        part = _xlsx_sheet_part(archive, name)
        if part is None:
            return {}
        with archive.open(part) as stream:
            return _scan_xlsx_sheet(stream)


def _xlsx_sheet_part(archive: zipfile.ZipFile, name: str) -> str | None:
    with archive.open("xl/workbook.xml") as stream:
        workbook = SafeElementTree.parse(stream).getroot()
    rel_id = None
    for elem in workbook.iter():
        if _local(elem.tag) == "sheet" and elem.get("name") == name:
            rel_id = next((v for k, v in elem.attrib.items() if _local(k) == "id"), None)
            break
    if rel_id is None:
        return None
    with archive.open("xl/_rels/workbook.xml.rels") as stream:
        rels = SafeElementTree.parse(stream).getroot()
    for rel in rels:
        if rel.get("Id") == rel_id:
            target = rel.get("Target", "")
            if target.startswith("/"):
                return target[1:]
            return posixpath.normpath(posixpath.join("xl", target))
    return None


def _scan_xlsx_sheet(stream: IO[bytes]) -> FormulaMap:
    formulas: FormulaMap = {}
    shared: dict[str, str] = {}
    row, col = -1, -1
    for event, elem in SafeElementTree.iterparse(stream, events=("start", "end")):
        tag = _local(elem.tag)
        if event == "start":
            if tag == "row":
                ref = elem.get("r")
                row, col = (int(ref) - 1 if ref else row + 1), -1
            elif tag == "c":
                ref = elem.get("r")
                row, col = _cell_ref(ref) if ref else (row, col + 1)
            continue
        if tag == "c":
            formula = next((child for child in elem if _local(child.tag) == "f"), None)
            if formula is not None:
                text, group = formula.text, formula.get("si")
                if text and group is not None:
                    shared[group] = text
                elif not text and group is not None:
                    # a shared formula's followers carry no text: report the first cell's
                    text = shared.get(group)
                formulas.setdefault(row, {})[col] = "=" + (text or "")
            elem.clear()
        elif tag == "row":
            elem.clear()
    return formulas


def _cell_ref(ref: str) -> tuple[int, int]:
    letters = ref.rstrip("0123456789")
    col = 0
    for char in letters.upper():
        col = col * 26 + (ord(char) - ord("A") + 1)
    return int(ref[len(letters) :]) - 1, col - 1


def _ods_formulas(path: Path, name: str) -> FormulaMap:
    formulas: FormulaMap = {}
    tables: list[str | None] = []
    row, col = 0, 0
    with zipfile.ZipFile(path) as archive, archive.open("content.xml") as stream:
        for event, elem in SafeElementTree.iterparse(stream, events=("start", "end")):
            tag = _local(elem.tag)
            if tag == "table":
                if event == "start":
                    tables.append(elem.get(_ODS_TABLE_NS + "name"))
                    continue
                tables.pop()
                if not tables and elem.get(_ODS_TABLE_NS + "name") == name:
                    break
                elem.clear()
                continue
            if tables != [name]:
                continue  # another sheet, or a table nested in a cell
            if tag == "table-row":
                if event == "start":
                    col = 0
                else:
                    row += int(elem.get(_ODS_TABLE_NS + "number-rows-repeated", "1"))
                    elem.clear()
            elif tag in ("table-cell", "covered-table-cell") and event == "start":
                repeat = int(elem.get(_ODS_TABLE_NS + "number-columns-repeated", "1"))
                formula = elem.get(_ODS_TABLE_NS + "formula")
                if formula and repeat <= _MAX_REPEATED_FORMULA_CELLS:
                    # "of:=SUM(A1;A2)": the part before "=" names the formula dialect
                    text = formula[formula.find("=") :] if "=" in formula else "=" + formula
                    for offset in range(repeat):
                        formulas.setdefault(row, {})[col + offset] = text
                col += repeat
    return formulas
