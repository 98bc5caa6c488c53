"""Normalisation between mapping and validation: phones E.164, e-mails, SIRET, INSEE codes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import phonenumbers

from ingestion.issues import Issue

# overseas numbers written the French way (0262…, 0590…) parse only with their own region
_PHONE_REGIONS = ("FR", "RE", "GP", "MQ", "GF", "YT", "PM", "BL", "MF", "NC", "PF", "WF")
_SPACES = re.compile(r"\s+")
_URL_FIELDS = ("site_web", "lien_source", "accessibilite_lieu", "lien_mobilisation")


@dataclass(frozen=True)
class Territories:
    """What normalisation needs of the territories, held in memory for a run."""

    current: frozenset[str]  # current codes, kept as sent: communes and municipal arrondissements
    aliases: dict[str, str]  # former / delegated / associated commune -> current commune


def luhn_ok(number: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def siret_ok(siret: str) -> bool:
    """14 digits passing Luhn; La Poste's establishments (SIREN 356000000) use a digit sum."""
    if len(siret) != 14 or not siret.isdigit():
        return False
    if siret.startswith("356000000"):
        return sum(int(c) for c in siret) % 5 == 0
    return luhn_ok(siret)


def phone_e164(raw: str) -> str | None:
    text = raw.strip()
    for region in _PHONE_REGIONS:
        try:
            number = phonenumbers.parse(text, region)
        except phonenumbers.NumberParseException:
            return None
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        if text.startswith("+"):
            return None  # an explicit country code: no other region can make it valid
    return None


def normalize(data: dict[str, Any], territories: Territories) -> list[Issue]:
    """Normalise `data` in place; return warnings for values changed or dropped."""
    issues: list[Issue] = []
    for key, value in list(data.items()):
        if isinstance(value, str):
            value = value.strip()
            if key == "nom":
                value = _SPACES.sub(" ", value)
            if value:
                data[key] = value
            else:
                del data[key]
    if (phone := data.get("telephone")) is not None:
        e164 = phone_e164(str(phone))
        if e164:
            data["telephone"] = e164
        else:
            issues.append(
                Issue("warning", "telephone", "not a valid phone number; kept as given", phone)
            )
    if (email := data.get("courriel")) is not None:
        data["courriel"] = str(email).strip().lower().removeprefix("mailto:")
    if (siret := data.get("siret")) is not None:
        digits = re.sub(r"\D", "", str(siret))
        if not siret_ok(digits):
            why = "does not have 14 digits" if len(digits) != 14 else "fails the Luhn check"
            issues.append(Issue("warning", "siret", f"SIRET {why}; dropped", siret))
            del data["siret"]
        else:
            data["siret"] = digits
    if (postcode := data.get("code_postal")) is not None:
        digits = re.sub(r"\D", "", str(postcode))
        if len(digits) == 4:
            issues.append(Issue("warning", "code_postal", "leading zero restored", postcode))
            digits = "0" + digits
        if len(digits) == 5:
            data["code_postal"] = digits
        else:
            issues.append(
                Issue("warning", "code_postal", "not a 5-digit postcode; dropped", postcode)
            )
            del data["code_postal"]
    if (code := data.get("code_insee")) is not None:
        _normalize_insee(data, str(code), territories, issues)
    if (zones := data.get("zone_eligibilite")) is not None:
        data["zone_eligibilite"] = [
            z.strip().lower() if z.strip().lower() == "france" else z.strip().upper()
            for z in zones
            if isinstance(z, str) and z.strip()
        ]
    for key in _URL_FIELDS:
        url = data.get(key)
        if isinstance(url, str) and not re.match(r"^https?://", url, re.IGNORECASE):
            data[key] = "https://" + url.lstrip("/")
    return issues


def _normalize_insee(
    data: dict[str, Any], code: str, territories: Territories, issues: list[Issue]
) -> None:
    code = code.strip().upper()
    if code.isdigit() and len(code) == 4:
        code = "0" + code
    if code in territories.current:
        data["code_insee"] = code
    elif code in territories.aliases:
        current = territories.aliases[code]
        issues.append(
            Issue("warning", "code_insee", f"former or delegated code resolved to {current}", code)
        )
        data["code_insee"] = current
    else:
        issues.append(Issue("warning", "code_insee", "unknown INSEE code; dropped", code))
        del data["code_insee"]
