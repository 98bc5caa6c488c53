"""Find a file's format, text encoding and CSV delimiter, reading as little of it as possible."""

from __future__ import annotations

import codecs
import csv
import re
import zipfile
from pathlib import Path

import orjson

from ingestion.readers import encodings
from ingestion.readers.base import FORMATS, FileInfo, ReaderOptions, ReadError
from ingestion.readers.sheet_limits import check_container
from ingestion.readers.sheets import limits_of, resolve_sheet

SNIFF_BYTES = 64 * 1024
CHUNK_BYTES = 1024 * 1024
# JSON Lines detection reads the first two lines; a minified JSON file is one huge line, so
# reading stops here and the file is taken for plain JSON.
FIRST_LINE_BYTES = 1024 * 1024
DELIMITERS = ",;\t|"

_EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".xml": "xml",
    ".xlsx": "xlsx",
    ".ods": "ods",
}
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_XML_ENCODING = re.compile(rb"""^<\?xml[^>]*encoding=["']([A-Za-z0-9._-]+)["']""")


def detect(path: Path, options: ReaderOptions = ReaderOptions()) -> FileInfo:
    """Format, encoding, delimiter and sheet of a file; ReadError if it cannot be read at all."""
    file = str(path)
    if path.is_dir():
        if options.format not in (None, "json-pages"):
            raise ReadError(file, "is a directory, which only the json-pages format reads")
        return _detect_pages(path)
    if not path.is_file():
        raise ReadError(file, "file not found")
    size = path.stat().st_size
    if size == 0:
        raise ReadError(file, "file is empty")
    with path.open("rb") as f:
        head = f.read(SNIFF_BYTES)
    fmt = options.format
    if fmt == "json-pages":
        fmt = "json"  # a single page
    if fmt is None:
        fmt = _EXTENSIONS.get(path.suffix.lower()) or _format_from_content(path, head, options)
        if fmt == "json":
            fmt = _json_or_jsonl(path)
    if fmt not in FORMATS:
        raise ReadError(file, f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    if fmt in ("xlsx", "ods"):
        return FileInfo(file, fmt, None, None, resolve_sheet(path, fmt, options), size)
    utf16 = head.startswith(_UTF16_BOMS) or (options.encoding or "").lower().startswith("utf-16")
    if not utf16:
        _check_text(file, head, size)
    if fmt == "csv":
        warnings: tuple[str, ...] = ()
        encoding = options.encoding
        if encoding is None:
            encoding, warnings = detect_encoding(path)
        else:
            encoding = _checked_encoding(file, encoding, head)
        if options.delimiter is not None and len(options.delimiter) != 1:
            raise ReadError(file, f"the delimiter must be one character, not {options.delimiter!r}")
        delimiter = options.delimiter or sniff_delimiter(path, encoding, options.header_row)
        return FileInfo(file, fmt, encoding, delimiter, None, size, warnings)
    if fmt == "xml":
        declared = _XML_ENCODING.match(head.removeprefix(codecs.BOM_UTF8))
        encoding = declared.group(1).decode("ascii") if declared else "utf-8"
        return FileInfo(file, fmt, encoding, None, None, size)
    return FileInfo(file, fmt, "utf-8", None, None, size)


def detect_encoding(path: Path) -> tuple[str, tuple[str, ...]]:
    """utf-8 (or utf-8-sig with a BOM) when the whole file decodes strictly, else cp1252 when no
    line is UTF-8; a file mixing both is refused, naming a line of each."""
    file = str(path)
    with path.open("rb") as f:
        start = f.read(4)
        if start.startswith(_UTF16_BOMS):
            return "utf-16", ()
        bom = start.startswith(codecs.BOM_UTF8)
        f.seek(len(codecs.BOM_UTF8) if bom else 0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        lines_before = 0
        try:
            while chunk := f.read(CHUNK_BYTES):
                nul = chunk.find(b"\x00")
                if nul >= 0:
                    line = lines_before + chunk.count(b"\n", 0, nul) + 1
                    raise ReadError(file, "not a text file (it contains NUL bytes)", line=line)
                lines_before += chunk.count(b"\n")
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
            return ("utf-8-sig" if bom else "utf-8"), ()
        except UnicodeDecodeError:
            pass
        f.seek(0)
        # the first line of each kind: (number, what it holds as a person would read it)
        utf8: tuple[int, str] | None = (1, "a UTF-8 byte order mark") if bom else None
        other: tuple[int, str] | None = None
        for number, raw in enumerate(f, 1):
            if number == 1 and bom:
                raw = raw[len(codecs.BOM_UTF8) :]
            if raw.isascii():
                continue
            if encodings.is_utf8_text(raw):
                if utf8 is None:
                    text = raw.decode("utf-8")
                    utf8 = (number, encodings.excerpt(text, encodings.first_non_ascii(text)))
            else:
                try:
                    text = raw.decode("cp1252")
                except UnicodeDecodeError:
                    raise ReadError(
                        file, "not a text file (neither UTF-8 nor CP1252)", line=number
                    ) from None
                if other is None:
                    other = (number, encodings.excerpt(text, encodings.first_non_ascii(text)))
            if utf8 is not None and other is not None:
                break
    if utf8 is None or other is None:
        return "cp1252", ()
    line = max(utf8[0], other[0])
    raise ReadError(
        file,
        f"mixed encodings: line {utf8[0]} is UTF-8 ({utf8[1]}) but line {other[0]} is not "
        f"(as CP1252: {other[1]}); save the whole file in one encoding, UTF-8 preferably",
        line=line,
    )


def sniff_delimiter(path: Path, encoding: str, header_row: int = 0) -> str:
    """csv.Sniffer over the first 64 KB, checked against (or replaced by) header line counts."""
    with path.open("rb") as f:
        head = f.read(SNIFF_BYTES)
        complete = len(head) < SNIFF_BYTES
    # a multibyte character may be cut at the end of the sample: "ignore" drops just that
    sample = head.decode(encoding, errors="ignore")
    sample = sample.lstrip("\ufeff")
    if not complete and "\n" in sample:
        sample = sample[: sample.rindex("\n") + 1]
    lines = [line for line in sample.splitlines()[header_row:] if line.strip()]
    header = lines[0] if lines else ""
    counts = {d: header.count(d) for d in DELIMITERS}
    counted = max(DELIMITERS, key=lambda d: counts[d])
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        sniffed = None
    # the Sniffer is fooled by commas inside text; trust it only if the header agrees
    if sniffed is not None and counts.get(sniffed, 0) > 0:
        return sniffed
    return counted if counts[counted] > 0 else ","


def _checked_encoding(file: str, encoding: str, head: bytes) -> str:
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        raise ReadError(file, f"unknown encoding {encoding!r}") from None
    # a BOM left in would stick to the first column's name
    if name == "utf-8" and head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    return encoding


def _detect_pages(path: Path) -> FileInfo:
    pages = json_pages(path)
    if not pages:
        raise ReadError(str(path), "no *.json pages in this directory")
    size = sum(page.stat().st_size for page in pages)
    return FileInfo(str(path), "json-pages", "utf-8", None, None, size)


def json_pages(directory: Path) -> list[Path]:
    """The *.json files of a directory by name, numbers compared as numbers (page_2 < page_10)."""

    def key(page: Path) -> list[tuple[int, int | str]]:
        return [
            (0, int(part)) if part.isdigit() else (1, part)
            for part in re.split(r"(\d+)", page.name)
            if part
        ]

    return sorted((p for p in directory.glob("*.json") if p.is_file()), key=key)


def _check_text(file: str, head: bytes, size: int) -> None:
    if head.startswith(_ZIP_MAGIC):
        raise ReadError(
            file,
            "not a text file (it is a ZIP archive: a spreadsheet with the wrong extension?)",
        )
    if head.startswith(_OLE_MAGIC):
        raise ReadError(file, "not a text file (it looks like an old Excel .xls workbook)")
    nul = head.find(b"\x00")
    if nul >= 0:
        line = head.count(b"\n", 0, nul) + 1
        raise ReadError(file, "not a text file (it contains NUL bytes)", line=line)
    if size <= len(head) and not head.removeprefix(codecs.BOM_UTF8).strip():
        raise ReadError(file, "file is empty")


def _format_from_content(path: Path, head: bytes, options: ReaderOptions) -> str:
    file = str(path)
    if head.startswith(_ZIP_MAGIC):
        return _zip_format(path, options)
    if head.startswith(_OLE_MAGIC):
        raise ReadError(file, "an old Excel .xls workbook, which is not supported: save as .xlsx")
    text = head.removeprefix(codecs.BOM_UTF8).lstrip()
    if text.startswith(b"<"):
        return "xml"
    if text.startswith((b"[", b"{")):
        return "json"
    return "csv"


def _zip_format(path: Path, options: ReaderOptions) -> str:
    file = str(path)
    check_container(path, limits_of(options))  # before anything is unpacked
    try:
        with zipfile.ZipFile(file) as archive:
            names = set(archive.namelist())
            if (
                "mimetype" in names
                and archive.getinfo("mimetype").file_size <= len(_ODS_MIMETYPE) + 2
                and archive.read("mimetype").strip() == _ODS_MIMETYPE
            ):
                return "ods"
            if "xl/workbook.xml" in names:
                return "xlsx"
    except zipfile.BadZipFile as exc:
        raise ReadError(file, f"not a valid ZIP archive ({exc})") from None
    raise ReadError(file, "a ZIP archive that is neither an XLSX nor an ODS spreadsheet")


def _json_or_jsonl(path: Path) -> str:
    """JSON Lines when the first line opens an object and the next non-blank line is an object."""
    with path.open("rb") as f:
        first = f.readline(FIRST_LINE_BYTES).removeprefix(codecs.BOM_UTF8)
        if not first.lstrip().startswith(b"{") or not first.endswith(b"\n"):
            return "json"
        second = f.readline(FIRST_LINE_BYTES)
        while second and not second.strip():
            second = f.readline(FIRST_LINE_BYTES)
    try:
        return "jsonl" if isinstance(orjson.loads(second), dict) else "json"
    except orjson.JSONDecodeError:
        return "json"
