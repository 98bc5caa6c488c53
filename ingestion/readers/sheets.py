"""XLSX and ODS sheets, read in a child process under memory and CPU limits.

The ZIP container is checked here first (`sheet_limits.check_container`); the child
(`sheet_worker`) checks the sheets' size, then reads them with calamine and writes the rows to a
temporary file, one JSON array per line, which this side streams back as records. A file that
would need more than the limits is refused with one line naming the file and the limit; the
process reading it never is at risk.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from ingestion.readers import sheet_limits
from ingestion.readers.base import ReaderOptions, ReadError, Record, Row, tabular_records
from ingestion.readers.sheet_limits import SheetLimits, check_container, limit_key

# the directory holding the `ingestion` package: the child imports the very same code
_ROOT = Path(__file__).resolve().parents[2]
# wall-clock time the child may take, beyond its CPU limit, on a machine busy with other work
_WALL_FACTOR = 4
_WALL_MARGIN_S = 60


def limits_of(options: ReaderOptions) -> SheetLimits:
    """The options' limits, else the module's defaults (read now, so they can be changed)."""
    if options.limits is None:
        return sheet_limits.DEFAULT_LIMITS
    if isinstance(options.limits, SheetLimits):
        return options.limits
    try:
        return SheetLimits.from_mapping(options.limits)
    except ValueError as exc:
        raise ReadError("[reader.limits]", str(exc)) from None


def resolve_sheet(path: Path, fmt: str, options: ReaderOptions) -> str:
    """Name of the chosen sheet (default: the first); ReadError listing the sheets if absent."""
    limits = limits_of(options)
    check_container(path, limits)
    result = _run(path, limits, {"mode": "names", "format": fmt, "sheet": options.sheet})
    return str(result["sheet"])


def read_sheet(path: Path, fmt: str, options: ReaderOptions) -> Iterator[Record]:
    """Records of one sheet; the number of a record is its row as the spreadsheet shows it."""
    file = str(path)
    limits = limits_of(options)
    check_container(path, limits)
    handle, name = tempfile.mkstemp(prefix="sheet-", suffix=".jsonl")
    os.close(handle)
    out = Path(name)
    try:
        _run(path, limits, {"mode": "rows", "format": fmt, "sheet": options.sheet, "out": name})
        yield from tabular_records(
            file, _read_rows(out), options.header_row, unit="row", items="cells"
        )
    finally:
        with contextlib.suppress(OSError):
            out.unlink()


def _read_rows(out: Path) -> Iterator[Row]:
    with out.open("rb") as f:
        for line in f:
            number, cells, flagged = orjson.loads(line)
            yield number, cells, {int(col): text for col, text in flagged}


def _run(path: Path, limits: SheetLimits, job: dict[str, Any]) -> dict[str, Any]:
    """Run the child on one file; its answer, or ReadError saying which limit it hit."""
    file = str(path)
    job = {**job, "path": str(path.resolve()), "limits": limits.__dict__}
    timeout = limits.cpu_seconds * _WALL_FACTOR + _WALL_MARGIN_S
    try:
        done = subprocess.run(
            [sys.executable, "-m", "ingestion.readers.sheet_worker", orjson.dumps(job).decode()],
            cwd=_ROOT,
            env={**os.environ, "RUST_BACKTRACE": "0"},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise ReadError(
            file,
            f"reading it took more than {timeout} s; the limit is {limits.cpu_seconds} s of CPU "
            f"{limit_key('cpu_seconds')}",
        ) from None
    answer: dict[str, Any] = {}
    lines = done.stdout.strip().splitlines()
    if lines:
        with contextlib.suppress(orjson.JSONDecodeError):
            answer = orjson.loads(lines[-1])
    if done.returncode == 0 and "sheet" in answer:
        return answer
    from ingestion.readers.sheet_worker import EXIT_MEMORY, EXIT_REFUSED

    if done.returncode == EXIT_REFUSED and "error" in answer:
        raise ReadError(file, str(answer["error"]))
    stderr = done.stderr.decode("utf-8", errors="replace")
    if done.returncode == -signal.SIGXCPU:  # sent for the CPU limit only
        raise ReadError(
            file,
            f"reading it needs more than {limits.cpu_seconds} s of CPU; the limit is "
            f"{limits.cpu_seconds} s {limit_key('cpu_seconds')}",
        )
    if done.returncode == EXIT_MEMORY or "memory allocation" in stderr:
        raise ReadError(
            file,
            f"reading it needs more than {limits.memory_mib} MiB of memory; the limit is "
            f"{limits.memory_mib} MiB {limit_key('memory_mib')}",
        )
    last = stderr.strip().splitlines()[-1][:200] if stderr.strip() else "no message"
    raise ReadError(file, f"the spreadsheet reader stopped ({_status(done.returncode)}: {last})")


def _status(code: int) -> str:
    if code < 0:
        try:
            return signal.Signals(-code).name
        except ValueError:
            return f"signal {-code}"
    return f"exit status {code}"
