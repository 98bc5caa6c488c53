"""Which values may be personal data, served only to consumers with a token.

- `contact_nom_prenom` always;
- an e-mail address that reads as a person's own: its local part starts with a given name
  (`marie.dupont@…`, `jean-pierre@…`, from `first_names.txt`), where `contact@…`, `accueil@…` or
  `epicerie-solidaire@orange.fr` do not;
- a mobile phone number (French and overseas mobiles, by the numbering plans of `phonenumbers`):
  a structure's switchboard is a landline; a mobile is most often someone's own.

The rules err on the side of privacy: a wrongly flagged value is only withheld from anonymous
clients, never lost."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Any

import phonenumbers

ALWAYS = frozenset({"contact_nom_prenom"})
CHECKED = frozenset({"courriel", "telephone"})

_FIRST_NAMES = frozenset(
    word
    for line in (Path(__file__).with_name("first_names.txt")).read_text().splitlines()
    if not line.startswith("#")
    for word in line.split()
)
_SEPARATORS = re.compile(r"[._\-+]+")


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=65_536)
def personal_email(value: str) -> bool:
    local, at, _domain = value.partition("@")
    if not at:
        return False
    words = [w.rstrip("0123456789") for w in _SEPARATORS.split(_plain(local)) if w]
    return bool(words) and words[0] in _FIRST_NAMES


@lru_cache(maxsize=65_536)
def personal_phone(value: str) -> bool:
    try:
        number = phonenumbers.parse(value, "FR")
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.MOBILE


def is_personal(field_name: str, value: Any) -> bool:
    if field_name in ALWAYS:
        return value is not None
    if not isinstance(value, str):
        return False
    if field_name == "courriel":
        return personal_email(value)
    if field_name == "telephone":
        return personal_phone(value)
    return False


def without_personal(has_token: bool, data: dict[str, Any]) -> dict[str, Any]:
    """A record's data as a consumer may read it: with a token, all of it; without, no value
    that may be personal."""
    if has_token:
        return data
    return {k: v for k, v in data.items() if not is_personal(k, v)}
