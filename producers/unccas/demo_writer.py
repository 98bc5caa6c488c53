"""unccas: a hand-kept XLSX list of CCAS / CIAS, with the quirks of hand-kept spreadsheets."""

from __future__ import annotations

import io
import random
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.packaging.core import DocumentProperties
from openpyxl.xml.functions import tostring

from demo.base import Progress, Published, Writer
from demo.catalogue import UNCCAS_LABELS
from demo.hours import french_short
from demo.kinds import UNCCAS
from demo.variations import ANCIENT, bad_siret, phone, view
from demo.world import Structure

FILE = "annuaire-ccas.xlsx"
SHEET = "Structures"
TITLE = "Annuaire des CCAS et CIAS — mis à jour par l'union départementale"
HEADER = (
    "Identifiant",
    "Nom de la structure",
    "SIRET",
    "Adresse",
    "CP",
    "Ville",
    "Tél.",
    "Mél",
    "Horaires",
    "Mis à jour le",
    "Services proposés",
)
FORMULA = '=HYPERLINK("https://ccas.example.fr","site")'
FORMULA_ROW = 3  # the n-th row gets the formula in its "Mél" cell
SPACES_ROW = 5  # the n-th row gets extra spaces in its name and town
FIXED = datetime(2026, 11, 1, 8, 0, 0)
ZIP_DATE = (2026, 11, 1, 8, 0, 0)
PUBLISH_SERVICE = 0.9
README_LINES = (
    "Annuaire des CCAS et CIAS",
    "",
    "Ce fichier est tenu à la main par l'union départementale à partir des réponses des CCAS.",
    "Une ligne par CCAS ou CIAS. La colonne « Services proposés » liste les services séparés",
    "par des points-virgules. Merci de signaler toute erreur à l'union départementale.",
)


def service_suffix(label: str) -> str:
    return UNCCAS_LABELS[label][0]


class UnccasWriter(Writer):
    slug = UNCCAS

    def __init__(self, out: Path, spool: Path, seed: int, progress: Progress | None) -> None:
        super().__init__(out, spool, seed, progress)
        self._wb = Workbook(write_only=True)
        self._ws = self._wb.create_sheet(SHEET)
        self._ws.append([TITLE])
        self._ws.append(list(HEADER))

    def _cell(self, value: Any, number_format: str | None = None) -> WriteOnlyCell:
        cell = WriteOnlyCell(self._ws, value=value)
        if number_format:
            cell.number_format = number_format
        return cell

    def publish(self, s: Structure, rng: random.Random) -> Published:
        v = view(rng, s, UNCCAS)
        rid = f"CCAS-{self.next_id(rng)}"
        loc = v.location
        nom, ville = v.nom, loc.commune.nom.upper() if rng.random() < 0.3 else loc.commune.nom
        siret: Any = v.siret or ""
        cp: Any = loc.code_postal
        if not cp.startswith("0") and rng.random() < 0.3:
            cp = int(cp)
        updated: Any = v.updated.date()
        problem = self.defect(
            rng, ("nom-manquant", "courriel-invalide", "siret-invalide", "date-avant-2000")
        )
        if self.last_id == FORMULA_ROW:
            problem = "courriel-formule"  # that row carries no other defect
        mail = v.email or ""
        if problem == "courriel-formule":
            mail = FORMULA
        elif problem == "nom-manquant":
            nom = ""
        elif problem == "courriel-invalide":
            mail = (v.email or f"ccas@ville-{loc.commune.code}.fr").replace("@", ".")
        elif problem == "siret-invalide":
            siret = bad_siret(rng, v.siret or s.siret)
        elif problem == "date-avant-2000":
            updated = ANCIENT.date()
        if self.last_id == SPACES_ROW:
            nom, ville = "  " + nom.replace(" ", "  ", 1) + " ", ville + "   "
        if problem:
            self.flag(rid, problem)
        if isinstance(siret, str) and len(siret) == 14 and rng.random() < 0.3:
            siret = int(siret)
        date_cell = (
            self._cell(updated, "DD/MM/YYYY")
            if rng.random() < 0.6
            else updated.strftime("%d/%m/%Y")
        )
        style = rng.choice(("spaced", "spaced", "dotted", "intl_spaced"))
        adresse = v.adresse or ""
        if adresse and v.complement:
            adresse = f"{adresse} - {v.complement}"
        pub = Published(structure=self.pid(rid), siret=str(siret) or None)
        labels = []
        for sv in s.services:
            if sv.kind.unccas and rng.random() < PUBLISH_SERVICE:
                label = sv.kind.unccas
                labels.append(label.lower() if rng.random() < 0.1 else label)
                pub.services[sv.key] = self.pid(f"{rid}-{service_suffix(sv.kind.unccas)}")
        sep = rng.choice(("; ", "; ", ";", " ; "))
        self._ws.append(
            [
                rid,
                nom,
                siret,
                adresse,
                cp,
                ville,
                phone(v.phone, style) if v.phone else "",
                mail,
                french_short(v.hours) if v.hours else "",
                date_cell,
                sep.join(labels),
            ]
        )
        self.counted(structures=1, services=len(labels))
        return pub

    def finish(self) -> list[str]:
        readme = self._wb.create_sheet("Lisez-moi")
        for line in README_LINES:
            readme.append([line])
        props = DocumentProperties(creator="Union départementale des CCAS", created=FIXED)
        props.modified = FIXED
        props.lastModifiedBy = "Union départementale des CCAS"
        self._wb.properties = props
        raw = io.BytesIO()
        self._wb.save(raw)
        props.modified = FIXED  # saving stamped the clock's time: put the fixed one back
        core = tostring(props.to_tree())
        path = self.dir / FILE
        with zipfile.ZipFile(raw) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
            for info in src.infolist():
                data = src.read(info.filename)
                if info.filename == "docProps/core.xml":
                    data = core
                fixed = zipfile.ZipInfo(info.filename, date_time=ZIP_DATE)
                fixed.compress_type = zipfile.ZIP_DEFLATED
                fixed.external_attr = 0o600 << 16
                dst.writestr(fixed, data)
        return [f"{self.slug}/{FILE}"]
