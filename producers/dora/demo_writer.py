"""dora: a paginated JSON API dump of structures and services, close to the schema."""

from __future__ import annotations

import random
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
from data_inclusion.schema import v1

from demo.base import Progress, Published, Writer
from demo.catalogue import DORA_ORIENTATION
from demo.codes import slugify, uuid_like
from demo.hours import osm
from demo.kinds import DORA
from demo.variations import (
    ANCIENT,
    FUTURE,
    PROFILES,
    bad_email,
    bad_siret,
    iso_paris,
    phone,
    short_postcode,
    updated_at,
    view,
)
from demo.world import Service, Structure

PAGE_SIZE = 500
API = "https://api.dora.example"
SITE = "https://dora.example"
PUBLISH_SERVICE = 0.9
DUPLICATE_AFTER = 40  # the one duplicated service id comes after this many services

PRESCRIPTION = {"envoyer-un-mail": "envoyer-un-mail-avec-une-fiche-de-prescription"}
ZONE_TYPES = {"commune": "commune", "departement": "departement", "epci": "epci", "france": "pays"}
RECOPIED = datetime(2026, 10, 1, 9, 30)
UNKNOWN_THEMATIQUES = ("aide-alimentaire", "logement--trouver-un-logement", "emploi")


def _weighted_style(rng: random.Random) -> str:
    """dora's phone formats: mostly "0299286311", some "02 99 28 63 11" and "+33299286311"."""
    x = rng.random()
    return "compact" if x < 0.7 else ("spaced" if x < 0.9 else "intl")


class DoraWriter(Writer):
    slug = DORA

    def __init__(self, out: Path, spool: Path, seed: int, progress: Progress | None) -> None:
        super().__init__(out, spool, seed, progress)
        self._s = (spool / "dora-structures.jsonl").open("wb")
        self._v = (spool / "dora-services.jsonl").open("wb")
        self._duplicated = False

    def publish(self, s: Structure, rng: random.Random) -> Published:
        v = view(rng, s, DORA)
        sid = uuid_like(rng)
        loc = v.location
        rec: dict[str, Any] = {
            "id": sid,
            "siret": v.siret,
            "nom": v.nom,
            "commune": loc.commune.nom,
            "code_postal": loc.code_postal,
            "code_insee": v.code_insee,
            "adresse": v.adresse,
            "complement_adresse": v.complement,
            "longitude": loc.lon,
            "latitude": loc.lat,
            "telephone": phone(v.phone, _weighted_style(rng)) if v.phone else None,
            "courriel": v.email,
            "site_web": v.website,
            "description": v.description,
            "horaires_accueil": osm(v.hours) if v.hours else None,
            "lien_source": f"{SITE}/structures/{slugify(v.nom)[:40]}-{sid[:4]}",
            "date_maj": iso_paris(v.updated),
            "typologie": s.kind.dora,
            "labels_nationaux": list(s.kind.reseaux),
        }
        self.spoil(
            rng,
            sid,
            {
                "nom-manquant": lambda: rec.update(nom=None),
                "nom-trop-court": lambda: rec.update(nom=v.nom[:2]),
                "courriel-invalide": lambda: rec.update(courriel=bad_email(rng, v.email)),
                "siret-invalide": lambda: rec.update(siret=bad_siret(rng, v.siret or s.siret)),
                "date-future": lambda: rec.update(date_maj=iso_paris(FUTURE)),
                "date-avant-2000": lambda: rec.update(date_maj=iso_paris(ANCIENT)),
                "code-postal-4-chiffres": lambda: rec.update(
                    code_postal=short_postcode(loc.code_postal)
                ),
            },
        )
        self._s.write(orjson.dumps(rec) + b"\n")
        self.counted(structures=1)
        pub = Published(structure=self.pid(sid), siret=v.siret)
        for sv in s.services:
            if rng.random() < PUBLISH_SERVICE:
                pub.services[sv.key] = self._service(rng, sid, s, sv)
        return pub

    def _service(self, rng: random.Random, sid: str, s: Structure, sv: Service) -> str:
        vid = uuid_like(rng)
        resume = sv.description.split(". ")[0].rstrip(".")[:277] + "."
        detail = sv.description if rng.random() < 0.7 else None
        if detail and rng.random() < 0.3:
            detail += " Sur rendez-vous ou lors des permanences."
        usagers = v1.PersonneMobilisatrice.USAGERS.value in sv.mobilisable_par
        pros = v1.PersonneMobilisatrice.PROFESSIONNELS.value in sv.mobilisable_par
        modes = [DORA_ORIENTATION[m] for m in sv.modes_mobilisation]
        rec: dict[str, Any] = {
            "id": vid,
            "structure_id": sid,
            "nom": sv.nom,
            "presentation_resume": resume,
            "presentation_detail": detail,
            "thematiques": list(sv.thematiques),
            "types": [sv.type],
            "frais": [sv.frais],
            "frais_autres": sv.frais_precisions,
            "profils": list(sv.publics),
            "modes_accueil": list(sv.modes_accueil),
            "modes_orientation_beneficiaire": modes if usagers else [],
            "modes_orientation_accompagnateur": [PRESCRIPTION.get(m, m) for m in modes]
            if pros
            else [],
            "zone_diffusion_type": ZONE_TYPES[sv.zone_type] if sv.zone_type else None,
            "zone_diffusion_code": sv.zone_code if sv.zone_type != "france" else None,
            "lien_source": f"{SITE}/services/{slugify(sv.nom)[:40]}-{vid[:4]}",
            "date_maj": iso_paris(updated_at(rng, PROFILES[DORA].age_days)),
        }
        self.spoil(
            rng,
            vid,
            {
                "structure-absente": lambda: rec.update(structure_id=uuid_like(rng)),
                "description-trop-courte": lambda: rec.update(
                    presentation_resume="RAS", presentation_detail=None
                ),
                "thematique-inconnue": lambda: rec["thematiques"].append(
                    rng.choice(UNKNOWN_THEMATIQUES)
                ),
                "date-future": lambda: rec.update(date_maj=iso_paris(FUTURE)),
            },
        )
        self._v.write(orjson.dumps(rec) + b"\n")
        self.counted(services=1)
        if not self._duplicated and self.services > DUPLICATE_AFTER:
            self._duplicated = True
            copy = {**rec, "nom": rec["nom"] + " (copie)", "date_maj": iso_paris(RECOPIED)}
            self._v.write(orjson.dumps(copy) + b"\n")
            self.flag(vid, "id-en-double")
            self.counted(services=1)
        return self.pid(vid)

    def finish(self) -> list[str]:
        self._s.close()
        self._v.close()
        files = self._pages("structures", self.spool / "dora-structures.jsonl", self.structures)
        files += self._pages("services", self.spool / "dora-services.jsonl", self.services)
        return files

    def _pages(self, name: str, spool: Path, total: int) -> list[str]:
        pages = max(1, -(-total // PAGE_SIZE))
        files = []
        with spool.open("rb") as src:
            for page in range(1, pages + 1):
                lines = [src.readline().rstrip(b"\n") for _ in range(PAGE_SIZE)]
                lines = [line for line in lines if line]
                nxt = f"{API}/{name}/?page={page + 1}" if page < pages else None
                head = orjson.dumps({"count": total, "next": nxt})[:-1]
                body = head + b',"results":[\n' + b",\n".join(lines) + b"\n]}\n"
                path = self.dir / f"{name}-{page:04d}.json"
                path.write_bytes(body)
                files.append(f"{self.slug}/{path.name}")
        return files
