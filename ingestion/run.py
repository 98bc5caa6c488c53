"""`gateway ingest`: read -> map -> normalise -> validate -> store, as one transaction."""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from ingestion import mapping_file
from ingestion.issues import Issue
from ingestion.mapper import (
    KIND_SINGULAR,
    MappedRecord,
    MappingStats,
    RawItem,
    item_ids,
    iter_items,
    map_item,
    missing_paths,
)
from ingestion.mapping_file import KindMapping, MappingError, Producer
from ingestion.normalize import Territories
from ingestion.readers import ReadError, iter_records
from ingestion.schema_record import schema_record
from store import records as store
from store import territories as territory_store

BATCH = 1000
RAW_VALUE_LIMIT = 2000
Progress = Callable[[str, int], None]


class IngestError(Exception):
    """A run that cannot complete; the message is one line saying why. Nothing was stored."""


class _RolledBack(Exception):
    """A dry run done: its transaction is rolled back."""


@dataclass
class IngestOptions:
    partial: bool = False
    force: bool = False
    gone_threshold: float = 0.20
    wait: bool = True
    merge: bool = True  # link duplicates and rebuild the touched golden records in the same run
    # run everything, then roll it back: the report says what the run would change (its
    # `changes`: new, changed field by field, gone, rejected); nothing is stored, no run recorded
    dry_run: bool = False


@dataclass
class IngestReport:
    source: str
    run_id: int | None = None
    status: str = "running"
    partial: bool = False
    files: list[dict[str, Any]] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    by_kind: dict[str, Counter[str]] = field(default_factory=dict)
    rejections: Counter[tuple[str, str]] = field(default_factory=Counter)
    warnings: Counter[tuple[str, str]] = field(default_factory=Counter)
    unmapped: Counter[tuple[str, str]] = field(default_factory=Counter)
    data_version: int | None = None
    duration_s: float = 0.0
    message: str | None = None
    merge: dict[str, Any] | None = None
    changes: dict[str, Any] | None = None  # a dry run's: what the run would change

    def as_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "run_id": self.run_id,
            "status": self.status,
            "partial": self.partial,
            **{k: self.counts.get(k, 0) for k in store_counts()},
            "warnings": sum(self.warnings.values()),
            "by_kind": {
                k: {c: v.get(c, 0) for c in store_counts()} for k, v in self.by_kind.items()
            },
            "files": self.files,
            "top_rejections": [
                {"field": f, "message": m, "count": n}
                for (f, m), n in self.rejections.most_common(10)
            ],
            "top_warnings": [
                {"field": f, "message": m, "count": n}
                for (f, m), n in self.warnings.most_common(10)
            ],
            "unmapped_values": [
                {"value_map": vm, "value": v, "count": n}
                for (vm, v), n in self.unmapped.most_common(50)
            ],
            "data_version": self.data_version,
            "merge": self.merge,
            "duration_s": round(self.duration_s, 3),
            "message": self.message,
            **({"changes": self.changes} if self.changes is not None else {}),
        }


def store_counts() -> tuple[str, ...]:
    return ("seen", "new", "changed", "unchanged", "gone", "rejected")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    targets = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for target in targets:
        with target.open("rb") as fh:
            while chunk := fh.read(1 << 20):
                digest.update(chunk)
    return digest.hexdigest()


def _hash(value: Any) -> str:
    return hashlib.sha256(orjson.dumps(value, option=orjson.OPT_SORT_KEYS)).hexdigest()


def _clip(value: Any) -> Any:
    """A raw row as kept in quarantine: long values cut, so a 10 MB field stays out."""
    if isinstance(value, str):
        return value if len(value) <= RAW_VALUE_LIMIT else value[:RAW_VALUE_LIMIT] + "…"
    if isinstance(value, dict):
        return {str(k): _clip(v) for k, v in list(value.items())[:200]}
    if isinstance(value, list):
        return [_clip(v) for v in value[:200]]
    if isinstance(value, int | float | bool) or value is None:
        return value
    return str(value)


def plan_files(producer: Producer, paths: Sequence[Path]) -> list[tuple[KindMapping, Path]]:
    """Which kind each file feeds; structures first so services can check their structure."""
    plan: list[tuple[KindMapping, Path]] = []
    for path in paths:
        if not path.exists():
            raise IngestError(f"{path}: no such file or directory")
        kinds = [m for m in producer.kinds.values() if m.matches(path)]
        if not kinds:
            patterns = "; ".join(f"{k}: {', '.join(m.files)}" for k, m in producer.kinds.items())
            raise IngestError(
                f"{path}: matches none of {producer.source.slug}'s file patterns ({patterns})"
            )
        plan += [(kind, path) for kind in kinds]
    order = {"structures": 0, "services": 1}
    return sorted(plan, key=lambda item: (order[item[0].kind], str(item[1])))


