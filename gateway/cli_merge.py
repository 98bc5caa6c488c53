"""Command-line commands of the merge: merge --all, dedup review/eval, link, unlink, prune,
report overlap."""

from __future__ import annotations

import argparse
import getpass
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.cli_ingest import CommandFailed, _print_json, _run
from gateway.settings import Settings

TOMBSTONE_DAYS = 90


def cmd_merge(settings: Settings, args: argparse.Namespace) -> None:
    from ingestion.merging import merge_run
    from store import records as record_store

    if not args.all:
        raise CommandFailed("say --all to recompute every link and golden record")

    async def work(engine: AsyncEngine) -> dict[str, Any]:
        async with engine.begin() as conn:
            version = await record_store.bump_data_version(conn)
            report = await merge_run(conn, None, now=datetime.now(UTC), data_version=version)
        return {**report.as_json(), "data_version": version}

    doc = _run(settings, work)
    if args.json:
        _print_json(doc)
        return
    print(
        f"merged in {doc['duration_s']:.1f}s: {doc['clusters']} clusters, "
        f"{doc['links_added']} links added, {doc['links_revoked']} revoked; golden records "
        f"{doc['created']} created, {doc['updated']} updated, {doc['unchanged']} unchanged, "
        f"{doc['deleted']} deleted; {doc['review']} candidate pairs to review "
        "(gateway dedup review)"
    )


async def _members(engine: AsyncEngine) -> tuple[list[Any], list[Any]]:
    from store import merging as store

    async with engine.connect() as conn:
        return (
            await store.load_members(conn, "structure"),
            await store.load_members(conn, "service"),
        )


def cmd_dedup_review(settings: Settings, args: argparse.Namespace) -> None:
    from ingestion import dedup

    async def work(engine: AsyncEngine) -> list[dict[str, Any]]:
        structures, _services = await _members(engine)
        return [
            {
                "a": c.a,
                "b": c.b,
                "score": round(c.score, 3),
                "method": c.method,
                "evidence": c.evidence,
            }
            for c in dedup.structure_candidates(structures)
            if dedup.REVIEW_FLOOR <= c.score < dedup.AUTO_LINK
        ]

    pairs = _run(settings, work)
    pairs.sort(key=lambda p: -p["score"])
    if args.json:
        _print_json(pairs)
        return
    if not pairs:
        print("no candidate pair in the review band")
    for p in pairs[: args.limit]:
        print(f"{p['score']:.3f}  {p['a']}  ~  {p['b']}")
        print("       " + ", ".join(f"{k}: {v}" for k, v in p["evidence"].items()))
    print(
        f"{len(pairs)} pairs between {dedup.REVIEW_FLOOR} and {dedup.AUTO_LINK}; decide with "
        "`gateway link A B --reason …` or `gateway unlink A B --reason …`"
    )


def _labelled_report(args: argparse.Namespace) -> dict[str, Any]:
    """Held-out figures on a labelled set: cross-validated by département, each fold scored by
    models learnt (as the shipped ones are) on the other folds and the demo."""
    import tempfile

    from ingestion import dedup, dedup_eval, dedup_train
    from ingestion.checkout import NotACheckout

    path = Path(args.labelled)
    if not path.exists():
        raise CommandFailed(f"--labelled {path}: no such file or folder")
    try:
        labelled = dedup_eval.load_labelled(path)
    except (OSError, ValueError, KeyError) as exc:
        raise CommandFailed(f"--labelled {path}: not a labelled set ({exc})") from exc
    with tempfile.TemporaryDirectory() as tmp:
        try:
            demo = dedup_train.demo_set(Path(tmp))
        except NotACheckout as exc:
            raise CommandFailed(str(exc)) from exc
        doc = dedup_eval.cross_validate(labelled, also=[demo])
    doc["threshold"] = dedup.AUTO_LINK
    doc["rule_version"] = dedup.RULE_VERSION
    return doc


def _print_labelled(doc: dict[str, Any]) -> None:
    folds = ", ".join("+".join(f["held_out"]) for f in doc["folds"])
    print(f"held-out figures (folds by département: {folds}; threshold {doc['threshold']})")
    for kind in ("structures", "services"):
        k = doc[kind]
        print(
            f"  {kind}: precision {k['precision']:.4f}, recall {k['recall']:.4f} "
            f"({k['true_positives']} of {k['true_pairs']} true pairs, "
            f"{k['predicted_pairs']} predicted)"
        )
        for tag, t in k["recall_by_tag"].items():
            print(f"    recall {tag:32} {t['recall']:.3f} of {t['pairs']} pairs")
        for cat, h in k["hard_negatives_linked"].items():
            print(f"    linked {cat:40} {h['linked']:3} of {h['pairs']} ({h['share']:.1%})")


