"""emplois-de-linclusion: one JSON array of structures (prescribers and SIAE), all with SIRET."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import orjson

from demo.base import Progress, Published, Writer
from demo.kinds import EMPLOIS
from demo.variations import (
    FUTURE,
    bad_email,
    bad_siret,
    iso_utc_micro,
    phone,
    short_postcode,
    view,
)
from demo.world import Structure

FILE = "structures.json"


class EmploisWriter(Writer):
    slug = EMPLOIS

    def __init__(self, out: Path, spool: Path, seed: int, progress: Progress | None) -> None:
        super().__init__(out, spool, seed, progress)
        self._f = (self.dir / FILE).open("wb")
        self._f.write(b"[")
        self.last_id = 1000

    def publish(self, s: Structure, rng: random.Random) -> Published:
        v = view(rng, s, EMPLOIS)
        sid = self.next_id(rng, 6)
        loc = v.location
        coords = rng.random() < 0.6
        rec: dict[str, Any] = {
            "id": sid,
            "kind": s.kind.emplois,
            "siret": v.siret or s.siret,
            "name": v.nom,
            "address_line_1": v.adresse or "",
            "address_line_2": v.complement or "",
            "post_code": loc.code_postal,
            "city": loc.commune.nom.upper() if rng.random() < 0.3 else loc.commune.nom,
            "department": loc.commune.departement,
            "phone": phone(v.phone, "compact") if v.phone else "",
            "email": v.email or "",
            "website": v.website or "",
            "description": v.description or "",
            "updated_at": iso_utc_micro(v.updated, rng.randrange(1_000_000)),
            "latitude": round(loc.lat, 5) if coords else None,
            "longitude": round(loc.lon, 5) if coords else None,
        }
        self.spoil(
            rng,
            sid,
            {
                "nom-manquant": lambda: rec.update(name=""),
                "courriel-invalide": lambda: rec.update(email=bad_email(rng, v.email)),
                "siret-invalide": lambda: rec.update(siret=bad_siret(rng, rec["siret"])),
                "date-future": lambda: rec.update(updated_at=iso_utc_micro(FUTURE, 0)),
                "code-postal-4-chiffres": lambda: rec.update(
                    post_code=short_postcode(loc.code_postal)
                ),
            },
        )
        if self.structures:
            self._f.write(b",")
        self._f.write(b"\n" + orjson.dumps(rec))
        self.counted(structures=1)
        return Published(structure=self.pid(sid), siret=rec["siret"])

    def finish(self) -> list[str]:
        self._f.write(b"\n]\n")
        self._f.close()
        return [f"{self.slug}/{FILE}"]
