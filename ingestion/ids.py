"""Which public id each merged record carries, so that ids consumers stored keep working (pure).

The rules, in order:
1. A new cluster takes the id of its oldest member that every consumer may see (a restricted
   producer's id only when all its members are restricted): `merge.public_id`.
2. A cluster that carries on an earlier golden record (it holds the largest part of that record's
   members; on a tie, the part holding the record that bears the id) keeps the earlier id, even when
   the record bearing it was deleted or moved to a smaller part: a split keeps the id on the larger
   part. When two earlier records merge, the id of the oldest member wins (rule 1) and the other
   id stays reachable as a member id.
3. An id is never taken from a record that has no other id to fall back on: when the part holding
   the bearer is that record alone, it keeps its id and the larger part falls back to rule 1.
4. A restricted producer's id never becomes the id of a cluster that has an unrestricted member.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ingestion.members import Member, SourceFacts


@dataclass(frozen=True)
class Previous:
    """An earlier live golden record: its id and the producer records it held."""

    public_id: str
    record_ids: frozenset[int]


def _restricted(sources: Mapping[str, SourceFacts], public_id: str) -> bool:
    facts = sources.get(public_id.partition("--")[0])
    return facts is None or facts.restreinte  # unknown: treat as restricted, never leak it


def _candidates(members: Sequence[Member], sources: Mapping[str, SourceFacts]) -> list[str]:
    """The cluster's own ids by preference: oldest visible-to-all member first."""
    open_ = [m for m in members if not _restricted(sources, m.public_id)]
    pool = open_ or list(members)
    return [m.public_id for m in sorted(pool, key=lambda m: (m.first_seen_at, m.public_id))]


def assign(
    clusters: Sequence[Sequence[Member]],
    previous: Sequence[Previous],
    sources: Mapping[str, SourceFacts],
) -> list[str]:
    """The public id of each cluster (same order), following the module's rules."""
    own = [_candidates(c, sources) for c in clusters]
    has_open = [not _restricted(sources, ids[0]) if ids else False for ids in own]
    cluster_of: dict[int, int] = {m.record_id: i for i, c in enumerate(clusters) for m in c}
    bearer: dict[str, int] = {m.public_id: i for i, c in enumerate(clusters) for m in c}

    # rule 2: the successor of each earlier record, and what each cluster inherits
    inherited: dict[int, list[tuple[int, str]]] = {}
    for prev in previous:
        parts = Counter(cluster_of[r] for r in prev.record_ids if r in cluster_of)
        if not parts:
            continue  # every member gone: the earlier record is tombstoned
        holder = bearer.get(prev.public_id)
        successor = max(parts, key=lambda i: (parts[i], i == holder, -i))
        if has_open[successor] and _restricted(sources, prev.public_id):
            continue  # rule 4
        inherited.setdefault(successor, []).append((parts[successor], prev.public_id))

    chosen: list[str] = []
    for i, ids in enumerate(own):
        wanted = inherited.get(i, [])
        if not ids:
            raise ValueError("a cluster without members has no id")
        if not wanted or ids[0] in {p for _n, p in wanted}:
            chosen.append(ids[0])
        else:
            chosen.append(max(wanted, key=lambda w: (w[0], w[1]))[1])

    # rule 3: settle the ids two clusters want (an inherited id whose bearer is elsewhere)
    for _ in range(len(clusters) + 1):
        holders: dict[str, list[int]] = {}
        for i, pid in enumerate(chosen):
            holders.setdefault(pid, []).append(i)
        clashes = {pid: idx for pid, idx in holders.items() if len(idx) > 1}
        if not clashes:
            return chosen
        taken = set(chosen)
        for pid, idx in sorted(clashes.items()):
            home = bearer.get(pid)
            heirs = [i for i in idx if i != home]
            alternatives = [p for p in own[home] if p not in taken] if home in idx else []
            if home in idx and alternatives:
                chosen[home] = alternatives[0]  # the larger part keeps the id
                taken.add(alternatives[0])
                heirs = heirs[1:]  # one heir keeps it; any other falls back
            for i in heirs:
                fallback = next((p for p in own[i] if p not in taken), own[i][0])
                chosen[i] = fallback
                taken.add(fallback)
    raise RuntimeError("public ids could not be settled")  # unreachable: each step frees ids
