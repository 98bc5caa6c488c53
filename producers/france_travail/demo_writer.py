"""france-travail: agencies and their services as two ';'-separated CP1252 CSV files."""

from __future__ import annotations

import csv
import random
from pathlib import Path
from typing import Any

from demo.base import Progress, Published, Writer
from demo.hours import french_short
from demo.kinds import FRANCE_TRAVAIL
from demo.variations import EXPORT, bad_email, bad_siret, phone, view
from demo.world import Structure

AGENCES = "agences.csv"
SERVICES = "services.csv"
AGENCES_HEADER = (
    "Code agence",
    "Libellé agence",
    "Adresse",
    "Complément",
    "Code postal",
    "Commune",
    "Code INSEE",
    "Téléphone",
    "Courriel",
    "Horaires d'ouverture",
    "SIRET",
    "Latitude",
    "Longitude",
    "Date d'export",
)
SERVICES_HEADER = (
    "Code service",
    "Code agence",
    "Intitulé",
    "Description",
    "Thématique",
    "Public",
    "Date d'export",
)
NATIONAL_PHONE = "3949"
MISSING_AGENCY = "99999"


def _decimal(x: float) -> str:
    return f"{x:.4f}".replace(".", ",")


class FranceTravailWriter(Writer):
    slug = FRANCE_TRAVAIL

    def __init__(self, out: Path, spool: Path, seed: int, progress: Progress | None) -> None:
        super().__init__(out, spool, seed, progress)
        self._fa = (self.dir / AGENCES).open("w", encoding="cp1252", errors="replace", newline="")
        self._fs = (self.dir / SERVICES).open("w", encoding="cp1252", errors="replace", newline="")
        self._a = csv.writer(self._fa, delimiter=";", lineterminator="\r\n")
        self._s = csv.writer(self._fs, delimiter=";", lineterminator="\r\n")
        self._a.writerow(AGENCES_HEADER)
        self._s.writerow(SERVICES_HEADER)
        self._counters: dict[str, int] = {}
        self._export = EXPORT.strftime("%d/%m/%Y")

    def publish(self, s: Structure, rng: random.Random) -> Published:
        v = view(rng, s, FRANCE_TRAVAIL)
        loc = v.location
        dep = loc.commune.departement
        self._counters[dep] = self._counters.get(dep, 0) + rng.randint(1, 2)
        code = f"{dep}{self._counters[dep]:03d}"
        tel = ""
        if v.phone:
            tel = NATIONAL_PHONE if rng.random() < 0.3 else phone(v.phone, "intl_spaced")
        row: dict[str, Any] = {
            "code": code,
            "nom": v.nom,
            "adresse": v.adresse or "",
            "complement": v.complement or "",
            "cp": loc.code_postal,
            "commune": loc.commune.nom.upper(),
            "insee": v.code_insee,
            "tel": tel,
            "mail": v.email or "",
            "horaires": french_short(v.hours) if v.hours else "",
            "siret": v.siret or "",
            "lat": _decimal(loc.lat),
            "lon": _decimal(loc.lon),
            "date": self._export,
        }
        self.spoil(
            rng,
            code,
            {
                "courriel-invalide": lambda: row.update(mail=bad_email(rng, v.email)),
                "siret-invalide": lambda: row.update(siret=bad_siret(rng, v.siret or s.siret)),
            },
        )
        self._a.writerow(row.values())
        self.counted(structures=1)
        pub = Published(structure=self.pid(code), siret=row["siret"] or None)
        for sv in s.services:
            if sv.kind.ft is None:
                continue
            scode = f"{code}-{sv.kind.ft}"
            srow = [
                scode,
                code,
                sv.kind.noms[0],
                sv.description,
                "|".join(sv.kind.ft_themes),
                "|".join(sv.kind.ft_publics),
                self._export,
            ]
            problem = self.defect(rng, ("structure-absente", "description-trop-courte"))
            if problem == "structure-absente":
                srow[1] = MISSING_AGENCY
            elif problem == "description-trop-courte":
                srow[3] = "RAS"
            if problem:
                self.flag(scode, problem)
            self._s.writerow(srow)
            self.counted(services=1)
            pub.services[sv.key] = self.pid(scode)
        return pub

    def finish(self) -> list[str]:
        self._fa.close()
        self._fs.close()
        return [f"{self.slug}/{AGENCES}", f"{self.slug}/{SERVICES}"]
