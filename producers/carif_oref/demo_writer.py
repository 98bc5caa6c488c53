"""carif-oref: LHEO-style XML of training organisations and their FLE / literacy trainings."""

from __future__ import annotations

import random
from datetime import datetime
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from data_inclusion.schema import v1

from demo.base import Progress, Published, Writer
from demo.catalogue import CARIF_OREF_PUBLICS
from demo.kinds import CARIF_OREF
from demo.variations import (
    FUTURE,
    PROFILES,
    bad_siret,
    phone,
    short_postcode,
    updated_at,
    view,
)
from demo.world import Service, Structure

FILE = "formations.xml"
NAMESPACE = "http://www.lheo.org/2.2"
MISSING_ORGANISME = "OF_0"
PUBLISH_SERVICE = 0.95


def _yyyymmdd(d: datetime) -> str:
    return d.strftime("%Y%m%d")


def _el(indent: int, tag: str, text: str) -> str:
    return f"{'  ' * indent}<{tag}>{escape(text)}</{tag}>\n"


class CarifOrefWriter(Writer):
    slug = CARIF_OREF

    def __init__(self, out: Path, spool: Path, seed: int, progress: Progress | None) -> None:
        super().__init__(out, spool, seed, progress)
        self._f = (self.dir / FILE).open("w", encoding="utf-8", newline="\n")
        self._f.write(f'<?xml version="1.0" encoding="UTF-8"?>\n<lheo xmlns="{NAMESPACE}">\n')
        self._f.write("  <offres>\n")
        self._next_of = 1000
        self._next_f = 50000

    def publish(self, s: Structure, rng: random.Random) -> Published:
        v = view(rng, s, CARIF_OREF)
        self._next_of += rng.randint(1, 7)
        oid = f"OF_{self._next_of}"
        loc = v.location
        siret = v.siret
        cp = loc.code_postal
        date = _yyyymmdd(v.updated)
        problem = self.defect(rng, ("siret-invalide", "date-future", "code-postal-4-chiffres"))
        if problem == "siret-invalide":
            siret = bad_siret(rng, v.siret or s.siret)
        elif problem == "date-future":
            date = _yyyymmdd(FUTURE)
        elif problem == "code-postal-4-chiffres":
            cp = short_postcode(cp)
        if problem:
            self.flag(oid, problem)
        out = [f"    <organisme numero={quoteattr(oid)}>\n", _el(3, "raison-sociale", v.nom)]
        if siret:
            out.append(_el(3, "SIRET", siret))
        out.append("      <coordonnees>\n        <adresse>\n")
        if v.adresse:
            out.append(_el(5, "ligne", v.adresse))
        if v.complement:
            out.append(_el(5, "ligne", v.complement))
        out += [
            _el(5, "codepostal", cp),
            _el(5, "ville", loc.commune.nom),
            _el(5, "code-INSEE-commune", v.code_insee),
            "          <geolocalisation>\n",
            _el(6, "latitude", f"{loc.lat:.5f}"),
            _el(6, "longitude", f"{loc.lon:.5f}"),
            "          </geolocalisation>\n        </adresse>\n",
        ]
        if v.phone:
            style = "dotted" if rng.random() < 0.6 else "spaced"
            out.append(f"        <telfixe><numtel>{phone(v.phone, style)}</numtel></telfixe>\n")
        if v.email:
            out.append(_el(4, "courriel", v.email))
        if v.website:
            out.append(f"        <web><urlweb>{escape(v.website)}</urlweb></web>\n")
        out += ["      </coordonnees>\n", _el(3, "date-maj", date), "    </organisme>\n"]
        self._f.write("".join(out))
        self.counted(structures=1)
        pub = Published(structure=self.pid(oid), siret=siret)
        for sv in s.services:
            if sv.kind.formacode and rng.random() < PUBLISH_SERVICE:
                pub.services[sv.key] = self._formation(rng, oid, sv)
        return pub

    def _formation(self, rng: random.Random, oid: str, sv: Service) -> str:
        self._next_f += rng.randint(1, 30)
        fid = f"F_{self._next_f}"
        organisme = oid
        objectif = sv.description
        date = _yyyymmdd(updated_at(rng, PROFILES[CARIF_OREF].age_days))
        problem = self.defect(rng, ("structure-absente", "description-trop-courte", "date-future"))
        if problem == "structure-absente":
            organisme = MISSING_ORGANISME
        elif problem == "description-trop-courte":
            objectif = "RAS"
        elif problem == "date-future":
            date = _yyyymmdd(FUTURE)
        if problem:
            self.flag(fid, problem)
        accueil = sv.modes_accueil
        remote = v1.ModeAccueil.A_DISTANCE.value
        modalite = "2" if len(accueil) == 2 else ("1" if accueil == (remote,) else "0")
        public = " ; ".join(CARIF_OREF_PUBLICS.get(p, "Tout public") for p in sv.publics)
        gratuit = "oui" if sv.frais == v1.Frais.GRATUIT.value else "non"
        self._f.write(
            "".join(
                (
                    f"    <formation numero={quoteattr(fid)} organisme={quoteattr(organisme)}>\n",
                    _el(3, "intitule-formation", sv.nom),
                    _el(3, "objectif-formation", objectif),
                    "      <domaine-formation>\n",
                    _el(4, "code-FORMACODE", sv.kind.formacode or ""),
                    "      </domaine-formation>\n",
                    _el(3, "public-vise", public),
                    _el(3, "modalites-enseignement", modalite),
                    _el(3, "date-maj", date),
                    f'      <extras><extra info="gratuit">{gratuit}</extra></extras>\n',
                    "    </formation>\n",
                )
            )
        )
        self.counted(services=1)
        return self.pid(fid)

    def finish(self) -> list[str]:
        self._f.write("  </offres>\n</lheo>\n")
        self._f.close()
        return [f"{self.slug}/{FILE}"]
