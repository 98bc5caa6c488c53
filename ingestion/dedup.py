"""Duplicate detection of producer records: blocking keys, pair scores, clusters (pure functions).

Structures are compared in two steps (docs/architecture.md §5):

1. a deterministic rule: a valid equal SIRET, the same commune and a similar name link two
   records outright (`method="siret"`, score 1.0). The same SIRET in another commune proves
   nothing (networks show their head office's SIRET for every site): it adds nothing to the score;
2. a score (`method="score"`): a small hand-tuned logistic model, `WEIGHTS` in log-odds points
   over the pair's evidence, computed only for pairs sharing a blocking key.

Two names of different kinds ("Mairie de X" / "CCAS de X") are never linked, nor two records of
one producer with different SIRETs and different names. Services are compared only within one
structure cluster. Everything works on `Member` values and returns plain values; the only I/O is
reading the abbreviation table (`rules/abbreviations.toml`) once at import.
"""

from __future__ import annotations

import math
import re
import tomllib
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from rapidfuzz.distance import JaroWinkler

from ingestion import match_model
from ingestion.members import Member
from ingestion.normalize import siret_ok

RULE_VERSION = "dedup-2026.12-1"
# The structure model is learnt (ingestion/rules/match-model.json, `gateway dedup train`): a
# logistic regression over comparison levels. Its probability is the score; AUTO_LINK is chosen
# on held-out labelled data (ingestion.dedup_eval), REVIEW_FLOOR sends near misses to review.
AUTO_LINK = 0.7
REVIEW_FLOOR = 0.5  # candidates in [REVIEW_FLOOR, AUTO_LINK) go to human review
# two records whose pair scores below this are never put in one cluster, whatever links join
# them through others: the cluster must hold together as a whole, not only pair by pair
CANNOT_LINK_BELOW = 0.02
SIRET_NAME_BAR = 0.7  # the deterministic rule's "similar name" ("ccas" / "ccas rennes": 0.75)
SIRET_RULE_DISTANCE_M = 300  # ... and the same place: same street line, or this close
MAX_BLOCK = 40  # blocks with more records are skipped: other, narrower keys cover their pairs

WEBMAIL: frozenset[str] = frozenset(
    {
        "gmail.com", "googlemail.com", "orange.fr", "wanadoo.fr", "free.fr", "hotmail.com",
        "hotmail.fr", "laposte.net", "yahoo.fr", "yahoo.com", "outlook.fr", "outlook.com",
        "live.fr", "live.com", "msn.com", "sfr.fr", "neuf.fr", "aol.com", "icloud.com", "gmx.fr",
        "club-internet.fr", "bbox.fr", "numericable.fr", "protonmail.com", "proton.me",
    }
)  # fmt: skip


# how a candidate was found: the learnt model's score, or a deterministic rule (score 1.0)
METHODS = ("model", "siret", "one-per-commune", "name-and-contact")


@dataclass(frozen=True)
class Candidate:
    """Two records that may describe the same thing, with the evidence of the score."""

    a: str  # public ids, a < b
    b: str
    score: float  # 0..1
    method: str  # one of METHODS
    evidence: dict[str, Any]


# -- text ------------------------------------------------------------------------------------------
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "Œ": "oe", "Æ": "ae", "ß": "ss"})
_COMBINING = re.compile("[\u0300-\u036f]+")
_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def fold(text: str) -> str:
    """store.text.fold, faster: lower-case ASCII words separated by one space.

    Other non-ASCII characters (curly apostrophes, dashes) separate words, as there.
    """
    if text.isascii():
        return _NON_ALNUM.sub(" ", text.lower()).strip()
    decomposed = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
    ascii_text = _COMBINING.sub("", decomposed).encode("ascii", "replace").decode("ascii")
    return _NON_ALNUM.sub(" ", ascii_text.lower()).strip()


# -- names -----------------------------------------------------------------------------------------
_TABLE = tomllib.loads(
    (Path(__file__).with_name("rules") / "abbreviations.toml").read_text(encoding="utf-8")
)
_PHRASES: dict[str, str] = dict(_TABLE["phrases"])
_PHRASE_RE = re.compile(
    r"\b(" + "|".join(re.escape(p) for p in sorted(_PHRASES, key=len, reverse=True)) + r")\b"
)
_STOPWORDS = frozenset(_TABLE["words"]["stopwords"])
_DROP = _STOPWORDS | frozenset(w for k in ("legal_forms", "generic") for w in _TABLE["words"][k])
_TYPES: dict[str, str] = dict(_TABLE["types"])
# "C.C.A.S." / "M.J.C" -> "CCAS" / "MJC" (before folding: "C.C.A.S. d'Auriol" keeps its "d'")
_INITIALS = re.compile(r"\b(?:[A-Za-z]\.){2,}[A-Za-z]?\b\.?")
_ORDINAL = re.compile(r"^\d{1,2}(?:e|eme|er|ere)$")  # "2e", "16eme": an arrondissement's number


def _contract_initials(text: str) -> str:
    return _INITIALS.sub(lambda m: m.group(0).replace(".", "") + " ", text)


@lru_cache(maxsize=262144)
def normalize_name(nom: str) -> str:
    """Folded name, abbreviations contracted, legal forms, articles and generic words dropped.

    "Centre communal d'action sociale de Saint-Malo" and "CCAS de St-Malo" both give
    "ccas saint malo"; "Agence France Travail de Rennes" and "Pôle emploi Rennes" "ft rennes".
    """
    text = fold(_contract_initials(nom))
    text = _PHRASE_RE.sub(lambda m: _PHRASES[m.group(1)], text)
    return " ".join(t for t in text.split() if t not in _DROP)


