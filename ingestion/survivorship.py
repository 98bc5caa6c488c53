"""Survivorship: linked producer records -> one golden record with field-level provenance (pure)."""

from __future__ import annotations

import dataclasses
import functools
import re
import tomllib
import types
import typing
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import phonenumbers
from data_inclusion.schema import v1

from ingestion.members import Member, SourceFacts
from ingestion.normalize import phone_e164, siret_ok
from models.merge import SHARED_VIEW, VISIBILITIES

DEFAULT_RULES = Path(__file__).resolve().parent / "rules" / "survivorship.toml"

MODELS: Mapping[str, type[Any]] = {"structure": v1.Structure, "service": v1.Service}
SECTIONS: Mapping[str, str] = {"structures": "structure", "services": "service"}
NOT_MERGED = frozenset({"source", "id", "structure_id"})  # set by the id rule or by the caller

FIELD_STRATEGIES = frozenset({"source_priority", "most_recent", "longest", "majority", "union"})
BLOCK_STRATEGIES = frozenset({"source_priority", "most_recent", "most_complete", "majority"})
STRATEGIES = FIELD_STRATEGIES | BLOCK_STRATEGIES

# regions whose numbers count as French (metropolitan and overseas)
_FRENCH_REGIONS = frozenset(
    {"FR", "RE", "GP", "MQ", "GF", "YT", "PM", "BL", "MF", "NC", "PF", "WF"}
)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")
_URL = re.compile(r"^https?://[^\s/]+\.[^\s/]+", re.IGNORECASE)
_POSTCODE = re.compile(r"^\d{5}$")
_INSEE = re.compile(r"^(\d{5}|2[AB]\d{3})$")
_SPACES = re.compile(r"\s+")
_URL_FIELDS = frozenset({"lien_source", "site_web", "accessibilite_lieu", "lien_mobilisation"})


# --- rules -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rules:
    """The survivorship rule set, as read from the versioned rules file."""

    version: str
    source_priority: tuple[str, ...]
    aggregators: Mapping[str, tuple[str, ...]]  # aggregator slug -> the sources it relays
    fields: Mapping[str, Mapping[str, tuple[str, ...]]]  # kind -> field -> strategy chain
    blocks: Mapping[str, Mapping[str, tuple[str, ...]]]  # kind -> block -> its fields
    block_rules: Mapping[str, Mapping[str, tuple[str, ...]]]  # kind -> block -> strategy chain


def load_rules(path: Path = DEFAULT_RULES) -> Rules:
    """Read and validate a rules file; any mistake raises ValueError naming the key."""
    with path.open("rb") as f:
        return parse_rules(tomllib.load(f))


def parse_rules(data: Mapping[str, Any]) -> Rules:
    """Validate the parsed TOML of a rules file and build the Rules."""
    _only_keys("", data, {"version", "source_priority", "aggregators", *SECTIONS})
    version = data.get("version")
    if not isinstance(version, str) or not 0 < len(version) <= 32:
        raise ValueError("version: a non-empty string of at most 32 characters is required")
    priority = _slugs("source_priority", data.get("source_priority", []))
    if len(set(priority)) != len(priority):
        raise ValueError("source_priority: a source is listed twice")
    aggregators_raw = data.get("aggregators", {})
    if not isinstance(aggregators_raw, Mapping):
        raise ValueError("aggregators: a table of slug = [relayed slugs] is required")
    aggregators: dict[str, tuple[str, ...]] = {}
    for slug, relayed in sorted(aggregators_raw.items()):
        aggregators[slug] = _slugs(f"aggregators.{slug}", relayed)
        if slug in aggregators[slug]:
            raise ValueError(f"aggregators.{slug}: an aggregator cannot relay itself")
    fields: dict[str, Mapping[str, tuple[str, ...]]] = {}
    blocks: dict[str, Mapping[str, tuple[str, ...]]] = {}
    block_rules: dict[str, Mapping[str, tuple[str, ...]]] = {}
    for section, kind in SECTIONS.items():
        if section not in data:
            raise ValueError(f"{section}: section missing")
        fields[kind], blocks[kind], block_rules[kind] = _parse_section(section, kind, data[section])
    return Rules(
        version=version,
        source_priority=priority,
        aggregators=types.MappingProxyType(aggregators),
        fields=types.MappingProxyType(fields),
        blocks=types.MappingProxyType(blocks),
        block_rules=types.MappingProxyType(block_rules),
    )


