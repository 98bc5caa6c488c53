"""What a run changed, read back inside its own transaction before it commits (a dry run reads
it, then rolls everything back): the new records, the changed ones field by field (before and
after), the records gone, the rejected rows with their reasons."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import and_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection

from store.records import quarantine, records, versions

DETAIL_LIMIT = 500  # records listed per kind of change (the counts are the report's)


async def run_changes(
    conn: AsyncConnection, run_id: int | None, changed_ids: Mapping[str, set[int]]
) -> dict[str, Any]:
    ids = sorted(set().union(*changed_ids.values())) if changed_ids else []
    new: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    with_version: set[int] = set()
    rows = (
        await conn.execute(
            select(
                versions.c.record_id,
                versions.c.version,
                versions.c.data,
                records.c.kind,
                records.c.producer_id,
            )
            .join(records, records.c.id == versions.c.record_id)
            .where(versions.c.run_id == run_id)
            .order_by(versions.c.record_id)
        )
    ).mappings()
    later: list[dict[str, Any]] = []
    for r in rows:
        with_version.add(r["record_id"])
        if r["version"] == 1:
            if len(new) < DETAIL_LIMIT:
                new.append(
                    {"kind": r["kind"], "producer_id": r["producer_id"], "record": r["data"]}
                )
        elif len(later) < DETAIL_LIMIT:
            later.append(dict(r))
    before = await _previous(conn, [(r["record_id"], r["version"] - 1) for r in later])
    for entry in later:
        old, data = before.get(entry["record_id"], {}), entry["data"]
        fields = {
            name: {"before": old.get(name), "after": data.get(name)}
            for name in sorted(set(old) | set(data))
            if old.get(name) != data.get(name)
        } or {"status": {"before": "gone", "after": "active"}}  # back, as it was
        changed.append(
            {"kind": entry["kind"], "producer_id": entry["producer_id"], "fields": fields}
        )
    gone_ids = [i for i in ids if i not in with_version][:DETAIL_LIMIT]
    gone = [
        {"kind": r["kind"], "producer_id": r["producer_id"]}
        for r in (
            await conn.execute(
                select(records.c.kind, records.c.producer_id)
                .where(records.c.id.in_(gone_ids), records.c.status == "gone")
                .order_by(records.c.kind, records.c.producer_id)
            )
        ).mappings()
    ]
    return {"new": new, "changed": changed, "gone": gone, "rejected": await _rejected(conn, run_id)}


async def _previous(
    conn: AsyncConnection, keys: list[tuple[int, int]]
) -> dict[int, dict[str, Any]]:
    out: dict[int, dict[str, Any]] = {}
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        rows = await conn.execute(
            select(versions.c.record_id, versions.c.data).where(
                tuple_(versions.c.record_id, versions.c.version).in_(chunk)
            )
        )
        out.update({record_id: data for record_id, data in rows})
    return out


async def _rejected(conn: AsyncConnection, run_id: int | None) -> list[dict[str, Any]]:
    """Rejected rows, each with every issue of its row (warnings too), in file order."""
    rows = (
        await conn.execute(
            select(quarantine)
            .where(and_(quarantine.c.run_id == run_id))
            .order_by(quarantine.c.file, quarantine.c.row_number, quarantine.c.id)
        )
    ).mappings()
    by_row: dict[tuple[str | None, int | None, str | None], dict[str, Any]] = {}
    rejected: set[tuple[str | None, int | None, str | None]] = set()
    for q in rows:
        key = (q["file"], q["row_number"], q["kind"])
        entry = by_row.get(key)
        if entry is None:
            if len(by_row) >= DETAIL_LIMIT * 4:
                continue
            entry = by_row[key] = {
                "kind": q["kind"],
                "producer_id": q["producer_id"],
                "file": (q["file"] or "").rsplit("/", 1)[-1] or None,
                "row": q["row_number"],
                "issues": [],
            }
        entry["issues"].append(
            {"severity": q["severity"], "field": q["field"], "message": q["message"],
             "value": q["value"]}
        )  # fmt: skip
        if q["severity"] == "error":
            rejected.add(key)
    return [e for k, e in by_row.items() if k in rejected][:DETAIL_LIMIT]
