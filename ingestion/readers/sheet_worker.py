"""The process that parses a spreadsheet, under memory and CPU limits.

`sheets.py` starts it as `python -m ingestion.readers.sheet_worker JOB` (JOB: a JSON object) and
reads what it prints: one JSON object, `{"sheet": name}` or `{"error": message}`. In "rows" mode
it also writes the sheet's non-empty rows, one JSON array per line, to the job's `out` file.

Before the spreadsheet library sees the file, the sheet XML is streamed once: its declared
dimension and the rectangle its cells span (XLSX), or every table's rows and columns with their
repetitions (ODS), are held to the cell limit, and formula cells are collected (never evaluated).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import posixpath
import resource
import sys
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from xml.parsers import expat

import orjson
import python_calamine as calamine
from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeElementTree

from ingestion.readers.base import ReadError, Row, clean_cell, formula_like
from ingestion.readers.sheet_limits import MIB, SheetLimits, limit_key

# exit statuses the parent reads (besides 0, and the signals of the resource limits)
EXIT_REFUSED = 3
EXIT_MEMORY = 4

# the largest sheet Excel and LibreOffice make; calamine silently cuts what lies beyond
MAX_ROWS = 1_048_576
MAX_COLUMNS = 16_384

# names as the expat parser gives them: "namespace}local"
_ODS_TABLE_NS = "urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_ODS_OFFICE_NS = "urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
_TABLE = _ODS_TABLE_NS + "table"
_TABLE_ROW = _ODS_TABLE_NS + "table-row"
_TABLE_CELLS = (_ODS_TABLE_NS + "table-cell", _ODS_TABLE_NS + "covered-table-cell")
# beyond this a repeated ODS cell is padding to the sheet's edge, not data
_MAX_REPEATED_FORMULA_CELLS = 1024

# row index -> column index -> raw formula text ("=...")
FormulaMap = dict[int, dict[int, str]]


class Refused(Exception):
    """The file is refused; the message says why (without the file name, the parent adds it)."""


@dataclass
class Extent:
    """How far a sheet's cells holding something reach (0-based, -1: none), and how many."""

    last_row: int = -1
    last_col: int = -1
    cells: int = 0

    def size(self) -> int:
        return (self.last_row + 1) * (self.last_col + 1)


def limit_resources(limits: SheetLimits) -> None:
    memory = limits.memory_mib * MIB
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    # SIGXCPU at the soft limit, SIGKILL at the hard one should it be caught
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 5))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def main(argv: Sequence[str]) -> int:
    job = orjson.loads(argv[0])
    limits = SheetLimits(**job["limits"])
    limit_resources(limits)
    path, fmt, sheet = Path(job["path"]), job["format"], job["sheet"]
    try:
        if job["mode"] == "names":
            name = resolve(path, fmt, sheet)
            result: dict[str, Any] = {"sheet": name}
        else:
            name, count = write_rows(path, fmt, sheet, limits, Path(job["out"]))
            result = {"sheet": name, "rows": count}
    except (Refused, ReadError) as exc:
        message = exc.message if isinstance(exc, ReadError) else str(exc)
        sys.stdout.buffer.write(orjson.dumps({"error": message}) + b"\n")
        return EXIT_REFUSED
    except MemoryError:
        return EXIT_MEMORY
    sys.stdout.buffer.write(orjson.dumps(result) + b"\n")
    return 0


# --- which sheet --------------------------------------------------------------------------------


def resolve(path: Path, fmt: str, sheet: str | int | None) -> str:
    try:
        if fmt == "ods":
            return _ods_scan(path, sheet, None)[0]
        with zipfile.ZipFile(path) as archive:
            names = [n for n, _part in _xlsx_sheets(archive)]
        return sheet_name(names, sheet)
    except _BROKEN as exc:
        raise Refused(f"not a readable spreadsheet ({_reason(exc)})") from None


def sheet_name(names: Sequence[str], sheet: str | int | None) -> str:
    listed = ", ".join(repr(n) for n in names)
    if sheet is None:
        sheet = 0
    if isinstance(sheet, int):
        if 0 <= sheet < len(names):
            return names[sheet]
        raise Refused(f"no sheet number {sheet} (0-based); the sheets are: {listed}")
    if sheet in names:
        return sheet
    raise Refused(f"no sheet named {sheet!r}; the sheets are: {listed}")


# --- rows ---------------------------------------------------------------------------------------


