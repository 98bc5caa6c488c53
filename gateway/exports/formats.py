"""Writers of exported rows, one per format, each streaming: rows are handed a page at a time
and written to a binary sink (a file, or the chunks of an HTTP answer) before the next page is
read, so memory is one page (a Parquet row group) whatever the size of the export.

- `csv`      UTF-8, a header of the schema's field names, lists in one cell as the data·inclusion
             reader takes them (`a,b`), formula-looking text neutralised;
- `json`     one top-level array; `jsonl` one object per line;
- `geojson`  a FeatureCollection of Points (longitude, latitude), a null geometry without them;
- `xlsx`     one sheet (openpyxl's write-only mode), cells as in CSV (it is written whole at the
             end, so over HTTP it goes through a temporary file);
- `parquet`  pyarrow, typed columns (dates, numbers, lists of text), row groups of 10 000."""

from __future__ import annotations

import contextlib
import csv
import io
from collections.abc import Sequence
from datetime import date
from typing import IO, Any, ClassVar

import orjson

from gateway.exports.rows import Column, cell, columns

Rows = Sequence[dict[str, Any]]


class FormatUnavailable(Exception):
    """A format whose library is not installed."""


class Writer:
    """Writes rows of one kind to `out`: `write(rows)` a page at a time, then `close()`."""

    extension: ClassVar[str]
    media_type: ClassVar[str]
    streamable: ClassVar[bool] = True  # False: nothing usable comes out before close()

    def __init__(self, out: IO[bytes], kind: str) -> None:
        self.out, self.kind, self.columns = out, kind, columns(kind)
        self.count = 0

    def write(self, rows: Rows) -> None:
        self._write(rows)
        self.count += len(rows)

    def _write(self, rows: Rows) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """Ends the document (a writer closes nothing of `out`)."""

    def discard(self) -> None:
        """Lets go of a document that will not be finished (a failure, a client gone)."""


class CsvWriter(Writer):
    extension, media_type = "csv", "text/csv; charset=utf-8"

    def __init__(self, out: IO[bytes], kind: str) -> None:
        super().__init__(out, kind)
        self._line([c.name for c in self.columns])

    def _line(self, *lines: Sequence[Any]) -> None:
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\r\n")
        writer.writerows(lines)
        self.out.write(text.getvalue().encode("utf-8"))

    def _write(self, rows: Rows) -> None:
        self._line(*([_csv_text(cell(c, row[c.name])) for c in self.columns] for row in rows))


def _csv_text(value: Any) -> Any:
    return "" if value is None else value


class JsonWriter(Writer):
    extension, media_type = "json", "application/json"
    _open, _close = b"[", b"]\n"

    def __init__(self, out: IO[bytes], kind: str) -> None:
        super().__init__(out, kind)
        self.out.write(self._open)

    def _item(self, row: dict[str, Any]) -> bytes:
        return orjson.dumps(row)

    def _write(self, rows: Rows) -> None:
        if not rows:
            return
        first = b"\n" if self.count == 0 else b",\n"
        self.out.write(first + b",\n".join(self._item(row) for row in rows))

    def close(self) -> None:
        self.out.write((b"\n" if self.count else b"") + self._close)


class JsonLinesWriter(Writer):
    extension, media_type = "jsonl", "application/jsonl"

    def _write(self, rows: Rows) -> None:
        self.out.write(b"".join(orjson.dumps(row) + b"\n" for row in rows))


class GeoJsonWriter(JsonWriter):
    extension, media_type = "geojson", "application/geo+json"
    _open, _close = b'{"type":"FeatureCollection","features":[', b"]}\n"

    def _item(self, row: dict[str, Any]) -> bytes:
        lon, lat = row.get("longitude"), row.get("latitude")
        geometry = (
            None
            if lon is None or lat is None
            else {"type": "Point", "coordinates": [float(lon), float(lat)]}
        )
        return orjson.dumps({"type": "Feature", "geometry": geometry, "properties": row})


