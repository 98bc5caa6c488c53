"""What a spreadsheet may cost before it is read: its ZIP container, its sheets' size, and the
memory and CPU time of the process that parses it.

An XLSX or ODS file is a ZIP archive of XML parts; a few kilobytes can declare a sheet of 17
billion cells, unpack to gigabytes, or hold a formula a billion rows down. The container is
checked here (from its central directory, nothing unpacked), the sheets' size by the reading
process before the spreadsheet library sees them (`sheet_worker`), and that process runs under
memory and CPU limits as a last line of defence.
"""

from __future__ import annotations

import struct
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from ingestion.readers.base import ReadError

MIB = 1024 * 1024


@dataclass(frozen=True)
class SheetLimits:
    """Ceilings no ordinary producer spreadsheet comes near (see producers/README.md);
    a producer's `[reader.limits]` may raise (or lower) any of them."""

    # ZIP members: an XLSX has a few dozen parts, an ODS a handful
    members: int = 10_000
    # declared uncompressed size of one part, and of all of them: the sheet XML of ten million
    # cells is about 400 MiB
    member_mib: int = 512
    total_mib: int = 1024
    # uncompressed / compressed size of a part above 1 MiB: real sheets compress 10-25 times,
    # zip bombs 250-1000 times
    ratio: int = 100
    # cells of a sheet as it is laid out: rows x columns from A1 to its last cell holding a
    # value or a formula (and the rows x columns its <dimension> declares): 100 000 rows of
    # 100 columns; the library holds 32 bytes per cell of that rectangle
    cells: int = 10_000_000
    # the reading process: address space and CPU seconds (a 5-million-cell sheet takes about
    # 250 MiB and 10 s)
    memory_mib: int = 2048
    cpu_seconds: int = 300

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any], where: str = "limits") -> SheetLimits:
        """Limits from a `[reader.limits]` table; ValueError naming a wrong key or value."""
        known = [f.name for f in fields(cls)]
        if unknown := sorted(set(values) - set(known)):
            raise ValueError(f"{where}: unknown key(s) {unknown}; known: {', '.join(known)}")
        for key, value in values.items():
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{where}: `{key}` must be a positive integer, not {value!r}")
        return replace(DEFAULT_LIMITS, **dict(values))


# module-level so a deployment (or a test) can change the defaults
DEFAULT_LIMITS = SheetLimits()

# a member smaller than this is never refused for its compression ratio
RATIO_FLOOR_BYTES = 1 * MIB

_EOCD = b"PK\x05\x06"
_EOCD64_LOCATOR = b"PK\x06\x07"
_EOCD64 = b"PK\x06\x06"
_EOCD_SIZE = 22
_MAX_COMMENT = 65_535


def limit_key(key: str) -> str:
    """How a message names a limit: the key a producer's `[reader.limits]` sets it with."""
    return f"(`{key}` in [reader.limits])"


def check_container(path: Path, limits: SheetLimits) -> None:
    """Refuse a ZIP whose members are too many, too big once unpacked, or too compressed."""
    file = str(path)
    count = declared_member_count(path)
    if count is not None and count > limits.members:
        raise ReadError(
            file,
            f"the archive has {count:,} members; the limit is {limits.members:,} "
            f"{limit_key('members')}",
        )
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ReadError(file, f"not a readable spreadsheet ({exc})") from None
    if len(infos) > limits.members:
        raise ReadError(
            file,
            f"the archive has {len(infos):,} members; the limit is {limits.members:,} "
            f"{limit_key('members')}",
        )
    total = 0
    for info in infos:
        size = info.file_size
        total += size
        if size > limits.member_mib * MIB:
            raise ReadError(
                file,
                f"{info.filename!r} unpacks to {_mib(size)}; the limit is {limits.member_mib} MiB "
                f"{limit_key('member_mib')}",
            )
        if size > RATIO_FLOOR_BYTES and size > limits.ratio * max(info.compress_size, 1):
            ratio = size / max(info.compress_size, 1)
            raise ReadError(
                file,
                f"{info.filename!r} is compressed {ratio:,.0f} times ({_mib(info.compress_size)} "
                f"unpacking to {_mib(size)}): a zip bomb? the limit is {limits.ratio} times "
                f"{limit_key('ratio')}",
            )
    if total > limits.total_mib * MIB:
        raise ReadError(
            file,
            f"the archive unpacks to {_mib(total)}; the limit is {limits.total_mib} MiB "
            f"{limit_key('total_mib')}",
        )


def declared_member_count(path: Path) -> int | None:
    """The member count the end of central directory record declares, read without parsing the
    directory (a million-member archive would cost gigabytes to list); None if not found."""
    with path.open("rb") as f:
        f.seek(0, 2)
        size = f.tell()
        start = max(0, size - _EOCD_SIZE - _MAX_COMMENT)
        f.seek(start)
        tail = f.read()
        at = tail.rfind(_EOCD)
        if at < 0 or len(tail) - at < _EOCD_SIZE:
            return None
        count = struct.unpack("<H", tail[at + 10 : at + 12])[0]
        if count != 0xFFFF or at < 20 or tail[at - 20 : at - 16] != _EOCD64_LOCATOR:
            return int(count)
        # ZIP64: the locator points at the ZIP64 end record, which holds the real count
        offset = struct.unpack("<Q", tail[at - 12 : at - 4])[0]
        if offset + 40 > size:
            return None
        f.seek(offset)
        record = f.read(40)
        if record[:4] != _EOCD64:
            return None
        return int(struct.unpack("<Q", record[32:40])[0])


def _mib(size: int) -> str:
    if size < MIB:
        return f"{size:,} bytes"
    return f"{size / MIB:,.0f} MiB"
