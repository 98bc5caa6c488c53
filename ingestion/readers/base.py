"""Types shared by the readers: options, records, file facts, errors, and the tabular helpers."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ingestion.readers.sheet_limits import SheetLimits

FORMATS = ("csv", "json", "jsonl", "json-pages", "xml", "xlsx", "ods")

# Above 16 MB a "field" is almost always an unclosed quote swallowing the rest of the file;
# module-level so a deployment (or a test) can change it.
MAX_FIELD_BYTES = 16 * 1024 * 1024

# A spreadsheet runs any cell starting with "="; "+", "-" and "@" only start a formula when a
# function name follows, which spares phone numbers ("+33 6...") and negative numbers.
_FUNCTION_CALL = re.compile(r"[+\-@][A-Za-z_][A-Za-z0-9_.]*\s*[(|]")


@dataclass(frozen=True)
class ReaderOptions:
    """How to read a file; every None means "detect it"."""

    format: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    records_path: str | None = None
    sheet: str | int | None = None
    header_row: int = 0
    # spreadsheets: what reading one may cost (None: sheet_limits.DEFAULT_LIMITS); a mapping
    # is a `[reader.limits]` table
    limits: SheetLimits | Mapping[str, int] | None = None


@dataclass(frozen=True)
class Record:
    """One record: where it is (file, 1-based number or line/row) and its values."""

    file: str
    number: int
    data: dict[str, Any]
    # column -> raw text of cells that were formulas or look like one (CSV and spreadsheets),
    # so the caller can flag them even when data holds the cached value
    formulas: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class FileInfo:
    """What detection found out about a file (or a folder of JSON pages)."""

    path: str
    format: str
    encoding: str | None
    delimiter: str | None
    sheet: str | None
    size: int
    warnings: tuple[str, ...] = ()


class ReadError(Exception):
    """A file cannot be read; the message names the file, where (line/record) and what is wrong."""

    def __init__(self, file: str, message: str, *, line: int | None = None) -> None:
        self.file = file
        self.message = message
        self.line = line
        where = f"{file}, line {line}" if line is not None else file
        super().__init__(f"{where}: {message}")


def formula_like(value: str) -> bool:
    """True when a spreadsheet would run this text as a formula (or DDE call) if typed in."""
    if len(value) < 2:
        return False
    if value[0] == "=":
        return True
    return value[0] in "+-@" and _FUNCTION_CALL.match(value) is not None


def clean_cell(value: str) -> str | None:
    """Strip surrounding whitespace; an empty cell is None; CRLF inside becomes LF."""
    value = value.strip()
    if "\r" in value:
        value = value.replace("\r\n", "\n")
    return value or None


# (line or row number as a person sees it, cleaned cells, column index -> raw formula text)
Row = tuple[int, list[str | None], dict[int, str]]


def header_names(cells: Sequence[str | None]) -> list[str | None]:
    """Column names from a header row: stripped, duplicates suffixed; None for an empty cell."""
    width = len(cells)
    while width and cells[width - 1] is None:
        width -= 1
    names: list[str | None] = []
    seen: set[str] = set()
    for cell in cells[:width]:
        if cell is None:
            names.append(None)
            continue
        name, n = cell, 1
        while name in seen:
            n += 1
            name = f"{cell}_{n}"
        seen.add(name)
        names.append(name)
    return names


def tabular_records(
    file: str, rows: Iterable[Row], header_row: int, *, unit: str, items: str
) -> Iterator[Record]:
    """Records from CSV lines or sheet rows: the header is the first non-empty row at or after
    header_row (0-based), entirely empty rows are skipped, numbers stay the real line/row."""
    names: list[str | None] | None = None
    header_line = 0
    for line, cells, formulas in rows:
        if all(cell is None for cell in cells):
            continue
        if names is None:
            if line - 1 < header_row:
                continue
            names, header_line = header_names(cells), line
            continue
        width = len(cells)
        while width > len(names) and cells[width - 1] is None:
            width -= 1
        if width > len(names):
            raise ReadError(
                file,
                f"{unit} {line} has {width} {items} but the header ({unit} {header_line}) "
                f"has {len(names)}",
                line=line,
            )
        data: dict[str, Any] = {}
        for index, name in enumerate(names):
            value = cells[index] if index < width else None
            if name is None:
                # unnamed columns (empty header cell) only matter when they hold something
                if value is None:
                    continue
                name = f"column_{index + 1}"
            data[name] = value
        flagged: dict[str, str] = {}
        for index, text in formulas.items():
            if index < len(names):
                flagged[names[index] or f"column_{index + 1}"] = text
        yield Record(file, line, data, flagged)
