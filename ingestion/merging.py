"""The merge run: link duplicates (`dedup`), then (re)build the golden records of the clusters a
run touched, or of all, by the survivorship rules (`survivorship`); its I/O is `store.merging`."""

from __future__ import annotations

import gc
import hashlib
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncConnection

from ingestion import dedup, ids, indexing, quality, survivorship
from models.members import Member, SourceFacts
from models.merge import SHARED_VIEW, VISIBILITIES, stored_views
from store import merging as store
from store.engine import is_sqlite
from store.records import as_date
from store.tags import row_tags

PERSIST_BATCH = 2000  # clusters written per batch: bounded memory on a full merge
READ_BATCH = 10_000  # records whose data a full run reads at a time to compare services
FULL_SHARE = 0.5  # a run changing more than this share of a kind's records relinks all of it
GC_YOUNG = 200_000  # allocations between two of the collector's young passes during a merge
BULK = 10_000  # rows written in one run above which PostgreSQL's statistics are refreshed
DETAIL_TABLES = ("golden_record", "golden_member", "field_provenance", "golden_value")
RECORD_TABLES = ("producer_record", "producer_record_version")


@dataclass
class _Merged:
    """One batch of clusters merged, before it is written."""

    produced: dict[tuple[str, str], tuple[Any, list[Member]]]  # (view, id) -> golden, cluster
    datas: dict[tuple[str, str], dict[str, Any]]  # (view, id) -> the row's data
    ordered: list[tuple[tuple[str, str], tuple[Any, list[Member]]]]  # produced, sorted
    scores: list[float | None]  # the services' quality scores, in that order


@dataclass
class MergeReport:
    links_added: int = 0
    links_revoked: int = 0
    clusters: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    review: int = 0
    duration_s: float = 0.0
    by_kind: dict[str, dict[str, int]] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def _hash(value: Any) -> str:
    return hashlib.sha256(orjson.dumps(value, option=orjson.OPT_SORT_KEYS, default=str)).hexdigest()


