"""Measure duplicate detection against the demo's ground truth: pairwise and cluster scores."""

from __future__ import annotations

import json
import sqlite3
import tarfile
import tempfile
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import combinations
from pathlib import Path
from typing import Any

from ingestion import dedup, mapping_file
from ingestion.members import Member
from ingestion.normalize import Territories
from ingestion.preview import preview
from store import territory_file

Clusters = Iterable[Iterable[str]]


@dataclass(frozen=True)
class Truth:
    """A ground truth: the demo's (demo/README.md, `ground-truth.json`) or a labelled
    set's (`truth.json`, with hard negatives by category and difficulty tags)."""

    structures: list[list[str]]
    services: list[list[str]]
    not_duplicates: list[tuple[str, str, str]] = field(default_factory=list)
    invalid: list[tuple[str, str]] = field(default_factory=list)
    hard_negatives: list[dict[str, Any]] = field(default_factory=list)
    tags: dict[str, dict[str, list[str]]] = field(default_factory=dict)


def load_truth(path: Path) -> Truth:
    """Read a `ground-truth.json` or a labelled set's `truth.json`."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    return Truth(
        structures=[list(c) for c in doc.get("structures", [])],
        services=[list(c) for c in doc.get("services", [])],
        not_duplicates=[(a, b, reason) for a, b, reason in doc.get("not_duplicates", [])],
        invalid=[(i, reason) for i, reason in doc.get("invalid", [])],
        hard_negatives=list(doc.get("hard_negatives", [])),
        tags={k: {t: list(v) for t, v in tags.items()} for k, tags in doc.get("tags", {}).items()},
    )


# -- metrics ---------------------------------------------------------------------------------------
def _pairs(clusters: Clusters, universe: set[str]) -> set[tuple[str, str]]:
    out: set[tuple[str, str]] = set()
    for cluster in clusters:
        ids = sorted({i for i in cluster if i in universe})
        out.update(combinations(ids, 2))
    return out


def _ratio(num: int | float, den: int | float) -> float:
    return num / den if den else 1.0


def pairwise(
    predicted_clusters: Clusters, truth_clusters: Clusters, universe: set[str]
) -> dict[str, Any]:
    """Pairwise precision, recall and F1 over ids in `universe` (records present in the store).

    A pair is two ids of one cluster; with no predicted pair precision is 1.0, with no true
    pair recall is 1.0.
    """
    predicted = _pairs(predicted_clusters, universe)
    true = _pairs(truth_clusters, universe)
    tp = len(predicted & true)
    precision = _ratio(tp, len(predicted))
    recall = _ratio(tp, len(true))
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "true_positives": tp,
        "predicted_pairs": len(predicted),
        "true_pairs": len(true),
    }


def _assignment(clusters: Clusters, universe: set[str]) -> dict[str, frozenset[str]]:
    """id -> its cluster (restricted to the universe); ids in no cluster are singletons."""
    out: dict[str, frozenset[str]] = {}
    for cluster in clusters:
        ids = frozenset(i for i in cluster if i in universe)
        for i in ids:
            out[i] = ids
    for i in universe:
        out.setdefault(i, frozenset((i,)))
    return out


def cluster_scores(
    predicted_clusters: Clusters, truth_clusters: Clusters, universe: set[str]
) -> dict[str, Any]:
    """Exact-cluster match rate (over true clusters of 2+ present records) and B-cubed scores."""
    predicted = _assignment(predicted_clusters, universe)
    true = _assignment(truth_clusters, universe)
    true_groups = {c for c in true.values() if len(c) >= 2}
    predicted_groups = set(predicted.values())
    exact = sum(1 for c in true_groups if c in predicted_groups)
    precision = recall = 0.0
    for i in universe:
        overlap = len(predicted[i] & true[i])
        precision += overlap / len(predicted[i])
        recall += overlap / len(true[i])
    n = len(universe)
    bp, br = _ratio(precision, n), _ratio(recall, n)
    return {
        "exact_match_rate": _ratio(exact, len(true_groups)),
        "true_clusters": len(true_groups),
        "exact_matches": exact,
        "bcubed_precision": bp,
        "bcubed_recall": br,
        "bcubed_f1": 2 * bp * br / (bp + br) if bp + br else 0.0,
    }


def blocking_recall(members: Sequence[Member], truth_clusters: Clusters) -> float:
    """Share of true pairs (among `members`) sharing at least one blocking key.

    Before the block-size cap (`dedup.MAX_BLOCK`): a pair whose only shared key is a giant block
    counts as found here.
    """
    keys = {m.public_id: dedup.blocking_keys(m) for m in members}
    true = _pairs(truth_clusters, set(keys))
    hit = sum(1 for a, b in true if keys[a] & keys[b])
    return _ratio(hit, len(true))


def _review(
    candidates: Sequence[dedup.Candidate], truth_pairs: set[tuple[str, str]]
) -> dict[str, Any]:
    band = [c for c in candidates if c.score < dedup.AUTO_LINK]
    return {
        "candidates": len(candidates),
        "auto_links": len(candidates) - len(band),
        "review_band": len(band),
        "review_band_true": sum(1 for c in band if (c.a, c.b) in truth_pairs),
        "by_method": dict(Counter(c.method for c in candidates if c.score >= dedup.AUTO_LINK)),
    }


def _measure(
    candidates: Sequence[dedup.Candidate],
    universe: set[str],
    truth_clusters: list[list[str]],
    apart: Callable[[str, str], bool] | None = None,
) -> tuple[list[list[str]], dict[str, Any]]:
    links = [(c.a, c.b, c.score) for c in candidates if c.score >= dedup.AUTO_LINK]
    predicted = dedup.clusters(universe, links, apart=apart)
    scores = pairwise(predicted, truth_clusters, universe)
    scores.update(cluster_scores(predicted, truth_clusters, universe))
    scores.update(_review(candidates, _pairs(truth_clusters, universe)))
    return predicted, scores


def evaluate(
    structures: Sequence[Member], services: Sequence[Member], truth: Truth
) -> dict[str, Any]:
    """Precision / recall / F1 of structures (pairwise, at AUTO_LINK), detailed scores of both.

    Services are compared within the *predicted* structure clusters, as the merge does.
    """
    universe = {m.public_id for m in structures}
    feats = {m.public_id: dedup.features(m) for m in structures}
    counts = dedup.contact_counts(dedup.keys_of(f) for f in feats.values())
    predicted, s_scores = _measure(
        dedup.candidates_among(list(feats.values())),
        universe,
        truth.structures,
        dedup.kept_apart(feats, counts),
    )
    s_scores["blocking_recall"] = blocking_recall(structures, truth.structures)
    cluster_of = {i: min(c) for c in predicted for i in c}
    s_scores["not_duplicates_linked"] = sum(
        1
        for a, b, _reason in truth.not_duplicates
        if a in cluster_of and cluster_of.get(a) == cluster_of.get(b)
    )
    service_universe = {m.public_id for m in services}
    service_predicted, v_scores = _measure(
        dedup.service_candidates(services, cluster_of), service_universe, truth.services
    )
    for kind, scores, found, clusters, ids in (
        ("structure", s_scores, predicted, truth.structures, universe),
        ("service", v_scores, service_predicted, truth.services, service_universe),
    ):
        if truth.tags or truth.hard_negatives:
            details = _details(
                found,
                clusters,
                ids,
                truth.tags.get(kind + "s", {}),
                [h for h in truth.hard_negatives if h["kind"] == kind],
            )
            scores["recall_by_tag"] = details["recall_by_tag"]
            scores["hard_negatives_linked"] = details["hard_negatives_linked"]
    return {
        "precision": s_scores["precision"],
        "recall": s_scores["recall"],
        "f1": s_scores["f1"],
        "structures": s_scores,
        "services": v_scores,
        "threshold": dedup.AUTO_LINK,
        "rule_version": dedup.RULE_VERSION,
    }


def id_stability(
    before: Mapping[str, Mapping[str, str]],
    after: Mapping[str, Mapping[str, str]],
    truth: Truth,
) -> dict[str, Any]:
    """How many golden ids two runs share: per kind, of the member records present in both runs,
    the share whose merged record kept its id; and of the true entities (ground-truth clusters,
    singletons included) present in both, the share whose records all kept their ids."""
    out: dict[str, Any] = {}
    for kind, true_clusters in (("structures", truth.structures), ("services", truth.services)):
        old, new = before.get(kind, {}), after.get(kind, {})
        common = sorted(set(old) & set(new))
        kept = sum(1 for m in common if old[m] == new[m])
        entity_of = {i: n for n, c in enumerate(true_clusters) for i in c}
        entities: dict[Any, bool] = {}
        for m in common:
            key = entity_of.get(m, m)
            entities[key] = entities.get(key, True) and old[m] == new[m]
        out[kind] = {
            "records": len(common),
            "records_kept": round(_ratio(kept, len(common)), 4),
            "entities": len(entities),
            "entities_kept": round(_ratio(sum(entities.values()), len(entities)), 4),
            "changed": [m for m in common if old[m] != new[m]][:20],
        }
    return out


# -- members from a store --------------------------------------------------------------------------
def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def members_from_sqlite(path: Path | str) -> tuple[list[Member], list[Member]]:
    """(structures, services): the active producer records of a SQLite store, as Members."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        runs = {rid: _when(at) for rid, at in conn.execute("SELECT id, started_at FROM ingest_run")}
        current = dict(
            conn.execute(
                "SELECT record_id, max(id) FROM producer_record_version GROUP BY record_id"
            ).fetchall()
        )
        rows = conn.execute(
            "SELECT id, source_slug, kind, public_id, structure_producer_id, data,"
            " field_since_run, first_seen_run_id, last_seen_run_id"
            " FROM producer_record WHERE status = 'active' ORDER BY id"
        ).fetchall()
    finally:
        conn.close()
    out: dict[str, list[Member]] = defaultdict(list)
    epoch = datetime(1970, 1, 1)
    for rid, source, kind, public_id, structure_pid, data, since, first, last in rows:
        field_since = {
            f: at for f, run in json.loads(since or "{}").items() if (at := runs.get(run))
        }
        out[kind].append(
            Member(
                record_id=rid,
                version_id=current.get(rid),
                source=source,
                kind=kind,
                public_id=public_id,
                data=json.loads(data),
                first_seen_at=runs.get(first) or epoch,
                last_confirmed_at=runs.get(last),
                field_since=field_since,
                structure_public_id=f"{source}--{structure_pid}" if structure_pid else None,
            )
        )
    return out["structure"], out["service"]