def name_types(normalized: str) -> frozenset[str]:
    """Kinds of structure a normalised name says it is ("ccas", "mairie", "mission-locale"…)."""
    return frozenset(_TYPES[t] for t in normalized.split() if t in _TYPES)


@lru_cache(maxsize=262144)
def _close_tokens(x: str, y: str) -> bool:
    """Near-equal tokens: Jaro-Winkler >= 0.94 (needs lengths within 70 % of each other)."""
    lx, ly = len(x), len(y)
    return min(lx, ly) >= 0.7 * max(lx, ly) and jaro_winkler(x, y) >= 0.94


def jaro_winkler(s1: str, s2: str) -> float:
    """Jaro-Winkler similarity of two strings (1.0 = equal; prefix weight 0.1, up to 4 letters).

    RapidFuzz's C++ implementation: scoring compares tens of thousands of token pairs per run.
    """
    return float(JaroWinkler.similarity(s1, s2, prefix_weight=0.1))


def name_similarity(a: str, b: str) -> float:
    """Similarity of two normalised names (token sets), in [0, 1].

    Half the share of the shorter name's tokens found in the other ("escale" in "chrs escale"),
    half the longer one's; tokens of 5+ letters at Jaro-Winkler >= 0.94 (a typo, a plural)
    count 0.8. Word order does not matter.
    """
    if a == b:
        return 1.0 if a else 0.0
    ta, tb = set(a.split()), set(b.split())
    if not ta or not tb:
        return 0.0
    if a.replace(" ", "") == b.replace(" ", ""):
        return 0.95  # "cyber base" / "cyberbase"
    common = ta & tb
    matched = float(len(common))
    rest_b = sorted(tb - common)
    for x in sorted(ta - common):
        if len(x) < 5:
            continue
        for y in rest_b:
            if len(y) >= 5 and _close_tokens(x, y):
                matched += 0.8
                rest_b.remove(y)
                break
    short, long_ = sorted((len(ta), len(tb)))
    return 0.5 * matched / short + 0.5 * matched / long_


# -- addresses, contacts, places -------------------------------------------------------------------
_STREET_WORDS = {
    "av": "avenue", "ave": "avenue", "bd": "boulevard", "bld": "boulevard", "boul": "boulevard",
    "pl": "place", "r": "rue", "imp": "impasse", "ch": "chemin", "chem": "chemin",
    "che": "chemin", "all": "allee", "sq": "square", "rte": "route", "fg": "faubourg",
    "st": "saint", "ste": "sainte", "gal": "general", "mal": "marechal", "crs": "cours",
    "qu": "quai", "res": "residence", "pass": "passage", "prom": "promenade",
}  # fmt: skip
# words that start an address complement: the street line stops there
_COMPLEMENT = frozenset(
    {
        "bat", "batiment", "rdc", "etage", "bp", "cs", "cedex", "entree", "appt", "appartement",
        "escalier", "porte", "local", "lot", "zi", "za", "zac", "immeuble", "centre", "cial",
        "commercial", "premier", "1er", "tour", "hall",
    }
)  # fmt: skip
_ADDRESS_CUT = re.compile(r"\s+-\s+|,")
_NUMBER_SUFFIX = frozenset({"bis", "ter", "quater", "a", "b", "c", "d"})
_NOT_DIGIT = re.compile(r"\D")


def street_line(adresse: str) -> tuple[str | None, str | None]:
    """(number, street) of an address, folded, street types expanded, articles dropped:
    "126, rte de la Liberté" -> ("126", "route liberte"); "30B R. de Bretagne" -> ("30b",
    "rue bretagne"); the complement ("Bâtiment B", "RDC", "BP 12") is cut off."""
    segments = [x for x in _ADDRESS_CUT.split(adresse) if x.strip()]
    line = ""
    for segment in segments:  # "12, rue X" / "12 rue X - Bâtiment B" / "12 rue X, BP 12"
        line = f"{line} {segment}"
        if any(c.isalpha() for c in segment):
            break
    tokens = [_STREET_WORDS.get(t, t) for t in fold(line).split() if t not in _STOPWORDS]
    number: str | None = None
    street: list[str] = []
    i = 0
    while i < len(tokens):
        t = tokens[i]
        if not street and number is None and t[:1].isdigit():
            digits = "".join(c for c in t if c.isdigit())
            rest = t[len(digits) :]
            number = digits + (rest[:1] if rest[:1] in ("b", "t", "q") else "")
            if i + 1 < len(tokens) and tokens[i + 1] in _NUMBER_SUFFIX:
                number = digits + tokens[i + 1][:1]
                i += 1
        elif street and (t in _COMPLEMENT or t.isdigit()):
            break
        elif not t.isdigit():
            street.append(t)
        i += 1
    return number, " ".join(street) or None


def normalize_address(adresse: str) -> str:
    """Street line only (number and street, complement cut off), folded, types expanded."""
    number, street = street_line(adresse)
    return " ".join(x for x in (number, street) if x)


def normalize_phone(raw: str) -> str | None:
    """E.164 as ingestion writes it; French national numbers left as given are converted too."""
    text = raw.strip().replace("(0)", "")
    digits = _NOT_DIGIT.sub("", text)
    if text.startswith("+"):
        number = "+" + digits
    elif digits.startswith("00"):
        number = "+" + digits[2:]
    elif len(digits) == 10 and digits[0] == "0":
        number = "+33" + digits[1:]
    else:
        return None  # "3949" and other short numbers: not a line of one structure
    return number if 11 <= len(number) <= 16 else None