class Merger:
    """One merge pass inside the caller's transaction."""

    def __init__(
        self, conn: AsyncConnection, *, now: datetime, data_version: int, rules: Any = None
    ) -> None:
        self.conn = conn
        self.now = now
        self.data_version = data_version
        self.rules = rules or survivorship.load_rules()
        self.report = MergeReport()
        self.sources: dict[str, SourceFacts] = {}
        self.structure_ids: dict[tuple[str, str], str] = {}
        self.touched_structures: set[str] = set()  # golden structure ids whose score may move
        self.created: set[tuple[str, str]] = set()  # (view, id) of structures created this run
        self.territories: dict[str, tuple[str | None, str | None, str | None]] = {}
        # kinds whose members are held without their data (a full run): `_persist` reads it
        self.light: set[str] = set()
        self.first_goldens = False  # no golden record of the kind being persisted exists yet

    # --- entry points ------------------------------------------------------------------------

    async def run(self, changed: Mapping[str, set[int]] | None) -> MergeReport:
        """`changed`: kind -> record ids a run created, changed or marked gone; None: everything."""
        started = time.monotonic()
        self.sources = await store.source_facts(self.conn)
        self.territories = await store.commune_territories(self.conn)
        if changed is None:  # ingests without a merge may have left the planner's sizes behind
            await store.refresh_statistics(self.conn, RECORD_TABLES)
        structure_ids = await self._seeds("structure", changed)
        service_ids = await self._seeds("service", changed)
        structure_clusters = await self._structures(structure_ids)
        await self._services(service_ids, structure_clusters)
        await store.number_feed(self.conn, self.data_version)
        self.report.duration_s = round(time.monotonic() - started, 3)
        return self.report

    async def _seeds(self, kind: str, changed: Mapping[str, set[int]] | None) -> set[int] | None:
        """The records to start from; None (everything) when a run touched most of the kind,
        as a first load does: one pass over all of it is cheaper than following every record."""
        if changed is None:
            return None
        seeds = set(changed.get(kind, set()))
        if len(seeds) > 1000 and len(seeds) > FULL_SHARE * await store.count_active(
            self.conn, kind
        ):
            return None
        return seeds

    # --- structures --------------------------------------------------------------------------

    async def _structures(self, seeds: set[int] | None) -> dict[str, list[Member]]:
        """Relink and remerge structures; returns the affected clusters by golden cluster key."""
        kind = "structure"
        if seeds is not None and not seeds:
            return {}
        if seeds is None:
            return await self._all_structures()
        seed_members = await store.load_members(
            self.conn, kind, record_ids=None if seeds is None else sorted(seeds)
        )
        feats = {m.record_id: dedup.features(m) for m in seed_members}
        keys = {rid: dedup.keys_of(f) for rid, f in feats.items()}
        await store.save_features(
            self.conn, {rid: dedup.features_to_json(f) for rid, f in feats.items()}
        )
        if seeds is None:
            await store.replace_blocks(self.conn, kind, keys, everything=True)
            await store.refresh_statistics(self.conn, ["record_block"])
            candidates = dedup.candidates_among(list(feats.values()))
        else:
            # gone records lose their keys; pairs come from the stored blocks, sized as a full
            # run sizes them, so an incremental run compares what a full run would; partners'
            # features are read as stored, not recomputed from their data
            await store.replace_blocks(self.conn, kind, {r: keys.get(r, set()) for r in seeds})
            blocks = await store.blocks_of(
                self.conn, kind, {k for ks in keys.values() for k in ks}, max_block=dedup.MAX_BLOCK
            )
            pairs = dedup.pairs_of_seeds(blocks, set(keys))
            feats.update(
                await self._stored_features(kind, {r for p in pairs for r in p} - set(feats))
            )
            # how many records hold each shared phone or e-mail (a network's or a place's own)
            counts = {k: len(v) for k, v in blocks.items() if k.startswith(("mail:", "tel:"))}
            candidates = dedup.score_pairs(feats, pairs, counts)
        seed_ids = set(keys) if seeds is not None else None
        pool = {f.public_id: rid for rid, f in feats.items()}
        await self._maintain_links(kind, pool, candidates, seed_ids)
        scope = await self._scope(kind, seeds, set(feats))
        loaded = {m.record_id: m for m in seed_members if m.record_id in scope}
        members = [
            *loaded.values(),
            *await store.load_members(self.conn, kind, record_ids=sorted(scope - set(loaded))),
        ]
        by_public = {f.public_id: f for f in feats.values()}
        return await self._merge_clusters(kind, members, scope, by_public)

    async def _all_structures(self) -> dict[str, list[Member]]:
        """`_structures` of a full run. Every record's data is read once, a page at a time, for
        its features and blocking keys; linking and clustering then hold only the features and
        the records without their data, which `_persist` reads again a batch at a time."""
        kind = "structure"
        self.light.add(kind)
        members: list[Member] = []
        feats: dict[int, dedup.Features] = {}
        async for page in store.member_pages(self.conn, kind):
            found = {m.record_id: dedup.features(m) for m in page}
            await store.save_features(
                self.conn, {rid: dedup.features_to_json(f) for rid, f in found.items()}
            )
            await store.replace_blocks(
                self.conn, kind, {rid: dedup.keys_of(f) for rid, f in found.items()}
            )
            feats.update(found)
            members += [_without_data(m) for m in page]
        await store.drop_inactive_blocks(self.conn, kind)
        await store.refresh_statistics(self.conn, ["record_block"])
        candidates = dedup.candidates_among(list(feats.values()))
        pool = {f.public_id: rid for rid, f in feats.items()}
        await self._maintain_links(kind, pool, candidates, None)
        del candidates
        by_public = {f.public_id: f for f in feats.values()}
        del feats, pool
        return await self._merge_clusters(
            kind, members, {m.record_id for m in members}, by_public, everything=True
        )

    async def _stored_features(self, kind: str, record_ids: set[int]) -> dict[int, dedup.Features]:
        """Features of these active records as stored; those missing or outdated are computed
        (and stored) from the records."""
        out: dict[int, dedup.Features] = {}
        redo: list[int] = []
        for rid, doc in (await store.load_features(self.conn, record_ids)).items():
            found = dedup.features_from_json(doc)
            if found is None:
                redo.append(rid)
            else:
                out[rid] = found
        if redo:
            fresh = {m.record_id: dedup.features(m) for m in await store.load_members(
                self.conn, kind, record_ids=redo
            )}  # fmt: skip
            await store.save_features(
                self.conn, {rid: dedup.features_to_json(f) for rid, f in fresh.items()}
            )
            out.update(fresh)
        return out

    async def _maintain_links(
        self,
        kind: str,
        pool: Mapping[str, int],
        candidates: Sequence[Any],
        seed_ids: set[int] | None,
    ) -> None:
        by_public = pool  # public id -> record id of every record the candidates may name
        auto = {
            (min(by_public[c.a], by_public[c.b]), max(by_public[c.a], by_public[c.b])): c
            for c in candidates
            if c.score >= dedup.AUTO_LINK and c.a in by_public and c.b in by_public
        }
        self.report.review += sum(
            1 for c in candidates if dedup.REVIEW_FLOOR <= c.score < dedup.AUTO_LINK
        )
        existing = (
            await store.active_links(self.conn, kind)
            if seed_ids is None
            else await store.links_touching(self.conn, kind, seed_ids)
        )
        present = set()
        revoke = []
        for link in existing:
            pair = (
                min(link["record_a_id"], link["record_b_id"]),
                max(link["record_a_id"], link["record_b_id"]),
            )
            present.add(pair)
            if link["method"] == "manual":
                continue  # a person's decision stands until a person revokes it
            if pair not in auto:
                revoke.append(link["id"])
        manual = {
            (min(lk["record_a_id"], lk["record_b_id"]), max(lk["record_a_id"], lk["record_b_id"]))
            for lk in existing
            if lk["method"] == "manual"
        }
        add = [
            {
                "kind": kind,
                "record_a_id": a,
                "record_b_id": b,
                "decision": "same",
                "method": c.method,
                "score": round(c.score, 4),
                "rule_version": dedup.RULE_VERSION,
                "reason": orjson.dumps(c.evidence, default=str).decode(),
                "created_at": self.now,
            }
            for (a, b), c in sorted(auto.items())
            if (a, b) not in present and (a, b) not in manual
        ]
        if revoke:
            await store.revoke_links(self.conn, revoke, self.now, "rule " + dedup.RULE_VERSION)
        await store.add_links(self.conn, add)
        self.report.links_added += len(add)
        self.report.links_revoked += len(revoke)

    async def _scope(self, kind: str, seeds: set[int] | None, everything: set[int]) -> set[int]:
        """Every record whose golden record may change: the seeds' link components, their old
        golden records' members, followed through links until nothing new is found (a full run:
        `everything`, the kind's active records)."""
        if seeds is None:
            return set(everything)
        scope = set(seeds)
        frontier = set(seeds)
        while frontier:
            found: set[int] = set()
            for link in await store.links_touching(self.conn, kind, frontier):
                found.update((link["record_a_id"], link["record_b_id"]))
            old = await store.golden_ids_of_members(self.conn, frontier)
            found.update(await store.members_of_goldens(self.conn, old))
            frontier = found - scope
            scope |= found
        return scope

    async def _kept_apart(
        self, members: Sequence[Member], known: Mapping[str, dedup.Features]
    ) -> Any:
        """The structure model's veto for `dedup.clusters`: records it is strongly against
        never share a cluster, whatever links join them through others."""
        feats = {m.public_id: known.get(m.public_id) or dedup.features(m) for m in members}
        contacts = {
            k for f in feats.values() for k in dedup.keys_of(f) if k.startswith(("mail:", "tel:"))
        }
        blocks = await store.blocks_of(self.conn, "structure", contacts, max_block=dedup.MAX_BLOCK)
        return dedup.kept_apart(feats, {k: len(v) for k, v in blocks.items()})

    async def _merge_clusters(
        self,
        kind: str,
        members: Sequence[Member],
        scope: set[int],
        feats: Mapping[str, dedup.Features] | None = None,
        *,
        everything: bool = False,
    ) -> dict[str, list[Member]]:
        """`everything`: `members` are all the kind's active records (and `scope` their ids)."""
        links = (
            await store.active_links(self.conn, kind)
            if everything
            else await store.links_touching(self.conn, kind, scope)
        )
        by_id = {m.record_id: m for m in members}
        same = [
            (
                by_id[lk["record_a_id"]].public_id,
                by_id[lk["record_b_id"]].public_id,
                lk["score"] or 1.0,
            )
            for lk in links
            if lk["decision"] == "same"
            and lk["record_a_id"] in by_id
            and lk["record_b_id"] in by_id
        ]
        different = [
            (by_id[lk["record_a_id"]].public_id, by_id[lk["record_b_id"]].public_id)
            for lk in links
            if lk["decision"] == "different"
            and lk["record_a_id"] in by_id
            and lk["record_b_id"] in by_id
        ]
        apart = await self._kept_apart(members, feats or {}) if kind == "structure" else None
        manual = [
            (by_id[lk["record_a_id"]].public_id, by_id[lk["record_b_id"]].public_id)
            for lk in links
            if lk["decision"] == "same"
            and lk["method"] == "manual"
            and lk["record_a_id"] in by_id
            and lk["record_b_id"] in by_id
        ]
        restricted = [
            m.public_id
            for m in members
            if (facts := self.sources.get(m.source)) is not None and facts.restreinte
        ]
        groups = dedup.clusters(
            [m.public_id for m in members], same, different, apart, manual, restricted
        )
        by_public = {m.public_id: m for m in members}
        clusters = {group[0]: [by_public[p] for p in group] for group in groups}
        self.report.clusters += len(clusters)
        await self._persist(kind, clusters, scope)
        return clusters

    # --- services ----------------------------------------------------------------------------

    async def _services(
        self, seeds: set[int] | None, structure_clusters: Mapping[str, list[Member]]
    ) -> None:
        kind = "service"
        service_ids: set[int] = set()
        if seeds is not None:
            # services of the touched structure clusters, and the clusters of the touched services
            structure_publics = {m.public_id for ms in structure_clusters.values() for m in ms}
            service_ids = set(seeds) | await store.services_of_structures(
                self.conn, structure_publics
            )
            if not service_ids:
                return
        # the structures are merged by now: one read of their golden ids serves the whole pass
        self.structure_ids = await store.structure_golden_ids(self.conn)
        structure_of = store.cluster_keys(self.structure_ids)
        candidates: list[dedup.Candidate] | None = None
        if seeds is None:
            # a full run: the records without their data, compared a few structure clusters
            # at a time (whole clusters: services are compared only within one)
            services = await store.load_members(self.conn, kind, light=True)
            if all(m.structure_public_id for m in services):
                self.light.add(kind)
                candidates = await self._service_candidates(services, structure_of)
            else:
                services = await store.load_members(self.conn, kind)
        else:
            seed_services = await store.load_members(
                self.conn, kind, record_ids=sorted(service_ids)
            )
            keys = {
                structure_of.get(m.structure_public_id or "", m.structure_public_id or "")
                for m in seed_services
            }
            siblings = await store.services_of_structures(
                self.conn, {p for p, k in structure_of.items() if k in keys}
            )
            old_goldens = await store.golden_ids_of_members(self.conn, service_ids)
            siblings |= await store.members_of_goldens(self.conn, old_goldens)
            services = await store.load_members(
                self.conn, kind, record_ids=sorted(service_ids | siblings)
            )
        cluster_of = {
            m.structure_public_id or "": structure_of.get(
                m.structure_public_id or "", m.structure_public_id or ""
            )
            for m in services
        }
        if candidates is None:
            candidates = dedup.service_candidates(services, cluster_of)
        scope = {m.record_id for m in services}
        await self._maintain_links(
            kind,
            {m.public_id: m.record_id for m in services},
            candidates,
            None if seeds is None else scope,
        )
        del candidates
        # the touched services that are gone: their merged records may have to go too
        await self._merge_clusters(kind, services, scope | service_ids, everything=seeds is None)

    async def _service_candidates(
        self, services: Sequence[Member], structure_of: Mapping[str, str]
    ) -> list[dedup.Candidate]:
        """`dedup.service_candidates` of these services (records without their data, each with
        its producer structure), their data read a few structure clusters at a time."""
        by_cluster: dict[str, list[int]] = {}
        for m in services:
            spid = m.structure_public_id or ""
            by_cluster.setdefault(structure_of.get(spid, spid), []).append(m.record_id)
        cluster_of = {
            m.structure_public_id or "": structure_of.get(
                m.structure_public_id or "", m.structure_public_id or ""
            )
            for m in services
        }
        out: list[dedup.Candidate] = []
        chunk: list[int] = []
        groups = list(by_cluster.values())
        for i, record_ids in enumerate(groups):
            chunk += record_ids
            if len(chunk) >= READ_BATCH or i == len(groups) - 1:
                loaded = await store.load_members(self.conn, "service", record_ids=chunk)
                out += dedup.service_candidates(loaded, cluster_of)
                chunk = []
        out.sort(key=lambda c: (c.a, c.b))
        return out

    # --- persistence -------------------------------------------------------------------------

    async def _persist(
        self, kind: str, clusters: Mapping[str, list[Member]], scope: set[int]
    ) -> None:
        """Write the clusters' golden records in batches; tombstone those no cluster produced."""
        counts = self.report.by_kind.setdefault(
            kind, {"created": 0, "updated": 0, "unchanged": 0, "deleted": 0}
        )
        old_rows = [
            r
            for r in await store.golden_heads(
                self.conn, await store.golden_ids_of_members(self.conn, scope)
            )
            if r["kind"] == kind
        ]
        # a store without any golden record of the kind (a first load) has none to look up
        self.first_goldens = not old_rows and not await store.has_goldens(self.conn, kind)
        old_live = {r["id"] for r in old_rows if r["deleted_at"] is None}
        if kind == "service":  # the structures these services pointed at get a new mean score
            self.touched_structures |= {
                r["structure_public_id"] for r in old_rows if r["structure_public_id"]
            }
        # the earlier records that hold every member (shared or restricted rows) pass their ids on
        full_views = [
            r for r in old_rows if r["deleted_at"] is None and r["visibility"] != "public"
        ]
        held = await store.members_by_golden(self.conn, [r["id"] for r in full_views])
        previous = [
            ids.Previous(r["public_id"], frozenset(held.get(r["id"], ()))) for r in full_views
        ]
        groups = list(clusters.values())
        chosen = ids.assign(groups, previous, self.sources)
        written: set[int] = set()
        self.views_written: dict[str, set[str]] = {}  # public id -> the views written this run
        pairs = list(zip(groups, chosen, strict=True))
        analyzed = BULK  # PostgreSQL plans the batches' statements with the tables' new sizes
        for start in range(0, len(pairs), PERSIST_BATCH):
            batch = await self._with_data(kind, pairs[start : start + PERSIST_BATCH])
            merged = self._merge_batch(kind, batch, self.structure_ids)
            for visibility, public_id in merged.produced:
                self.views_written.setdefault(public_id, set()).add(visibility)
            written |= await self._persist_batch(kind, merged, self.structure_ids, counts)
            if counts["created"] > analyzed and not self.first_goldens:
                await store.refresh_statistics(self.conn, ["golden_record"])
                analyzed *= 4
        if counts["created"] > BULK:  # later statements of this transaction plan with fresh sizes
            await store.refresh_statistics(self.conn, DETAIL_TABLES)
        vanished = sorted(old_live - written)  # clusters that vanished: tombstones for the feed
        by_id = {r["id"]: r for r in old_rows}
        feed_views = {
            i: _lost_by(
                by_id[i]["visibility"], self.views_written.get(by_id[i]["public_id"], set())
            )
            for i in vanished
        }
        await store.tombstone_goldens(self.conn, vanished, self.now, self.data_version, feed_views)
        await store.delete_golden_details(self.conn, vanished)
        counts["deleted"] += len(vanished)
        self.report.deleted += len(vanished)
        if kind == "service":
            rescored = await store.refresh_structure_scores(self.conn, self.touched_structures)
            await store.insert_changes(
                self.conn,
                [
                    self._change("structure", key, "updated", ["score_qualite"])
                    for key in rescored
                    if key not in self.created  # its CREATED entry is enough
                ],
            )

    async def _with_data(
        self, kind: str, batch: Sequence[tuple[list[Member], str]]
    ) -> Sequence[tuple[list[Member], str]]:
        """The batch's members with their data (read again where they are held without)."""
        if kind not in self.light:
            return batch
        loaded = {
            m.record_id: m
            for m in await store.load_members(
                self.conn, kind, record_ids=[m.record_id for ms, _k in batch for m in ms]
            )
        }
        return [([loaded[m.record_id] for m in ms], keep_id) for ms, keep_id in batch]

    def _merge_batch(
        self,
        kind: str,
        batch: Sequence[tuple[list[Member], str]],
        structure_ids: Mapping[tuple[str, str], str],
    ) -> _Merged:
        """The golden rows of one batch of clusters, their data and service scores (no I/O)."""
        produced: dict[tuple[str, str], tuple[Any, list[Member]]] = {}
        for members, keep_id in batch:
            views = survivorship.golden_views(
                kind, members, self.sources, self.rules, keep_id=keep_id
            )
            for visibility, golden in views.items():
                produced[(visibility, golden.public_id)] = (golden, members)
        datas: dict[tuple[str, str], dict[str, Any]] = {}
        for key, (golden, _cluster) in produced.items():
            datas[key] = dict(golden.data)
            if kind == "service":
                self._point_at_structure(datas[key], key[0], structure_ids)
        ordered = sorted(produced.items())
        scores: list[float | None] = (
            quality.service_scores([datas[key] for key, _v in ordered], at=self.now)
            if kind == "service"
            else [None] * len(ordered)
        )
        return _Merged(produced, datas, ordered, scores)

    async def _persist_batch(
        self,
        kind: str,
        merged: _Merged,
        structure_ids: Mapping[tuple[str, str], str],
        counts: dict[str, int],
    ) -> set[int]:
        """Write one batch of clusters; returns the golden row ids it wrote, kept or dropped."""
        produced, datas, ordered, scores = (
            merged.produced,
            merged.datas,
            merged.ordered,
            merged.scores,
        )
        existing = (
            {}
            if self.first_goldens
            else await store.goldens_by_public_ids(
                self.conn, kind, sorted({p for _v, p in produced})
            )
        )
        inserts: list[dict[str, Any]] = []
        insert_keys: list[tuple[str, str]] = []
        updates: list[dict[str, Any]] = []
        dropped: list[int] = []
        row_ids: dict[tuple[str, str], int] = {}
        old_details: dict[tuple[str, str], str | None] = {}
        details: dict[tuple[str, str], tuple[list[Any], list[Any], list[Any], str]] = {}
        hashes: list[dict[str, Any]] = []  # unchanged records whose details changed
        changes: list[dict[str, Any]] = []  # the change feed's entries
        compared: list[tuple[tuple[str, str], dict[str, Any], dict[str, Any], Any]] = []
        # a service without an address of its own is found where its structure is
        structure_places = (
            await store.structure_places(
                self.conn,
                {d["structure_id"] for d in datas.values() if d.get("structure_id")},
            )
            if kind == "service"
            else {}
        )
        for (key, (golden, cluster)), score in zip(ordered, scores, strict=True):
            visibility, public_id = key
            data = datas[key]
            if kind != "service":
                self.touched_structures.add(public_id)
            content = _hash({"data": data, "score": score, "members": sorted(golden.member_ids)})
            visible = set(golden.member_ids)
            own_members = [
                {"golden_id": 0, "record_id": m.record_id, "member_public_id": m.public_id}
                for m in cluster
                if m.public_id in visible
            ]
            own_provenance = [self._provenance_row(0, p) for p in golden.provenance.values()]
            place = store.place_in_view(
                structure_places, visibility, data.get("structure_id") or ""
            )
            commune = data.get("code_insee") or (place.commune if place else None)
            latitude, longitude = indexing.coordinates(data)
            if latitude is None and place is not None:
                latitude, longitude = place.latitude, place.longitude
            visible_sources = sorted({m.source for m in cluster if m.public_id in visible})
            own_values = [
                {"golden_id": 0, "field": f, "value": v[:200]}
                for f, v in indexing.filter_values(
                    kind,
                    data,
                    visible_sources,
                    commune,
                    self.territories.get(commune or ""),
                )
            ]
            details[key] = (
                own_members,
                own_provenance,
                own_values,
                _details_hash(own_members, own_provenance, own_values, (latitude, longitude)),
            )
            values = {
                "visibility": visibility,
                "data": data,
                "structure_public_id": data.get("structure_id"),
                "date_maj": as_date(data.get("date_maj")),
                "content_hash": content,
                "details_hash": details[key][3],
                "search_text": indexing.search_text(data),
                "sort_name": indexing.sort_name(data),
                "latitude": latitude,
                "longitude": longitude,
                "rule_set_version": self.rules.version,
            }
            if kind == "service":  # a structure's is its services' mean, set after their pass
                values["score_qualite"] = score
            if kind == "service" and data.get("structure_id"):
                self.touched_structures.add(data["structure_id"])
            rows = existing.get(public_id, {})
            old = _reusable(rows, visibility)
            if visibility == SHARED_VIEW and "restricted" in rows:
                # the restricted member left: the shared row now serves restricted consumers too
                dropped.append(rows["restricted"]["id"])
            if old is None:
                inserts.append(
                    {
                        **values,
                        "kind": kind,
                        "public_id": public_id,
                        "created_at": self.now,
                        "updated_at": self.now,
                        "data_version": self.data_version,
                        "deleted_at": None,
                        **self._tags(kind, own_values),
                    }
                )
                insert_keys.append(key)
                changes.append(self._change(kind, key, "created", sorted(data)))
                counts["created"] += 1
                self.report.created += 1
                continue
            row_ids[key] = old["id"]
            if old["deleted_at"] is None:
                old_details[key] = old["details_hash"]
            if (
                old["deleted_at"] is None
                and old["content_hash"] == content
                and old["visibility"] == visibility
            ):
                counts["unchanged"] += 1
                self.report.unchanged += 1
                if old_details[key] != details[key][3]:  # also where an inherited point moved
                    hashes.append(
                        {
                            "b_id": old["id"],
                            "details_hash": details[key][3],
                            "latitude": latitude,
                            "longitude": longitude,
                        }
                    )
                continue
            if old["deleted_at"] is None and old["content_hash"] == content:
                # the same record under another stored view (a restricted member joined or left):
                # nothing changed for the readers of this view, so no feed entry and no new
                # version for them; the restricted readers learn of a member that left
                updates.append(
                    {
                        **values,
                        "b_id": old["id"],
                        "updated_at": old["updated_at"],
                        "data_version": old["data_version"],
                        "deleted_at": None,
                    }
                )
                counts["unchanged"] += 1
                self.report.unchanged += 1
                if visibility == SHARED_VIEW and "restricted" in rows:
                    compared.append((("restricted", public_id), rows["restricted"], data, score))
                continue
            updates.append(
                {
                    **values,
                    "b_id": old["id"],
                    "updated_at": self.now,
                    "data_version": self.data_version,
                    "deleted_at": None,
                }
            )
            if old["deleted_at"] is None:
                counts["updated"] += 1
                self.report.updated += 1
                compared.append((key, old, data, score))
            else:  # a cluster that comes back keeps its row (and id)
                changes.append(self._change(kind, key, "created", sorted(data)))
                counts["created"] += 1
                self.report.created += 1
        changes += await self._updates_changed(kind, compared)
        await store.drop_goldens(self.conn, dropped)
        new_ids = await store.insert_goldens(self.conn, inserts)
        row_ids.update(zip(insert_keys, new_ids, strict=True))
        await store.update_goldens(self.conn, updates)
        touched = sorted(row_ids.values())
        # members and provenance are rewritten only where they changed (a run that only confirms
        # values, or a rule change that leaves a record as it was, writes nothing here)
        # (the digest's first half covers members and provenance, its second half the values)
        rewrite: list[int] = []
        reindex: list[int] = []
        member_rows: list[dict[str, Any]] = []
        provenance_rows: list[dict[str, Any]] = []
        value_rows: list[dict[str, Any]] = []
        half = len(_EMPTY_DIGEST) // 2
        inserted = set(new_ids)  # new rows: no details to delete, their tags written with them
        for key, (own_members, own_provenance, own_values, digest) in details.items():
            before = old_details.get(key) or _EMPTY_DIGEST
            golden_id = row_ids[key]
            if before[:half] != digest[:half]:
                if golden_id not in inserted:
                    rewrite.append(golden_id)
                for r in own_members:
                    r["golden_id"] = golden_id
                for r in own_provenance:
                    r["golden_id"] = golden_id
                member_rows += own_members
                provenance_rows += own_provenance
            if before[half:] != digest[half:]:
                if golden_id not in inserted:
                    reindex.append(golden_id)
                for r in own_values:
                    r["golden_id"] = golden_id
                value_rows += own_values
        await store.delete_golden_details(self.conn, sorted(rewrite), values=False)
        await store.delete_golden_values(self.conn, sorted(reindex))
        await store.insert_golden_details(self.conn, member_rows, provenance_rows, value_rows)
        await store.refresh_tags(self.conn, reindex)
        await store.update_goldens(self.conn, hashes)
        await store.insert_changes(self.conn, changes)
        return set(touched) | set(dropped)

    def _tags(self, kind: str, own_values: Sequence[dict[str, Any]]) -> dict[str, Any]:
        """A new row's filter values as its tags (PostgreSQL; `store.refresh_tags` for the
        rows of an update), in the values' order; SQLite keeps no tags."""
        if is_sqlite(self.conn.engine):
            return {}
        return {"tags": row_tags(kind, own_values) or None}

    def _change(
        self, kind: str, key: tuple[str, str], operation: str, fields: Sequence[str]
    ) -> dict[str, Any]:
        if kind == "structure" and operation == "created":
            self.created.add(key)
        return {
            "kind": kind,
            "visibility": key[0],
            "public_id": key[1],
            "operation": operation,
            "fields": list(fields),
            "at": self.now,
            "data_version": self.data_version,
        }

    async def _updates_changed(
        self,
        kind: str,
        compared: Sequence[tuple[tuple[str, str], dict[str, Any], dict[str, Any], Any]],
    ) -> list[dict[str, Any]]:
        """Change-feed entries of updated records: the fields whose merged value changed
        (`score_qualite` for the score, `members` when only the records behind it changed). A
        record recomputed after a migration (no previous hash) without any change gives none."""
        before = await store.golden_data(self.conn, [old["id"] for _k, old, _d, _s in compared])
        out: list[dict[str, Any]] = []
        for key, old, data, score in compared:
            old_data, old_score = before.get(old["id"], ({}, None))
            fields = sorted(f for f in set(data) | set(old_data) if data.get(f) != old_data.get(f))
            # a structure's score is its services' mean, refreshed after the services' pass
            if kind == "service" and score != old_score:
                fields.append("score_qualite")
            if not fields and old["content_hash"] is not None:
                fields = ["members"]
            if fields:
                out.append(self._change(kind, key, "updated", fields))
        return out

    @staticmethod
    def _point_at_structure(
        data: dict[str, Any], visibility: str, structure_ids: Mapping[tuple[str, str], str]
    ) -> None:
        member_structure = data.get("structure_id")
        if member_structure:
            data["structure_id"] = (
                structure_ids.get((visibility, member_structure))
                or structure_ids.get((SHARED_VIEW, member_structure))
                or structure_ids.get(("public", member_structure))
                or member_structure
            )

    def _provenance_row(self, golden_id: int, p: Any) -> dict[str, Any]:
        return {
            "golden_id": golden_id,
            "field": p.field,
            "record_id": p.record_id,
            "record_version_id": p.version_id,
            "public_id": p.public_id,
            "source_slug": p.source,
            "strategy": p.strategy,
            "rule_set_version": p.rule_set_version,
            "source_date_maj": p.source_date_maj,
            "date_maj_fiable": p.date_maj_fiable,
            "value_since": p.value_since,
            "last_confirmed_at": p.last_confirmed_at,
            "agreeing_sources": list(p.agreeing_sources),
            "conflicting_sources": list(p.conflicting_sources),
            "rejected_sources": [list(r) for r in p.rejected_sources],
            "elements": None
            if p.elements is None
            else [[list(v) if isinstance(v, tuple) else v, list(s)] for v, s in p.elements],
        }


