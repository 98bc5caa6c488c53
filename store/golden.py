"""Reading golden records for the API: pages, lookups by any member id, provenance, members."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import (
    FieldProvenance,
    GoldenMember,
    GoldenRecord,
    IngestRun,
    ProducerRecord,
    Source,
)
from models.merge import RecordLink, stored_views
from store.rows import any_of, rows
from store.territories import table_of

goldens = table_of(GoldenRecord)
# what the API reads of a golden row: not its filter tags, search text or hashes (a page of a
# thousand records would decode them for nothing)
SERVED = [
    c for c in goldens.c if c.name not in ("tags", "search_text", "content_hash", "details_hash")
]


async def execute(session: AsyncSession, stmt: Any, params: dict[str, Any] | None = None) -> Any:
    """Core statements run on the session's connection (sqlmodel's session wants ORM ones)."""
    return await (await session.connection()).execute(stmt, params)


members = table_of(GoldenMember)
provenance = table_of(FieldProvenance)
records = table_of(ProducerRecord)
sources = table_of(Source)
runs = table_of(IngestRun)
links = table_of(RecordLink)


def uses_tags(session: AsyncSession) -> bool:
    """Whether this store filters through the GIN-indexed tags (PostgreSQL) or golden_value."""
    bind = session.bind
    return bind is not None and bind.dialect.name == "postgresql"


def live(kind: str, visibility: str) -> list[Any]:
    """What a golden row must be to be served to a consumer of `visibility`: of that kind, in a
    view that consumer reads, not deleted."""
    return [
        goldens.c.kind == kind,
        goldens.c.visibility.in_(stored_views(visibility)),
        goldens.c.deleted_at.is_(None),
    ]


def live_params() -> list[Any]:
    """`live` with the kind and the views as parameters (`kind`, `views`): for statements built
    once and run with each request's values (building one costs more than running it)."""
    return [
        goldens.c.kind == bindparam("kind"),
        any_of(goldens.c.visibility, "views"),
        goldens.c.deleted_at.is_(None),
    ]


def live_values(kind: str, visibility: str) -> dict[str, Any]:
    return {"kind": kind, "views": list(stored_views(visibility))}


_BY_PUBLIC_IDS = select(*SERVED).where(*live_params(), any_of(goldens.c.public_id, "ids"))
_BY_MEMBER_IDS = (
    select(members.c.member_public_id, *SERVED)
    .join(goldens, goldens.c.id == members.c.golden_id)
    .where(*live_params(), any_of(members.c.member_public_id, "ids"))
)


