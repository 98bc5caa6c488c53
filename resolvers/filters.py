"""Filter inputs of the merged lists, checked against the schema's enumerations and the
territories, turned into the store's `Filter` (the real API's semantics)."""

from datetime import date
from typing import Annotated, Any

import strawberry
from data_inclusion.schema import v1

from models.referential import ENUMERATIONS
from resolvers.context import Info
from resolvers.errors import BadUserInput
from store.cpu import off_loop
from store.listing import Filter
from store.text import MAX_SEARCH_CHARS, MAX_SEARCH_WORDS, french_stems, word_count

TOUS_PUBLICS = v1.Public.TOUS_PUBLICS.value
MAX_TEXTE_WORDS = MAX_SEARCH_WORDS
MAX_TEXTE_CHARS = MAX_SEARCH_CHARS


def _arg(description: str) -> Any:
    return strawberry.field(default=None, description=description)


@strawberry.input(description="Conditions shared by structures and services.")
class CommonFilter:
    sources: list[str] | None = _arg("Published by one of these producers (slugs).")
    code_region: str | None = _arg("In this région (INSEE code, `53`).")
    code_departement: str | None = _arg("In this département (`35`, `2A`, `971`).")
    code_epci: str | None = _arg("In this EPCI (SIREN, `243500139`).")
    code_commune: str | None = _arg(
        "In this commune (INSEE code). A commune with municipal arrondissements includes them "
        "(`75056`: all of Paris, records at `75111` too); an arrondissement's code (`75111`) "
        "finds its own records only; a former, delegated or associated commune's code stands "
        "for the current commune."
    )
    score_qualite_min: float | None = _arg("Quality score at least this (0 to 1).")
    date_maj_apres: date | None = _arg("Updated by its producers on or after this date.")
    texte: str | None = _arg(
        "Words all found in the name or the description (accent- and case-blind); at most "
        f"{MAX_TEXTE_WORDS} words and {MAX_TEXTE_CHARS} characters."
    )


@strawberry.input(description="Narrows merged structures; every given condition must hold.")
class StructureFilter(CommonFilter):
    reseaux_porteurs: list[str] | None = _arg("Belonging to one of these networks.")


@strawberry.input(description="Narrows merged services; every given condition must hold.")
class ServiceFilter(CommonFilter):
    thematiques: list[str] | None = _arg(
        "With one of these thematiques; a category (`famille`) stands for all of its thematiques."
    )
    frais: list[str] | None = _arg("With one of these fees (`gratuit`…).")
    publics: list[str] | None = _arg(
        "For one of these publics; services open to all (`tous-publics`) always match."
    )
    modes_accueil: list[str] | None = _arg("Offered in one of these ways (`en-presentiel`…).")
    types: list[str] | None = _arg("Of one of these types (`accompagnement`…).")


def _check(values: list[str], enumeration: str, argument: str) -> list[str]:
    allowed = {m.value for m in ENUMERATIONS[enumeration]}
    unknown = sorted(set(values) - allowed)
    if unknown:
        raise BadUserInput(
            f"`{argument}`: unknown value(s) {', '.join(map(repr, unknown))}; the "
            f"`{enumeration}` root field lists the accepted values",
            argument=f"filter.{argument}",
        )
    return values


def _thematiques(values: list[str]) -> list[str]:
    """Thematiques as given, a category standing for every thematique of that category."""
    categories = {m.value for m in v1.Categorie}
    thematiques = {m.value for m in v1.Thematique}
    out: set[str] = set()
    for value in values:
        if value in categories:
            out |= {t for t in thematiques if t.split("--")[0] == value}
        elif value in thematiques:
            out.add(value)
        else:
            raise BadUserInput(
                f"`thematiques`: unknown value {value!r}; the `thematiques` and `categories` "
                "root fields list the accepted values",
                argument="filter.thematiques",
            )
    return sorted(out)


async def _territory(info: Info, f: CommonFilter, values: dict[str, list[str]]) -> None:
    loaders = info.context.loaders
    if f.code_commune is not None:
        place = await loaders.place_code_by_code.load(f.code_commune)
        if place is None:
            raise BadUserInput(
                f"`codeCommune`: no commune has the code {f.code_commune!r}",
                argument="filter.codeCommune",
            )
        arrondissements = await loaders.arrondissements_by_commune_code.load(place)
        values["commune"] = [place, *(a.code for a in arrondissements)]
    checks = (
        ("departement", f.code_departement, loaders.departement_by_code, "codeDepartement"),
        ("epci", f.code_epci, loaders.epci_by_code, "codeEpci"),
        ("region", f.code_region, loaders.region_by_code, "codeRegion"),
    )
    for field, code, loader, argument in checks:
        if code is None:
            continue
        if await loader.load(code) is None:
            raise BadUserInput(
                f"`{argument}`: no {field} has the code {code!r}", argument=f"filter.{argument}"
            )
        values[field] = [code]


async def _texte(texte: str) -> list[str]:
    """The stems to search for (each once), the text bounded first."""
    checks = (
        ("characters", MAX_TEXTE_CHARS, len(texte)),
        ("words", MAX_TEXTE_WORDS, word_count(texte) if len(texte) <= MAX_TEXTE_CHARS else 0),
    )
    for what, limit, found in checks:
        if found > limit:
            raise BadUserInput(
                f"`texte` is a search of a few words: at most {limit} {what}, got {found}",
                argument="filter.texte",
                limit=limit,
                found=found,
            )
    stems = await off_loop(french_stems, texte)  # pure Python, half a millisecond a word
    return list(dict.fromkeys(stems))


async def build_filter(info: Info, f: CommonFilter | None) -> Filter | None:
    """The store's filter for a filter input (None: no condition)."""
    if f is None:
        return None
    values: dict[str, list[str]] = {}
    if f.sources is not None:
        known = await info.context.loaders.source_by_slug.load_many(f.sources)
        unknown = [s for s, row in zip(f.sources, known, strict=True) if row is None]
        if unknown:
            raise BadUserInput(
                f"`sources`: unknown producer(s) {', '.join(map(repr, unknown))}; the `sources` "
                "root field lists them",
                argument="filter.sources",
            )
        values["source"] = f.sources
    await _territory(info, f, values)
    if isinstance(f, StructureFilter) and f.reseaux_porteurs is not None:
        values["reseau_porteur"] = _check(f.reseaux_porteurs, "reseauxPorteurs", "reseauxPorteurs")
    if isinstance(f, ServiceFilter):
        if f.thematiques is not None:
            values["thematique"] = _thematiques(f.thematiques)
        if f.frais is not None:
            values["frais"] = _check(f.frais, "frais", "frais")
        if f.publics is not None:
            values["public"] = [*_check(f.publics, "publics", "publics"), TOUS_PUBLICS]
        if f.modes_accueil is not None:
            values["mode_accueil"] = _check(f.modes_accueil, "modesAccueil", "modesAccueil")
        if f.types is not None:
            values["type"] = _check(f.types, "typesServices", "types")
    if f.score_qualite_min is not None and not 0 <= f.score_qualite_min <= 1:
        raise BadUserInput(
            "`scoreQualiteMin` must be between 0 and 1", argument="filter.scoreQualiteMin"
        )
    words = await _texte(f.texte) if f.texte else []
    return Filter(
        values=values, score_min=f.score_qualite_min, date_min=f.date_maj_apres, words=words
    )


FilterArg = Annotated[
    StructureFilter | None, strawberry.argument(description="Only the records matching this.")
]
ServiceFilterArg = Annotated[
    ServiceFilter | None, strawberry.argument(description="Only the services matching this.")
]