class _Batch:
    """Rows waiting to be written, flushed every BATCH records."""

    def __init__(self) -> None:
        self.new: list[dict[str, Any]] = []
        self.new_versions: list[dict[str, Any]] = []
        # (state, row, validated, field hashes): field states are fetched at flush time
        self.pending: list[
            tuple[store.RecordState, dict[str, Any], dict[str, Any], dict[str, str]]
        ] = []
        self.raw_updates: list[tuple[int, str]] = []
        self.quarantine: list[dict[str, Any]] = []

    def size(self) -> int:
        return len(self.new) + len(self.pending) + len(self.quarantine) + len(self.raw_updates)


async def ingest(
    engine: AsyncEngine,
    slug: str,
    paths: Sequence[Path],
    options: IngestOptions | None = None,
    *,
    progress: Progress | None = None,
    producers_dir: Path = mapping_file.PRODUCERS_DIR,
) -> IngestReport:
    options = options or IngestOptions()
    started = time.monotonic()
    now = datetime.now(UTC)
    try:
        producer = mapping_file.load(slug, producers_dir)
    except MappingError as exc:
        raise IngestError(str(exc)) from exc
    if not paths:
        raise IngestError("no file given")
    plan = plan_files(producer, paths)
    report = IngestReport(source=slug, partial=options.partial)
    file_hashes = {str(p): _sha256(p) for p in dict.fromkeys(p for _k, p in plan)}
    report.files = [{"path": p, "sha256": h} for p, h in file_hashes.items()]
    fingerprint = _hash(
        {
            "mapping": producer.sha256,
            "partial": options.partial,
            "files": sorted(file_hashes.values()),
            "kinds": sorted({k.kind for k, _p in plan}),
        }
    )
    source_row = {
        "slug": producer.source.slug,
        "nom": producer.source.nom,
        "description": producer.source.description,
        "licence": producer.source.licence,
        "homepage": producer.source.homepage,
        "date_maj_fiable": producer.source.date_maj_fiable,
        "agregateur": producer.source.agregateur,
        "restreinte": producer.source.restreinte,
    }
    try:
        async with store.ingest_lock(engine, wait=options.wait):
            return await _locked_run(
                engine,
                producer,
                plan,
                options,
                report,
                fingerprint,
                source_row,
                progress,
                now,
                started,
            )
    except store.SourceLocked as exc:
        raise IngestError(f"{exc}; try again when it has finished") from exc