def demo_territories() -> Territories:
    """The territories of the bundled file, as normalisation needs them (no database)."""
    data = territory_file.read()
    current = frozenset(
        c["code"]
        for c in data.communes
        if c["type"] in ("commune-actuelle", "arrondissement-municipal")
    )
    aliases: dict[str, str] = {}
    for code, _kind, _nom, target in data.aliases:
        if code not in current:
            aliases.setdefault(code, target)
    return Territories(current, aliases)


def members_from_files(
    folder: Path, territories: Territories | None = None
) -> tuple[list[Member], list[Member]]:
    """(structures, services) of a demo output folder mapped without a store (ingestion.preview).

    Rejected rows are left out, and a repeated producer id keeps its first record, as a store
    would hold them.
    """
    territories = territories or demo_territories()
    out: dict[str, list[Member]] = defaultdict(list)
    seen: set[tuple[str, str]] = set()
    at = datetime(2026, 11, 1)
    for slug in mapping_file.known_slugs():
        files = sorted(p for p in (folder / slug).glob("*") if p.is_file())
        if not files:
            continue
        for row in preview(mapping_file.load(slug), files, territories):
            record = row["record"]
            if not record or (row["kind"], record["id"]) in seen:
                continue
            seen.add((row["kind"], record["id"]))
            structure = record.get("structure_id")
            out[row["kind"]].append(
                Member(
                    record_id=len(seen),
                    version_id=None,
                    source=slug,
                    kind=row["kind"],
                    public_id=record["id"],
                    data=record,
                    first_seen_at=at,
                    structure_public_id=structure if isinstance(structure, str) else None,
                )
            )
    return out["structure"], out["service"]


