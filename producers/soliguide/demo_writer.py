"""soliguide: places with nested services, its own category codes; a restricted producer."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import orjson
from data_inclusion.schema import v1

from demo.base import Progress, Published, Writer
from demo.codes import hex_id
from demo.geo import territory
from demo.hours import soliguide as newhours
from demo.kinds import SOLIGUIDE
from demo.variations import (
    ANCIENT,
    FUTURE,
    PROFILES,
    bad_email,
    iso_z_ms,
    phone,
    short_postcode,
    updated_at,
    view,
)
from demo.world import Service, Structure

FILE = "lieux.json"
PUBLISH_SERVICE = 0.9
P = v1.Public
_ADMINISTRATIVE = {P.PERSONNES_EXILEES.value: ["asylum", "refugee"]}
_FAMILY = {P.FAMILLES.value: ["family", "pregnant"]}
_GENDER = {P.FEMMES.value: ["women"]}
_OTHER = {
    P.PERSONNES_EN_SITUATION_DE_HANDICAP.value: "handicap",
    P.ETUDIANTS.value: "student",
    P.PERSONNES_EN_SITUATION_JURIDIQUE_SPECIFIQUE.value: "prison",
    P.PERSONNES_EN_SITUATION_D_URGENCE.value: "isolated",
    P.BENEFICIAIRES_DES_MINIMAS_SOCIAUX.value: "rsa",
    P.DEMANDEURS_EMPLOI.value: "unemployed",
}


def publics(sv: Service) -> dict[str, Any]:
    """Soliguide "publics" block for the service's publics."""
    pubs = sv.publics
    age = {"min": 0, "max": 99}
    if P.JEUNES.value in pubs:
        age = {"min": 16, "max": 25}
    elif P.SENIORS.value in pubs:
        age = {"min": 60, "max": 99}
    everyone = P.TOUS_PUBLICS.value in pubs
    return {
        "accueil": 0 if everyone else (2 if len(pubs) == 1 else 1),
        "age": age,
        "administrative": [x for p in pubs for x in _ADMINISTRATIVE.get(p, [])],
        "familialle": [x for p in pubs for x in _FAMILY.get(p, [])],
        "gender": [x for p in pubs for x in _GENDER.get(p, [])],
        "other": [_OTHER[p] for p in pubs if p in _OTHER],
        "description": None,
    }