def _parse_section(section: str, kind: str, data: Any) -> tuple[Mapping[str, tuple[str, ...]], ...]:
    if not isinstance(data, Mapping):
        raise ValueError(f"{section}: must be a table")
    _only_keys(section, data, {"fields", "blocks", "block_rules"})
    model_fields = MODELS[kind].model_fields
    mergeable = set(model_fields) - NOT_MERGED

    def known(key: str, name: str) -> None:
        if name in NOT_MERGED:
            raise ValueError(f"{key}: {name!r} is not merged (set by the id rule or the caller)")
        if name not in model_fields:
            raise ValueError(f"{key}: unknown field of the v1 {MODELS[kind].__name__} model")

    fields: dict[str, tuple[str, ...]] = {}
    for name, chain in _table(f"{section}.fields", data.get("fields", {})).items():
        key = f"{section}.fields.{name}"
        known(key, name)
        fields[name] = _chain(key, chain, FIELD_STRATEGIES)
        shape = _shape(model_fields[name].annotation)
        if "union" in fields[name] and (len(fields[name]) > 1 or shape != "list"):
            raise ValueError(f"{key}: 'union' must be alone and on a list field")
        if "longest" in fields[name] and shape != "text":
            raise ValueError(f"{key}: 'longest' applies to text fields only")
    blocks: dict[str, tuple[str, ...]] = {}
    owner: dict[str, str] = {}
    for block, members in _table(f"{section}.blocks", data.get("blocks", {})).items():
        key = f"{section}.blocks.{block}"
        names = _slugs(key, members)
        if not names:
            raise ValueError(f"{key}: a block needs at least one field")
        for name in names:
            known(f"{key}.{name}", name)
            if name in owner:
                raise ValueError(f"{key}.{name}: already in block {owner[name]!r}")
            if name in fields:
                raise ValueError(f"{key}.{name}: also has a rule in {section}.fields")
            owner[name] = block
        blocks[block] = names
    rules_raw = _table(f"{section}.block_rules", data.get("block_rules", {}))
    block_rules: dict[str, tuple[str, ...]] = {}
    for block, chain in rules_raw.items():
        key = f"{section}.block_rules.{block}"
        if block not in blocks:
            raise ValueError(f"{key}: no such block in {section}.blocks")
        block_rules[block] = _chain(key, chain, BLOCK_STRATEGIES)
    for block in blocks:
        if block not in block_rules:
            raise ValueError(f"{section}.block_rules.{block}: rule missing for this block")
    missing = sorted(mergeable - set(fields) - set(owner))
    if missing:
        raise ValueError(f"{section}: fields without a rule: {', '.join(missing)}")
    return (
        types.MappingProxyType(fields),
        types.MappingProxyType(blocks),
        types.MappingProxyType(block_rules),
    )


def _only_keys(where: str, data: Mapping[str, Any], allowed: set[str]) -> None:
    for key in data:
        if key not in allowed:
            raise ValueError(f"{where + '.' if where else ''}{key}: unknown key")


def _table(key: str, value: Any) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ValueError(f"{key}: must be a table")
    return value


