"""The merge run's I/O: members, blocking keys, links, golden records and their field
provenance, the change feed's numbering, pruning."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    JSON,
    Float,
    Integer,
    Numeric,
    Table,
    Text,
    and_,
    any_,
    bindparam,
    case,
    cast,
    delete,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import array
from sqlalchemy.ext.asyncio import AsyncConnection

from models import (
    Commune,
    FieldProvenance,
    GoldenChange,
    GoldenMember,
    GoldenRecord,
    GoldenValue,
    IngestRun,
    Meta,
    ProducerRecord,
    ProducerRecordVersion,
    RecordBlock,
    RecordLink,
    Source,
)
from models.members import Member, SourceFacts
from models.merge import SHARED_VIEW, VISIBILITIES, stored_views
from store.engine import dumps_json, is_sqlite
from store.tags import ABSENCE_TAGGED, NO_VALUE, tag
from store.territories import table_of

records = table_of(ProducerRecord)
versions = table_of(ProducerRecordVersion)
runs = table_of(IngestRun)
blocks = table_of(RecordBlock)
links = table_of(RecordLink)
goldens = table_of(GoldenRecord)
golden_members = table_of(GoldenMember)
provenance = table_of(FieldProvenance)
golden_values = table_of(GoldenValue)
changes_table = table_of(GoldenChange)
meta = table_of(Meta)
communes = table_of(Commune)
sources_table = table_of(Source)

CHUNK = 1000


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def _id_chunks(conn: AsyncConnection, ids: Sequence[int]) -> Iterable[Sequence[int]]:
    """PostgreSQL takes any number of ids as one array parameter; SQLite gets chunks of CHUNK."""
    if is_sqlite(conn.engine):
        return _chunks(ids)
    return [ids] if ids else []


def _among(conn: AsyncConnection, column: Any, ids: Sequence[int]) -> Any:
    """`column IN ids`: `= ANY(array)` on PostgreSQL, a plain IN list on SQLite."""
    if is_sqlite(conn.engine):
        return column.in_(ids)
    return column == any_(bindparam(None, list(ids), type_=ARRAY(Integer)))


async def source_facts(conn: AsyncConnection) -> dict[str, SourceFacts]:
    result = await conn.execute(
        select(
            sources_table.c.slug,
            sources_table.c.date_maj_fiable,
            sources_table.c.agregateur,
            sources_table.c.restreinte,
        )
    )
    return {
        r.slug: SourceFacts(r.slug, r.date_maj_fiable, r.agregateur, r.restreinte) for r in result
    }


async def _run_times(conn: AsyncConnection) -> dict[int, datetime]:
    result = await conn.execute(select(runs.c.id, runs.c.started_at, runs.c.finished_at))
    return {r.id: r.started_at for r in result}


async def last_full_runs(conn: AsyncConnection) -> dict[str, datetime]:
    """Each source's last successful full run: every active record was confirmed by it."""
    result = await conn.execute(
        select(runs.c.source_slug, func.max(runs.c.finished_at))
        .where(runs.c.status.in_(("succeeded", "unchanged")), runs.c.partial.is_(False))
        .group_by(runs.c.source_slug)
    )
    return {slug: at for slug, at in result}


async def load_members(
    conn: AsyncConnection,
    kind: str,
    *,
    record_ids: Sequence[int] | None = None,
    light: bool = False,
) -> list[Member]:
    """Active producer records of one kind (all, or the given ids) as merge members, by id.

    `light`: without their data, value dates and version (what linking and ids need of every
    record of a full run, which then reads the data of a few thousand at a time)."""
    times = await _run_times(conn)
    confirmed = await last_full_runs(conn)
    rows: list[Any] = []
    if record_ids is None:
        rows = list(await conn.execute(_members_stmt(kind, light)))
    else:
        # by primary key only (a status condition can lure PostgreSQL onto the status index,
        # which holds most records); the kind and status are checked here
        stmt = _members_stmt(kind, light, by_id=True)
        for chunk in _id_chunks(conn, sorted(set(record_ids))):
            found = await conn.execute(stmt.where(_among(conn, records.c.id, chunk)))
            rows += [r for r in found if r.kind == kind and r.status == "active"]
    return _members(kind, rows, times, confirmed)


async def member_pages(
    conn: AsyncConnection, kind: str, *, size: int = 5000
) -> AsyncIterator[list[Member]]:
    """Every active producer record of one kind as merge members, `size` at a time, by id."""
    times = await _run_times(conn)
    confirmed = await last_full_runs(conn)
    last = -1
    while True:
        stmt = _members_stmt(kind, False).where(records.c.id > last).limit(size)
        rows = list(await conn.execute(stmt))
        if not rows:
            return
        last = rows[-1].id
        yield _members(kind, rows, times, confirmed)


