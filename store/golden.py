"""Reading golden records for the API: pages, lookups by any member id, provenance, members."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import exists, func, select, tuple_
from sqlmodel.ext.asyncio.session import AsyncSession

from models import (
    FieldProvenance,
    GoldenMember,
    GoldenRecord,
    GoldenValue,
    IngestRun,
    ProducerRecord,
    Source,
)
from models.merge import stored_views
from store.territories import table_of

goldens = table_of(GoldenRecord)


async def _execute(session: AsyncSession, stmt: Any) -> Any:
    """Core statements run on the session's connection (sqlmodel's session wants ORM ones)."""
    return await (await session.connection()).execute(stmt)


members = table_of(GoldenMember)
provenance = table_of(FieldProvenance)
records = table_of(ProducerRecord)
sources = table_of(Source)
runs = table_of(IngestRun)
values = table_of(GoldenValue)


@dataclass(frozen=True)
class Filter:
    """What a list of merged records is narrowed to; every condition must hold."""

    values: Mapping[str, Sequence[str]] = field(default_factory=dict)  # golden_value: any of
    score_min: float | None = None
    date_min: date | None = None
    words: Sequence[str] = ()  # folded words, each found in the record's name or description

    def conditions(self) -> list[Any]:
        out: list[Any] = []
        for name, wanted in sorted(self.values.items()):
            held = values.alias(f"held_{name}")  # apart from the facets' own golden_value
            out.append(
                exists()
                .where(
                    held.c.golden_id == goldens.c.id,
                    held.c.field == name,
                    held.c.value.in_(sorted(set(wanted))),
                )
                .correlate(goldens)
            )
        if self.score_min is not None:
            out.append(goldens.c.score_qualite >= self.score_min)
        if self.date_min is not None:
            out.append(goldens.c.date_maj >= self.date_min)
        out += [goldens.c.search_text.contains(word, autoescape=True) for word in self.words]
        return out


def _live(kind: str, visibility: str, where: Filter | None) -> list[Any]:
    return [
        goldens.c.kind == kind,
        goldens.c.visibility.in_(stored_views(visibility)),
        goldens.c.deleted_at.is_(None),
        *(where.conditions() if where else []),
    ]


async def page(
    session: AsyncSession,
    kind: str,
    visibility: str,
    *,
    first: int,
    after: Sequence[Any] | None,
    where: Filter | None = None,
) -> list[tuple[list[Any], dict[str, Any]]]:
    """Live golden records ordered by public id; `first` rows after the cursor key."""
    stmt = (
        select(goldens)
        .where(*_live(kind, visibility, where))
        .order_by(goldens.c.public_id)
        .limit(first)
    )
    if after is not None:
        stmt = stmt.where(tuple_(goldens.c.public_id) > tuple_(after[0]))
    result = await _execute(session, stmt)
    return [([row["public_id"]], dict(row)) for row in result.mappings()]


async def services_by_structures(
    session: AsyncSession,
    visibility: str,
    structure_ids: Sequence[str],
    *,
    first: int,
    after: Sequence[Any] | None,
) -> dict[str, list[tuple[list[Any], dict[str, Any]]]]:
    """Per golden structure id: its live services ordered by id, `first` rows after the cursor
    key; one statement for any number of structures (a window per structure)."""
    rank = (
        func.row_number()
        .over(partition_by=goldens.c.structure_public_id, order_by=goldens.c.public_id)
        .label("rank")
    )
    inner = select(goldens, rank).where(
        *_live("service", visibility, None),
        goldens.c.structure_public_id.in_(sorted(set(structure_ids))),
    )
    if after is not None:
        inner = inner.where(goldens.c.public_id > after[0])
    ranked = inner.subquery()
    stmt = (
        select(ranked)
        .where(ranked.c.rank <= first)
        .order_by(ranked.c.structure_public_id, ranked.c.public_id)
    )
    out: dict[str, list[tuple[list[Any], dict[str, Any]]]] = defaultdict(list)
    for row in (await _execute(session, stmt)).mappings():
        data = dict(row)
        data.pop("rank")
        out[data["structure_public_id"]].append(([data["public_id"]], data))
    return out


async def service_counts(
    session: AsyncSession, visibility: str, structure_ids: Sequence[str]
) -> dict[str, int]:
    """Per golden structure id: how many live services it has."""
    stmt = (
        select(goldens.c.structure_public_id, func.count())
        .where(
            *_live("service", visibility, None),
            goldens.c.structure_public_id.in_(sorted(set(structure_ids))),
        )
        .group_by(goldens.c.structure_public_id)
    )
    return {sid: int(n) for sid, n in await _execute(session, stmt)}


async def count(
    session: AsyncSession, kind: str, visibility: str, where: Filter | None = None
) -> int:
    stmt = select(func.count()).select_from(goldens).where(*_live(kind, visibility, where))
    return int((await _execute(session, stmt)).scalar_one())


async def facets(
    session: AsyncSession,
    kind: str,
    visibility: str,
    fields: Sequence[str],
    where: Filter | None = None,
) -> dict[str, list[tuple[str, int]]]:
    """Per filter field: each value with the number of matching records holding it, most
    frequent first; one statement."""
    stmt = (
        select(values.c.field, values.c.value, func.count())
        .join(goldens, goldens.c.id == values.c.golden_id)
        .where(values.c.field.in_(list(fields)), *_live(kind, visibility, where))
        .group_by(values.c.field, values.c.value)
    )
    out: dict[str, list[tuple[str, int]]] = {f: [] for f in fields}
    for name, value, n in await _execute(session, stmt):
        out[name].append((value, int(n)))
    for counts in out.values():
        counts.sort(key=lambda c: (-c[1], c[0]))
    return out


async def by_public_ids(
    session: AsyncSession, kind: str, visibility: str, ids: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """Live golden records by their own id or by the id of any of their members."""
    wanted = sorted(set(ids))
    direct = await _execute(
        session,
        select(goldens).where(
            *_live(kind, visibility, None),
            goldens.c.public_id.in_(wanted),
        ),
    )
    found = {row["public_id"]: dict(row) for row in direct.mappings()}
    missing = [i for i in wanted if i not in found]
    if missing:
        via = await _execute(
            session,
            select(members.c.member_public_id, goldens)
            .join(goldens, goldens.c.id == members.c.golden_id)
            .where(
                *_live(kind, visibility, None),
                members.c.member_public_id.in_(missing),
            ),
        )
        for row in via.mappings():
            data = dict(row)
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
    result = await _execute(
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
        full = await _execute(
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


async def member_records_by_golden_ids(
    session: AsyncSession, golden_ids: Sequence[int]
) -> dict[int, list[dict[str, Any]]]:
    """The producer records behind each golden record, as each producer published them."""
    result = await _execute(
        session,
        select(
            members.c.golden_id,
            records.c.public_id,
            records.c.source_slug,
            records.c.producer_id,
            records.c.data,
            records.c.date_maj,
            records.c.version,
        )
        .join(records, records.c.id == members.c.record_id)
        .where(members.c.golden_id.in_(sorted(set(golden_ids))))
        .order_by(records.c.public_id),
    )
    out: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in result.mappings():
        data = dict(row)
        out[data.pop("golden_id")].append(data)
    return out


async def sources_by_slugs(
    session: AsyncSession, slugs: Sequence[str]
) -> dict[str, dict[str, Any]]:
    result = await _execute(session, select(sources).where(sources.c.slug.in_(sorted(set(slugs)))))
    return {row["slug"]: dict(row) for row in result.mappings()}


async def all_sources(session: AsyncSession) -> list[dict[str, Any]]:
    result = await _execute(session, select(sources).order_by(sources.c.slug))
    return [dict(row) for row in result.mappings()]


async def versions_by_golden_ids(
    session: AsyncSession, golden_ids: Sequence[int]
) -> dict[int, list[dict[str, Any]]]:
    """Every version of every member record of each golden record, oldest first."""
    from models import ProducerRecordVersion

    versions = table_of(ProducerRecordVersion)
    result = await _execute(
        session,
        select(
            members.c.golden_id,
            records.c.public_id,
            records.c.source_slug,
            versions.c.version,
            versions.c.run_id,
            versions.c.data,
            versions.c.valid_from,
            versions.c.valid_to,
        )
        .join(records, records.c.id == members.c.record_id)
        .join(versions, versions.c.record_id == records.c.id)
        .where(members.c.golden_id.in_(sorted(set(golden_ids))))
        .order_by(records.c.public_id, versions.c.version),
    )
    out: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in result.mappings():
        data = dict(row)
        out[data.pop("golden_id")].append(data)
    return out
