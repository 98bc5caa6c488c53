"""CSV through the csv module over a text stream, one record at a time."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Protocol

from ingestion.readers import base, encodings
from ingestion.readers.base import (
    FileInfo,
    ReaderOptions,
    ReadError,
    Record,
    Row,
    clean_cell,
    formula_like,
    tabular_records,
)


class _Reader(Protocol):
    line_num: int

    def __next__(self) -> list[str]: ...


def read_csv(path: Path, info: FileInfo, options: ReaderOptions) -> Iterator[Record]:
    """Records of a CSV file; a record's number is the line where it starts (header is line 1)."""
    file = str(path)
    encoding = info.encoding or "utf-8"
    limit = base.MAX_FIELD_BYTES
    # the default limit (128 KB) rejects legitimate long descriptions; the csv module counts
    # characters, so the byte limit is approximate for non-ASCII text
    csv.field_size_limit(limit)
    with path.open("rb") as raw:
        lines: Iterable[str]
        if encodings.is_single_byte(encoding):
            lines = _single_byte_lines(file, raw, encoding)
        else:
            lines = io.TextIOWrapper(raw, encoding=encoding, newline="")
        reader = csv.reader(_checked(file, lines), delimiter=info.delimiter or ",")
        rows = _rows(file, reader, encoding, limit)
        yield from tabular_records(file, rows, options.header_row, unit="line", items="fields")


def _single_byte_lines(file: str, raw: IO[bytes], encoding: str) -> Iterator[str]:
    """Lines of a CP1252 (Latin-1…) file; a line of UTF-8 in it is refused, not read as
    "BesanÃ§on": the file mixes encodings, or is UTF-8 and was declared otherwise."""
    for number, line in enumerate(raw, 1):
        if number == 1 and line.startswith(codecs.BOM_UTF8):
            raise ReadError(
                file,
                f"line 1 starts with a UTF-8 byte order mark, but the file is read as {encoding}: "
                'declare encoding = "utf-8" (or leave it out) if the file is UTF-8',
                line=1,
            )
        if encodings.is_utf8_text(line):
            text, misread = line.decode("utf-8"), line.decode(encoding, errors="replace")
            shown = encodings.excerpt(text, encodings.first_non_ascii(text))
            misread = encodings.excerpt(misread, encodings.first_non_ascii(misread))
            raise ReadError(
                file,
                f"line {number} is UTF-8 ({shown}), which {encoding} would read as {misread}: "
                f'save the whole file in one encoding and declare it (encoding = "utf-8", or '
                "leave it out to detect it)",
                line=number,
            )
        yield line.decode(encoding)


def _checked(file: str, lines: Iterable[str]) -> Iterator[str]:
    """Lines as they are, after a look for UTF-8 text that was encoded twice ("Ã©" for "é")."""
    for number, line in enumerate(lines, 1):
        found = encodings.double_encoded(line)
        if found is not None:
            index, seen, meant = found
            raise ReadError(
                file,
                f"line {number} holds {encodings.excerpt(line, index)}: UTF-8 text encoded "
                f'twice ("{seen}" for "{meant}"); fix the export, which converted text that '
                "already was UTF-8",
                line=number,
            )
        yield line


def _rows(file: str, reader: _Reader, encoding: str, limit: int) -> Iterator[Row]:
    end = 0
    held: Row | None = None
    unclosed = False
    while True:
        start = end + 1
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            if "field larger than field limit" in str(exc):
                message = (
                    f"a field of the record starting at line {start} is larger than "
                    f"{_size(limit)} (an unclosed quote?)"
                )
            else:
                message = f"invalid CSV in the record starting at line {start}: {exc}"
            raise ReadError(file, message, line=start) from None
        except UnicodeDecodeError as exc:
            near = reader.line_num + 1
            raise ReadError(
                file,
                f"cannot decode the text as {encoding} near line {near} ({exc.reason})",
                line=near,
            ) from None
        end = reader.line_num
        if held is not None:
            yield held
        cells = [clean_cell(field) for field in fields]
        flagged = {i: c for i, c in enumerate(cells) if c is not None and formula_like(c)}
        held = (start, cells, flagged)
        # an unclosed quote swallows the rest of the file, final line break included
        unclosed = end > start and bool(fields) and fields[-1].endswith(("\n", "\r"))
    if held is not None:
        if unclosed:
            raise ReadError(
                file, f"the quoted field of line {held[0]} is never closed", line=held[0]
            )
        yield held


def _size(limit: int) -> str:
    mb = 1024 * 1024
    return f"{limit // mb} MB" if limit % mb == 0 else f"{limit} characters"