def cmd_dedup_train(settings: Settings, args: argparse.Namespace) -> None:
    import tempfile

    import orjson

    from ingestion import dedup_train, match_model
    from ingestion.checkout import NotACheckout

    path = Path(args.labelled)
    if not path.exists():
        raise CommandFailed(f"--labelled {path}: no such file or folder")
    try:
        import numpy  # noqa: F401
    except ImportError as exc:
        raise CommandFailed("learning needs numpy: pip install 'inclusion-gateway[train]'") from exc
    with tempfile.TemporaryDirectory() as tmp:
        try:
            docs = dedup_train.train_shipped(path, Path(tmp))
        except NotACheckout as exc:
            raise CommandFailed(str(exc)) from exc
    out = Path(args.out) if args.out else match_model.MODEL_PATH
    out.write_bytes(orjson.dumps(docs, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n")
    for kind, doc in docs.items():
        print(
            f"{kind}: {len(doc['weights'])} weights learnt from {doc['trained_on']['pairs']} "
            f"pairs ({doc['trained_on']['matches']} matches)"
        )
    print(f"written to {out}; `gateway merge --all` relinks the store with it")


def cmd_dedup_eval(settings: Settings, args: argparse.Namespace) -> None:
    from ingestion import dedup_eval

    if args.labelled:
        report = _labelled_report(args)
        if args.json:
            _print_json(report)
        else:
            _print_labelled(report)
        return
    if not args.truth:
        raise CommandFailed("say --truth FILE (a store's records) or --labelled PATH")
    truth = dedup_eval.load_truth(Path(args.truth))

    previous = None
    if args.previous:
        try:
            previous = json.loads(Path(args.previous).read_text(encoding="utf-8"))["golden_ids"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise CommandFailed(
                f"--previous {args.previous}: not a file written by --save-ids ({exc})"
            ) from exc

    async def work(engine: AsyncEngine) -> dict[str, Any]:
        from store import merging as store

        structures, services = await _members(engine)
        doc = dedup_eval.evaluate(structures, services, truth)
        async with engine.connect() as conn:
            ids = {
                "structures": await store.golden_id_by_member(conn, "structure"),
                "services": await store.golden_id_by_member(conn, "service"),
            }
        if previous is not None:
            doc["id_stability"] = dedup_eval.id_stability(previous, ids, truth)
        if args.save_ids:
            Path(args.save_ids).write_text(
                json.dumps({"golden_ids": ids}, sort_keys=True), encoding="utf-8"
            )
        return doc

    doc = _run(settings, work)
    if args.json:
        _print_json(doc)
        return
    print(
        f"structures at the auto-link threshold {doc.get('threshold')}: precision "
        f"{doc['precision']:.3f}, recall {doc['recall']:.3f}, F1 {doc['f1']:.3f}"
    )
    for kind in ("structures", "services"):
        if kind in doc:
            print(
                f"  {kind}: "
                + ", ".join(f"{k} {v}" for k, v in doc[kind].items() if not isinstance(v, dict))
            )
    for kind, figures in doc.get("id_stability", {}).items():
        print(
            f"  id stability of {kind}: {figures['records_kept']:.4f} of {figures['records']} "
            f"records and {figures['entities_kept']:.4f} of {figures['entities']} entities "
            "kept their merged record's id"
        )


def _link(settings: Settings, args: argparse.Namespace, decision: str) -> None:
    from ingestion.merging import merge_run
    from store import merging as store
    from store import records as record_store

    async def work(engine: AsyncEngine) -> dict[str, Any]:
        async with engine.begin() as conn:
            ids = await store.record_ids_by_public_id(conn, [args.a, args.b])
            missing = [p for p in (args.a, args.b) if p not in ids]
            if missing:
                raise CommandFailed(f"no producer record {missing[0]!r} in the store")
            kinds = await store.kinds_of(conn, list(ids.values()))
            if len(set(kinds.values())) != 1:
                raise CommandFailed("a structure cannot be linked to a service")
            kind = next(iter(kinds.values()))
            now = datetime.now(UTC)
            a, b = sorted((ids[args.a], ids[args.b]))
            direct = [
                link["id"]
                for link in await store.links_touching(conn, kind, [a])
                if {link["record_a_id"], link["record_b_id"]} == {a, b}
            ]
            who = args.by or getpass.getuser()
            await store.revoke_links(conn, direct, now, who)
            await store.add_links(
                conn,
                [
                    {
                        "kind": kind, "record_a_id": a, "record_b_id": b, "decision": decision,
                        "method": "manual", "score": None, "rule_version": None,
                        "decided_by": who, "reason": args.reason, "created_at": now,
                    }
                ],
            )  # fmt: skip
            version = await record_store.bump_data_version(conn)
            report = await merge_run(conn, {kind: {a, b}}, now=now, data_version=version)
            return {"kind": kind, "decision": decision, "merge": report.as_json()}

    doc = _run(settings, work)
    if args.json:
        _print_json(doc)
    else:
        verb = "linked" if decision == "same" else "split"
        merged = doc["merge"]
        print(
            f"{args.a} and {args.b} {verb}; golden records updated: {merged['updated']}, "
            f"created: {merged['created']}, deleted: {merged['deleted']}"
        )


def cmd_link(settings: Settings, args: argparse.Namespace) -> None:
    _link(settings, args, "same")


def cmd_unlink(settings: Settings, args: argparse.Namespace) -> None:
    _link(settings, args, "different")


def cmd_prune(settings: Settings, args: argparse.Namespace) -> None:
    from store import merging as store

    before = datetime.fromisoformat(args.before).replace(tzinfo=UTC)
    limit = datetime.now(UTC) - timedelta(days=TOMBSTONE_DAYS)
    if before > limit:
        raise CommandFailed(
            f"tombstones are kept at least {TOMBSTONE_DAYS} days (the change feed needs them): "
            f"--before must be {limit.date().isoformat()} or earlier"
        )

    async def work(engine: AsyncEngine) -> dict[str, int]:
        async with engine.begin() as conn:
            return await store.prune(conn, before)

    doc = _run(settings, work)
    print(
        f"pruned {doc['tombstones']} tombstones, {doc['versions']} closed versions and "
        f"{doc['changes']} change-feed entries"
    )


def cmd_overlap(settings: Settings, args: argparse.Namespace) -> None:
    from ingestion import overlap

    async def work(engine: AsyncEngine) -> dict[str, Any]:
        async with engine.connect() as conn:
            return await overlap.overlap(conn, args.source)

    doc = _run(settings, work)
    if args.format == "json":
        _print_json(doc)
    elif args.format == "csv":
        print(overlap.to_csv(doc), end="")
    else:
        print(overlap.to_markdown(doc))


def register(sub: Any) -> None:
    merge = sub.add_parser("merge", help="recompute links and golden records")
    merge.add_argument("--all", action="store_true", help="everything (after a rule change)")
    merge.add_argument("--json", action="store_true")
    merge.set_defaults(func=cmd_merge)

    dedup = sub.add_parser("dedup", help="duplicate detection")
    dedup_sub = dedup.add_subparsers(dest="dedup_command", required=True, metavar="ACTION")
    review = dedup_sub.add_parser("review", help="candidate pairs below the auto-link threshold")
    review.add_argument("--limit", type=int, default=50)
    review.add_argument("--json", action="store_true")
    review.set_defaults(func=cmd_dedup_review)
    evaluate = dedup_sub.add_parser("eval", help="precision/recall against a ground truth")
    evaluate.add_argument(
        "--truth", help="the true clusters of the store's records (ground-truth.json, truth.json)"
    )
    evaluate.add_argument(
        "--labelled",
        metavar="PATH",
        help="a labelled set (folder or .tar.xz, e.g. data/linkage-dev.tar.xz): held-out "
        "figures, cross-validated by département, no store needed",
    )
    evaluate.add_argument("--json", action="store_true")
    evaluate.add_argument(
        "--save-ids", metavar="FILE", help="write each record's merged record id, for --previous"
    )
    evaluate.add_argument(
        "--previous",
        metavar="FILE",
        help="a --save-ids file of an earlier run: adds id stability between the two runs",
    )
    evaluate.set_defaults(func=cmd_dedup_eval)
    train = dedup_sub.add_parser(
        "train", help="learn the duplicate models from a labelled set (and the demo)"
    )
    train.add_argument("--labelled", required=True, metavar="PATH")
    train.add_argument("--out", metavar="FILE", help="default: the shipped model file")
    train.set_defaults(func=cmd_dedup_train)

    for name, func, help_text in (
        ("link", cmd_link, "decide that two producer records are the same"),
        ("unlink", cmd_unlink, "decide that two producer records are different (a split)"),
    ):
        p = sub.add_parser(name, help=help_text)
        p.add_argument("a", help="public id of a producer record (dora--42)")
        p.add_argument("b", help="public id of another producer record")
        p.add_argument("--reason", required=True, help="why (kept with the decision)")
        p.add_argument("--by", help="who decides (default: the current user)")
        p.add_argument("--json", action="store_true")
        p.set_defaults(func=func)

    prune = sub.add_parser("prune", help="drop tombstones and closed versions older than a date")
    prune.add_argument("--before", required=True, help="YYYY-MM-DD, at least 90 days ago")
    prune.set_defaults(func=cmd_prune)

    report = sub.add_parser("report", help="reports for producers")
    report_sub = report.add_subparsers(dest="report_command", required=True, metavar="REPORT")
    overlap_p = report_sub.add_parser("overlap", help="a producer's overlap with the others")
    overlap_p.add_argument("source")
    overlap_p.add_argument("--format", choices=["md", "json", "csv"], default="md")
    overlap_p.set_defaults(func=cmd_overlap)
