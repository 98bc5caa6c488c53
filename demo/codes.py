"""Identifiers and text helpers: Luhn SIREN/SIRET, UUID-like and hex ids, slugs, accents."""

from __future__ import annotations

import random
import re
import unicodedata

from ingestion.normalize import luhn_ok


def luhn_complete(prefix: str) -> str:
    """Append the one digit that makes prefix + digit pass Luhn."""
    for d in "0123456789":
        if luhn_ok(prefix + d):
            return prefix + d
    raise AssertionError("unreachable")  # pragma: no cover


def new_siren(rng: random.Random, prefix: str = "") -> str:
    """A 9-digit Luhn-valid SIREN starting with prefix."""
    body = prefix + "".join(str(rng.randrange(10)) for _ in range(8 - len(prefix)))
    return luhn_complete(body)


def new_siret(siren: str, rng: random.Random) -> str:
    """A 14-digit Luhn-valid SIRET of that SIREN (random establishment number)."""
    nic = f"{rng.randrange(2, 10000):04d}"
    return luhn_complete(siren + nic)


def head_siret(siren: str) -> str:
    """The head-office SIRET of a SIREN (establishment number 0001x)."""
    return luhn_complete(siren + "0001")


def break_luhn(siret: str) -> str:
    """The same SIRET with its last digit changed so that Luhn fails."""
    last = int(siret[-1])
    return siret[:-1] + str((last + 3) % 10)


def uuid_like(rng: random.Random) -> str:
    """A version-4-looking UUID drawn from rng."""
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) % 4]}{h[17:20]}-{h[20:]}"


def hex_id(rng: random.Random, length: int = 24) -> str:
    """A lowercase hexadecimal id of that many characters (MongoDB ObjectId-like for 24)."""
    return f"{rng.getrandbits(4 * length):0{length}x}"


def strip_accents(text: str) -> str:
    """The text without diacritics ("Épicerie" -> "Epicerie", "cœur" -> "coeur")."""
    text = text.replace("œ", "oe").replace("Œ", "OE").replace("æ", "ae").replace("Æ", "AE")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def slugify(text: str) -> str:
    """Lowercase ASCII words joined by hyphens ("Saint-Malo" -> "saint-malo")."""
    text = strip_accents(text).lower().replace("'", "-").replace("’", "-")
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")