class SoliguideWriter(Writer):
    slug = SOLIGUIDE

    def __init__(self, out: Path, spool: Path, seed: int, progress: Progress | None) -> None:
        super().__init__(out, spool, seed, progress)
        self._spool = (spool / "soliguide.jsonl").open("wb")

    def publish(self, s: Structure, rng: random.Random) -> Published:
        v = view(rng, s, SOLIGUIDE)
        lid = self.next_id(rng, 9)
        loc = v.location
        commune = loc.commune
        city: str = commune.nom
        code: str | None = v.code_insee
        aliases = self._aliases(commune.code)
        r = rng.random()
        if r < 0.08:
            code = None
        elif r < 0.2 and aliases:
            code, kind, nom = rng.choice(aliases)
            if kind != "ancien-code" and rng.random() < 0.5:
                city = nom
        position: dict[str, Any] = {
            "address": (f"{v.adresse}, " if v.adresse else "") + f"{loc.code_postal} {city}",
            "additionalInformation": v.complement,
            "postalCode": loc.code_postal,
            "city": city,
        }
        if code:
            position["cityCode"] = code
        lat = round(loc.lat + (rng.random() - 0.5) * 0.0006, 6)
        lon = round(loc.lon + (rng.random() - 0.5) * 0.0006, 6)
        position["location"] = {"type": "Point", "coordinates": [lon, lat]}
        phones = []
        if v.phone:
            phones.append(
                {
                    "label": "Accueil",
                    "phoneNumber": phone(v.phone, "spaced"),
                    "countryCode": "fr",
                    "isSpecialPhoneNumber": False,
                }
            )
        if s.mobile and rng.random() < 0.3:
            phones.append(
                {
                    "label": "Responsable",
                    "phoneNumber": phone(s.mobile, "spaced"),
                    "countryCode": "fr",
                    "isSpecialPhoneNumber": False,
                }
            )
        place: dict[str, Any] = {
            "lieu_id": lid,
            "name": v.nom,
            "description": f"<p>{v.description}</p>" if v.description else None,
            "entity": {"phones": phones, "mail": v.email, "website": v.website},
            "position": position,
        }
        if v.hours:
            place["newhours"] = newhours(v.hours, rng.choice(("CLOSED", "OPEN", "UNKNOWN")))
        place["updatedAt"] = iso_z_ms(v.updated)
        self.spoil(
            rng,
            lid,
            {
                "nom-trop-court": lambda: place.update(name=v.nom[:2]),
                "courriel-invalide": lambda: place["entity"].update(mail=bad_email(rng, v.email)),
                "date-avant-2000": lambda: place.update(updatedAt=iso_z_ms(ANCIENT)),
                "code-postal-4-chiffres": lambda: position.update(
                    postalCode=short_postcode(loc.code_postal)
                ),
            },
        )
        pub = Published(structure=self.pid(lid))
        services = []
        for sv in s.services:
            if sv.kind.soliguide is not None and rng.random() < PUBLISH_SERVICE:
                rec = self._service(rng, sv)
                services.append(rec)
                pub.services[sv.key] = self.pid(rec["serviceObjectId"])
        if not services:  # every place offers at least a welcome and orientation
            services.append(self._welcome(rng))
        place["services_all"] = services
        self._spool.write(orjson.dumps(place) + b"\n")
        self.counted(structures=1, services=len(services))
        return pub

    def _aliases(self, code: str) -> list[tuple[str, str, str]]:
        return list(territory().aliases.get(code, ()))

    def _service(self, rng: random.Random, sv: Service) -> dict[str, Any]:
        oid = hex_id(rng)
        professionals_only = v1.PersonneMobilisatrice.USAGERS.value not in sv.mobilisable_par
        rec: dict[str, Any] = {"serviceObjectId": oid, "categorie": sv.kind.soliguide}
        if rng.random() < 0.5:
            rec["name"] = rng.choice(sv.kind.noms)
        rec["description"] = f"<p>{sv.description}</p>"
        rec["modalities"] = {
            "inconditionnel": not professionals_only and v1.Public.TOUS_PUBLICS.value in sv.publics,
            "orientation": {"checked": professionals_only},
            "appointment": {"checked": rng.random() < 0.3},
            "price": {
                "checked": sv.frais == v1.Frais.PAYANT.value,
                "precisions": sv.frais_precisions,
            },
        }
        rec["publics"] = publics(sv)
        rec["updatedAt"] = iso_z_ms(updated_at(rng, PROFILES[SOLIGUIDE].age_days))
        self.spoil(
            rng,
            oid,
            {
                "description-trop-courte": lambda: rec.update(description="<p>RAS</p>"),
                "date-future": lambda: rec.update(updatedAt=iso_z_ms(FUTURE)),
            },
        )
        return rec

    def _welcome(self, rng: random.Random) -> dict[str, Any]:
        return {
            "serviceObjectId": hex_id(rng),
            "categorie": 200,
            "name": "Accueil et orientation",
            "description": "<p>Accueil, écoute et orientation vers les services adaptés.</p>",
            "modalities": {
                "inconditionnel": True,
                "orientation": {"checked": False},
                "appointment": {"checked": False},
                "price": {"checked": False, "precisions": None},
            },
            "publics": {
                "accueil": 0,
                "age": {"min": 0, "max": 99},
                "administrative": [],
                "familialle": [],
                "gender": [],
                "other": [],
                "description": None,
            },
            "updatedAt": iso_z_ms(updated_at(rng, PROFILES[SOLIGUIDE].age_days)),
        }

    def finish(self) -> list[str]:
        self._spool.close()
        with (self.spool / "soliguide.jsonl").open("rb") as src, (self.dir / FILE).open("wb") as f:
            f.write(b'{"nbResults":' + str(self.structures).encode() + b',"places":[')
            first = True
            for line in src:
                f.write((b"\n" if first else b",\n") + line.rstrip(b"\n"))
                first = False
            f.write(b"\n]}\n")
        return [f"{self.slug}/{FILE}"]