def _domain(url_or_email: str) -> str:
    text = url_or_email.strip().lower()
    if "@" in text:
        return text.rsplit("@", 1)[1]
    host = re.sub(r"^[a-z]+://", "", text).split("/", 1)[0].split(":", 1)[0]
    return host.removeprefix("www.")


def city_of(code: str) -> str:
    """The commune a municipal arrondissement belongs to (Paris, Lyon, Marseille); other codes
    are their own city. An arrondissement is a commune of its own everywhere else: only the
    comparison of two places asks whether they lie in one city."""
    if code.startswith("751") and code != "75056":
        return "75056"
    if code.startswith("6938"):
        return "69123"
    if "13201" <= code <= "13216":
        return "13055"
    return code


def _department(code: str | None) -> str | None:
    """Department of an INSEE code or a postcode ("2A"/"2B" and Corsican postcodes: "20")."""
    if not code or len(code) != 5:
        return None
    if code.startswith("97"):
        return code[:3]
    return "20" if code[:2] in ("2A", "2B") else code[:2]


# -- per-record features ---------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Features:
    """What scoring needs of one structure record, computed once."""

    public_id: str
    source: str
    name: str  # normalize_name(nom)
    tokens: frozenset[str]
    types: frozenset[str]
    siret: str | None  # valid SIRETs only
    phone: str | None  # E.164
    email: str | None
    email_domain: str | None  # None for webmail domains
    web_domain: str | None
    lat: float | None
    lon: float | None
    insee: str | None  # as sent: an arrondissement keeps its own code
    code_postal: str | None
    commune: str | None  # commune name as name tokens, with its department: "saint-malo|35"
    department: str | None  # of the INSEE code, else of the postcode
    departments: frozenset[str]  # of both (a postcode may belong to a neighbouring department)
    place: frozenset[str]  # the commune's name as name tokens ("saint", "malo")
    address: str | None  # normalize_address(adresse)
    core: str  # the name without its place ("ccas" of "ccas rennes")
    words: tuple[str, ...]  # the folded name, every word (acronyms are matched against it)
    number: str | None  # street number ("12b")
    street: str | None  # street name ("rue chateau")
    ordinal: str | None  # an arrondissement's number in the name ("16e" of "EPN Paris 16e")


