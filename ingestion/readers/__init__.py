"""Streaming readers for producers' files: CSV, JSON, JSON Lines, JSON pages, XML, XLSX, ODS."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path

from ingestion.readers.base import (
    MAX_FIELD_BYTES,
    FileInfo,
    ReaderOptions,
    ReadError,
    Record,
    formula_like,
)
from ingestion.readers.csv_reader import read_csv
from ingestion.readers.detect import detect, json_pages
from ingestion.readers.json_reader import read_json, read_jsonl
from ingestion.readers.sheets import read_sheet
from ingestion.readers.xml_reader import read_xml

__all__ = [
    "MAX_FIELD_BYTES",
    "FileInfo",
    "ReadError",
    "ReaderOptions",
    "Record",
    "detect",
    "formula_like",
    "iter_records",
    "open_records",
]


def iter_records(path: Path, options: ReaderOptions = ReaderOptions()) -> Iterator[Record]:
    """Records of one file (or folder of JSON pages), read lazily; ReadError says what is wrong."""
    info = detect(path, options)
    if info.format == "csv":
        yield from read_csv(path, info, options)
    elif info.format == "json":
        yield from read_json(path, options)
    elif info.format == "jsonl":
        yield from read_jsonl(path)
    elif info.format == "json-pages":
        page_options = replace(options, format="json")
        for page in json_pages(path):
            yield from iter_records(page, page_options)
    elif info.format == "xml":
        yield from read_xml(path, options)
    else:
        yield from read_sheet(path, info.format, options)


def open_records(paths: Sequence[Path], options: ReaderOptions) -> Iterator[Record]:
    """Records of several files in order; a directory is a folder of JSON pages."""
    for path in paths:
        yield from iter_records(path, options)