def write_rows(
    path: Path, fmt: str, sheet: str | int | None, limits: SheetLimits, out: Path
) -> tuple[str, int]:
    """Check the sheet's size, then read it with calamine and write its non-empty rows."""
    try:
        if fmt == "ods":
            name, formulas = _ods_scan(path, sheet, limits)
        else:
            name, formulas = _xlsx_scan(path, sheet, limits)
    except _BROKEN as exc:
        raise Refused(f"not a readable spreadsheet ({_reason(exc)})") from None
    try:
        workbook = calamine.CalamineWorkbook.from_path(str(path))
        data = workbook.get_sheet_by_name(name)
        start = data.start or (0, 0)
        values = data.to_python(skip_empty_area=True)
    except (calamine.CalamineError, OSError, ValueError) as exc:
        raise Refused(f"not a readable spreadsheet ({exc})") from None
    count = 0
    with out.open("wb") as f:
        for number, cells, flagged in rows(values, start, formulas):
            if all(cell is None for cell in cells):
                continue  # the reader skips empty rows anyway
            f.write(orjson.dumps([number, cells, sorted(flagged.items())]) + b"\n")
            count += 1
    return name, count


def rows(values: list[list[Any]], start: tuple[int, int], formulas: FormulaMap) -> Iterator[Row]:
    """Rows numbered as the spreadsheet shows them; cells at their real column; formula cells
    flagged, their text standing in for a missing cached value (never their result)."""
    top, left = start
    height = max(top + len(values), max(formulas, default=-1) + 1)
    for index in range(height):
        offset = index - top
        cells: list[str | None] = []
        if 0 <= offset < len(values):
            cells = [None] * left
            cells += [cell_text(v) for v in values[offset]]
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


# --- size checks ----------------------------------------------------------------------------


def check_extent(
    limits: SheetLimits, rows: int, columns: int, *, what: str, sheet: str | None
) -> None:
    """Refuse a sheet laid out over more rows x columns than the limit, or beyond a sheet's edge."""
    where = f"sheet {sheet!r}" if sheet is not None else "the sheet"
    size = f"{_count(rows, 'row')} by {_count(columns, 'column')}"
    if rows > MAX_ROWS or columns > MAX_COLUMNS:
        raise Refused(
            f"{where} {what} {size}, beyond the largest sheet a spreadsheet can have "
            f"({MAX_ROWS:,} rows by {MAX_COLUMNS:,} columns)"
        )
    if rows * columns > limits.cells:
        raise Refused(
            f"{where} {what} {size} = {rows * columns:,} cells; the limit is {limits.cells:,} "
            f"cells {limit_key('cells')}"
        )