def _without_data(m: Member) -> Member:
    """A member as linking and ids see it: without its data and value dates."""
    return replace(m, data={}, field_since={})


def _lost_by(view: str, written: set[str]) -> str | None:
    """Which consumers a vanished row of `view` is deleted for, as a view of the change feed
    (None: nobody), given the views of that id written in the same run: a row that only changed
    view (a producer turning restricted, a restricted member leaving) is not deleted for the
    consumers who still read the record under its new row."""
    lost = [
        consumers
        for consumers in VISIBILITIES
        if view in stored_views(consumers) and not written & set(stored_views(consumers))
    ]
    if len(lost) == len(VISIBILITIES):
        return view
    return lost[0] if lost else None


def _details_hash(
    members: Sequence[dict[str, Any]],
    provenance: Sequence[dict[str, Any]],
    values: Sequence[dict[str, Any]],
    point: tuple[float | None, float | None] = (None, None),
) -> str:
    """Members and provenance (confirmation times aside), then filter values and the point (a
    service may inherit both from its structure), of a golden record: two half-digests, so each
    part is rewritten only when it changed."""
    details = _hash(
        [
            sorted((r["record_id"], r["member_public_id"]) for r in members),
            [
                {k: v for k, v in r.items() if k not in ("golden_id", "last_confirmed_at")}
                for r in provenance
            ],
        ]
    )
    indexed = _hash([[(r["field"], r["value"]) for r in values], list(point)])
    half = len(_EMPTY_DIGEST) // 2
    return details[:half] + indexed[:half]