def _text(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    return value.strip() or None if isinstance(value, str) else None


def features(m: Member) -> Features:
    """The comparable features of a structure member."""
    d = m.data
    nom = _text(d, "nom") or ""
    name = normalize_name(nom)
    siret = _text(d, "siret")
    phone = _text(d, "telephone")
    email = _text(d, "courriel")
    email = email.lower() if email and "@" in email else None
    email_domain = _domain(email) if email else None
    if email_domain in WEBMAIL or (email_domain and "." not in email_domain):
        email_domain = None
    web = _text(d, "site_web")
    lat, lon = d.get("latitude"), d.get("longitude")
    if not (isinstance(lat, int | float) and isinstance(lon, int | float)):
        lat = lon = None
    insee = _text(d, "code_insee")
    cp = _text(d, "code_postal")
    cp = cp if cp and len(cp) == 5 else None
    departments = frozenset(x for x in (_department(insee), _department(cp)) if x)
    department = _department(insee) or _department(cp)
    commune = _text(d, "commune")
    place = normalize_name(commune) if commune else ""
    place_tokens = frozenset(place.split())
    adresse = _text(d, "adresse")
    number, street = street_line(adresse) if adresse else (None, None)
    ordinals = [t for t in name.split() if _ORDINAL.match(t)]
    core = " ".join(
        t for t in name.split() if t not in place_tokens and not t.isdigit() and t not in ordinals
    )
    return Features(
        public_id=m.public_id,
        source=m.source,
        name=name,
        tokens=frozenset(name.split()),
        types=name_types(name),
        siret=siret if siret and siret_ok(siret) else None,
        phone=normalize_phone(phone) if phone else None,
        email=email,
        email_domain=email_domain,
        web_domain=_domain(web) if web else None,
        lat=None if lat is None else float(lat),
        lon=None if lon is None else float(lon),
        insee=insee,
        code_postal=cp,
        commune=f"{place.replace(' ', '-')}|{department}" if place and department else None,
        department=department,
        departments=departments,
        place=place_tokens,
        address=" ".join(x for x in (number, street) if x) or None,
        core=core or name,
        words=tuple(fold(_contract_initials(nom)).split()),
        number=number,
        street=street,
        ordinal=ordinals[0].rstrip("emr") if ordinals else None,
    )


FEATURES_VERSION = 3  # bump when `features` changes: stored features of another version are redone
_FEATURE_FIELDS = tuple(Features.__dataclass_fields__)
_SET_FIELDS = frozenset({"tokens", "types", "departments", "place"})
_TUPLE_FIELDS = frozenset({"words"})


def features_to_json(f: Features) -> list[Any]:
    """A record's features as stored beside it: [version, field values in declaration order]."""
    values = (getattr(f, name) for name in _FEATURE_FIELDS)
    return [FEATURES_VERSION, *(sorted(v) if isinstance(v, frozenset) else v for v in values)]


def features_from_json(doc: Any) -> Features | None:
    """Stored features, or None when they are missing or of another version."""
    if not isinstance(doc, list) or not doc or doc[0] != FEATURES_VERSION:
        return None
    if len(doc) != len(_FEATURE_FIELDS) + 1:
        return None
    values: dict[str, Any] = {
        name: frozenset(v) if name in _SET_FIELDS else tuple(v) if name in _TUPLE_FIELDS else v
        for name, v in zip(_FEATURE_FIELDS, doc[1:], strict=True)
    }
    return Features(**values)


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_000 * math.asin(min(1.0, math.sqrt(h)))


# -- blocking --------------------------------------------------------------------------------------
_GEO_CELL = 0.002  # degrees: ~220 m north-south, ~150 m east-west in metropolitan France


def _keys(f: Features) -> set[str]:
    keys: set[str] = set()
    if f.siret:
        keys.add(f"siren:{f.siret[:9]}")
    if f.phone:
        keys.add(f"tel:{f.phone}")
    if f.email:
        keys.add(f"mail:{f.email}")
    if f.email_domain:
        keys.add(f"dom:{f.email_domain}")
    if f.name and f.department:
        keys.add(f"nom:{f.department}:{f.name.replace(' ', '-')}")  # moved in the department
    # postcode and commune both: producers differ on either (CEDEX codes, delegated communes)
    places = [f"cp:{f.code_postal}"] if f.code_postal else []
    if f.commune:
        places.append(f"com:{f.commune}")
    keys.update(f"{place}:{token}" for place in places for token in f.tokens)
    if f.street and f.department:
        keys.add(f"addr:{f.department}:{f.number or ''}:{f.street.replace(' ', '-')}")
    if f.lat is not None and f.lon is not None:
        # one grid: two records a few metres apart on either side of a cell border are still
        # found by their other keys (name tokens, address, contacts)
        keys.add(f"geo:{math.floor(f.lat / _GEO_CELL)}:{math.floor(f.lon / _GEO_CELL)}")
    return keys


def keys_of(f: Features) -> set[str]:
    """`blocking_keys` of a record whose features are already computed."""
    return _keys(f)


def blocking_keys(m: Member) -> set[str]:
    """Plain-string keys ("siren:263501603", "tel:+33299286311"…); pairs sharing one are compared.

    SIREN, phone, e-mail, e-mail domain (not webmail), exact normalised name in the department,
    postcode + each name token, commune + each name token, number + street in the department,
    and a ~200 m geo cell.
    """
    return _keys(features(m))


def candidate_pairs(
    keys: Sequence[Iterable[str]], max_block: int = MAX_BLOCK
) -> set[tuple[int, int]]:
    """Index pairs (i < j) sharing a key, ignoring keys held by more than `max_block` records."""
    blocks: dict[str, list[int]] = defaultdict(list)
    for i, ks in enumerate(keys):
        for k in ks:
            blocks[k].append(i)
    size = len(keys)
    codes: set[int] = set()  # i * size + j: cheaper to hash than tuples
    for members in blocks.values():
        n = len(members)
        if n < 2 or n > max_block:
            continue
        for x in range(n - 1):
            base = members[x] * size
            codes.update(base + j for j in members[x + 1 :])
    return {divmod(code, size) for code in codes}


# -- structure comparisons -------------------------------------------------------------------------
def _same_commune(a: Features, b: Features) -> bool | None:
    """Same INSEE code when both have one, else same name in a common department; None: unknown."""
    if a.insee and b.insee:
        return a.insee == b.insee
    if a.place and b.place:
        return a.place == b.place and bool(a.departments & b.departments)
    return None


def acronym_span(acronym: str, words: Sequence[str]) -> tuple[int, int] | None:
    """Where `acronym` is the initials of a run of `words` ([start, end)), or None: every word
    that is not an article or a preposition gives its initial, those may or may not ("plie" /
    "plan local pour l'insertion et l'emploi", "mde" / "maison de l'emploi", "csapa" / "centre
    de soins, d'accompagnement et de prévention en addictologie")."""
    n = len(acronym)
    if n < 2:
        return None
    initials = {w[0] for w in words}
    if acronym[0] not in initials or not initials.issuperset(acronym):
        return None  # a letter no word starts with: no run of words spells it (the common case)

    @cache
    def end(i: int, j: int) -> int | None:  # where acronym[i:] ends when read from words[j:]
        if i == n:
            return j
        if j == len(words):
            return None
        word = words[j]
        if word[0] == acronym[i] and (found := end(i + 1, j + 1)) is not None:
            return found
        return end(i, j + 1) if word in _STOPWORDS else None

    for start in range(len(words)):
        if words[start][0] == acronym[0] and (stop := end(0, start)) is not None:
            return start, stop
    return None


def acronym_of(acronym: str, words: Sequence[str]) -> bool:
    """Whether `acronym` is the initials of a run of `words` (`acronym_span`)."""
    return acronym_span(acronym, words) is not None


def _with_acronyms(a: Features, b: Features) -> tuple[str, str]:
    """Both names, the words of one that a short token of the other abbreviates written as
    that token ("esat elan" / "etablissement et service d'accompagnement par le travail elan"
    -> "esat elan" twice)."""
    names = {a.public_id: a.name, b.public_id: b.name}
    for x, y in ((a, b), (b, a)):
        for token in sorted(x.tokens - y.tokens):
            if not (2 < len(token) <= 6 and token.isalpha()):
                continue
            span = acronym_span(token, y.words)
            if span is not None and span[1] - span[0] > 1:
                start, stop = span
                names[y.public_id] = normalize_name(
                    " ".join((*y.words[:start], token, *y.words[stop:]))
                )
                break
    return names[a.public_id], names[b.public_id]


def _structure_name_similarity(a: Features, b: Features) -> float:
    """Name similarity, not counting the commune both names mention, acronyms spelt out.

    "Secours populaire de Lécousse" and "Alpha Formation Lécousse" share only their place;
    "Restos du cœur Rennes" and "Restos du cœur Vitré" keep their different places.
    """
    if a.name == b.name:
        return 1.0 if a.name else 0.0
    name_a, name_b = _with_acronyms(a, b)
    tokens_a, tokens_b = set(name_a.split()), set(name_b.split())
    place = tokens_a & tokens_b & (a.place | b.place)
    if place and tokens_a - place and tokens_b - place:
        name_a = " ".join(t for t in name_a.split() if t not in place)
        name_b = " ".join(t for t in name_b.split() if t not in place)
    return max(name_similarity(name_a, name_b), name_similarity(a.core, b.core))


def _sigmoid(x: float) -> float:
    if x < -700:
        return 0.0
    return 1 / (1 + math.exp(-x))


_NAME_LEVELS = ((0.9, ">=0.9"), (0.75, ">=0.75"), (0.55, ">=0.55"), (0.35, ">=0.35"))
_DISTANCE_LEVELS = (
    (100, "<100m"),
    (300, "<300m"),
    (1000, "<1km"),
    (3000, "<3km"),
    (10000, "<10km"),
    (50000, "<50km"),
)


# kinds of structure a commune has one of: two such records of one name in one commune are one
ONE_PER_COMMUNE = frozenset({"ccas", "cias", "mairie"})


Counts = Mapping[str, int]  # blocking key -> how many records hold it ("mail:x", "tel:x")
SHARED_CONTACT = 3  # an e-mail or phone held by more records is a network's, not one place's


def contact_counts(keys: Iterable[Iterable[str]]) -> dict[str, int]:
    """How many records hold each e-mail and phone key, from the records' blocking keys."""
    counts: Counter[str] = Counter()
    for ks in keys:
        counts.update(k for k in ks if k.startswith(("mail:", "tel:")))
    return dict(counts)


def _shared(counts: Counts | None, key: str) -> bool:
    """Whether a contact two records share is held by many: a network's switchboard or
    mailbox. Unknown counts say no; a key missing from known counts is a skipped, oversized
    block."""
    if counts is None:
        return False
    return counts.get(key, MAX_BLOCK + 1) > SHARED_CONTACT


def compare(a: Features, b: Features, counts: Counts | None = None) -> dict[str, Any]:
    """A pair's comparison levels, one per field both records have (the model's evidence, as a
    person reads it): name, commune, distance, address, siret, phone, email, site_web, source."""
    ev: dict[str, Any] = {}
    name = _structure_name_similarity(a, b)
    if a.name == b.name:
        ev["name"] = "exact"
    elif a.core == b.core:
        rest_a, rest_b = a.tokens - set(a.core.split()), b.tokens - set(b.core.split())
        # "ML Lille - antenne de Houplines" / "… de Faches-Thumesnil": one network, two places
        ev["name"] = (
            "same-but-other-place"
            if rest_a and rest_b and rest_a != rest_b
            else "same-without-place"
        )
    else:
        ev["name"] = next((lv for bar, lv in _NAME_LEVELS if name >= bar), "different")
    ev["name_similarity"] = round(name, 3)
    if a.insee and b.insee:
        if a.insee == b.insee:
            ev["commune"] = "same"
        elif city_of(a.insee) == city_of(b.insee) and city_of(a.insee) in (a.insee, b.insee):
            ev["commune"] = "same-city"  # an arrondissement and its city
        elif a.departments & b.departments:
            ev["commune"] = "other"
        else:
            ev["commune"] = "other-department"
    elif (same := _same_commune(a, b)) is not None:
        ev["commune"] = "same" if same else "other"
    if a.lat is not None and a.lon is not None and b.lat is not None and b.lon is not None:
        dist = haversine_m(a.lat, a.lon, b.lat, b.lon)
        ev["distance_m"] = round(dist)
        ev["distance"] = next((lv for bar, lv in _DISTANCE_LEVELS if dist < bar), ">=50km")
    if a.street and b.street and ev.get("commune") in (None, "same", "same-city"):
        # "1 place de la Mairie" is in every commune: a street line says one place only there
        if a.street == b.street or name_similarity(a.street, b.street) >= 0.85:
            if a.number == b.number:
                ev["address"] = "equal"
            elif a.number and b.number:
                ev["address"] = "same-street"
            else:
                ev["address"] = "same-street-no-number"
        else:
            ev["address"] = "different"
    if a.siret and b.siret:
        if a.siret == b.siret:
            ev["siret"] = "equal"
        elif a.siret[:9] == b.siret[:9]:
            ev["siret"] = "same-siren"
        else:
            ev["siret"] = "different"
    if a.phone and b.phone:
        if a.phone != b.phone:
            ev["phone"] = "different"
        else:
            ev["phone"] = "equal-shared" if _shared(counts, f"tel:{a.phone}") else "equal"
    if a.email and b.email:
        if a.email == b.email:
            ev["email"] = "equal-shared" if _shared(counts, f"mail:{a.email}") else "equal"
        elif a.email_domain and a.email_domain == b.email_domain:
            ev["email"] = "same-domain"
        else:
            ev["email"] = "different"
    if a.web_domain and b.web_domain:
        ev["site_web"] = "same-domain" if a.web_domain == b.web_domain else "different"
    ev["source"] = "same" if a.source == b.source else "other"
    if a.types and a.types == b.types and a.types <= ONE_PER_COMMUNE:
        ev["kind"] = "one-per-commune"
    if a.ordinal and b.ordinal and a.ordinal != b.ordinal:
        ev["arrondissement"] = "different"  # "Mairie du 2e" / "Mairie du 3e"
    return ev


def _siret_rule(a: Features, b: Features, ev: Mapping[str, Any]) -> bool:
    """The deterministic rule, where it is sound: one SIRET, one commune, similar names, and
    nothing saying two places: the same street line (within SIRET_RULE_DISTANCE_M when both
    have coordinates), or no address to compare. A head office's SIRET shown by its sites in
    other streets is no proof of one place."""
    if not (a.siret and a.siret == b.siret and ev.get("commune") == "same"):
        return False
    if ev["name_similarity"] < SIRET_NAME_BAR - 1e-9:
        return False
    distance = ev.get("distance_m")
    if "address" in ev:
        return ev["address"] == "equal" and (distance is None or distance < SIRET_RULE_DISTANCE_M)
    return distance is None or distance < SIRET_RULE_DISTANCE_M


def _one_per_commune_rule(ev: Mapping[str, Any]) -> bool:
    """A commune has one CCAS, one CIAS seat, one town hall: two records of such a kind, of one
    name (once the place is left out), in one commune are that one structure, wherever their
    producers put its address."""
    return (
        ev.get("kind") == "one-per-commune"
        and ev.get("commune") == "same"
        and ev["name"] in ("exact", "same-without-place")
        and "arrondissement" not in ev
    )


def _name_and_contact_rule(ev: Mapping[str, Any]) -> bool:
    """One name (or nearly) in one commune, reached at one line or mailbox of its own (not one
    a network shares between many records), told by two producers: one structure, even where
    the producers' addresses differ (a stale producer keeps the address a structure moved
    from)."""
    return (
        ev["name"] in ("exact", "same-without-place", ">=0.9", ">=0.75")
        and ev.get("commune") in ("same", "same-city")
        and (ev.get("email") == "equal" or ev.get("phone") == "equal")
        and ev["source"] == "other"
        and "arrondissement" not in ev
    )


def _rule(a: Features, b: Features, ev: Mapping[str, Any]) -> str | None:
    """The deterministic rule linking the pair outright, if any."""
    if _siret_rule(a, b, ev):
        return "siret"
    if _one_per_commune_rule(ev):
        return "one-per-commune"
    if _name_and_contact_rule(ev):
        return "name-and-contact"
    return None


def _score(a: Features, b: Features, counts: Counts | None = None) -> Candidate | None:
    if a.public_id > b.public_id:
        a, b = b, a
    if a.types and b.types and not (a.types & b.types):
        return None  # "Mairie de X" / "CCAS de X": different kinds of structure
    ev = compare(a, b, counts)
    if rule := _rule(a, b, ev):
        return Candidate(a.public_id, b.public_id, 1.0, rule, ev)
    probability, weights = match_model.structure_model().probability(ev, a.core, b.core)
    if probability < REVIEW_FLOOR:
        return None
    return Candidate(a.public_id, b.public_id, round(probability, 4), "model", {**ev, **weights})


def pair_probability(a: Features, b: Features, counts: Counts | None = None) -> float:
    """The model's probability that two records are one structure (0 for different kinds)."""
    if a.types and b.types and not (a.types & b.types):
        return 0.0
    ev = compare(a, b, counts)
    if _rule(a, b, ev):
        return 1.0
    return match_model.structure_model().probability(ev, a.core, b.core)[0]


def kept_apart(
    feats: Mapping[str, Features], counts: Counts | None = None
) -> Callable[[str, str], bool]:
    """For `clusters`: whether two records (public ids) must not share a cluster, the model
    being strongly against them (below CANNOT_LINK_BELOW) whatever links join them through
    others. Records without features never object."""

    @lru_cache(maxsize=65536)
    def apart(x: str, y: str) -> bool:
        fx, fy = feats.get(x), feats.get(y)
        if fx is None or fy is None:
            return False
        return pair_probability(fx, fy, counts) < CANNOT_LINK_BELOW

    return apart


def score_pair(a: Member, b: Member) -> Candidate | None:
    """Compare two structure records; None when they are clearly different (below REVIEW_FLOOR)."""
    return _score(features(a), features(b))


def structure_candidates(members: Sequence[Member]) -> list[Candidate]:
    """Every pair scoring REVIEW_FLOOR or more among pairs sharing a blocking key, sorted by ids."""
    return candidates_among([features(m) for m in members])


def candidates_among(feats: Sequence[Features]) -> list[Candidate]:
    """`structure_candidates` for records whose features are already computed."""
    keys = [_keys(f) for f in feats]
    counts = contact_counts(keys)
    out = [
        c for i, j in candidate_pairs(keys) if (c := _score(feats[i], feats[j], counts)) is not None
    ]
    out.sort(key=lambda c: (c.a, c.b))
    return out


def pairs_of_seeds(blocks: Mapping[str, Sequence[int]], seeds: set[int]) -> set[tuple[int, int]]:
    """Record id pairs (a < b) sharing a block with at least one seed: what an incremental run
    compares after changing the seeds (`blocks`: key -> record ids, oversized blocks left out)."""
    pairs: set[tuple[int, int]] = set()
    for members in blocks.values():
        for seed in seeds.intersection(members):
            pairs.update((min(seed, o), max(seed, o)) for o in members if o != seed)
    return pairs


def score_pairs(
    feats: Mapping[int, Features], pairs: Iterable[tuple[int, int]], counts: Counts | None = None
) -> list[Candidate]:
    """The given record id pairs scoring REVIEW_FLOOR or more, sorted by public ids."""
    out = [
        c
        for a, b in pairs
        if a in feats and b in feats
        if (c := _score(feats[a], feats[b], counts)) is not None
    ]
    out.sort(key=lambda c: (c.a, c.b))
    return out


# -- services --------------------------------------------------------------------------------------
_SENTENCE_END = re.compile(r"[.!?](?:\s|$)")


@dataclass(frozen=True, slots=True)
class ServiceFeatures:
    """What service scoring needs of one service record."""

    public_id: str
    source: str
    structure: str  # its producer structure's public id
    name: str  # normalised, singular words
    thematiques: frozenset[str]
    categories: frozenset[str]  # "famille" of "famille--soutien-aidants"
    description: frozenset[str]  # words of the first sentence
    type: str | None  # the schema's TypeService


def _singular(word: str) -> str:
    """ "aides" -> "aide", "financieres" -> "financiere" (producers differ in number)."""
    return word[:-1] if len(word) > 3 and word[-1] in "sx" and word[-2] not in "su" else word


def service_features(m: Member) -> ServiceFeatures:
    """The comparable features of a service member."""
    d = m.data
    them = frozenset(t for t in d.get("thematiques") or () if isinstance(t, str))
    text = _text(d, "description") or ""
    first = _SENTENCE_END.split(text, maxsplit=1)[0]
    return ServiceFeatures(
        public_id=m.public_id,
        source=m.source,
        structure=m.structure_public_id or _text(d, "structure_id") or "",
        name=" ".join(_singular(t) for t in normalize_name(_text(d, "nom") or "").split()),
        thematiques=them,
        categories=frozenset(t.split("--", 1)[0] for t in them),
        description=frozenset(_singular(w) for w in fold(first).split() if w not in _DROP),
        type=_text(d, "type"),
    )


def _overlap(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / min(len(a), len(b))


_SERVICE_NAME_LEVELS = ((0.9, ">=0.9"), (0.75, ">=0.75"), (0.5, ">=0.5"), (0.3, ">=0.3"))


def compare_services(a: ServiceFeatures, b: ServiceFeatures, unique: bool) -> dict[str, Any]:
    """A service pair's comparison levels: name, thematiques (equal, overlap, one category,
    disjoint; `thematiques_unique` when they are the only services of their two records
    sharing one), the first sentence of the description, type, source."""
    name = name_similarity(a.name, b.name)
    ev: dict[str, Any] = {
        "name": "exact"
        if a.name == b.name and a.name
        else next((lv for bar, lv in _SERVICE_NAME_LEVELS if name >= bar), "different"),
        "name_similarity": round(name, 3),
    }
    if a.thematiques and b.thematiques:
        if a.thematiques == b.thematiques:
            ev["thematiques"] = "equal"
        elif a.thematiques & b.thematiques:
            ev["thematiques"] = "overlap"
        elif a.categories & b.categories:
            ev["thematiques"] = "category"
        else:
            ev["thematiques"] = "disjoint"
    if unique:
        ev["thematiques_unique"] = "yes"
    if a.description and b.description:
        overlap = _overlap(a.description, b.description)
        ev["description_overlap"] = round(overlap, 3)
        if min(len(a.description), len(b.description)) < 3:
            ev["description"] = "short"  # too short to say "the same text"
        else:
            ev["description"] = (
                "same" if overlap >= 0.9 else "close" if overlap >= 0.6
                else "some" if overlap >= 0.3 else "different"
            )  # fmt: skip
    if a.type and b.type:
        ev["type"] = "equal" if a.type == b.type else "different"
    ev["source"] = "same" if a.source == b.source else "other"
    return ev


def _service_score(a: ServiceFeatures, b: ServiceFeatures, unique: bool) -> Candidate | None:
    if a.public_id > b.public_id:
        a, b = b, a
    ev = compare_services(a, b, unique)
    probability, weights = match_model.service_model().probability(ev)
    if probability < REVIEW_FLOOR:
        return None
    return Candidate(a.public_id, b.public_id, round(probability, 4), "model", {**ev, **weights})


def _repeated(a: ServiceFeatures, b: ServiceFeatures) -> bool:
    """Same name and the same (or no) description: one record listing a service twice."""
    if a.name != b.name or bool(a.description) != bool(b.description):
        return False
    return not a.description or _overlap(a.description, b.description) >= 0.9


def service_pairs(
    group: Sequence[ServiceFeatures],
) -> list[tuple[ServiceFeatures, ServiceFeatures, bool]]:
    """The pairs of one structure cluster's services worth comparing, with their `unique`
    flag: services of two different structure records, or one record's service listed twice."""
    # (service, other structure record) -> how many of that record's services share a thematique
    sharing: dict[tuple[str, str], int] = defaultdict(int)
    for i, a in enumerate(group):
        for b in group[i + 1 :]:
            if a.structure != b.structure and a.thematiques & b.thematiques:
                sharing[a.public_id, b.structure] += 1
                sharing[b.public_id, a.structure] += 1
    out: list[tuple[ServiceFeatures, ServiceFeatures, bool]] = []
    for i, a in enumerate(group):
        for b in group[i + 1 :]:
            if a.structure == b.structure and not _repeated(a, b):
                continue  # one record lists distinct services
            unique = (
                a.structure != b.structure
                and sharing[a.public_id, b.structure] == 1
                and sharing[b.public_id, a.structure] == 1
                and bool(a.thematiques & b.thematiques)
            )
            out.append((a, b, unique))
    return out


def _cluster_service_candidates(group: Sequence[ServiceFeatures]) -> list[Candidate]:
    scored = [c for a, b, u in service_pairs(group) if (c := _service_score(a, b, u)) is not None]
    # a producer describes a service once: between two structure records, each service keeps
    # its best match only (strongest first)
    structure_of = {f.public_id: f.structure for f in group}
    taken: set[tuple[str, str]] = set()
    kept: list[Candidate] = []
    for c in sorted(scored, key=lambda c: (-c.score, c.a, c.b)):
        sa, sb = structure_of[c.a], structure_of[c.b]
        if (c.a, sb) in taken or (c.b, sa) in taken:
            continue
        taken.update(((c.a, sb), (c.b, sa)))
        kept.append(c)
    return kept


def services_by_cluster(
    services: Sequence[Member], structure_cluster_of: Mapping[str, str]
) -> dict[str, list[ServiceFeatures]]:
    """Service features grouped by the structure cluster of their record, each group by id."""
    by_cluster: dict[str, list[ServiceFeatures]] = defaultdict(list)
    for f in _without_boilerplate([service_features(m) for m in services]):
        by_cluster[structure_cluster_of.get(f.structure, f.structure)].append(f)
    return {k: sorted(v, key=lambda f: f.public_id) for k, v in sorted(by_cluster.items())}


def _without_boilerplate(feats: list[ServiceFeatures]) -> list[ServiceFeatures]:
    """Drop from descriptions the words most of the record's services repeat (its own name:
    "Domiciliation — CCAS de Limonest", "Aide alimentaire — CCAS de Limonest")."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    sizes: Counter[str] = Counter()
    for f in feats:
        if f.description:
            counts[f.structure].update(f.description)
            sizes[f.structure] += 1
    common = {
        s: frozenset(w for w, n in c.items() if n > sizes[s] / 2)
        for s, c in counts.items()
        if sizes[s] >= 2
    }
    return [
        replace(f, description=f.description - common[f.structure]) if f.structure in common else f
        for f in feats
    ]


def service_candidates(
    services: Sequence[Member], structure_cluster_of: Mapping[str, str]
) -> list[Candidate]:
    """Candidate pairs of services of one structure cluster, sorted by ids.

    `structure_cluster_of` maps a structure public id to its cluster id (a structure missing
    from it is its own cluster). Services are compared on name, thematiques, type and the
    first sentence of their description; between two structure records each service keeps
    only its best-scoring match.
    """
    out: list[Candidate] = []
    for group in services_by_cluster(services, structure_cluster_of).values():
        out.extend(_cluster_service_candidates(group))
    out.sort(key=lambda c: (c.a, c.b))
    return out


# -- clusters --------------------------------------------------------------------------------------
Link = tuple[str, str] | tuple[str, str, float]


def clusters(
    ids: Iterable[str],
    links: Iterable[Link],
    cannot_link: Iterable[tuple[str, str]] = (),
    apart: Callable[[str, str], bool] | None = None,
    forced: Iterable[tuple[str, str]] = (),
    restricted: Iterable[str] = (),
) -> list[list[str]]:
    """Connected components of `links` over `ids` (and the links' ends), each sorted, list sorted.

    Links may be `(a, b)` or `(a, b, score)` (a missing score counts as 1.0). They are applied
    strongest first, ties by ids, and a link is refused when its two components hold the two
    ends of a cannot-link pair (a manual split): the weakest link of any path between them is
    the one dropped, and the result does not depend on the order of the input. With `apart`,
    a link is also refused when any record of one component and any of the other must not
    share a cluster (the model strongly against them): one wrong link cannot chain two groups.
    `forced` links (a person's decisions) are never refused by `apart`.

    `restricted` records (of producers only some consumers may see) never bridge the others:
    the links between the other records are applied first, so their groups are exactly what
    they would be without the restricted records; a restricted record then joins at most one of
    those groups (its strongest link), never two. The public view of every cluster is thus the
    world without the restricted producers.
    """
    parent: dict[str, str] = {i: i for i in ids}
    ordered: list[tuple[float, str, str]] = []
    for link in links:
        a, b = sorted((link[0], link[1]))
        ordered.append((float(link[2]) if len(link) > 2 else 1.0, a, b))
        parent.setdefault(a, a)
        parent.setdefault(b, b)
    hidden = set(restricted)
    # links between visible records first (each phase strongest first, ties by ids)
    ordered.sort(key=lambda t: (t[1] in hidden or t[2] in hidden, -t[0], t[1], t[2]))

    def find(x: str) -> str:
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    decided = {(min(a, b), max(a, b)) for a, b in forced}  # a person's links: never vetoed
    members: dict[str, set[str]] = {i: {i} for i in parent}
    kept_apart: dict[str, set[str]] = defaultdict(set)  # root -> ids it must not join
    for a, b in cannot_link:
        if a in parent and b in parent and a != b:
            kept_apart[a].add(b)
            kept_apart[b].add(a)
    visible_in: dict[str, bool] = {i: i not in hidden for i in parent}  # root -> has visible
    for _, a, b in ordered:
        ra, rb = find(a), find(b)
        if ra == rb or kept_apart[ra] & members[rb]:
            continue
        if hidden and visible_in[ra] and visible_in[rb] and (a in hidden or b in hidden):
            continue  # a restricted record would bridge two groups of visible ones
        if (
            apart is not None
            and (a, b) not in decided
            and any(apart(x, y) for x in members[ra] for y in members[rb])
        ):
            continue  # two of the records joined would be strongly against it
        if len(members[ra]) < len(members[rb]):
            ra, rb = rb, ra
        parent[rb] = ra
        members[ra] |= members.pop(rb)
        kept_apart[ra] |= kept_apart.pop(rb, set())
        visible_in[ra] = visible_in[ra] or visible_in.pop(rb)
    return sorted(sorted(group) for group in members.values())