def _members_stmt(kind: str, light: bool, *, by_id: bool = False) -> Any:
    columns = [
        records.c.id,
        records.c.source_slug,
        records.c.public_id,
        records.c.first_seen_run_id,
        records.c.last_seen_run_id,
        records.c.structure_producer_id,
        records.c.kind,
        records.c.status,
    ]
    stmt = select(*columns)
    if not light:
        stmt = select(
            *columns,
            records.c.data,
            records.c.field_since_run,
            versions.c.id.label("version_id"),
        ).join(
            versions,
            and_(versions.c.record_id == records.c.id, versions.c.version == records.c.version),
        )
    if by_id:
        return stmt.order_by(records.c.id)
    return stmt.where(records.c.kind == kind, records.c.status == "active").order_by(records.c.id)


def _members(
    kind: str, rows: Sequence[Any], times: Mapping[int, datetime], confirmed: Mapping[str, datetime]
) -> list[Member]:
    epoch = datetime.fromtimestamp(0).astimezone()
    members = []
    for r in rows:
        mapping = r._mapping
        last_seen = times.get(r.last_seen_run_id)
        full = confirmed.get(r.source_slug)
        last_confirmed = max((t for t in (last_seen, full) if t is not None), default=None)
        members.append(
            Member(
                record_id=r.id,
                version_id=mapping.get("version_id"),
                source=r.source_slug,
                kind=kind,
                public_id=r.public_id,
                data=mapping.get("data") or {},
                first_seen_at=times.get(r.first_seen_run_id) or epoch,
                last_confirmed_at=last_confirmed,
                field_since={
                    f: times[run]
                    for f, run in (mapping.get("field_since_run") or {}).items()
                    if run in times
                },
                structure_public_id=(
                    f"{r.source_slug}--{r.structure_producer_id}"
                    if r.structure_producer_id is not None
                    else None
                ),
            )
        )
    return members


async def count_active(conn: AsyncConnection, kind: str) -> int:
    result = await conn.execute(
        select(func.count()).where(records.c.kind == kind, records.c.status == "active")
    )
    return int(result.scalar_one())


async def refresh_statistics(conn: AsyncConnection, tables: Sequence[str]) -> None:
    """PostgreSQL: ANALYZE tables a run just filled, inside its transaction (ANALYZE samples the
    transaction's own rows), so its next statements are not planned for empty tables."""
    if is_sqlite(conn.engine):
        return
    for table in tables:
        await conn.execute(text(f'ANALYZE "{table}"'))


async def save_features(conn: AsyncConnection, features: Mapping[int, Any]) -> None:
    """Store each record's duplicate-detection features (record id -> JSON document)."""
    stmt = (
        update(records)
        .where(records.c.id == bindparam("rid"))
        .values(dedup_features=bindparam("doc"))
    )
    rows = [{"rid": rid, "doc": doc} for rid, doc in sorted(features.items())]
    if not is_sqlite(conn.engine):
        # one statement per BULK_CHUNK records (a full run stores a hundred thousand)
        for start in range(0, len(rows), BULK_CHUNK):
            part = rows[start : start + BULK_CHUNK]
            await conn.execute(
                _SAVE_FEATURES_PG,
                {"ids": [r["rid"] for r in part], "docs": [dumps_json(r["doc"]) for r in part]},
            )
        return
    for chunk in _chunks(rows):
        await conn.execute(stmt, list(chunk))


BULK_CHUNK = 20_000  # rows per statement where PostgreSQL takes them as array parameters
_SAVE_FEATURES_PG = text(
    "UPDATE producer_record SET dedup_features = v.doc::jsonb"
    " FROM unnest(CAST(:ids AS integer[]), CAST(:docs AS text[])) AS v(id, doc)"
    " WHERE producer_record.id = v.id"
)


async def load_features(conn: AsyncConnection, record_ids: Iterable[int]) -> dict[int, Any]:
    """record id -> stored features (None when not computed yet), active records only."""
    out: dict[int, Any] = {}
    for chunk in _id_chunks(conn, sorted(set(record_ids))):
        # by primary key only: a status condition can lure PostgreSQL onto the status index
        result = await conn.execute(
            select(records.c.id, records.c.status, records.c.dedup_features).where(
                _among(conn, records.c.id, chunk)
            )
        )
        out.update({rid: doc for rid, status, doc in result if status == "active"})
    return out


# --- blocking keys ---------------------------------------------------------------------------


