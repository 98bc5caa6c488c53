"""Phase 2 cross-analysis for one producer: what others also publish, where they disagree."""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from models.members import Member
from store import merging as store

COMPARED = (
    "nom", "siret", "telephone", "courriel", "site_web", "adresse", "code_postal", "code_insee",
    "horaires_accueil", "description",
)  # fmt: skip


def _norm(value: Any) -> Any:
    if isinstance(value, str):
        return " ".join(value.casefold().split())
    if isinstance(value, list):
        return sorted(_norm(v) for v in value)
    return value


def _departement(m: Member) -> str:
    code = m.data.get("code_insee") or m.data.get("code_postal") or ""
    if code.startswith("97"):
        return code[:3]
    return code[:2] or "?"


async def overlap(conn: AsyncConnection, slug: str) -> dict[str, Any]:
    """The cross-analysis of `slug` against every other producer, from the restricted view."""
    report: dict[str, Any] = {"source": slug}
    for kind in ("structure", "service"):
        members = await store.load_members(conn, kind)
        by_record = {m.record_id: m for m in members}
        clusters = await store.clusters_by_record(conn, kind)
        own = [m for m in members if m.source == slug]
        shared_with: Counter[str] = Counter()
        by_dep: dict[str, Counter[str]] = defaultdict(Counter)
        disagreements: Counter[str] = Counter()
        disagreement_examples: dict[str, list[dict[str, Any]]] = defaultdict(list)
        missing: Counter[str] = Counter()
        internal: set[tuple[str, str]] = set()
        alone = 0
        for m in own:
            mates = [by_record[r] for r in clusters.get(m.record_id, ()) if r in by_record]
            others = [o for o in mates if o.source != slug]
            same_source = [o for o in mates if o.source == slug and o.record_id != m.record_id]
            for o in same_source:
                internal.add(tuple(sorted((m.public_id, o.public_id))))  # type: ignore[arg-type]
            dep = _departement(m)
            by_dep[dep]["total"] += 1
            if not others:
                alone += 1
                continue
            by_dep[dep]["shared"] += 1
            for source in sorted({o.source for o in others}):
                shared_with[source] += 1
            for name in COMPARED:
                mine = m.data.get(name)
                theirs = {o.source: o.data.get(name) for o in others if o.data.get(name)}
                if mine in (None, "", []) and theirs:
                    missing[name] += 1
                    continue
                differing = sorted(s for s, v in theirs.items() if _norm(v) != _norm(mine))
                if differing and mine not in (None, "", []):
                    disagreements[name] += 1
                    if len(disagreement_examples[name]) < 5:
                        disagreement_examples[name].append(
                            {
                                "record": m.public_id,
                                "value": mine,
                                "others": {s: theirs[s] for s in differing},
                                "summary": f"the {name} differs from {len(differing)} other "
                                f"producer{'s' if len(differing) > 1 else ''}",
                            }
                        )
        report[f"{kind}s"] = {
            "total": len(own),
            "published_by_others_too": len(own) - alone,
            "only_here": alone,
            "shared_with": dict(shared_with.most_common()),
            "by_departement": {d: dict(c) for d, c in sorted(by_dep.items())},
            "disagreements": dict(disagreements.most_common()),
            "disagreement_examples": dict(disagreement_examples),
            "fields_others_fill": dict(missing.most_common()),
            "likely_internal_duplicates": sorted(list(p) for p in internal),
        }
    return report


def to_markdown(report: dict[str, Any]) -> str:
    lines = [f"# Cross-analysis of `{report['source']}`", ""]
    for kind in ("structures", "services"):
        r = report[kind]
        if not r["total"]:
            continue
        lines += [
            f"## {kind.title()}",
            "",
            f"- {r['total']} published; {r['published_by_others_too']} also published by other "
            f"producers; {r['only_here']} published by no one else.",
        ]
        if r["shared_with"]:
            lines.append(
                "- shared with: " + ", ".join(f"{s} ({n})" for s, n in r["shared_with"].items())
            )
        if r["disagreements"]:
            lines.append(
                "- values that differ from other producers: "
                + ", ".join(f"{f} ({n})" for f, n in r["disagreements"].items())
            )
            for examples in r["disagreement_examples"].values():
                for e in examples[:2]:
                    lines.append(
                        f"  - {e['record']}: {e['summary']} ({e['value']!r} vs {e['others']})"
                    )
        if r["fields_others_fill"]:
            lines.append(
                "- fields you leave empty that others fill: "
                + ", ".join(f"{f} ({n})" for f, n in r["fields_others_fill"].items())
            )
        if r["likely_internal_duplicates"]:
            lines.append(
                f"- likely duplicates within your own data: {len(r['likely_internal_duplicates'])}"
            )
            lines += [f"  - {a} = {b}" for a, b in r["likely_internal_duplicates"][:10]]
        lines += ["", "| département | records | also published elsewhere |", "|---|---|---|"]
        lines += [
            f"| {d} | {c.get('total', 0)} | {c.get('shared', 0)} |"
            for d, c in r["by_departement"].items()
        ]
        lines.append("")
    return "\n".join(lines)


def to_csv(report: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["kind", "departement", "records", "published_elsewhere_too"])
    for kind in ("structures", "services"):
        for dep, counts in report[kind]["by_departement"].items():
            writer.writerow([kind, dep, counts.get("total", 0), counts.get("shared", 0)])
    return out.getvalue()