_EMPTY_DIGEST = "-" * 64  # what a record without details yet compares as (never a digest)


def _reusable(rows: Mapping[str, dict[str, Any]], visibility: str) -> dict[str, Any] | None:
    """The stored row a view continues: a shared row and a public row turn into each other when
    a restricted member joins or leaves, so the record keeps its row (and its feed history)."""
    if visibility == "restricted":
        return rows.get("restricted")
    other = "public" if visibility == SHARED_VIEW else SHARED_VIEW
    return rows.get(visibility) or rows.get(other)


async def merge_run(
    conn: AsyncConnection,
    changed: Mapping[str, Iterable[int]] | None,
    *,
    now: datetime,
    data_version: int,
) -> MergeReport:
    """Link and merge after an ingest (changed ids) or for everything (`changed=None`)."""
    scoped = None if changed is None else {k: set(v) for k, v in changed.items()}
    with _rare_collections():
        return await Merger(conn, now=now, data_version=data_version).run(scoped)


@contextmanager
def _rare_collections() -> Iterator[None]:
    """A merge allocates millions of small objects, most of which live until it ends: the
    cyclic collector's passes over them (every 700 allocations, a full pass each time the
    survivors grow by a quarter) cost a large share of a full run. They are made rarer for
    the run (the objects are freed by reference counting as before)."""
    before = gc.get_threshold()
    gc.set_threshold(GC_YOUNG, before[1], before[2])
    try:
        yield
    finally:
        gc.set_threshold(*before)