# -- a labelled set in the data·inclusion format (linkage-dev) ------------------------------------
@dataclass(frozen=True)
class Labelled:
    """A labelled linkage set: records as the store would hold them, and their truth."""

    structures: list[Member]
    services: list[Member]
    truth: Truth
    hard_negatives: list[dict[str, Any]]
    tags: dict[str, dict[str, list[str]]]  # kind -> tag -> first ids of the tagged clusters
    department: dict[str, str]  # public id -> département (a service: its structure's)


def load_labelled(path: Path, territories: Territories | None = None) -> Labelled:
    """A folder of `<source>/structures.json`, `<source>/services.json` (data·inclusion v1
    rows) and `truth.json`, mapped and normalised as an ingest would (no store); or a `.tar.xz`
    holding one such folder."""
    if path.is_file():
        with tempfile.TemporaryDirectory() as tmp:
            with tarfile.open(path, "r:*") as archive:
                archive.extractall(tmp, filter="data")
            found = sorted(p.parent for p in Path(tmp).rglob("truth.json"))
            if not found:
                raise ValueError(f"{path}: no truth.json inside")
            return load_labelled(found[0], territories)
    folder = path
    territories = territories or demo_territories()
    doc = json.loads((folder / "truth.json").read_text(encoding="utf-8"))
    out: dict[str, list[Member]] = defaultdict(list)
    seen: set[tuple[str, str]] = set()
    at = datetime(2026, 11, 1)
    for source_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
        producer = mapping_file.data_inclusion_producer(source_dir.name)
        files = sorted(p for p in source_dir.iterdir() if p.is_file())
        for row in preview(producer, files, territories):
            record = row["record"]
            if not record or (row["kind"], record["id"]) in seen:
                continue
            seen.add((row["kind"], record["id"]))
            structure = record.get("structure_id")
            out[row["kind"]].append(
                Member(
                    record_id=len(seen),
                    version_id=None,
                    source=source_dir.name,
                    kind=row["kind"],
                    public_id=record["id"],
                    data=record,
                    first_seen_at=at,
                    structure_public_id=structure if isinstance(structure, str) else None,
                )
            )
    department: dict[str, str] = {}
    for m in out["structure"]:
        code = str(m.data.get("code_insee") or m.data.get("code_postal") or "")
        department[m.public_id] = code[:3] if code.startswith("97") else code[:2]
    for m in out["service"]:
        department[m.public_id] = department.get(m.structure_public_id or "", "")
    truth = load_truth(folder / "truth.json")
    return Labelled(
        out["structure"],
        out["service"],
        truth,
        list(doc.get("hard_negatives", [])),
        {k: {t: list(v) for t, v in tags.items()} for k, tags in doc.get("tags", {}).items()},
        department,
    )