async def _locked_run(
    engine: AsyncEngine,
    producer: Producer,
    plan: list[tuple[KindMapping, Path]],
    options: IngestOptions,
    report: IngestReport,
    fingerprint: str,
    source_row: dict[str, Any],
    progress: Progress | None,
    now: datetime,
    started: float,
) -> IngestReport:
    """The run itself, once no other ingest of the store (SQLite) can be writing."""
    slug = producer.source.slug
    try:
        async with engine.begin() as conn:
            # the source's lock first: a registry row another run has written is not waited for
            await store.lock_source(conn, slug, wait=options.wait)
            await store.upsert_source(conn, source_row, now)
            last = await store.last_succeeded_run(conn, slug)
            if last and last["fingerprint"] == fingerprint and not options.force:
                seen = int((last["counts"] or {}).get("seen", 0))
                report.counts.update(
                    seen=seen,
                    unchanged=seen - int(last["counts"].get("rejected", 0)),
                    rejected=int(last["counts"].get("rejected", 0)),
                )
                report.status = "unchanged"
                report.message = "identical to the last successful run: nothing to do"
                if options.dry_run:
                    report.changes = {"new": [], "changed": [], "gone": [], "rejected": []}
                    report.duration_s = time.monotonic() - started
                    raise _RolledBack
                report.run_id = await store.create_run(
                    conn,
                    {
                        "source_slug": slug,
                        "status": "unchanged",
                        "partial": options.partial,
                        "fingerprint": fingerprint,
                        "files": report.files,
                        "counts": {k: report.counts.get(k, 0) for k in store_counts()},
                        "started_at": now,
                        "finished_at": datetime.now(UTC),
                    },
                )
                report.duration_s = time.monotonic() - started
                return report
            report.run_id = await store.create_run(
                conn,
                {
                    "source_slug": slug,
                    "status": "running",
                    "partial": options.partial,
                    "fingerprint": fingerprint,
                    "files": report.files,
                    "counts": {},
                    "started_at": now,
                },
            )
            current, aliases = await territory_store.code_tables(conn)
            territories = Territories(current=current, aliases=aliases)
            runner = _Runner(conn, producer, report, territories, now, progress)
            for kind_mapping, path in plan:
                await runner.read_file(kind_mapping, path)
            await runner.flush()
            await runner.finish(options)
            if options.dry_run:
                from ingestion.changes import run_changes

                report.changes = await run_changes(conn, report.run_id, runner.changed_ids)
                report.run_id = None  # rolled back with the rest
                report.status = "dry-run"
                report.unmapped = runner.stats.unmapped
                report.duration_s = time.monotonic() - started
                raise _RolledBack
            changed = sum(report.counts.get(k, 0) for k in ("new", "changed", "gone"))
            report.data_version = (
                await store.bump_data_version(conn) if changed else await store.data_version(conn)
            )
            if changed and options.merge:
                from ingestion.merging import BULK, merge_run
                from store import merging as merging_store

                if changed > BULK:  # the merge's statements are planned with the new sizes
                    await merging_store.refresh_statistics(
                        conn, ["producer_record", "producer_record_version"]
                    )
                merged = await merge_run(
                    conn, runner.changed_ids, now=now, data_version=report.data_version
                )
                report.merge = merged.as_json()
            report.status = "succeeded"
            report.unmapped = runner.stats.unmapped
            report.duration_s = time.monotonic() - started
            await store.finish_run(
                conn,
                report.run_id,
                status="succeeded",
                counts={
                    **{k: report.counts.get(k, 0) for k in store_counts()},
                    "warnings": sum(report.warnings.values()),
                },
                finished_at=datetime.now(UTC),
            )
    except _RolledBack:
        return report
    except store.SourceLocked as exc:
        raise IngestError(f"{exc}; try again when it has finished") from exc
    except OperationalError as exc:
        if "locked" in str(exc):
            raise IngestError(
                "another process is writing to this SQLite store (a `gateway merge`?) and did not "
                "finish within the busy timeout; try again when it has finished"
            ) from exc
        raise
    except (IngestError, ReadError, MappingError) as exc:
        if not options.dry_run:
            await _record_failure(engine, slug, source_row, options, fingerprint, report, now, exc)
        if isinstance(exc, IngestError):
            raise
        raise IngestError(str(exc)) from exc
    return report


async def _record_failure(
    engine: AsyncEngine,
    slug: str,
    source_row: dict[str, Any],
    options: IngestOptions,
    fingerprint: str,
    report: IngestReport,
    now: datetime,
    exc: Exception,
) -> None:
    """The run's transaction is rolled back; keep a trace of the failure in a new one."""
    status = "refused" if isinstance(exc, GoneThresholdExceeded) else "failed"
    async with engine.begin() as conn:
        await store.upsert_source(conn, source_row, now)
        await store.create_run(
            conn,
            {
                "source_slug": slug,
                "status": status,
                "partial": options.partial,
                "fingerprint": fingerprint,
                "files": report.files,
                "counts": {},
                "error": str(exc),
                "started_at": now,
                "finished_at": datetime.now(UTC),
            },
        )


class GoneThresholdExceeded(IngestError):
    """A full file would mark too many records gone (an empty or truncated export?)."""


