"""cd35: Ille-et-Vilaine's social directory as an ArcGIS FeatureServer query response."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import orjson

from demo.base import Progress, Published, Writer
from demo.catalogue import CD35_FIELDS
from demo.hours import french_long
from demo.kinds import CD35
from demo.variations import (
    FUTURE,
    bad_email,
    epoch_ms,
    phone,
    short_postcode,
    view,
)
from demo.world import Structure

FILE = "annuaire.json"
FIELD_TYPES = {"OBJECTID": "esriFieldTypeOID", "DATE_MAJ": "esriFieldTypeDate"}  # else text


class Cd35Writer(Writer):
    slug = CD35

    def __init__(self, out: Path, spool: Path, seed: int, progress: Progress | None) -> None:
        super().__init__(out, spool, seed, progress)
        self._f = (self.dir / FILE).open("wb")
        head = {
            "objectIdFieldName": "OBJECTID",
            "geometryType": "esriGeometryPoint",
            "spatialReference": {"wkid": 4326},
            "fields": [
                {"name": n, "type": FIELD_TYPES.get(n, "esriFieldTypeString"), "alias": a}
                for n, a in CD35_FIELDS.items()
            ],
        }
        self._f.write(orjson.dumps(head)[:-1] + b',"features":[')

    def publish(self, s: Structure, rng: random.Random) -> Published:
        v = view(rng, s, CD35)
        oid = self.next_id(rng)
        loc = v.location
        adresse = v.adresse
        if adresse and v.complement:
            adresse = f"{adresse}, {v.complement}"
        attrs: dict[str, Any] = {
            "OBJECTID": oid,
            "ORG_NOM": v.nom,
            "ORG_SIGLE": s.kind.sigle or None,
            "ORG_ADRES": adresse,
            "ORG_CP": loc.code_postal,
            "ORG_VILLE": loc.commune.nom.upper() if rng.random() < 0.5 else loc.commune.nom,
            "ORG_INSEE": v.code_insee,
            "ORG_TEL": phone(v.phone, "spaced") if v.phone else None,
            "ORG_MAIL": v.email,
            "ORG_WEB": v.website,
            "ORG_DESC": v.description,
            "ORG_HORAIRE": french_long(v.hours) if v.hours else None,
            "THEMATIQUE": s.kind.cd35,
            "DATE_MAJ": epoch_ms(v.updated),
        }
        self.spoil(
            rng,
            oid,
            {
                "nom-manquant": lambda: attrs.update(ORG_NOM=None),
                "courriel-invalide": lambda: attrs.update(ORG_MAIL=bad_email(rng, v.email)),
                "date-future": lambda: attrs.update(DATE_MAJ=epoch_ms(FUTURE)),
                "code-postal-4-chiffres": lambda: attrs.update(
                    ORG_CP=short_postcode(loc.code_postal)
                ),
            },
        )
        feature = {"attributes": attrs, "geometry": {"x": loc.lon, "y": loc.lat}}
        self._f.write((b"\n" if self.structures == 0 else b",\n") + orjson.dumps(feature))
        self.counted(structures=1)
        return Published(structure=self.pid(oid), siret=None)

    def finish(self) -> list[str]:
        self._f.write(b"\n]}\n")
        self._f.close()
        return [f"{self.slug}/{FILE}"]