async def replace_blocks(
    conn: AsyncConnection,
    kind: str,
    keys_by_record: Mapping[int, set[str]],
    *,
    everything: bool = False,
) -> None:
    """Store these records' blocking keys (`everything`: they are all the kind's keys).

    Only the keys that changed are written: a changed phone rewrites one row, not twenty.
    """
    wanted = {(rid, key[:200]) for rid, keys in keys_by_record.items() for key in keys}
    stored: set[tuple[int, str]] = set()
    if everything:
        await conn.execute(delete(blocks).where(blocks.c.kind == kind))
    else:
        for ids in _id_chunks(conn, sorted(keys_by_record)):
            result = await conn.execute(
                select(blocks.c.record_id, blocks.c.key).where(
                    _among(conn, blocks.c.record_id, ids)
                )
            )
            stored.update((rid, key) for rid, key in result)
    gone = sorted(stored - wanted)
    if gone and not is_sqlite(conn.engine):
        for start in range(0, len(gone), BULK_CHUNK):
            part = gone[start : start + BULK_CHUNK]
            await conn.execute(
                _DELETE_BLOCKS_PG, {"ids": [r for r, _k in part], "keys": [k for _r, k in part]}
            )
    elif gone:
        stmt = delete(blocks).where(
            blocks.c.record_id == bindparam("rid"), blocks.c.key == bindparam("k")
        )
        for chunk in _chunks(gone):
            await conn.execute(stmt, [{"rid": rid, "k": key} for rid, key in chunk])
    rows = [{"record_id": rid, "key": key, "kind": kind} for rid, key in sorted(wanted - stored)]
    await bulk_insert(conn, blocks, rows)


async def drop_inactive_blocks(conn: AsyncConnection, kind: str) -> None:
    """Forget the blocking keys of the kind's records that are no longer active."""
    inactive = select(records.c.id).where(records.c.kind == kind, records.c.status != "active")
    await conn.execute(
        delete(blocks).where(blocks.c.kind == kind, blocks.c.record_id.in_(inactive))
    )


_DELETE_BLOCKS_PG = text(
    "DELETE FROM record_block b USING unnest(CAST(:ids AS integer[]), CAST(:keys AS text[]))"
    " AS g(record_id, key) WHERE b.record_id = g.record_id AND b.key = g.key"
)


_BLOCKS_OF_PG = text(
    "WITH usable AS (SELECT key FROM record_block WHERE kind = :kind AND key = ANY(:keys)"
    " GROUP BY key HAVING count(*) BETWEEN 2 AND :max_block)"
    " SELECT b.key, b.record_id FROM record_block b JOIN usable u ON b.key = u.key"
    " WHERE b.kind = :kind"
)


async def blocks_of(
    conn: AsyncConnection, kind: str, keys: Iterable[str], *, max_block: int
) -> dict[str, list[int]]:
    """key -> the records holding it, for the keys held by 2 to `max_block` records (larger blocks
    are skipped, as a full run skips them)."""
    out: dict[str, list[int]] = {}
    if not is_sqlite(conn.engine):
        # one statement, the keys as one array parameter (tens of thousands of them)
        params = {"kind": kind, "keys": sorted(set(keys)), "max_block": max_block}
        for key, record_id in await conn.execute(_BLOCKS_OF_PG, params):
            out.setdefault(key, []).append(record_id)
        return out
    for chunk in _chunks(sorted(set(keys))):
        usable = (
            select(blocks.c.key)
            .where(blocks.c.kind == kind, blocks.c.key.in_(chunk))
            .group_by(blocks.c.key)
            .having(func.count().between(2, max_block))
        )
        result = await conn.execute(
            select(blocks.c.key, blocks.c.record_id).where(
                blocks.c.kind == kind, blocks.c.key.in_(usable)
            )
        )
        for key, record_id in result:
            out.setdefault(key, []).append(record_id)
    return out


# --- links -----------------------------------------------------------------------------------


async def active_links(conn: AsyncConnection, kind: str) -> list[dict[str, Any]]:
    stmt = select(links).where(links.c.kind == kind, links.c.revoked_at.is_(None))
    return [dict(r) for r in (await conn.execute(stmt)).mappings()]