# held-out evaluation: départements split in three folds; each is scored by models learnt on the
# others, so no figure comes from records a model was fitted on
FOLDS: tuple[frozenset[str], ...] = (
    frozenset({"59", "13"}),
    frozenset({"69", "35"}),
    frozenset({"75", "974"}),
)


def _tagged_pairs(
    clusters: Sequence[Sequence[str]], tags: Mapping[str, list[str]], universe: set[str]
) -> dict[str, set[tuple[str, str]]]:
    cluster_of = {i: c for c in clusters for i in c}
    out: dict[str, set[tuple[str, str]]] = {}
    for tag, firsts in tags.items():
        out[tag] = set()
        for first in firsts:
            ids = sorted(i for i in cluster_of.get(first, ()) if i in universe)
            out[tag].update(combinations(ids, 2))
    return out


def _details(
    predicted: list[list[str]],
    truth_clusters: list[list[str]],
    universe: set[str],
    tags: Mapping[str, list[str]],
    negatives: Sequence[dict[str, Any]],
) -> dict[str, Any]:
    scores = pairwise(predicted, truth_clusters, universe)
    scores.update(cluster_scores(predicted, truth_clusters, universe))
    found = _pairs(predicted, universe)
    scores["recall_by_tag"] = {
        tag: {"pairs": len(pairs), "recall": round(_ratio(len(pairs & found), len(pairs)), 4)}
        for tag, pairs in sorted(_tagged_pairs(truth_clusters, tags, universe).items())
        if pairs
    }
    by_category: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for h in negatives:
        if h["a"] in universe and h["b"] in universe:
            pair = (min(h["a"], h["b"]), max(h["a"], h["b"]))
            by_category[h["category"]][0] += 1
            by_category[h["category"]][1] += pair in found
    scores["hard_negatives_linked"] = {
        cat: {"pairs": n, "linked": k, "share": round(_ratio(k, n) if n else 0.0, 4)}
        for cat, (n, k) in sorted(by_category.items())
    }
    return scores