def _count(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


# --- XLSX ---------------------------------------------------------------------------------------


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _xlsx_sheets(archive: zipfile.ZipFile) -> list[tuple[str, str | None]]:
    """(name, part) of each sheet, in the workbook's order."""
    with archive.open("xl/workbook.xml") as stream:
        workbook = SafeElementTree.parse(stream).getroot()
    sheets: list[tuple[str, str | None]] = []
    for elem in workbook.iter():
        if _local(elem.tag) == "sheet":
            rel_id = next((v for k, v in elem.attrib.items() if _local(k) == "id"), None)
            sheets.append((elem.get("name", ""), rel_id))
    targets: dict[str, str] = {}
    if "xl/_rels/workbook.xml.rels" in archive.namelist():
        with archive.open("xl/_rels/workbook.xml.rels") as stream:
            rels = SafeElementTree.parse(stream).getroot()
        for rel in rels:
            target = rel.get("Target", "")
            part = (
                target[1:]
                if target.startswith("/")
                else posixpath.normpath(posixpath.join("xl", target))
            )
            targets[rel.get("Id", "")] = part
    return [(name, targets.get(rel_id or "")) for name, rel_id in sheets]


def _xlsx_scan(path: Path, sheet: str | int | None, limits: SheetLimits) -> tuple[str, FormulaMap]:
    with zipfile.ZipFile(path) as archive:
        sheets = _xlsx_sheets(archive)
        name = sheet_name([n for n, _part in sheets], sheet)
        part = dict(sheets)[name]
        if part is None or part not in archive.namelist():
            raise Refused(f"not a readable spreadsheet (no part holds sheet {name!r})")
        scan = _XlsxScan(limits, name)
        with archive.open(part) as stream:
            _feed(scan.parser, stream)
        return name, scan.formulas


class _XlsxScan:
    """One pass over a sheet's XML: its declared dimension, how far its cells holding a value
    or a formula reach (refused as soon as that is too far), and its formulas."""

    def __init__(self, limits: SheetLimits, name: str) -> None:
        self.limits, self.name = limits, name
        self.formulas: FormulaMap = {}
        self.shared: dict[str, str] = {}  # shared formula group -> its text
        self.last_row, self.last_col = -1, -1
        self.row, self.col = -1, -1
        self.holds = False
        self.formula: list[str] = []
        self.group: str | None = None
        self.parser = _parser(self.start, self.end)

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        local = tag[tag.rfind("}") + 1 :]
        if local == "c":
            ref = attrs.get("r")
            if ref:
                self.row, self.col = _cell_ref(ref)
            else:
                self.col += 1
            self.holds = False
        elif local == "v" or local == "is":
            self.holds = True
        elif local == "f":
            self.holds = True
            self.formula = []
            self.group = attrs.get("si")
            self.parser.CharacterDataHandler = self.formula.append
        elif local == "row":
            ref = attrs.get("r")
            self.row = int(ref) - 1 if ref else self.row + 1
            self.col = -1
        elif local == "dimension":
            declared = _dimension(attrs.get("ref", ""))
            if declared is not None:
                check_extent(self.limits, *declared, what="declares", sheet=self.name)

    def end(self, tag: str) -> None:
        local = tag[tag.rfind("}") + 1 :]
        if local == "c":
            if self.holds and (self.row > self.last_row or self.col > self.last_col):
                self.last_row = max(self.last_row, self.row)
                self.last_col = max(self.last_col, self.col)
                check_extent(
                    self.limits,
                    self.last_row + 1,
                    self.last_col + 1,
                    what="spans",
                    sheet=self.name,
                )
        elif local == "f":
            self.parser.CharacterDataHandler = None
            text, group = "".join(self.formula), self.group
            if text and group is not None:
                self.shared[group] = text
            elif not text and group is not None:
                # a shared formula's followers carry no text: report the first cell's
                text = self.shared.get(group, "")
            self.formulas.setdefault(self.row, {})[self.col] = "=" + text


def _cell_ref(ref: str) -> tuple[int, int]:
    letters = ref.rstrip("0123456789")
    if not letters.isalpha() or not letters.isascii() or len(letters) == len(ref):
        raise ValueError(f"invalid cell reference {ref[:20]!r}")
    col = 0
    for char in letters.upper():
        col = col * 26 + (ord(char) - ord("A") + 1)
    return int(ref[len(letters) :]) - 1, col - 1


def _dimension(ref: str) -> tuple[int, int] | None:
    """Rows x columns from A1 to the end of a `<dimension ref="A1:Z999">`; None if unreadable."""
    end = ref.rsplit(":", 1)[-1].replace("$", "")
    try:
        row, col = _cell_ref(end)
    except ValueError:
        return None
    return row + 1, col + 1


# --- ODS ----------------------------------------------------------------------------------------


@dataclass
class _Table:
    name: str
    chosen: bool
    row: int = 0
    extent: Extent = field(default_factory=Extent)


def _ods_scan(
    path: Path, sheet: str | int | None, limits: SheetLimits | None
) -> tuple[str, FormulaMap]:
    """The chosen table's name and formulas; with limits, every table is held to them (calamine
    reads them all). Without limits only the name is wanted: the scan stops at it."""
    scan = _OdsScan(sheet, limits)
    with (
        zipfile.ZipFile(path) as archive,
        archive.open("content.xml") as stream,
        contextlib.suppress(_Found),
    ):
        _feed(scan.parser, stream)
    return sheet_name(scan.names, sheet), scan.formulas


class _Found(Exception):
    """The chosen table is found, and its name was all that was wanted."""


class _OdsScan:
    """One pass over content.xml: each table's rows and columns holding something, counted with
    their repetitions and never expanded (refused as soon as a table is too big; the padding of
    empty rows and cells to the sheet's edge is not data), and the chosen table's formulas."""

    def __init__(self, sheet: str | int | None, limits: SheetLimits | None) -> None:
        self.want: str | int = 0 if sheet is None else sheet
        self.limits = limits
        self.names: list[str] = []
        self.found = False
        self.formulas: FormulaMap = {}
        self.depth = 0  # tables open, counting tables nested in cells
        self.table: _Table | None = None
        self.col, self.row_repeat, self.row_last_col, self.row_cells = 0, 1, -1, 0
        self.cell: dict[str, str] | None = None  # the open cell's attributes
        self.cell_holds = False  # the open cell has an element inside (a paragraph…)
        self.parser = _parser(self.start, self.end)

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        if self.cell is not None:
            self.cell_holds = True
        if tag == _TABLE:
            self.depth += 1
            if self.depth == 1:
                name = attrs.get(_ODS_TABLE_NS + "name", "")
                index, want = len(self.names), self.want
                chosen = not self.found and (
                    want == index if isinstance(want, int) else want == name
                )
                self.found = self.found or chosen
                self.table = _Table(name, chosen)
                self.names.append(name)
                if chosen and self.limits is None:
                    raise _Found
        elif self.depth != 1:
            return  # outside the tables, or in a table nested in a cell
        elif tag == _TABLE_ROW:
            self.col, self.row_last_col, self.row_cells = 0, -1, 0
            self.row_repeat = _repeat(attrs, "number-rows-repeated")
        elif tag in _TABLE_CELLS and self.cell is None:
            self.cell, self.cell_holds = attrs, False

    def end(self, tag: str) -> None:
        if tag == _TABLE:
            self.depth -= 1
            return
        if self.depth != 1 or self.table is None:
            return
        table = self.table
        if tag in _TABLE_CELLS and self.cell is not None:
            attrs, self.cell = self.cell, None
            repeat = _repeat(attrs, "number-columns-repeated")
            formula = attrs.get(_ODS_TABLE_NS + "formula")
            if formula is not None or _ODS_OFFICE_NS + "value-type" in attrs or self.cell_holds:
                self.row_last_col = self.col + repeat - 1
                self.row_cells += repeat
            if table.chosen and formula and repeat <= _MAX_REPEATED_FORMULA_CELLS:
                # "of:=SUM(A1;A2)": the part before "=" names the formula dialect
                text = formula[formula.find("=") :] if "=" in formula else "=" + formula
                for offset in range(repeat):
                    self.formulas.setdefault(table.row, {})[self.col + offset] = text
            self.col += repeat
        elif tag == _TABLE_ROW:
            repeat = self.row_repeat
            if self.row_cells:
                extent = table.extent
                extent.last_row = table.row + repeat - 1
                extent.last_col = max(extent.last_col, self.row_last_col)
                extent.cells += self.row_cells * repeat
                if self.limits is not None:
                    check_extent(
                        self.limits,
                        extent.last_row + 1,
                        extent.last_col + 1,
                        what="spans",
                        sheet=table.name,
                    )
            table.row += repeat


def _repeat(attrs: dict[str, str], attribute: str) -> int:
    raw = attrs.get(_ODS_TABLE_NS + attribute, "1")
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{attribute}={raw[:20]!r} is not a number") from None
    if value < 1:
        raise ValueError(f"{attribute}={value} is not a positive number")
    return value


# --- XML --------------------------------------------------------------------------------------

_CHUNK = 1024 * 1024


def _parser(start: Any, end: Any) -> Any:
    """An expat parser calling `start(tag, attributes)` and `end(tag)`, tags and attribute names
    as "namespace}local"; entity declarations and external entities refused, as defusedxml
    does (an entity expanding to gigabytes is another bomb)."""
    parser = expat.ParserCreate(namespace_separator="}")
    parser.buffer_text = True
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.EntityDeclHandler = _refuse_entities
    parser.UnparsedEntityDeclHandler = _refuse_entities
    parser.ExternalEntityRefHandler = _refuse_entities
    return parser


def _refuse_entities(*_args: Any) -> Any:
    raise Refused(
        "not a readable spreadsheet (its XML declares entities or refers to external ones)"
    )


def _feed(parser: Any, stream: IO[bytes]) -> None:
    while chunk := stream.read(_CHUNK):
        parser.Parse(chunk, False)
    parser.Parse(b"", True)


# a damaged archive or XML, whatever the library says
_BROKEN = (
    expat.ExpatError,
    zipfile.BadZipFile,
    KeyError,
    ValueError,
    OSError,
    EOFError,
    SafeElementTree.ParseError,
    DefusedXmlException,
)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, DefusedXmlException):
        return f"the XML declares entities or external references: {exc!r}"
    if isinstance(exc, KeyError):
        return f"{exc.args[0] if exc.args else 'a part'} is missing"
    return str(exc) or type(exc).__name__


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