async def links_touching(
    conn: AsyncConnection, kind: str, record_ids: Iterable[int]
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for chunk in _chunks(sorted(set(record_ids))):
        stmt = select(links).where(
            links.c.kind == kind,
            links.c.revoked_at.is_(None),
            or_(links.c.record_a_id.in_(chunk), links.c.record_b_id.in_(chunk)),
        )
        out += [dict(r) for r in (await conn.execute(stmt)).mappings()]
    return out


async def add_links(conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
    await bulk_insert(conn, links, rows)  # ids follow the rows' order, as with INSERT


async def revoke_links(
    conn: AsyncConnection, link_ids: Sequence[int], at: datetime, by: str
) -> None:
    for chunk in _chunks(list(link_ids)):
        await conn.execute(
            update(links).where(links.c.id.in_(chunk)).values(revoked_at=at, revoked_by=by)
        )


async def record_ids_by_public_id(
    conn: AsyncConnection, public_ids: Iterable[str]
) -> dict[str, int]:
    out: dict[str, int] = {}
    for chunk in _chunks(sorted(set(public_ids))):
        result = await conn.execute(
            select(records.c.public_id, records.c.id).where(records.c.public_id.in_(chunk))
        )
        out.update({p: i for p, i in result})
    return out


# --- golden records --------------------------------------------------------------------------


async def golden_ids_of_members(conn: AsyncConnection, record_ids: Iterable[int]) -> set[int]:
    found: set[int] = set()
    for chunk in _id_chunks(conn, sorted(set(record_ids))):
        result = await conn.execute(
            select(golden_members.c.golden_id).where(
                _among(conn, golden_members.c.record_id, chunk)
            )
        )
        found.update(r[0] for r in result)
    return found


async def golden_heads(conn: AsyncConnection, golden_ids: Iterable[int]) -> list[dict[str, Any]]:
    """What a merge needs of golden rows it may replace: id, kind, view, ids, deleted_at."""
    out: list[dict[str, Any]] = []
    for chunk in _id_chunks(conn, sorted(set(golden_ids))):
        result = await conn.execute(
            select(goldens.c.id, goldens.c.kind, goldens.c.visibility, goldens.c.public_id,
                   goldens.c.structure_public_id, goldens.c.deleted_at)
            .where(_among(conn, goldens.c.id, chunk))
        )  # fmt: skip
        out += [dict(r) for r in result.mappings()]
    return out


async def has_goldens(conn: AsyncConnection, kind: str) -> bool:
    """Whether any golden row of this kind exists, tombstones included."""
    found = await conn.execute(select(goldens.c.id).where(goldens.c.kind == kind).limit(1))
    return found.first() is not None


async def golden_rows(conn: AsyncConnection, golden_ids: Iterable[int]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for chunk in _chunks(sorted(set(golden_ids))):
        result = await conn.execute(select(goldens).where(goldens.c.id.in_(chunk)))
        out += [dict(r) for r in result.mappings()]
    return out


async def delete_golden_details(
    conn: AsyncConnection, golden_ids: Sequence[int], *, values: bool = True
) -> None:
    """Members and provenance of these golden records, and their filter values (`values`)."""
    for chunk in _chunks(list(golden_ids)):
        await conn.execute(delete(provenance).where(provenance.c.golden_id.in_(chunk)))
        await conn.execute(delete(golden_members).where(golden_members.c.golden_id.in_(chunk)))
    if values:
        await delete_golden_values(conn, golden_ids)


async def delete_golden_values(conn: AsyncConnection, golden_ids: Sequence[int]) -> None:
    for chunk in _chunks(list(golden_ids)):
        await conn.execute(delete(golden_values).where(golden_values.c.golden_id.in_(chunk)))


async def refresh_tags(conn: AsyncConnection, golden_ids: Sequence[int]) -> None:
    """PostgreSQL: copy the golden records' filter values into their GIN-indexed tags (what
    the filters test there); SQLite filters on golden_value and keeps no tags."""
    if is_sqlite(conn.engine) or not golden_ids:
        return
    values = (
        select(func.array_agg(golden_values.c.field + ":" + golden_values.c.value))
        .where(golden_values.c.golden_id == goldens.c.id)
        .scalar_subquery()
    )
    # "none" as a tag of its own (store/tags.py), after the values, in the same update
    absent: list[Any] = [
        case(
            (
                and_(goldens.c.kind == kind, ~_holds(field)),
                literal(tag(field, NO_VALUE), type_=Text),
            )
        )
        for kind, fields in ABSENCE_TAGGED.items()
        for field in fields
    ]
    empty = text("ARRAY[]::text[]")
    tags = func.nullif(
        func.array_cat(
            func.coalesce(values, empty), func.array_remove(array[str](absent, type_=Text), null())
        ),
        empty,
    )
    for chunk in _id_chunks(conn, sorted(set(golden_ids))):
        await conn.execute(
            update(goldens).where(_among(conn, goldens.c.id, chunk)).values(tags=tags)
        )


def _holds(field: str) -> Any:
    """The golden row holds a value in its filter field `field`."""
    return (
        select(golden_values.c.golden_id)
        .where(golden_values.c.golden_id == goldens.c.id, golden_values.c.field == field)
        .exists()
    )


async def insert_golden_details(
    conn: AsyncConnection,
    member_rows: Sequence[dict[str, Any]],
    provenance_rows: Sequence[dict[str, Any]],
    value_rows: Sequence[dict[str, Any]] = (),
) -> None:
    await bulk_insert(conn, golden_members, member_rows)
    await bulk_insert(conn, provenance, provenance_rows)
    await bulk_insert(conn, golden_values, value_rows)


async def has_unindexed_goldens(conn: AsyncConnection) -> bool:
    """Whether a live golden record was written before details were hashed and indexed."""
    result = await conn.execute(
        select(goldens.c.id)
        .where(goldens.c.details_hash.is_(None), goldens.c.deleted_at.is_(None))
        .limit(1)
    )
    return result.first() is not None


@dataclass(frozen=True)
class Place:
    """Where a golden structure is: its commune's INSEE code and its coordinates, when known."""

    commune: str | None
    latitude: float | None
    longitude: float | None


async def structure_places(
    conn: AsyncConnection, public_ids: Iterable[str]
) -> dict[tuple[str, str], Place]:
    """(stored view, golden structure id) -> where it is (a service without an address is found
    there: each view at its own row, so a restricted producer's address never reaches the public
    view)."""
    out: dict[tuple[str, str], Place] = {}
    for chunk in _chunks(sorted(set(public_ids))):
        result = await conn.execute(
            select(goldens.c.visibility, goldens.c.public_id, golden_values.c.value,
                   goldens.c.latitude, goldens.c.longitude)
            .outerjoin(
                golden_values,
                and_(golden_values.c.golden_id == goldens.c.id, golden_values.c.field == "commune"),
            )
            .where(
                goldens.c.kind == "structure",
                goldens.c.public_id.in_(chunk),
                goldens.c.deleted_at.is_(None),
            )
        )  # fmt: skip
        out.update({(view, pid): Place(code, lat, lon) for view, pid, code, lat, lon in result})
    return out


def place_in_view(
    places: Mapping[tuple[str, str], Place], visibility: str, structure_id: str
) -> Place | None:
    """Where a structure is as a record of `visibility` sees it: its own view's row, else the
    shared one; an unrestricted record may also read the public row, never the restricted one."""
    views = (
        (visibility, SHARED_VIEW)
        if visibility == "restricted"
        else (visibility, SHARED_VIEW, "public")
    )
    for view in views:
        if (view, structure_id) in places:
            return places[(view, structure_id)]
    return None


async def golden_data(
    conn: AsyncConnection, golden_ids: Sequence[int]
) -> dict[int, tuple[dict[str, Any], float | None]]:
    """Golden row id -> its merged data and score, as stored (before an update)."""
    out: dict[int, tuple[dict[str, Any], float | None]] = {}
    for chunk in _id_chunks(conn, sorted(set(golden_ids))):
        result = await conn.execute(
            select(goldens.c.id, goldens.c.data, goldens.c.score_qualite).where(
                _among(conn, goldens.c.id, chunk)
            )
        )
        out.update({i: (data or {}, score) for i, data, score in result})
    return out


async def insert_changes(conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
    """Append entries to the change feed (`number_feed` numbers them at the end of the run)."""
    await bulk_insert(conn, changes_table, rows)


_NUMBER_FEED = """
UPDATE golden_change SET {view}_position = :start + ranked.n, {view}_version = :version
FROM (
    SELECT id, row_number() OVER (
        ORDER BY CASE kind WHEN 'structure' THEN 0 ELSE 1 END, public_id, id
    ) AS n
    FROM golden_change
    WHERE data_version = :data_version AND {view}_position IS NULL
      AND visibility IN ('{shared}', '{view}')
) AS ranked
WHERE golden_change.id = ranked.id
"""


async def number_feed(conn: AsyncConnection, data_version: int) -> None:
    """Number a run's feed entries in each view that sees them: a consumer's feed goes 1, 2,
    3… with no gap where another view changed, in an order that does not depend on how the
    run went about its work (structures, then services, by id), and its data versions count
    the runs that changed what it sees. (Runs that write the feed commit one after the
    other: each holds the data version's row from its bump to its commit.)"""
    for view in VISIBILITIES:
        position_col = changes_table.c[f"{view}_position"]
        version_col = changes_table.c[f"{view}_version"]
        position, version = (
            await conn.execute(select(func.max(position_col), func.max(version_col)))
        ).one()
        # positions and versions never repeat, even when `prune` emptied the feed
        pruned = dict(
            (await conn.execute(select(meta.c.key, meta.c.value).where(meta.c.key.in_(
                (f"{FEED_PRUNED_THROUGH}_{view}", f"{FEED_PRUNED_VERSION}_{view}")
            )))).all()
        )  # fmt: skip
        start = max(position or 0, int(pruned.get(f"{FEED_PRUNED_THROUGH}_{view}") or 0))
        latest = max(version or 0, int(pruned.get(f"{FEED_PRUNED_VERSION}_{view}") or 0))
        unnumbered = select(func.count()).where(
            changes_table.c.data_version == data_version,
            position_col.is_(None),
            changes_table.c.visibility.in_(stored_views(view)),
        )
        if not (await conn.execute(unnumbered)).scalar_one():
            continue
        already = (
            await conn.execute(
                select(func.max(version_col)).where(changes_table.c.data_version == data_version)
            )
        ).scalar()
        await conn.execute(
            text(_NUMBER_FEED.format(view=view, shared=SHARED_VIEW)),
            {"start": start, "version": already or latest + 1, "data_version": data_version},
        )


async def commune_territories(
    conn: AsyncConnection,
) -> dict[str, tuple[str | None, str | None, str | None]]:
    """Commune code -> (département, EPCI, région) codes; a municipal arrondissement (Paris,
    Lyon, Marseille) has its commune's, the COG giving it no EPCI of its own."""
    parent = communes.alias("parent")
    result = await conn.execute(
        select(communes.c.code, communes.c.departement_code,
               func.coalesce(communes.c.epci_code, parent.c.epci_code), communes.c.region_code)
        .outerjoin(parent, parent.c.code == communes.c.parent_code)
    )  # fmt: skip
    return {code: (dep, epci, reg) for code, dep, epci, reg in result}


async def bulk_insert(conn: AsyncConnection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert many rows: COPY on PostgreSQL (several times faster than INSERT for the tens of
    thousands of provenance rows a run writes), multi-row INSERTs on SQLite."""
    if not rows:
        return
    if is_sqlite(conn.engine):
        for chunk in _chunks(list(rows)):
            await conn.execute(insert(table), list(chunk))
        return
    columns = list(rows[0])
    as_json = [i for i, c in enumerate(columns) if isinstance(table.c[c].type, JSON)]
    records: list[tuple[Any, ...]] = []
    for r in rows:
        values = [r[c] for c in columns]
        for i in as_json:
            if values[i] is not None:
                values[i] = dumps_json(values[i])
        records.append(tuple(values))
    raw = await conn.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None
    await driver.copy_records_to_table(table.name, records=records, columns=columns)


async def members_of_goldens(conn: AsyncConnection, golden_ids: Iterable[int]) -> set[int]:
    """Every producer record these golden records hold."""
    held = await members_by_golden(conn, sorted(set(golden_ids)))
    return set().union(*held.values())


async def structure_golden_ids(conn: AsyncConnection) -> dict[tuple[str, str], str]:
    """(visibility, member structure public id) -> the live golden structure's public id."""
    result = await conn.execute(
        select(goldens.c.visibility, golden_members.c.member_public_id, goldens.c.public_id)
        .join(goldens, goldens.c.id == golden_members.c.golden_id)
        .where(goldens.c.kind == "structure", goldens.c.deleted_at.is_(None))
    )
    return {(v, m): p for v, m, p in result}


async def golden_id_by_member(conn: AsyncConnection, kind: str) -> dict[str, str]:
    """member public id -> the public id of the live golden record holding it (all members)."""
    result = await conn.execute(
        select(golden_members.c.member_public_id, goldens.c.public_id)
        .join(goldens, goldens.c.id == golden_members.c.golden_id)
        .where(
            goldens.c.kind == kind,
            goldens.c.visibility.in_(stored_views("restricted")),
            goldens.c.deleted_at.is_(None),
        )
    )
    return {m: p for m, p in result}


def cluster_keys(structure_ids: Mapping[tuple[str, str], str]) -> dict[str, str]:
    """Member structure public id -> its cluster (shared and restricted rows hold every member)."""
    return {m: p for (v, m), p in structure_ids.items() if v != "public"}


async def services_of_structures(
    conn: AsyncConnection, structure_public_ids: Iterable[str]
) -> set[int]:
    """Active services whose producer structure is one of these records."""
    wanted: dict[str, set[str]] = {}
    for public_id in structure_public_ids:
        slug, _, pid = public_id.partition("--")
        wanted.setdefault(pid, set()).add(slug)
    found: set[int] = set()
    for chunk in _chunks(sorted(wanted)):
        result = await conn.execute(
            select(records.c.id, records.c.source_slug, records.c.structure_producer_id).where(
                records.c.kind == "service",
                records.c.status == "active",
                records.c.structure_producer_id.in_(chunk),
            )
        )
        found.update(rid for rid, slug, pid in result if slug in wanted.get(pid, ()))
    return found


async def refresh_structure_scores(
    conn: AsyncConnection, public_ids: Iterable[str]
) -> list[tuple[str, str]]:
    """A structure's quality score is the mean of its live services' (as the real API does).

    A structure row reads the services its consumers see: shared rows, and rows of its own view.
    Returns the (stored view, public id) of the live structures whose score changed.
    """
    services = goldens.alias("services")
    own_view = case((goldens.c.visibility == "restricted", "restricted"), else_="public")
    # rounded: a mean summed in another row order must not read as a change (0.654 is
    # 0.6540000000000001 the other way round)
    mean = (
        select(cast(func.round(cast(func.avg(services.c.score_qualite), Numeric), 6), Float))
        .where(
            services.c.kind == "service",
            or_(services.c.visibility == SHARED_VIEW, services.c.visibility == own_view),
            services.c.structure_public_id == goldens.c.public_id,
            services.c.deleted_at.is_(None),
        )
        .scalar_subquery()
    )
    changed: list[tuple[str, str]] = []
    for chunk in _chunks(sorted(set(public_ids))):
        scope = [goldens.c.kind == "structure", goldens.c.public_id.in_(chunk)]
        live = [*scope, goldens.c.deleted_at.is_(None)]
        before = {
            (view, pid): score
            for view, pid, score in await conn.execute(
                select(goldens.c.visibility, goldens.c.public_id, goldens.c.score_qualite).where(
                    *live
                )
            )
        }
        await conn.execute(update(goldens).where(*scope).values(score_qualite=mean))
        after = await conn.execute(
            select(goldens.c.visibility, goldens.c.public_id, goldens.c.score_qualite).where(*live)
        )
        changed += [(view, pid) for view, pid, score in after if before.get((view, pid)) != score]
    return changed


async def clusters_by_record(conn: AsyncConnection, kind: str) -> dict[int, list[int]]:
    """Record id -> every record of its golden record (the restricted view holds all members)."""
    result = await conn.execute(
        select(golden_members.c.golden_id, golden_members.c.record_id)
        .join(goldens, goldens.c.id == golden_members.c.golden_id)
        .where(
            goldens.c.kind == kind,
            goldens.c.visibility.in_(stored_views("restricted")),
            goldens.c.deleted_at.is_(None),
        )
    )
    by_golden: dict[int, list[int]] = {}
    for golden_id, record_id in result:
        by_golden.setdefault(golden_id, []).append(record_id)
    return {r: group for group in by_golden.values() for r in group}


async def prune(conn: AsyncConnection, before: datetime) -> dict[str, int]:
    """Drop tombstones and closed versions older than `before` (the caller checks the 90 days)."""
    old = [
        r[0]
        for r in await conn.execute(
            select(goldens.c.id).where(
                goldens.c.deleted_at.is_not(None), goldens.c.deleted_at < before
            )
        )
    ]
    await delete_golden_details(conn, old)
    for chunk in _chunks(old):
        await conn.execute(delete(goldens).where(goldens.c.id.in_(chunk)))
    referenced = select(provenance.c.record_version_id).where(
        provenance.c.record_version_id.is_not(None)
    )
    closed = await conn.execute(
        delete(versions).where(
            versions.c.valid_to.is_not(None),
            versions.c.valid_to < before,
            versions.c.id.not_in(referenced),
        )
    )
    for view in VISIBILITIES:  # a consumer further behind than this must sync again
        position_col = changes_table.c[f"{view}_position"]
        last_pruned, last_version = (
            await conn.execute(
                select(func.max(position_col), func.max(changes_table.c[f"{view}_version"])).where(
                    changes_table.c.at < before
                )
            )
        ).one()
        if last_pruned is not None:
            await set_meta(conn, f"{FEED_PRUNED_THROUGH}_{view}", str(last_pruned))
            await set_meta(conn, f"{FEED_PRUNED_VERSION}_{view}", str(last_version or 0))
    feed = await conn.execute(delete(changes_table).where(changes_table.c.at < before))
    await set_meta(conn, FEED_PRUNED_BEFORE, before.isoformat())
    return {
        "tombstones": len(old),
        "versions": closed.rowcount or 0,
        "changes": feed.rowcount or 0,
    }


# + "_public" / "_restricted": the last position of that view's feed `prune` dropped
FEED_PRUNED_THROUGH = "change_feed_pruned_through"
FEED_PRUNED_VERSION = "change_feed_pruned_version"  # + view: its last version `prune` dropped
FEED_PRUNED_BEFORE = "change_feed_pruned_before"  # entries before this time are gone


async def set_meta(conn: AsyncConnection, key: str, value: str) -> None:
    done = await conn.execute(update(meta).where(meta.c.key == key).values(value=value))
    if not done.rowcount:
        await conn.execute(insert(meta).values(key=key, value=value))


async def kinds_of(conn: AsyncConnection, record_ids: Sequence[int]) -> dict[int, str]:
    result = await conn.execute(
        select(records.c.id, records.c.kind).where(records.c.id.in_(list(record_ids)))
    )
    return {i: k for i, k in result}


async def goldens_by_public_ids(
    conn: AsyncConnection, kind: str, public_ids: Sequence[str]
) -> dict[str, dict[str, dict[str, Any]]]:
    """public id -> stored view ("all", "public", "restricted") -> golden row, tombstones too."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for chunk in _chunks(sorted(set(public_ids))):
        result = await conn.execute(
            select(goldens.c.id, goldens.c.visibility, goldens.c.public_id, goldens.c.content_hash,
                   goldens.c.details_hash, goldens.c.deleted_at, goldens.c.updated_at,
                   goldens.c.data_version)
            .where(goldens.c.kind == kind, goldens.c.public_id.in_(chunk))
        )  # fmt: skip
        for row in result.mappings():
            out.setdefault(row["public_id"], {})[row["visibility"]] = dict(row)
    return out


async def members_by_golden(
    conn: AsyncConnection, golden_ids: Sequence[int]
) -> dict[int, set[int]]:
    """golden row id -> the producer record ids it holds."""
    out: dict[int, set[int]] = {}
    for chunk in _chunks(sorted(set(golden_ids))):
        result = await conn.execute(
            select(golden_members.c.golden_id, golden_members.c.record_id).where(
                golden_members.c.golden_id.in_(chunk)
            )
        )
        for golden_id, record_id in result:
            out.setdefault(golden_id, set()).add(record_id)
    return out


async def drop_goldens(conn: AsyncConnection, golden_ids: Sequence[int]) -> None:
    """Delete rows another row now serves (no tombstone: the record lives on under its id)."""
    await delete_golden_details(conn, golden_ids)
    for chunk in _chunks(list(golden_ids)):
        await conn.execute(delete(goldens).where(goldens.c.id.in_(chunk)))


async def insert_goldens(conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> list[int]:
    if not rows:
        return []
    if is_sqlite(conn.engine):
        # inside the run's write transaction SQLite has one writer: ids can be handed out here
        last = (await conn.execute(select(func.max(goldens.c.id)))).scalar_one_or_none() or 0
        ids = list(range(last + 1, last + 1 + len(rows)))
        for chunk in _chunks([{**r, "id": i} for r, i in zip(rows, ids, strict=True)]):
            await conn.execute(insert(goldens), list(chunk))
        return ids
    # ids drawn from the sequence in the rows' order (as INSERT … RETURNING hands them out),
    # then one COPY: several times faster than INSERT for a full run's hundreds of thousands
    result = await conn.execute(_NEXT_GOLDEN_IDS, {"n": len(rows)})
    ids = sorted(r[0] for r in result)
    await bulk_insert(conn, goldens, [{**r, "id": i} for r, i in zip(rows, ids, strict=True)])
    return ids


_NEXT_GOLDEN_IDS = text(
    "SELECT nextval(pg_get_serial_sequence('golden_record', 'id')) FROM generate_series(1, :n)"
)


async def update_goldens(conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
    if not rows:
        return
    columns = [k for k in rows[0] if k != "b_id"]
    stmt = (
        update(goldens)
        .where(goldens.c.id == bindparam("b_id"))
        .values({c: bindparam(c) for c in columns})
    )
    for chunk in _chunks(list(rows)):
        await conn.execute(stmt, list(chunk))


async def tombstone_goldens(
    conn: AsyncConnection,
    golden_ids: Sequence[int],
    at: datetime,
    data_version: int,
    feed_views: Mapping[int, str | None] | None = None,
) -> None:
    """Mark golden rows deleted, each with a `deleted` entry in the change feed under the row's
    view, or under `feed_views[id]` (None: no entry; the record lives on in another row)."""
    for chunk in _chunks(list(golden_ids)):
        gone = await conn.execute(
            update(goldens)
            .where(goldens.c.id.in_(chunk))
            .values(deleted_at=at, data_version=data_version, updated_at=at)
            .returning(goldens.c.id, goldens.c.kind, goldens.c.visibility, goldens.c.public_id)
        )
        views = feed_views or {}
        await insert_changes(
            conn,
            [
                {"kind": kind, "visibility": views.get(i, visibility), "public_id": public_id,
                 "operation": "deleted", "fields": [], "at": at, "data_version": data_version}
                for i, kind, visibility, public_id in gone.all()
                if views.get(i, visibility) is not None
            ],
        )  # fmt: skip