XLSX_MAX_CHARS = 32_767  # what a cell of a spreadsheet holds


class XlsxWriter(Writer):
    extension = "xlsx"
    media_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    streamable = False

    def __init__(self, out: IO[bytes], kind: str) -> None:
        from openpyxl import Workbook

        super().__init__(out, kind)
        self._book = Workbook(write_only=True)
        self._sheet = self._book.create_sheet(kind)
        self._sheet.append([c.name for c in self.columns])

    def _write(self, rows: Rows) -> None:
        for row in rows:
            self._sheet.append([_xlsx(c, row[c.name]) for c in self.columns])

    def close(self) -> None:
        self._book.save(self.out)

    def discard(self) -> None:
        with contextlib.suppress(Exception):
            self._sheet.close()


def _xlsx(column: Column, value: Any) -> Any:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    value = cell(column, value)
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)[:XLSX_MAX_CHARS]
    return value


class ParquetWriter(Writer):
    extension, media_type = "parquet", "application/vnd.apache.parquet"
    ROW_GROUP = 10_000

    def __init__(self, out: IO[bytes], kind: str) -> None:
        super().__init__(out, kind)
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError:  # pragma: no cover - pyarrow is a dependency
            raise FormatUnavailable(
                "Parquet needs pyarrow: pip install pyarrow (see requirements/runtime.lock)"
            ) from None
        types = {
            "text": pa.string(),
            "list": pa.list_(pa.string()),
            "date": pa.date32(),
            "float": pa.float64(),
            "int": pa.int64(),
        }
        self._pa = pa
        self._schema = pa.schema([pa.field(c.name, types[c.type]) for c in self.columns])
        self._writer = pq.ParquetWriter(out, self._schema, compression="zstd")
        self._pending: list[dict[str, Any]] = []

    def _write(self, rows: Rows) -> None:
        self._pending.extend(rows)
        if len(self._pending) >= self.ROW_GROUP:
            self._flush()

    def _flush(self) -> None:
        if not self._pending:
            return
        arrays = {c.name: [_parquet(c, row[c.name]) for row in self._pending] for c in self.columns}
        table = self._pa.Table.from_pydict(arrays, schema=self._schema)
        self._writer.write_table(table, row_group_size=len(self._pending))
        self._pending = []

    def close(self) -> None:
        self._flush()
        self._writer.close()

    def discard(self) -> None:
        self._pending = []
        with contextlib.suppress(Exception):
            self._writer.close()


def _parquet(column: Column, value: Any) -> Any:
    if value is None:
        return None
    if column.type == "date" and isinstance(value, str):
        return date.fromisoformat(value[:10])
    if column.type == "float":
        return float(value)
    if column.type == "int":
        return int(value)
    return value


WRITERS: dict[str, type[Writer]] = {
    w.extension: w
    for w in (CsvWriter, JsonWriter, JsonLinesWriter, GeoJsonWriter, XlsxWriter, ParquetWriter)
}
FORMATS = tuple(WRITERS)


def check_formats(names: Sequence[str]) -> list[str]:
    """The formats named, checked (ValueError naming the unknown ones and the known ones)."""
    unknown = sorted(set(names) - set(WRITERS))
    if unknown:
        raise ValueError(
            f"unknown format(s) {', '.join(unknown)}; the formats are {', '.join(FORMATS)}"
        )
    return list(dict.fromkeys(names))


class Chunks(io.RawIOBase):
    """A sink keeping what is written until `take()` hands it over (an HTTP answer's next
    chunk); it tells how much was written in all, as pyarrow asks."""

    def __init__(self) -> None:
        super().__init__()
        self._parts: list[bytes] = []
        self._written = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self._parts.append(chunk)
        self._written += len(chunk)
        return len(chunk)

    def tell(self) -> int:
        return self._written

    def take(self) -> bytes:
        out, self._parts = b"".join(self._parts), []
        return out
