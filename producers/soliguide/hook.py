"""Soliguide: a service often has no name of its own; its category's label stands in."""

from typing import Any

# Soliguide category code -> label (its public nomenclature, the part the demo producer uses)
LABELS = {
    100: "Santé", 101: "Addictions", 102: "Dépistage", 103: "Psychologie", 104: "Soins infirmiers",
    200: "Conseil", 201: "Accompagnement social", 202: "Conseil juridique", 203: "Conseil budget",
    204: "Aide aux démarches administratives", 205: "Accompagnement au logement",
    301: "Domiciliation", 302: "Accueil de jour", 303: "Bagagerie",
    401: "Hébergement d'urgence", 402: "Logement", 501: "Douches", 502: "Laverie",
    600: "Alimentation", 601: "Distribution alimentaire", 602: "Restauration assise",
    603: "Épicerie sociale et solidaire", 604: "Colis alimentaire", 701: "Vestiaire",
    702: "Meubles et électroménager", 801: "Activités sportives et culturelles",
    802: "Lien social et convivialité", 901: "Accès à un ordinateur et à internet",
    902: "Formation au numérique", 1001: "Aide à la mobilité", 1101: "Soutien à la parentalité",
    1102: "Violences", 1200: "Formation et emploi", 1201: "Formation",
    1202: "Insertion professionnelle", 1203: "Cours de français",
}  # fmt: skip


def name_from_category(mapped: dict[str, Any], raw: dict[str, Any], kind: str) -> dict[str, Any]:
    if kind == "service" and not mapped.get("nom"):
        label = LABELS.get(int(raw.get("categorie") or 0))
        if label:
            mapped["nom"] = label
    return mapped
