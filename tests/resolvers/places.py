"""A small dora export laid out around Rennes, to test the search around a place, the territory
and producer connections, the change feed and paging during an ingest."""

from __future__ import annotations

import json
import math
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx

from gateway.app import create_app
from gateway.bootstrap import prepare
from gateway.settings import Settings
from ingestion.run import ingest
from store.engine import create_engine, normalize_url
from store.territory_file import DEFAULT_PATH
from tests.conftest import GraphQLClient, fresh_database

RENNES = (48.1118, -1.68189)  # the commune 35238's centroid in the bundled territories
KM_PER_DEGREE = 6371.0088 * math.pi / 180


def north_of_rennes(km: float) -> tuple[float, float]:
    return (RENNES[0] + km / KM_PER_DEGREE, RENNES[1])


def great_circle_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    la1, lo1, la2, lo2 = map(math.radians, (*a, *b))
    h = (
        math.sin((la2 - la1) / 2) ** 2
        + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    )
    return 2 * 6371.0088 * math.asin(math.sqrt(h))


# id -> (nom, code INSEE, (latitude, longitude) or None)
STRUCTURES: Mapping[str, tuple[str, str, tuple[float, float] | None]] = {
    "r0": ("Centre communal d'action sociale de Rennes", "35238", north_of_rennes(2)),
    "f40": ("Secours populaire de Fougères", "35115", north_of_rennes(40)),
    "m70": ("Mission locale de Saint-Malo", "35288", north_of_rennes(70)),
    "p": ("Association parisienne pour l'emploi", "75056", (48.8566, 2.3522)),
    "nc": ("Épicerie solidaire sans adresse", "35238", None),
}

# id -> (structure, nom, thematique, modes d'accueil, zone d'éligibilité or None)
SERVICES: Mapping[str, tuple[str, str, str, Sequence[str], str | None]] = {
    "r0-alim": (
        "r0",
        "Colis alimentaires",
        "equipement-et-alimentation--alimentation",
        ["en-presentiel"],
        "35238",
    ),
    "r0-epci": (
        "r0",
        "Accompagnement budgétaire",
        "difficultes-financieres--ameliorer-sa-gestion-budgetaire",
        ["en-presentiel"],
        "243500139",
    ),
    "r0-nomode": (
        "r0",
        "Domiciliation postale",
        "difficultes-administratives-ou-juridiques--accompagnement-pour-lacces-aux-droits",
        [],
        None,
    ),
    "r0-paris": (
        "r0",
        "Permanence juridique parisienne",
        "difficultes-administratives-ou-juridiques--connaitre-ses-droits-face-a-une-discrimination",
        ["en-presentiel"],
        "75",
    ),
    "f40-dept": (
        "f40",
        "Vestiaire solidaire",
        "equipement-et-alimentation--habillement",
        ["en-presentiel"],
        "35",
    ),
    "m70": (
        "m70",
        "Atelier de recherche d'emploi",
        "preparer-sa-candidature--realiser-un-cv-et-ou-une-lettre-de-motivation",
        ["en-presentiel"],
        None,
    ),
    "p-remote": (
        "p",
        "Coaching emploi par téléphone",
        "preparer-sa-candidature--realiser-un-cv-et-ou-une-lettre-de-motivation",
        ["a-distance"],
        "france",
    ),
    "p-both": (
        "p",
        "Aide aux démarches en ligne",
        "numerique--acceder-a-des-services-en-ligne",
        ["en-presentiel", "a-distance"],
        "99100",
    ),
    "p-pres": (
        "p",
        "Cours de français",
        "lecture-ecriture-calcul--maitriser-le-francais",
        ["en-presentiel"],
        None,
    ),
    "nc-pres": (
        "nc",
        "Paniers de légumes",
        "equipement-et-alimentation--alimentation",
        ["en-presentiel"],
        None,
    ),
}


def structure_row(producer_id: str, date_maj: str = "2026-09-02") -> dict[str, Any]:
    nom, code, point = STRUCTURES[producer_id]
    return {
        "id": producer_id,
        "siret": None,
        "nom": nom,
        "commune": None,
        "code_postal": None,
        "code_insee": code,
        "adresse": f"{len(producer_id)} rue {producer_id}",
        "complement_adresse": None,
        "latitude": point[0] if point else None,
        "longitude": point[1] if point else None,
        "telephone": None,
        "courriel": None,
        "site_web": None,
        "description": f"{nom}, structure d'exemple.",
        "horaires_accueil": None,
        "lien_source": None,
        "date_maj": f"{date_maj}T10:00:00+02:00",
        "typologie": "ASSO",
        "labels_nationaux": [],
    }


def service_row(producer_id: str, date_maj: str = "2026-09-02", **changes: Any) -> dict[str, Any]:
    structure, nom, thematique, modes, zone = SERVICES[producer_id]
    row = {
        "id": producer_id,
        "structure_id": structure,
        "nom": nom,
        "presentation_resume": f"{nom} : un service d'exemple.",
        "presentation_detail": None,
        "thematiques": [thematique],
        "types": ["accompagnement"],
        "frais": ["gratuit"],
        "frais_autres": None,
        "profils": ["familles"],
        "modes_accueil": list(modes),
        "modes_orientation_beneficiaire": ["se-presenter"],
        "modes_orientation_accompagnateur": [],
        "zone_diffusion_type": None,
        "zone_diffusion_code": zone,
        "contact_nom_prenom": "Jeanne Martin" if producer_id == "r0-alim" else None,
        "lien_source": None,
        "date_maj": f"{date_maj}T10:00:00+02:00",
    }
    row.update(changes)
    return row


def write_export(
    folder: Path,
    structures: Sequence[dict[str, Any]],
    services: Sequence[dict[str, Any]],
) -> list[Path]:
    """dora's two files, as its API pages them."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, rows in (("structures-0001.json", structures), ("services-0001.json", services)):
        path = folder / name
        doc = {"count": len(rows), "next": None, "results": list(rows)}
        path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
        paths.append(path)
    return paths


def default_export(folder: Path) -> list[Path]:
    return write_export(
        folder,
        [structure_row(s) for s in STRUCTURES],
        [service_row(s) for s in SERVICES],
    )


@asynccontextmanager
async def served(
    backend: str, tmp_path: Path, name: str, files: Sequence[Path]
) -> AsyncIterator[tuple[GraphQLClient, Any]]:
    """A fresh store holding `files` ingested as dora's, and a client of a gateway on it."""
    async with fresh_database(backend, tmp_path, name) as url:
        engine = create_engine(normalize_url(url))
        await prepare(engine, DEFAULT_PATH)
        report = await ingest(engine, "dora", list(files))
        assert report.status == "succeeded", report
        await engine.dispose()
        app = create_app(Settings(database_url=url, response_cache_seconds=0))
        try:
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://t"
            ) as client:
                yield GraphQLClient(client), app
        finally:
            await app.state.cache.close()
            await app.state.engine.dispose()
