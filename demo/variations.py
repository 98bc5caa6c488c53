"""How each producer distorts the real world: names, missing fields, formats, dates, defects.

Each producer's probabilities are in `profiles.toml` beside this module, read once at import.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from demo.catalogue import read_data
from demo.codes import break_luhn, strip_accents
from demo.hours import Week
from demo.kinds import SLUGS
from demo.world import Location, Structure, street

TODAY = date(2026, 11, 1)  # the fixed "today" of the demo: no clock is ever read
EXPORT = datetime(2026, 11, 1, 6, 0)  # France Travail's export time (local)
DEFECT_RATE = 0.025  # share of each producer's records that carry a deliberate defect
FUTURE = datetime(2099, 5, 1, 9, 30)  # far enough to stay in the future
ANCIENT = datetime(1999, 6, 15, 9, 30)
NETWORK_SIRET = 0.5


@dataclass(frozen=True)
class Profile:
    """Per-producer probabilities of what it shows and how."""

    short_name: float  # uses the short name ("CCAS de X" rather than the long one)
    upper: float  # writes the name in capitals
    ascii: float  # drops accents
    saint: float  # abbreviates Saint- / Sainte- to St- / Ste-
    siret: float
    phone: float
    email: float
    website: float
    address: float
    hours: float
    description: float
    moved_street: float  # another street of the same commune (an older or wrong address)
    other_email: float  # another address than the one most producers have
    age_days: tuple[int, int]  # age of its last update, in days before TODAY


def _profile(doc: dict[str, Any]) -> Profile:
    return Profile(**{**doc, "age_days": (doc["age_days"][0], doc["age_days"][1])})


PROFILES: dict[str, Profile] = {
    slug: _profile(doc) for slug, doc in read_data("profiles.toml").items()
}
if sorted(PROFILES) != sorted(SLUGS):
    raise ValueError(f"profiles.toml: one profile for each of {SLUGS}, not {list(PROFILES)}")


@dataclass(slots=True)
class StructureView:
    """One producer's record of a structure, before it is written in the producer's shape."""

    nom: str
    siret: str | None
    location: Location
    adresse: str | None
    complement: str | None
    code_insee: str
    phone: str | None  # 10 digits, formatted by the writer
    email: str | None
    website: str | None
    hours: Week | None
    description: str | None
    updated: datetime  # local (Europe/Paris) wall time


def render_name(rng: random.Random, s: Structure, p: Profile) -> str:
    """The structure's name as this producer writes it."""
    name = s.short_name if rng.random() < p.short_name else s.long_name
    if rng.random() < p.saint:
        name = re.sub(r"\bSaint(e?)-", r"St\1-", name)
    if rng.random() < p.ascii:
        name = strip_accents(name)
    if rng.random() < p.upper:
        name = name.upper()
    return name


def updated_at(rng: random.Random, age: tuple[int, int]) -> datetime:
    """A local date-time `age` days before TODAY, during office hours."""
    days = rng.randint(max(age[0], 1), max(age[1], 1))
    minutes = rng.randint(7 * 60, 19 * 60)
    base = datetime(TODAY.year, TODAY.month, TODAY.day) - timedelta(days=days)
    return base + timedelta(minutes=minutes, seconds=rng.randrange(60))


def view(rng: random.Random, s: Structure, slug: str) -> StructureView:
    """How producer `slug` sees structure `s`."""
    p = PROFILES[slug]
    loc = s.location
    own_siret = s.siret
    if s.stale_producer == slug and s.previous is not None and s.previous_siret:
        loc, own_siret = s.previous, s.previous_siret
    elif rng.random() < p.moved_street:
        loc = replace(loc, adresse=street(rng), complement=None)
    siret = None
    # networks' sites are more often registered with a SIRET (their head office's, often)
    if rng.random() < (max(p.siret, NETWORK_SIRET) if s.head_siret else p.siret):
        use_head = s.head_siret is not None and rng.random() < s.kind.head_share
        siret = s.head_siret if use_head else own_siret
    phone = s.phone if rng.random() < p.phone else None
    if phone and s.mobile and rng.random() < 0.25:
        phone = s.mobile
    email = None
    if rng.random() < p.email:
        email = s.other_email if rng.random() < p.other_email else s.email
    website = s.website if s.website and rng.random() < p.website else None
    adresse = loc.adresse if rng.random() < p.address else None
    insee = loc.commune.code
    if loc.arrondissement and rng.random() < 0.5:
        insee = loc.arrondissement
    return StructureView(
        nom=render_name(rng, s, p),
        siret=siret,
        location=loc,
        adresse=adresse,
        complement=loc.complement if adresse else None,
        code_insee=insee,
        phone=phone,
        email=email,
        website=website,
        hours=s.hours if rng.random() < p.hours else None,
        description=s.description if rng.random() < p.description else None,
        updated=updated_at(rng, p.age_days),
    )


