"""Which values may be personal data, served only to consumers with a token.

- `contact_nom_prenom` always;
- an e-mail address that reads as a person's own: a given name (`first_names.txt`) among the
  words of its local part, first or not (`marie.dupont@…`, `dupont.marie@…`, `jean-pierre@…`),
  or an initial beside another word (`s.martin@…`, `martin.s@…`), where `contact@…`,
  `accueil.ccas@…` or `epicerie-solidaire@orange.fr` do not;
- any text holding a mobile phone number anywhere in it, however written (French and overseas
  mobiles, by the numbering plans of `phonenumbers`: `06.12.34.56.78 (Mme Dupont)`, `0612345678
  poste 3`, `06 12 34 56 78 / 02 99 00 00 00`, a description giving one): a structure's
  switchboard is a landline; a mobile is most often someone's own. A telephone value holding one
  is withheld whole; in free text (`TEXT`: description, conditions, précisions, hours, address)
  the number alone is masked. Values are checked as the producer sent them as well as merged.

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
# free text a producer may write a contact's number into: withheld when it holds a mobile
TEXT = frozenset(
    {
        "description", "conditions_acces", "frais_precisions", "publics_precisions",
        "mobilisation_precisions", "horaires_accueil", "complement_adresse", "adresse",
    }
)  # fmt: skip
# overseas numbers written the national way parse only with their own region
_REGIONS = ("FR", "RE", "GP", "MQ", "GF", "YT", "PM")
# a run of digits (with spaces, dots, dashes, slashes, brackets between) long enough to be a
# phone number: only such runs are handed to the numbering plans
_DIGIT_RUN = re.compile(r"(?:\+|00)?\d(?:[\s.\-/()]*\d){8,}")
_BETWEEN_NUMBERS = re.compile(r"\s*/\s*")

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
    words = [w for w in words if w]
    if any(w in _FIRST_NAMES for w in words):
        return True  # a given name, first or after the surname
    return len(words) >= 2 and any(len(w) == 1 for w in words)  # an initial: s.martin, martin.s


def _mobile(candidate: str) -> bool:
    for region in _REGIONS:
        try:
            number = phonenumbers.parse(candidate, region)
        except phonenumbers.NumberParseException:
            return False
        if phonenumbers.is_valid_number(number):
            kind = phonenumbers.number_type(number)
            return kind in (
                phonenumbers.PhoneNumberType.MOBILE,
                phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
            )
        if candidate.lstrip().startswith(("+", "00")):
            return False  # an explicit country code: no other region can make it valid
    return False


def _run_holds_mobile(run: str) -> bool:
    if _mobile(run):
        return True
    # numbers written one after the other ("02 99 00 00 00 / 06 12 34 56 78",
    # "0299000000 0612345678"): each part between slashes, then ten digits starting with 0
    # at every tenth digit of a part (not inside a number)
    for part in _BETWEEN_NUMBERS.split(run):
        if part != run and _mobile(part):
            return True
        digits = "".join(c for c in part if c.isdigit())
        if any(
            digits[i] == "0" and _mobile(digits[i : i + 10]) for i in range(0, len(digits) - 9, 10)
        ):
            return True
    return False


@lru_cache(maxsize=65_536)
def holds_mobile(text: str) -> bool:
    """Whether a mobile phone number appears anywhere in the text, however it is written."""
    if sum(c.isdigit() for c in text) < 9:
        return False
    return any(_run_holds_mobile(m.group(0)) for m in _DIGIT_RUN.finditer(text))


def personal_phone(value: str) -> bool:
    """A telephone value holding a mobile number (the value is withheld whole)."""
    return holds_mobile(value)


def is_personal(field_name: str, value: Any) -> bool:
    if field_name in ALWAYS:
        return value is not None
    if not isinstance(value, str):
        return False
    if field_name == "courriel":
        return personal_email(value) or holds_mobile(value)
    if field_name == "telephone":
        return holds_mobile(value)
    return False


MASK = "[numéro masqué]"


def masked(field_name: str, value: Any) -> Any:
    """A free-text value as an anonymous client reads it: every run of digits holding a mobile
    number replaced by MASK (the rest of the text is the producer's, kept)."""
    if field_name not in TEXT or not isinstance(value, str) or not holds_mobile(value):
        return value
    return _DIGIT_RUN.sub(lambda m: MASK if _run_holds_mobile(m.group(0)) else m.group(0), value)


def for_reader(has_token: bool, field_name: str, value: Any) -> Any:
    """One value as a consumer may read it: withheld (None) when it may be personal, free text
    with its mobile numbers masked; everything with a token."""
    if has_token:
        return value
    if is_personal(field_name, value):
        return None
    return masked(field_name, value)


def without_personal(has_token: bool, data: dict[str, Any]) -> dict[str, Any]:
    """A record's data as a consumer may read it: with a token, all of it; without, no value
    that may be personal, and no mobile number in free text."""
    if has_token:
        return data
    return {k: masked(k, v) for k, v in data.items() if not is_personal(k, v)}