async def by_public_ids(
    session: AsyncSession, kind: str, visibility: str, ids: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """Live golden records by their own id or by the id of any of their members."""
    wanted = sorted(set(ids))
    direct = await rows(session, _BY_PUBLIC_IDS, {**live_values(kind, visibility), "ids": wanted})
    found = {row["public_id"]: row for row in direct}
    missing = [i for i in wanted if i not in found]
    if missing:
        via = await rows(session, _BY_MEMBER_IDS, {**live_values(kind, visibility), "ids": missing})
        for data in via:
            found[data.pop("member_public_id")] = data
    return found


async def provenance_by_golden_ids(
    session: AsyncSession, golden_ids: Sequence[int]
) -> dict[int, dict[str, dict[str, Any]]]:
    """Field provenance rows by golden record, `last_confirmed_at` brought up to date.

    A run that leaves a record unchanged does not remerge it, so the stored `last_confirmed_at`
    is the time of the last merge; the record's last run and its producer's last full run (which
    confirmed every active record) may be later.
    """
    last_seen = runs.alias("last_seen")
    result = await execute(
        session,
        select(provenance, last_seen.c.started_at.label("record_seen_at"))
        .outerjoin(records, records.c.id == provenance.c.record_id)
        .outerjoin(last_seen, last_seen.c.id == records.c.last_seen_run_id)
        .where(provenance.c.golden_id.in_(sorted(set(golden_ids)))),
    )
    rows = [dict(row) for row in result.mappings()]
    full_runs: dict[str, Any] = {}
    slugs = sorted({r["source_slug"] for r in rows})
    if slugs:
        full = await execute(
            session,
            select(runs.c.source_slug, func.max(runs.c.finished_at))
            .where(
                runs.c.source_slug.in_(slugs),
                runs.c.status.in_(("succeeded", "unchanged")),
                runs.c.partial.is_(False),
            )
            .group_by(runs.c.source_slug),
        )
        full_runs = dict(full.all())
    out: dict[int, dict[str, dict[str, Any]]] = defaultdict(dict)
    for row in rows:
        seen = row.pop("record_seen_at")
        times = (row["last_confirmed_at"], seen, full_runs.get(row["source_slug"]))
        row["last_confirmed_at"] = max((t for t in times if t is not None), default=None)
        out[row["golden_id"]][row["field"]] = row
    return out


def _by_golden_id(found: Iterable[Mapping[str, Any]]) -> dict[int, list[dict[str, Any]]]:
    """Rows grouped by their `golden_id` (which they then lack), in the order found."""
    out: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in found:
        data = dict(row)
        out[data.pop("golden_id")].append(data)
    return out


async def member_records_by_golden_ids(
    session: AsyncSession, golden_ids: Sequence[int]
) -> dict[int, list[dict[str, Any]]]:
    """The producer records behind each golden record, as each producer published them."""
    stmt = _of_members(
        golden_ids, records.c.producer_id, records.c.data, records.c.date_maj, records.c.version
    )
    result = await execute(session, stmt.order_by(records.c.public_id))
    return _by_golden_id(result.mappings())


def _of_members(golden_ids: Sequence[int], *columns: Any) -> Any:
    """The member records of the golden records `golden_ids`: each one's golden id, public id,
    producer and `columns`."""
    return (
        select(members.c.golden_id, records.c.public_id, records.c.source_slug, *columns)
        .join(records, records.c.id == members.c.record_id)
        .where(members.c.golden_id.in_(sorted(set(golden_ids))))
    )


_SOURCES_BY_GOLDEN_IDS = (
    select(members.c.golden_id, sources)
    .distinct()
    .join(records, records.c.id == members.c.record_id)
    .join(sources, sources.c.slug == records.c.source_slug)
    .where(any_of(members.c.golden_id, "ids"))
    .order_by(members.c.golden_id, sources.c.slug)
)


async def sources_by_golden_ids(
    session: AsyncSession, golden_ids: Sequence[int]
) -> dict[int, list[dict[str, Any]]]:
    """The producers behind each golden record (their registry rows, by slug), without reading
    the records themselves."""
    return _by_golden_id(
        await rows(session, _SOURCES_BY_GOLDEN_IDS, {"ids": sorted(set(golden_ids))})
    )


async def links_by_golden_ids(
    session: AsyncSession, golden_ids: Sequence[int]
) -> dict[int, list[dict[str, Any]]]:
    """The standing links between two members of each golden record (why they were merged):
    the members' public ids, method, score, rule version, evidence, who decided and when. Only
    members of that row count, so a view without a restricted member shows no link to it."""
    other = members.alias("other")
    record_a, record_b = records.alias("record_a"), records.alias("record_b")
    result = await execute(
        session,
        select(
            members.c.golden_id,
            record_a.c.public_id.label("a"),
            record_b.c.public_id.label("b"),
            links.c.decision,
            links.c.method,
            links.c.score,
            links.c.rule_version,
            links.c.reason,
            links.c.decided_by,
            links.c.created_at,
        )
        .join(links, links.c.record_a_id == members.c.record_id)
        .join(
            other,
            (other.c.record_id == links.c.record_b_id) & (other.c.golden_id == members.c.golden_id),
        )
        .join(record_a, record_a.c.id == links.c.record_a_id)
        .join(record_b, record_b.c.id == links.c.record_b_id)
        .where(
            members.c.golden_id.in_(sorted(set(golden_ids))),
            links.c.revoked_at.is_(None),
            links.c.decision == "same",
        )
        .order_by(record_a.c.public_id, record_b.c.public_id),
    )
    return _by_golden_id(result.mappings())


async def sources_by_slugs(
    session: AsyncSession, slugs: Sequence[str]
) -> dict[str, dict[str, Any]]:
    result = await execute(session, select(sources).where(sources.c.slug.in_(sorted(set(slugs)))))
    return {row["slug"]: dict(row) for row in result.mappings()}


async def all_sources(session: AsyncSession) -> list[dict[str, Any]]:
    result = await execute(session, select(sources).order_by(sources.c.slug))
    return [dict(row) for row in result.mappings()]


async def versions_by_golden_ids(
    session: AsyncSession, golden_ids: Sequence[int]
) -> dict[int, list[dict[str, Any]]]:
    """Every version of every member record of each golden record, oldest first."""
    from models import ProducerRecordVersion

    versions = table_of(ProducerRecordVersion)
    stmt = _of_members(
        golden_ids,
        versions.c.version,
        versions.c.run_id,
        versions.c.data,
        versions.c.valid_from,
        versions.c.valid_to,
    ).join(versions, versions.c.record_id == records.c.id)
    result = await execute(session, stmt.order_by(records.c.public_id, versions.c.version))
    return _by_golden_id(result.mappings())


def _producer_records(source: str, kind: str) -> list[Any]:
    return [records.c.source_slug == source, records.c.kind == kind, records.c.status == "active"]


async def producer_records_page(
    session: AsyncSession, source: str, kind: str, *, first: int, after: str | None
) -> list[tuple[list[Any], dict[str, Any]]]:
    """One producer's active records of a kind as it published them (after mapping), by id."""
    stmt = (
        select(
            records.c.public_id,
            records.c.source_slug,
            records.c.producer_id,
            records.c.data,
            records.c.date_maj,
            records.c.version,
        )
        .where(*_producer_records(source, kind))
        .order_by(records.c.public_id)
        .limit(first)
    )
    if after is not None:
        stmt = stmt.where(records.c.public_id > after)
    result = await execute(session, stmt)
    return [([row["public_id"]], dict(row)) for row in result.mappings()]


async def producer_records_count(session: AsyncSession, source: str, kind: str) -> int:
    stmt = select(func.count()).select_from(records).where(*_producer_records(source, kind))
    return int((await execute(session, stmt)).scalar_one())