def evaluate_labelled(
    labelled: Labelled, departments: Iterable[str] | None = None
) -> dict[str, Any]:
    """Structures and services of a labelled set (or of some of its départements) linked with
    the model in use, as the merge links them (clusters checked as a whole; services within
    the predicted structure clusters), scored against the truth."""
    wanted = None if departments is None else set(departments)

    def keep(public_id: str) -> bool:
        return wanted is None or labelled.department.get(public_id) in wanted

    structures = [m for m in labelled.structures if keep(m.public_id)]
    services = [m for m in labelled.services if keep(m.public_id)]
    universe = {m.public_id for m in structures}
    feats = {m.public_id: dedup.features(m) for m in structures}
    candidates = dedup.candidates_among(list(feats.values()))
    links = [(c.a, c.b, c.score) for c in candidates if c.score >= dedup.AUTO_LINK]
    counts = dedup.contact_counts(dedup.keys_of(f) for f in feats.values())
    predicted = dedup.clusters(universe, links, apart=dedup.kept_apart(feats, counts))
    negatives = [h for h in labelled.hard_negatives if h["kind"] == "structure"]
    s_scores = _details(
        predicted, labelled.truth.structures, universe, labelled.tags.get("structures", {}),
        negatives,
    )  # fmt: skip
    s_scores.update(_review(candidates, _pairs(labelled.truth.structures, universe)))
    cluster_of = {i: min(c) for c in predicted for i in c}
    service_universe = {m.public_id for m in services}
    service_candidates = dedup.service_candidates(services, cluster_of)
    service_links = [(c.a, c.b, c.score) for c in service_candidates if c.score >= dedup.AUTO_LINK]
    service_predicted = dedup.clusters(service_universe, service_links)
    v_scores = _details(
        service_predicted,
        labelled.truth.services,
        service_universe,
        labelled.tags.get("services", {}),
        [h for h in labelled.hard_negatives if h["kind"] == "service"],
    )
    return {"structures": s_scores, "services": v_scores}


def cross_validate(
    labelled: Labelled,
    folds: Sequence[frozenset[str]] = FOLDS,
    also: Sequence[Any] = (),
) -> dict[str, Any]:
    """Each fold scored by models learnt on the others (`dedup_train`, plus the training sets
    `also`, as the shipped models are), and the pooled pairwise precision and recall over the
    folds: held-out figures only."""
    from ingestion import dedup_train, match_model

    out: dict[str, Any] = {"folds": []}
    pooled: dict[str, Counter[str]] = {"structures": Counter(), "services": Counter()}
    tags: dict[str, dict[str, Counter[str]]] = {"structures": {}, "services": {}}
    negatives: dict[str, dict[str, Counter[str]]] = {"structures": {}, "services": {}}
    for fold in folds:
        held = [
            dedup_train.TrainingSet(
                [
                    m
                    for m in labelled.structures
                    if labelled.department.get(m.public_id) not in fold
                ],
                [m for m in labelled.services if labelled.department.get(m.public_id) not in fold],
                labelled.truth.structures,
                labelled.truth.services,
            ),
            *also,
        ]
        docs = dedup_train.train(*held)
        with match_model.using(*(match_model.from_doc(d) for d in docs.values())):
            report = evaluate_labelled(labelled, fold)
        out["folds"].append({"held_out": sorted(fold), **report})
        for kind in pooled:
            for key in ("true_positives", "predicted_pairs", "true_pairs"):
                pooled[kind][key] += report[kind][key]
            for tag, t in report[kind]["recall_by_tag"].items():
                c = tags[kind].setdefault(tag, Counter())
                c["pairs"] += t["pairs"]
                c["found"] += round(t["pairs"] * t["recall"])
            for cat, h in report[kind]["hard_negatives_linked"].items():
                c = negatives[kind].setdefault(cat, Counter())
                c["pairs"] += h["pairs"]
                c["linked"] += h["linked"]
    for kind, c in pooled.items():
        out[kind] = {
            "precision": round(_ratio(c["true_positives"], c["predicted_pairs"]), 4),
            "recall": round(_ratio(c["true_positives"], c["true_pairs"]), 4),
            **c,
            "recall_by_tag": {
                tag: {"pairs": t["pairs"], "recall": round(_ratio(t["found"], t["pairs"]), 4)}
                for tag, t in sorted(tags[kind].items())
            },
            "hard_negatives_linked": {
                cat: {
                    "pairs": h["pairs"],
                    "linked": h["linked"],
                    "share": round(_ratio(h["linked"], h["pairs"]) if h["pairs"] else 0.0, 4),
                }
                for cat, h in sorted(negatives[kind].items())
            },
        }
    return out