def _slugs(key: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ValueError(f"{key}: a list of non-empty strings is required")
    return tuple(value)


def _chain(key: str, value: Any, allowed: frozenset[str]) -> tuple[str, ...]:
    chain = _slugs(key, value)
    if not chain:
        raise ValueError(f"{key}: empty strategy chain")
    for name in chain:
        if name not in STRATEGIES:
            raise ValueError(f"{key}: unknown strategy {name!r}")
        if name not in allowed:
            raise ValueError(f"{key}: strategy {name!r} is not allowed here")
    if len(set(chain)) != len(chain):
        raise ValueError(f"{key}: a strategy is listed twice")
    return chain


def _shape(annotation: Any) -> str:
    """'list' for list/set fields, 'text' for plain strings, 'other' for the rest."""
    args = typing.get_args(annotation) if typing.get_origin(annotation) else (annotation,)
    for arg in args:
        if typing.get_origin(arg) in (list, set):
            return "list"
        if arg is str:
            return "text"
    return "other"


# --- provenance and golden records ------------------------------------------------------------


@dataclass(frozen=True)
class FieldProvenance:
    """Which producer record supplied one golden value, and why it won."""

    field: str
    value: Any
    source: str  # winning source slug
    record_id: int
    version_id: int | None
    public_id: str
    strategy: str  # "only_value", "unanimous", a strategy name, "union", "block:<strategy>"
    rule_set_version: str
    source_date_maj: date | None
    date_maj_fiable: bool
    value_since: datetime | None
    last_confirmed_at: datetime | None
    agreeing_sources: tuple[str, ...]  # other members' sources with an equal (normalised) value
    conflicting_sources: tuple[str, ...]  # members with a different valid value
    rejected_sources: tuple[tuple[str, str], ...]  # (source, reason) refused by the validators
    elements: tuple[tuple[Any, tuple[str, ...]], ...] | None = None  # union: per-element sources


@dataclass(frozen=True)
class Golden:
    """One merged record for one visibility class."""

    kind: str
    visibility: str  # "public" | "restricted"
    public_id: str
    member_ids: tuple[str, ...]
    data: dict[str, Any]
    provenance: dict[str, FieldProvenance]


def public_id(
    members: Sequence[Member], sources: Mapping[str, SourceFacts], *, visibility: str
) -> str:
    """The id of the oldest member the view's consumers may see (restricted ids only as a last
    resort, so both views share the id whenever possible)."""
    _check_visibility(visibility)
    pool = [m for m in members if not _facts(sources, m.source).restreinte]
    if not pool and visibility == "restricted":
        pool = list(members)
    if not pool:
        raise ValueError("no member is visible in this view")
    return min(pool, key=lambda m: (m.first_seen_at, m.public_id, m.record_id)).public_id


def merge_views(
    kind: str,
    members: Sequence[Member],
    sources: Mapping[str, SourceFacts],
    rules: Rules,
    *,
    keep_id: str | None = None,
) -> dict[str, Golden]:
    """The public golden record (when a member is unrestricted) and the restricted one."""
    views: dict[str, Golden] = {}
    for visibility in VISIBILITIES:
        golden = merge(kind, members, sources, rules, visibility=visibility, keep_id=keep_id)
        if golden is not None:
            views[visibility] = golden
    return views


def golden_views(
    kind: str,
    members: Sequence[Member],
    sources: Mapping[str, SourceFacts],
    rules: Rules,
    *,
    keep_id: str | None = None,
) -> dict[str, Golden]:
    """The golden rows to store for one cluster: one shared row ("all") when no member is
    restricted (both views would be equal), else the public and the restricted views."""
    if any(_facts(sources, m.source).restreinte for m in members):
        return merge_views(kind, members, sources, rules, keep_id=keep_id)
    golden = merge(kind, members, sources, rules, visibility="public", keep_id=keep_id)
    if golden is None:
        return {}
    return {SHARED_VIEW: dataclasses.replace(golden, visibility=SHARED_VIEW)}


def merge(
    kind: str,
    members: Sequence[Member],
    sources: Mapping[str, SourceFacts],
    rules: Rules,
    *,
    visibility: str,
    keep_id: str | None = None,
) -> Golden | None:
    """Merge the members visible in `visibility` into one golden record (None: none visible).

    `keep_id`: the id this cluster keeps from an earlier golden record (ingestion.ids decides);
    by default the id of the oldest member the view's consumers may see.
    """
    _check_visibility(visibility)
    if kind not in MODELS:
        raise ValueError(f"unknown kind {kind!r} (expected one of {', '.join(MODELS)})")
    for m in members:
        if m.kind != kind:
            raise ValueError(f"member {m.public_id} is a {m.kind}, not a {kind}")
    # restricted members leave the public view before anything else: no value, no mention
    visible = sorted(
        (
            m
            for m in members
            if visibility == "restricted" or not _facts(sources, m.source).restreinte
        ),
        key=lambda m: (m.public_id, m.record_id),
    )
    if not visible:
        return None
    ctx = _Context(rules, sources)
    provenance: dict[str, FieldProvenance] = {}
    for name, chain in rules.fields[kind].items():
        found = _merge_field(name, chain, visible, ctx)
        if found is not None:
            provenance[name] = found
    for block, names in rules.blocks[kind].items():
        provenance.update(_merge_block(names, rules.block_rules[kind][block], visible, ctx))
    oldest = public_id(visible, sources, visibility=visibility)
    pid = oldest
    if keep_id is not None and (
        visibility == "restricted" or not _facts(sources, keep_id.partition("--")[0]).restreinte
    ):
        pid = keep_id  # a restricted producer's id never becomes a public id
    id_member = next(m for m in visible if m.public_id == oldest)
    data: dict[str, Any] = {"source": pid.partition("--")[0]}
    # a service points at its id member's producer structure: the caller maps that member id to
    # the golden structure of the same view (the id member is visible, so is its structure)
    structure = id_member.structure_public_id or id_member.data.get("structure_id")
    if kind == "service" and structure:
        data["structure_id"] = structure
    data["id"] = pid
    ordered: dict[str, FieldProvenance] = {}
    for name in MODELS[kind].model_fields:
        if name in provenance:
            data[name] = provenance[name].value
            ordered[name] = provenance[name]
    return Golden(
        kind=kind,
        visibility=visibility,
        public_id=pid,
        member_ids=tuple(sorted({m.public_id for m in visible})),
        data=data,
        provenance=ordered,
    )


def _check_visibility(visibility: str) -> None:
    if visibility not in VISIBILITIES:
        raise ValueError(f"unknown visibility {visibility!r} (expected public or restricted)")


def _facts(sources: Mapping[str, SourceFacts], slug: str) -> SourceFacts:
    # no default: an unknown source could be a restricted one and leak into the public view
    try:
        return sources[slug]
    except KeyError:
        raise ValueError(f"no SourceFacts for source {slug!r}") from None


# --- candidates, validators, normalisation ------------------------------------------------------


@dataclass(frozen=True)
class _Candidate:
    member: Member
    value: Any  # a field value, or for a block a dict of its valid fields
    key: Hashable  # the normalised value, for comparisons


class _Context:
    """What the strategies read: the rules, the sources' facts, the priority order."""

    def __init__(self, rules: Rules, sources: Mapping[str, SourceFacts]) -> None:
        self.rules = rules
        self.sources = sources
        self._rank = {slug: i for i, slug in enumerate(rules.source_priority)}

    def source_order(self, slug: str) -> tuple[int, str]:
        return self._rank.get(slug, len(self._rank)), slug

    def member_order(self, m: Member) -> tuple[int, str, str, int]:
        return (*self.source_order(m.source), m.public_id, m.record_id)

    def trusted_date(self, m: Member) -> date | None:
        return m.date_maj if _facts(self.sources, m.source).date_maj_fiable else None

    def relayed(self, slug: str, present: set[str]) -> set[str]:
        """Sources among `present` whose values this source may merely relay."""
        if slug in self.rules.aggregators:
            return present & set(self.rules.aggregators[slug])
        if _facts(self.sources, slug).agregateur:  # relays unknown: it is nobody's independent
            return present - {slug}
        return set()

    def sort_sources(self, slugs: set[str]) -> tuple[str, ...]:
        return tuple(sorted(slugs, key=self.source_order))


def _present(value: Any) -> bool:
    return value is not None and value != "" and value != [] and value != {}


def _reason(name: str, value: Any) -> str | None:
    """Why a value may not win, or None when it is valid."""
    if name == "telephone":
        e164, region = _phone(str(value))
        if e164 is None:
            return "invalid phone number"
        return None if region in _FRENCH_REGIONS else f"not a French number ({region})"
    if name == "courriel":
        return None if _EMAIL.match(str(value).strip()) else "invalid e-mail address"
    if name == "siret":
        return None if siret_ok(str(value)) else "invalid SIRET (14 digits, Luhn)"
    if name == "code_postal":
        return None if _POSTCODE.match(str(value)) else "postcode is not 5 digits"
    if name == "code_insee":
        return None if _INSEE.match(str(value)) else "invalid INSEE commune code"
    if name in ("latitude", "longitude"):
        bound = 90 if name == "latitude" else 180
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return None if ok and -bound <= value <= bound else f"{name} out of range"
    if name in _URL_FIELDS:
        return None if _URL.match(str(value)) else "invalid URL"
    if name == "nom":
        return None if 3 <= len(str(value).strip()) <= 150 else "name not 3-150 characters"
    if name == "description":
        return None if 5 <= len(str(value).strip()) <= 10_000 else "description too short or long"
    if name == "date_maj":
        try:
            day = date.fromisoformat(str(value)[:10])
        except ValueError:
            return "invalid date"
        return None if day >= date(2000, 1, 1) else "date before 2000"
    return None


@functools.lru_cache(maxsize=1 << 16)
def _phone(raw: str) -> tuple[str | None, str | None]:
    """E.164 form and region of a phone (parsing is the costly part of a merge: cached)."""
    e164 = phone_e164(raw)
    if e164 is None:
        return None, None
    return e164, phonenumbers.region_code_for_number(phonenumbers.parse(e164))


def _norm(name: str, value: Any) -> Hashable:
    """The value compared for agreement: phones E.164, e-mails lower-case, text casefolded."""
    if isinstance(value, list | tuple | set):
        return tuple(sorted({_norm(name, v) for v in value}, key=_sort_key))
    if name == "telephone":
        return _phone(str(value))[0] or str(value)
    if name == "courriel":
        return str(value).strip().lower()
    if isinstance(value, str):
        return _SPACES.sub(" ", value).strip().casefold()
    if isinstance(value, Hashable):
        return value
    return repr(value)


def _sort_key(value: Any) -> tuple[str, str]:
    return type(value).__name__, str(value)


def _candidates(
    name: str, members: Sequence[Member]
) -> tuple[list[_Candidate], list[tuple[Member, str]]]:
    valid: list[_Candidate] = []
    rejected: list[tuple[Member, str]] = []
    for m in members:
        value = m.data.get(name)
        if not _present(value):
            continue
        reason = _reason(name, value)
        if reason is None:
            valid.append(_Candidate(m, value, _norm(name, value)))
        else:
            rejected.append((m, reason))
    return valid, rejected


# --- strategies: each narrows the candidates, never to none ------------------------------------

Strategy = Callable[[list[_Candidate], _Context], list[_Candidate]]


def _keep_best(cands: list[_Candidate], score: Callable[[_Candidate], Any]) -> list[_Candidate]:
    best = max(score(c) for c in cands)
    return [c for c in cands if score(c) == best]


def source_priority(cands: list[_Candidate], ctx: _Context) -> list[_Candidate]:
    """The candidates of the highest-priority source (unknown sources last, then by slug)."""
    best = min(ctx.source_order(c.member.source) for c in cands)
    return [c for c in cands if ctx.source_order(c.member.source) == best]


def most_recent(cands: list[_Candidate], ctx: _Context) -> list[_Candidate]:
    """The newest trusted date_maj; untrusted or missing dates count as the oldest."""
    return _keep_best(cands, lambda c: ctx.trusted_date(c.member) or date.min)


def most_complete(cands: list[_Candidate], ctx: _Context) -> list[_Candidate]:
    """The block filling the most fields."""
    return _keep_best(cands, lambda c: len(c.value) if isinstance(c.value, dict) else 1)


def longest(cands: list[_Candidate], ctx: _Context) -> list[_Candidate]:
    """The longest text (whitespace-collapsed)."""
    return _keep_best(cands, lambda c: len(_SPACES.sub(" ", str(c.value)).strip()))


def majority(cands: list[_Candidate], ctx: _Context) -> list[_Candidate]:
    """The value held by the most independent sources; an aggregator relaying a present
    source does not vote; ties keep every tied value."""
    present = {c.member.source for c in cands}
    voters: dict[Hashable, set[str]] = {}
    for c in cands:
        if not ctx.relayed(c.member.source, present):
            voters.setdefault(c.key, set()).add(c.member.source)
    return _keep_best(cands, lambda c: len(voters.get(c.key, ())))


_STRATEGIES: Mapping[str, Strategy] = {
    "source_priority": source_priority,
    "most_recent": most_recent,
    "most_complete": most_complete,
    "longest": longest,
    "majority": majority,
}


def _select(
    cands: list[_Candidate], chain: tuple[str, ...], ctx: _Context
) -> tuple[_Candidate, str]:
    """Run the chain; the reported strategy is the one that settled the *value*."""
    if len(cands) == 1:
        return cands[0], "only_value"
    decided = "unanimous" if len({c.key for c in cands}) == 1 else None
    for name in chain:
        cands = _STRATEGIES[name](cands, ctx)
        if decided is None and len({c.key for c in cands}) == 1:
            decided = name
        if len(cands) == 1:
            break
    # the last strategy always decides: what it left tied goes by source order, then id
    winner = min(cands, key=lambda c: ctx.member_order(c.member))
    return winner, decided or chain[-1]


# --- fields and blocks -------------------------------------------------------------------------


def _merge_field(
    name: str, chain: tuple[str, ...], members: Sequence[Member], ctx: _Context
) -> FieldProvenance | None:
    cands, rejected = _candidates(name, members)
    if not cands:
        return None
    if chain == ("union",):
        return _union(name, cands, rejected, ctx)
    winner, strategy = _select(cands, chain, ctx)
    return _provenance(name, winner.value, winner, strategy, cands, rejected, ctx)


def _union(
    name: str, cands: list[_Candidate], rejected: list[tuple[Member, str]], ctx: _Context
) -> FieldProvenance:
    cands = sorted(cands, key=lambda c: ctx.member_order(c.member))
    found: dict[Hashable, tuple[Any, set[str]]] = {}
    for c in cands:
        for element in c.value:
            key = _norm(name, element)
            found.setdefault(key, (element, set()))[1].add(c.member.source)
    ordered = sorted(found, key=_sort_key)
    elements = tuple((found[k][0], ctx.sort_sources(found[k][1])) for k in ordered)
    value = [found[k][0] for k in ordered]
    winner = cands[0]
    strategy = "only_value" if len(cands) == 1 else "union"
    others = {c.member.source for c in cands[1:]}
    return _make(name, value, winner, strategy, others, set(), rejected, ctx, elements)


def _merge_block(
    names: tuple[str, ...], chain: tuple[str, ...], members: Sequence[Member], ctx: _Context
) -> dict[str, FieldProvenance]:
    per_field = {name: _candidates(name, members) for name in names}
    cands: list[_Candidate] = []
    for m in members:
        valid = {name: c.value for name in names for c in per_field[name][0] if c.member is m}
        if valid:
            cands.append(_Candidate(m, valid, tuple(_norm(n, valid.get(n)) for n in names)))
    if not cands:
        return {}
    winner, strategy = _select(cands, chain, ctx)
    result: dict[str, FieldProvenance] = {}
    for name in names:
        if name in winner.value:
            field_cands, rejected = per_field[name]
            chosen = next(c for c in field_cands if c.member is winner.member)
            result[name] = _provenance(
                name, chosen.value, chosen, f"block:{strategy}", field_cands, rejected, ctx
            )
    return result


def _provenance(
    name: str,
    value: Any,
    winner: _Candidate,
    strategy: str,
    cands: list[_Candidate],
    rejected: list[tuple[Member, str]],
    ctx: _Context,
) -> FieldProvenance:
    others = [c for c in cands if c.member is not winner.member]
    agreeing = {c.member.source for c in others if c.key == winner.key}
    conflicting = {c.member.source for c in others if c.key != winner.key}
    return _make(name, value, winner, strategy, agreeing, conflicting, rejected, ctx)


def _make(
    name: str,
    value: Any,
    winner: _Candidate,
    strategy: str,
    agreeing: set[str],
    conflicting: set[str],
    rejected: list[tuple[Member, str]],
    ctx: _Context,
    elements: tuple[tuple[Any, tuple[str, ...]], ...] | None = None,
) -> FieldProvenance:
    m = winner.member
    refused = sorted(
        {(r.source, reason) for r, reason in rejected},
        key=lambda p: (ctx.source_order(p[0]), p[1]),
    )
    return FieldProvenance(
        field=name,
        value=value,
        source=m.source,
        record_id=m.record_id,
        version_id=m.version_id,
        public_id=m.public_id,
        strategy=strategy,
        rule_set_version=ctx.rules.version,
        source_date_maj=m.date_maj,
        date_maj_fiable=_facts(ctx.sources, m.source).date_maj_fiable,
        value_since=m.field_since.get(name),
        last_confirmed_at=m.last_confirmed_at,
        agreeing_sources=ctx.sort_sources(agreeing),
        conflicting_sources=ctx.sort_sources(conflicting),
        rejected_sources=tuple(refused),
        elements=elements,
    )