class _Runner:
    def __init__(
        self,
        conn: Any,
        producer: Producer,
        report: IngestReport,
        territories: Territories,
        now: datetime,
        progress: Progress | None,
    ) -> None:
        self.conn = conn
        self.producer = producer
        self.slug = producer.source.slug
        self.report = report
        self.territories = territories
        self.now = now
        self.progress = progress
        self.stats = MappingStats()
        self.batch = _Batch()
        self.states: dict[str, dict[str, store.RecordState]] = {}
        self.seen: dict[str, dict[str, str]] = {}  # kind -> producer id -> "file:row" (valid ones)
        self.kinds_read: set[str] = set()
        self.read_count = 0
        self.fully_mapped = 0
        self.changed_ids: dict[str, set[int]] = {"structure": set(), "service": set()}

    async def read_file(self, kind_mapping: KindMapping, path: Path) -> None:
        kind = kind_mapping.kind
        if kind not in self.states:
            self.states[kind] = await store.load_states(self.conn, self.slug, KIND_SINGULAR[kind])
            self.seen[kind] = {}
        if kind == "services" and "structures" not in self.states:
            # services checked against the store's structures (a services-only or delta run)
            self.states["structures"] = await store.load_states(self.conn, self.slug, "structure")
            self.seen["structures"] = {}
        self.kinds_read.add(kind)
        options = kind_mapping.reader_options(self.producer.reader)
        self.stats.paths_seen.clear()
        self.fully_mapped = 0
        salt = f"{self.producer.sha256}:{kind}:".encode()
        for item in iter_items(kind_mapping, iter_records(path, options), self.stats):
            await self.handle(kind_mapping, item, salt)
        if self.fully_mapped:
            # rows skipped as untouched were checked by the run that stored them
            self._check_paths(kind_mapping, path)

    def _check_paths(self, kind_mapping: KindMapping, path: Path) -> None:
        missing = missing_paths(kind_mapping, self.stats.paths_seen)
        if missing and self.producer.data_inclusion:
            raise MappingError(
                f"{path}: {kind_mapping.kind} in the data·inclusion format need the schema's "
                f"required column(s) {', '.join(map(repr, missing))}, which no record of this "
                "file has (a misspelt column name?)"
            )
        if missing:
            raise MappingError(
                f"{path}: the mapping of {kind_mapping.kind} reads {', '.join(map(repr, missing))} "
                "but no record of this file has it (misspelt column? mark it `optional = true` "
                "if it may be absent)"
            )

    def _count(self, kind: str, outcome: str) -> None:
        self.report.counts[outcome] += 1
        self.report.by_kind.setdefault(kind, Counter())[outcome] += 1

    async def handle(self, kind_mapping: KindMapping, item: RawItem, salt: bytes) -> None:
        kind = kind_mapping.kind
        self._count(kind, "seen")
        self.read_count += 1
        if self.progress and self.read_count % 500 == 0:
            self.progress(self.slug, self.read_count)
        raw_hash = item.digest(salt)
        pid, structure_pid = item_ids(kind_mapping, item, self.stats)
        state = self.states[kind].get(pid) if pid is not None else None
        if (
            state is not None
            and state.raw_hash == raw_hash
            and state.status == "active"
            and pid not in self.seen[kind]
            and (kind != "services" or self._structure_known(structure_pid))
        ):
            # the very same row as when it was stored, under the same mapping
            assert pid is not None
            self.seen[kind][pid] = f"{Path(item.file).name}:{item.number}"
            self._count(kind, "unchanged")
            return
        self.fully_mapped += 1
        mapped = map_item(self.producer, kind_mapping, item, self.stats)
        validated, issues = schema_record(mapped, self.slug, self.territories)
        if validated is not None and pid is not None:
            first = self.seen[kind].get(pid)
            if first is not None:
                issues.append(
                    Issue(
                        "error",
                        "id",
                        "duplicate producer id in this run",
                        f"{pid} (first at {first})",
                    )
                )
                validated = None
            elif kind == "services" and not self._structure_known(mapped.structure_producer_id):
                issues.append(
                    Issue(
                        "error",
                        "structure_id",
                        "the service's structure is not among the valid structures of this run"
                        + (" or the store" if self.report.partial else ""),
                        mapped.structure_producer_id,
                    )
                )
                validated = None
        self._quarantine(mapped, issues)
        if validated is None or pid is None:
            self._count(kind, "rejected")
        else:
            self.seen[kind][pid] = f"{Path(mapped.file).name}:{mapped.number}"
            self._count(kind, self._classify(mapped, pid, validated, raw_hash))
        if self.batch.size() >= BATCH:
            await self.flush()

    def _structure_known(self, structure_pid: str | None) -> bool:
        if structure_pid is None:
            return False
        if structure_pid in self.seen.get("structures", {}):
            return True
        if self.report.partial or "structures" not in self.kinds_read:
            found = self.states["structures"].get(structure_pid)
            return found is not None and found.status == "active"
        return False

    def _quarantine(self, mapped: MappedRecord, issues: list[Issue]) -> None:
        rejected = any(i.severity == "error" for i in issues)
        for issue in issues:
            key = (issue.field or "-", issue.message)
            if issue.severity == "error":
                self.report.rejections[key] += 1
            else:
                self.report.warnings[key] += 1
            self.batch.quarantine.append(
                {
                    "run_id": self.report.run_id,
                    "source_slug": self.slug,
                    "kind": KIND_SINGULAR[mapped.kind],
                    "producer_id": mapped.producer_id,
                    "file": mapped.file,
                    "row_number": mapped.number,
                    "field": issue.field,
                    "severity": issue.severity,
                    "message": issue.message,
                    "value": None if issue.value is None else str(_clip(issue.value)),
                    "raw": _clip(mapped.raw) if rejected else None,
                }
            )

    def _classify(
        self, mapped: MappedRecord, pid: str, validated: dict[str, Any], raw_hash: str
    ) -> str:
        content_hash = _hash(validated)
        state = self.states[mapped.kind].get(pid)
        if state is not None and state.content_hash == content_hash and state.status == "active":
            if state.raw_hash != raw_hash:
                self.batch.raw_updates.append((state.id, raw_hash))
            return "unchanged"
        field_hashes = {k: _hash(v)[:16] for k, v in validated.items()}
        run_id = self.report.run_id
        row = {
            "data": validated,
            "content_hash": content_hash,
            "raw_hash": raw_hash,
            "field_hashes": field_hashes,
            "date_maj": store.as_date(validated.get("date_maj")),
            "structure_producer_id": mapped.structure_producer_id,
            "last_seen_run_id": run_id,
            "status": "active",
        }
        if state is None:
            self.batch.new.append(
                {
                    **row,
                    "source_slug": self.slug,
                    "kind": KIND_SINGULAR[mapped.kind],
                    "producer_id": pid,
                    "public_id": f"{self.slug}--{pid}",
                    "field_since_run": dict.fromkeys(field_hashes, run_id),
                    "version": 1,
                    "first_seen_run_id": run_id,
                }
            )
            self.batch.new_versions.append(
                {
                    "version": 1,
                    "run_id": run_id,
                    "data": validated,
                    "content_hash": content_hash,
                    "changed_fields": sorted(field_hashes),
                    "valid_from": self.now,
                }
            )
            return "new"
        self.batch.pending.append((state, {**row, "kind": mapped.kind}, validated, field_hashes))
        return "changed"

    async def _resolve_changes(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        pending = self.batch.pending
        if not pending:
            return [], []
        previous = await store.field_states(self.conn, [state.id for state, *_ in pending])
        run_id = self.report.run_id
        changes, version_rows = [], []
        for state, row, validated, field_hashes in pending:
            kind = row["kind"]
            old_hashes, old_since = previous.get(state.id, ({}, {}))
            changed = sorted(
                k
                for k in set(field_hashes) | set(old_hashes)
                if field_hashes.get(k) != old_hashes.get(k)
            )
            since = {
                k: (run_id if k in changed else old_since.get(k, run_id)) for k in field_hashes
            }
            version = state.version + 1
            row = {k: v for k, v in row.items() if k != "kind"}
            changes.append({**row, "b_id": state.id, "field_since_run": since, "version": version})
            self.changed_ids[KIND_SINGULAR[kind]].add(state.id)
            version_rows.append(
                {
                    "record_id": state.id,
                    "version": version,
                    "run_id": run_id,
                    "data": validated,
                    "content_hash": row["content_hash"],
                    "changed_fields": changed or ["status"],
                    "valid_from": self.now,
                }
            )
            # a record met twice in one run is rejected as a duplicate before it gets here
            state.version = version
        return changes, version_rows

    async def flush(self) -> None:
        b = self.batch
        changes, change_versions = await self._resolve_changes()
        new_ids = await store.insert_new(self.conn, b.new, b.new_versions)
        for row, record_id in zip(b.new, new_ids, strict=True):
            self.changed_ids[row["kind"]].add(record_id)
        await store.apply_changes(self.conn, changes, change_versions, self.now)
        await store.update_raw_hashes(self.conn, b.raw_updates)
        await store.insert_quarantine(self.conn, b.quarantine)
        self.batch = _Batch()

    async def finish(self, options: IngestOptions) -> None:
        if options.partial:
            return
        for kind in sorted(self.kinds_read):
            states = self.states[kind]
            active = [pid for pid, s in states.items() if s.status == "active"]
            gone = [pid for pid in active if pid not in self.seen[kind]]
            if not gone:
                continue
            share = len(gone) / len(active)
            if share > options.gone_threshold and not options.force:
                raise GoneThresholdExceeded(
                    f"this full file would mark {len(gone)} of {len(active)} active {kind} of "
                    f"{self.slug!r} gone ({share:.0%} > {options.gone_threshold:.0%}): an empty or "
                    "truncated export? Nothing was changed; use --force if it is intended, or "
                    "--partial for a delta file"
                )
            gone_ids = [states[pid].id for pid in gone]
            await store.mark_gone(self.conn, gone_ids, self.report.run_id or 0, self.now)
            self.changed_ids[KIND_SINGULAR[kind]].update(gone_ids)
            self.report.counts["gone"] += len(gone)
            self.report.by_kind.setdefault(kind, Counter())["gone"] += len(gone)