# -- phone formats --------------------------------------------------------------------------
_COUNTRY = {
    "0590": "590",
    "0690": "590",
    "0596": "596",
    "0696": "596",
    "0594": "594",
    "0694": "594",
    "0262": "262",
    "0692": "262",
    "0269": "262",
    "0639": "262",
}


def phone(digits: str, style: str) -> str:
    """Format a 10-digit number: spaced, compact, dotted, intl_spaced, intl."""
    pairs = " ".join(digits[i : i + 2] for i in range(0, 10, 2))
    if style == "spaced":
        return pairs
    if style == "dotted":
        return pairs.replace(" ", ".")
    if style == "compact":
        return digits
    country = _COUNTRY.get(digits[:4], "33")
    rest = digits[1:]
    if style == "intl":
        return f"+{country}{rest}"
    if country != "33":  # overseas: +262 262 12 34 56
        return f"+{country} {rest[:3]} " + " ".join(rest[i : i + 2] for i in range(3, 9, 2))
    return f"+{country} {rest[0]} " + " ".join(rest[i : i + 2] for i in range(1, 9, 2))


# -- dates -----------------------------------------------------------------------------------
def _last_sunday(year: int, month: int) -> date:
    d = date(year, month + 1, 1) - timedelta(days=1)
    return d - timedelta(days=(d.weekday() + 1) % 7)


def paris_offset(local: datetime) -> int:
    """UTC offset in hours of a Europe/Paris wall time (summer time late March - late October)."""
    start = datetime.combine(_last_sunday(local.year, 3), datetime.min.time()) + timedelta(hours=2)
    end = datetime.combine(_last_sunday(local.year, 10), datetime.min.time()) + timedelta(hours=3)
    return 2 if start <= local < end else 1


def to_utc(local: datetime) -> datetime:
    return (local - timedelta(hours=paris_offset(local))).replace(tzinfo=UTC)


def iso_paris(local: datetime) -> str:
    """ "2026-09-02T10:12:00+02:00"."""
    return local.strftime("%Y-%m-%dT%H:%M:%S") + f"+0{paris_offset(local)}:00"


def iso_utc_micro(local: datetime, micro: int) -> str:
    """ "2025-06-12T08:41:07.123456+00:00"."""
    return to_utc(local).replace(microsecond=micro).isoformat()


def iso_z_ms(local: datetime) -> str:
    """ "2026-03-14T09:12:45.000Z"."""
    return to_utc(local).strftime("%Y-%m-%dT%H:%M:%S") + ".000Z"


def epoch_ms(local: datetime) -> int:
    return int(to_utc(local).timestamp()) * 1000


# -- defects ---------------------------------------------------------------------------------
def bad_siret(rng: random.Random, siret: str) -> str:
    """A SIRET of 13 digits or one failing the Luhn check."""
    return siret[:13] if rng.random() < 0.5 else break_luhn(siret)


def bad_email(rng: random.Random, email: str | None) -> str:
    """An address without domain ("contact@") or without "@" ("ccas.ville-x.fr")."""
    if email and rng.random() < 0.5:
        return email.replace("@", ".")
    return "contact@"


def short_postcode(cp: str) -> str:
    """A 4-digit postcode, as spreadsheets write "01000" once it became a number."""
    return cp[1:] if cp.startswith("0") else cp[:4]
