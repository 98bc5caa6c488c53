"""The producers' pages in French and in English: the language of a request and the message
catalogue the templates read with `t(key, **values)`.

The language is `?lang=fr|en` (kept in a cookie once chosen), otherwise the browser's
`Accept-Language`, otherwise French. Catalogue texts are trusted markup (a few hold a link or a
`<code>`); the values put in them are escaped. Texts that come from elsewhere stay as they are:
the validators' original messages, the data-inclusion-schema's field labels and hints (French),
the ingest's refusals."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response

from gateway.pages.routes import PageError

LANGUAGES = ("fr", "en")
DEFAULT = "fr"
LANG_COOKIE = "gateway_producer_lang"
LANG_COOKIE_PATH = "/pages/producteurs"

Translate = Callable[..., Markup]


def language(request: Request) -> str:
    """The page's language: the query's, the cookie's, the browser's, French."""
    asked = request.query_params.get("lang", "")
    if asked in LANGUAGES:
        return asked
    kept = request.cookies.get(LANG_COOKIE, "")
    if kept in LANGUAGES:
        return kept
    return accepted(request.headers.get("accept-language", ""))


def accepted(header: str) -> str:
    """The first of our languages an `Accept-Language` header prefers (q-values honoured)."""
    best, best_q = DEFAULT, 0.0
    for part in header.split(",")[:20]:
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        q = 1.0
        found = re.search(r"q\s*=\s*([0-9.]+)", params)
        if found:
            try:
                q = float(found.group(1))
            except ValueError:
                q = 0.0
        if primary in LANGUAGES and q > best_q:
            best, best_q = primary, q
    return best


def remember(request: Request, response: Response) -> None:
    """Keep a language asked in the query for the next pages."""
    asked = request.query_params.get("lang", "")
    if asked in LANGUAGES and request.cookies.get(LANG_COOKIE) != asked:
        response.set_cookie(
            LANG_COOKIE,
            asked,
            max_age=365 * 24 * 3600,
            path=LANG_COOKIE_PATH,
            samesite="lax",
            secure=request.url.scheme == "https",
        )


def translator(lang: str) -> Translate:
    texts = MESSAGES[lang]

    def t(key: str, **values: Any) -> Markup:
        text = texts.get(key)
        if text is None:
            text = MESSAGES[DEFAULT][key]
        return Markup(text).format(**values) if values else Markup(text)

    return t


def text(lang: str, key: str, **values: Any) -> str:
    """A catalogue text without markup, as plain text (an error's title or message)."""
    return MESSAGES[lang].get(key, MESSAGES[DEFAULT][key]).format(**values)


def refused(
    lang: str, status: int, title: str, message: str, retry_after: int | None = None, **values: Any
) -> PageError:
    """A page's error in `lang`: the catalogue's `title.<title>` and `err.<message>`."""
    return PageError(
        status, text(lang, f"title.{title}"), text(lang, f"err.{message}", **values), retry_after
    )


def switch_url(request: Request, lang: str, slug: str | None) -> str:
    """Where the language switch leads: the same page (a GET) in `lang`, or, after a form was
    sent, the producer's home."""
    if request.method == "GET":
        query = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
        path = request.url.path
    else:
        query, path = [], f"/pages/producteurs/{slug}" if slug else "/pages/producteurs"
    query.append(("lang", lang))
    return f"{path}?{urlencode(query)}"


FR: dict[str, str] = {
    # the frame
    "site": "passerelle data·inclusion",
    "skip": "Aller au contenu",
    "nav.pages": "Pages",
    "nav.audit": "Audit de provenance",
    "nav.signup": "Inscription",
    "nav.signin": "Se connecter avec un jeton",
    "footer": "Les données viennent des producteurs du référentiel de l'offre d'insertion, "
    "fusionnées par la passerelle ; chaque valeur dit d'où elle vient.",
    "colon": " : ",
    "quoted": "« {value} »",
    "check.guess": "« {value} » ?",
    "semicolon": " ; ",
    "producer.nav": "Espace producteur",
    "producer.nav.home": "Vérifier et soumettre un fichier",
    "producer.nav.entry": "Saisie en ligne",
    "producer.nav.analysis": "Analyse croisée",
    "producer.signout": "Se déconnecter ({slug})",
    # sign-in
    "signin.title": "Espace producteur",
    "signin.intro": "Producteurs du référentiel : vérifiez vos fichiers avant de les envoyer, "
    "soumettez-les, saisissez vos structures et services en ligne, et comparez vos données à "
    "celles des autres producteurs. Connectez-vous avec le jeton de producteur que vous a remis "
    "un opérateur de la passerelle. Le jeton est gardé dans un cookie de ce navigateur jusqu'à "
    "la déconnexion.",
    "signin.token": "Jeton de producteur",
    "signin.token.hint": "Il commence par <code>dig_</code>.",
    "signin.button": "Se connecter",
    # messages
    "message.back": "Retour à votre espace producteur",
    "message.signin": "Se connecter comme producteur",
    # home and upload
    "home.title": "{name} — vérifier un fichier",
    "home.heading": "{name} : vérifier et soumettre un fichier",
    "home.intro": "Déposez un fichier : la passerelle le lit comme elle l'intégrerait, dit ce "
    "qui ne va pas ligne par ligne et comment le corriger, et montre ce que son intégration "
    "changerait. Rien n'est enregistré dans le référentiel tant que vous ne confirmez pas.",
    "home.patterns": "Noms de fichiers attendus (ils disent ce que contient le fichier) :",
    "home.no_file": "Pas de fichier ?",
    "home.entry_link": "Saisissez vos structures et services en ligne",
    "kind.structures": "structures",
    "kind.services": "services",
    "upload.label": "Fichier à vérifier",
    "upload.hint": "CSV, JSON, JSON Lines, XML, XLSX ou ODS ; {size} Mio au plus.",
    "upload.button": "Vérifier le fichier",
    # the check's report
    "check.title": "Vérification de {file}",
    "check.heading": "Vérification de <code>{file}</code>",
    "check.ready": "Le fichier est prêt : aucune ligne refusée, toutes les colonnes attendues "
    "sont là.",
    "check.ready.warnings": "Quelques valeurs seront nettoyées ou ignorées (voir les "
    "avertissements).",
    "check.faulty": "Le fichier a des problèmes à corriger : {n} ligne(s) seraient refusées",
    "check.faulty.columns": ", et des colonnes attendues manquent",
    "check.stored_nothing": "Rien n'a été enregistré dans le référentiel. Contenu : {kinds} ; "
    "empreinte SHA-256 <code>{sha}…</code>.",
    "check.and": " et ",
    "check.counts": "Lignes lues",
    "check.col.kind": "Type",
    "check.col.read": "Lues",
    "check.col.valid": "Acceptées",
    "check.col.rejected": "Refusées",
    "check.warnings": "{n} avertissement(s) : la ligne est gardée, la valeur en cause nettoyée "
    "ou ignorée.",
    "check.problems": "Problèmes, du plus fréquent au plus rare",
    "check.col.severity": "Gravité",
    "check.col.field": "Champ",
    "check.col.what": "Ce qui ne va pas",
    "check.col.fix": "Comment corriger",
    "check.col.rows": "Lignes",
    "check.col.first": "Premières lignes (ligne, identifiant, valeur)",
    "check.error": "Erreur : ligne refusée",
    "check.warning": "Avertissement",
    "check.original": "message d'origine :",
    "check.row": "ligne {row}",
    "check.more_problems": "Et {n} autre(s) problème(s) moins fréquents.",
    "check.no_problem": "Aucun problème.",
    "check.missing": "Colonnes attendues absentes de toutes les lignes",
    "check.missing.intro": "La correspondance lit ces colonnes, qu'aucune ligne ne contient : "
    "une colonne mal orthographiée ou renommée ?",
    "check.unmapped": "Valeurs inconnues des tables de correspondance",
    "check.col.map": "Table",
    "check.col.value": "Votre valeur",
    "check.col.did_you_mean": "Vouliez-vous dire",
    "check.changes": "Ce que l'intégration changerait",
    "check.dry_run": "Simulation de l'intégration (la même que celle d'une soumission), puis "
    "annulée :",
    "check.submit": "Confirmer et soumettre ce fichier",
    "check.submit.hint": "Les lignes refusées seront mises en quarantaine ; le reste sera "
    "intégré. Vous pouvez aussi corriger le fichier et le vérifier de nouveau.",
    "check.again": "Vérifier un fichier corrigé",
    "check.assessment": "Le fichier tel qu'il est (phase 0)",
    "check.format": "Format {format}",
    "check.encoding": ", encodage {encoding}",
    "check.delimiter": ", séparateur « {delimiter} »",
    "check.sheet": ", feuille {sheet}",
    "check.size": " ; {rows} ligne(s), {size} octets.",
    "check.columns": "Colonnes",
    "check.col.column": "Colonne",
    "check.col.filled": "Remplie",
    "check.col.distinct": "Valeurs distinctes",
    "check.col.samples": "Exemples",
    "check.ids": "Identifiants possibles :",
    "check.ids.none": "aucune colonne unique",
    "check.dates": "Dates de mise à jour :",
    "check.dates.one": "{share} % lisibles, la plus récente {newest}",
    "check.none": "aucune",
    "check.siret.one": "{fourteen} à 14 chiffres sur {filled}",
    "check.insee": "Codes INSEE :",
    "check.insee.one": "{current} actuels, {unknown} inconnus",
    "check.no_column": "aucune colonne",
    "check.refusal.gone": "Ce fichier ferait disparaître trop de vos fiches d'un coup (plus de "
    "20 %) : un export vide ou tronqué ? Il ne peut pas être soumis ainsi. ({where})",
    "check.refusal": "Ce fichier ne peut pas être soumis : {where}",
    "check.patterns": " (noms de fichiers attendus — {names})",
    # what a run changes
    "changes.new": "nouvelle(s) fiche(s)",
    "changes.changed": "fiche(s) modifiée(s)",
    "changes.unchanged": "fiche(s) inchangée(s)",
    "changes.gone": "fiche(s) disparue(s) de vos données",
    "changes.rejected": "ligne(s) refusée(s), mises en quarantaine",
    "changes.new.title": "Nouvelles fiches",
    "changes.changed.title": "Fiches modifiées, champ par champ",
    "changes.changed.region": "Fiches modifiées",
    "changes.col.record": "Fiche",
    "changes.col.before": "Avant",
    "changes.col.after": "Après",
    "changes.gone.title": "Fiches disparues",
    "changes.rejected.title": "Lignes refusées",
    # submitted
    "submitted.title": "Fichier soumis",
    "submitted.unchanged": "<code>{file}</code> est le fichier déjà intégré : rien n'a changé.",
    "submitted.done": "<code>{file}</code> est intégré",
    "submitted.run": " (intégration n° {run})",
    "submitted.merged": ". Vos données sont dans l'API et fusionnées avec celles des autres "
    "producteurs.",
    "submitted.analysis": "Voir l'analyse croisée avec les autres producteurs",
    # the cross-analysis
    "analysis.title": "Analyse croisée — {source}",
    "analysis.heading": "Analyse croisée de {source}",
    "analysis.intro": "Vos fiches comparées à celles des autres producteurs du référentiel : "
    "celles qu'ils publient aussi, les valeurs qui diffèrent (et qui a la date la plus "
    "récente), celles que vous êtes seul à publier, et les doublons probables dans vos propres "
    "données.",
    "analysis.csv": "Télécharger l'analyse en CSV",
    "analysis.kind.structures": "Structures",
    "analysis.kind.services": "Services",
    "analysis.total": "publiée(s) par vous",
    "analysis.shared": "publiée(s) aussi par d'autres producteurs",
    "analysis.alone": "publiée(s) par vous seul",
    "analysis.shared.caption": "Fiches en commun, par producteur",
    "analysis.col.producer": "Producteur",
    "analysis.col.shared": "Fiches en commun",
    "analysis.others_fill": "Champs que vous laissez vides et que d'autres remplissent :",
    "analysis.duplicates": "Doublons probables dans vos données",
    "analysis.and": "et",
    "analysis.differences": "Valeurs qui diffèrent, champ par champ",
    "analysis.col.record": "Votre fiche",
    "analysis.col.value": "Votre valeur",
    "analysis.col.date": "Votre date",
    "analysis.col.other": "Autre producteur",
    "analysis.col.other_value": "Sa valeur",
    "analysis.col.other_date": "Sa date",
    "analysis.col.recent": "Plus récent",
    "analysis.same_date": "même date",
    "analysis.more": "Et {n} autre(s) valeur(s) qui diffèrent : toutes sont dans",
    "analysis.the_csv": "le CSV",
    "analysis.none": "Aucune valeur ne diffère de celles des autres producteurs.",
    # the entry tool
    "entry.title": "Saisie en ligne — {name}",
    "entry.heading": "Saisie en ligne : {name}",
    "entry.saved": "Fiche {id} enregistrée",
    "entry.saved.run": " (intégration n° {run})",
    "entry.saved.merged": " : elle est dans l'API, fusionnée avec celles des autres producteurs.",
    "entry.intro": "Vos structures et services, tels que la passerelle les tient. Chaque "
    "enregistrement est intégré comme un fichier de votre source : vos identifiants, la date du "
    "jour comme date de mise à jour, la provenance à votre nom.",
    "entry.structures": "Structures ({n})",
    "entry.services": "Services ({n})",
    "entry.new_structure": "Saisir une nouvelle structure",
    "entry.new_service": "Saisir un nouveau service",
    "entry.structure_first": "Saisissez d'abord une structure : chaque service est rattaché à "
    "l'une d'elles.",
    "entry.sheet": "Tableur",
    "entry.sheet.intro": "Téléchargez vos fiches en CSV (séparateur « ; », listes séparées par "
    '« | »), modifiez-les dans un tableur, puis <a href="{home}">vérifiez et soumettez le '
    "fichier</a> sans changer son nom : la vérification montre ce qui changerait avant que vous "
    "confirmiez.",
    "entry.structures_csv": "Structures en CSV",
    "entry.services_csv": "Services en CSV",
    "form.title.edit": "Modifier",
    "form.title.new": "Nouvelle fiche",
    "form.edit.structure": "Modifier la structure « {name} »",
    "form.edit.service": "Modifier le service « {name} »",
    "form.new.structure": "Nouvelle structure",
    "form.new.service": "Nouveau service",
    "form.not_saved": "La fiche n'est pas enregistrée : {n} champ(s) à corriger",
    "form.required": "Les champs marqués d'un astérisque (*) sont obligatoires. La passerelle "
    "vérifie la fiche avec les mêmes règles qu'un fichier.",
    "form.id": "Votre identifiant pour cette fiche",
    "form.id.fixed": "L'identifiant d'une fiche ne change pas.",
    "form.id.hint": "Celui de votre propre base, s'il y en a un ; laissé vide, la passerelle en "
    "crée un.",
    "form.structure": "Structure qui propose le service *",
    "form.list": "Séparez les codes par des virgules.",
    "form.commune": "Commune (nom, code postal, ou les deux)",
    "form.commune.hint": "Par exemple « 35000 Rennes » : la passerelle retrouve la commune et son "
    "code INSEE dans le référentiel des territoires.",
    "form.save": "Enregistrer",
    "form.live.errors": "{n} champ(s) à corriger.",
    "form.live.ok": "Les champs remplis respectent les règles de la passerelle.",
    # errors: a title, then the message
    "title.token": "Jeton refusé",
    "title.signin": "Connexion nécessaire",
    "title.denied": "Accès refusé",
    "title.unknown_producer": "Producteur inconnu",
    "title.form": "Formulaire refusé",
    "title.busy": "Occupé",
    "title.too_large": "Fichier trop gros",
    "title.empty": "Fichier vide",
    "title.no_file": "Aucun fichier",
    "title.unreadable": "Fichier illisible",
    "title.expired": "Fichier expiré",
    "title.changed": "Changement depuis la vérification",
    "title.submit_refused": "Soumission refusée",
    "title.format": "Format inconnu",
    "title.entry_unavailable": "Saisie en ligne indisponible",
    "title.not_found": "Fiche introuvable",
    "title.page_not_found": "Page introuvable",
    "title.save_refused": "Enregistrement refusé",
    "err.token": "Ce jeton n'est pas valable.",
    "err.consumer_token": "Ce jeton est celui d'un utilisateur de l'API, pas d'un producteur : "
    "ces pages demandent un jeton de producteur (gateway token create --producer SLUG).",
    "err.signin": "Ces pages sont celles d'un producteur : connectez-vous avec votre jeton de "
    "producteur ({prefix}).",
    "err.other_producer": "Votre jeton est celui du producteur « {producer} » : il ne donne "
    "accès qu'à ses pages ({prefix}/{producer}).",
    "err.unknown_producer": "La passerelle n'a pas d'entrée de registre pour « {slug} » : "
    "demandez-la à un opérateur.",
    "err.by_the_form": "Envoyez le fichier par le formulaire.",
    "err.busy_checks": "D'autres fichiers sont en cours de vérification : réessayez dans un "
    "instant.",
    "err.busy_ingest": "Une autre intégration est en cours : réessayez.",
    "err.too_large": "Le fichier dépasse {kib} Kio, la limite de cette passerelle : "
    "découpez-le ou demandez à un opérateur de l'intégrer.",
    "err.choose": "Choisissez un fichier.",
    "err.choose_check": "Choisissez un fichier à vérifier.",
    "err.expired": "Ce fichier vérifié n'est plus là (soumis, ou vérifié il y a plus d'une "
    "heure) : vérifiez-le de nouveau.",
    "err.changed": "Vos données ont été modifiées depuis cette vérification (une autre "
    "soumission, une saisie, ou une nouvelle table de correspondance) : vérifiez le fichier de "
    "nouveau.",
    "err.form_unreadable": "Le formulaire envoyé est illisible.",
    "err.one_file": "Un seul fichier à la fois.",
    "err.form_too_long": "Le formulaire envoyé est trop long.",
    "err.by_the_page": "Le formulaire doit être envoyé par la page.",
    "err.format": "« {name} » : envoyez un fichier CSV, JSON, JSON Lines, XML, XLSX ou ODS, "
    "nommé avec son extension ({extensions}).",
    "err.entry_unavailable": "La saisie en ligne tient les données d'une source au format "
    "data·inclusion ; les vôtres viennent de fichiers avec leur propre correspondance : "
    "soumettez vos fichiers, ou demandez à un opérateur une source de saisie.",
    "err.entry_names": "Les noms de fichiers de vos {kind} ({files}) n'admettent pas un fichier "
    ".{extension} : demandez à un opérateur d'ajuster votre entrée de registre.",
    "err.no_record": "Aucune fiche « {id} » à modifier.",
    "err.export_kinds": "On exporte des structures ou des services.",
    "err.record_refused": "La fiche a été refusée à l'intégration : {why}",
    "err.id": "Lettres sans accent, chiffres, « . », « _ » ou « - » (100 au plus).",
    "err.id_taken": "Une de vos fiches a déjà l'identifiant « {id} ».",
    "err.structure": "Choisissez une de vos structures.",
    "title.structure_first": "Une structure d'abord",
    "err.structure_first": "Un service est rattaché à une de vos structures : saisissez-la "
    "d'abord.",
    "err.entry_kinds": "On saisit des structures ou des services.",
    "err.no_commune": "Aucune commune ne correspond à « {text} » : vérifiez le nom ou le code "
    "postal.",
    "err.communes": "Plusieurs communes correspondent : {named}. Précisez le nom et le code "
    "postal.",
}

EN: dict[str, str] = {
    "site": "data·inclusion gateway",
    "skip": "Skip to content",
    "nav.pages": "Pages",
    "nav.audit": "Provenance audit",
    "nav.signup": "Sign up",
    "nav.signin": "Sign in with a token",
    "footer": "The data comes from the producers of the social inclusion services referential, "
    "merged by the gateway; every value says where it comes from.",
    "colon": ": ",
    "quoted": "“{value}”",
    "check.guess": "“{value}”?",
    "semicolon": "; ",
    "producer.nav": "Producer area",
    "producer.nav.home": "Check and submit a file",
    "producer.nav.entry": "Online entry",
    "producer.nav.analysis": "Cross-analysis",
    "producer.signout": "Sign out ({slug})",
    "signin.title": "Producer area",
    "signin.intro": "Producers of the referential: check your files before sending them, submit "
    "them, enter your structures and services online, and compare your data with the other "
    "producers'. Sign in with the producer token a gateway operator gave you. The token is kept "
    "in a cookie of this browser until you sign out.",
    "signin.token": "Producer token",
    "signin.token.hint": "It starts with <code>dig_</code>.",
    "signin.button": "Sign in",
    "message.back": "Back to your producer area",
    "message.signin": "Sign in as a producer",
    "home.title": "{name} — check a file",
    "home.heading": "{name}: check and submit a file",
    "home.intro": "Upload a file: the gateway reads it as it would ingest it, says what is wrong "
    "row by row and how to fix it, and shows what ingesting it would change. Nothing is stored "
    "in the referential until you confirm.",
    "home.patterns": "Expected file names (they say what the file holds):",
    "home.no_file": "No file?",
    "home.entry_link": "Enter your structures and services online",
    "kind.structures": "structures",
    "kind.services": "services",
    "upload.label": "File to check",
    "upload.hint": "CSV, JSON, JSON Lines, XML, XLSX or ODS; {size} MiB at most.",
    "upload.button": "Check the file",
    "check.title": "Check of {file}",
    "check.heading": "Check of <code>{file}</code>",
    "check.ready": "The file is ready: no row refused, every expected column is there.",
    "check.ready.warnings": "A few values will be cleaned or ignored (see the warnings).",
    "check.faulty": "The file has problems to fix: {n} row(s) would be refused",
    "check.faulty.columns": ", and expected columns are missing",
    "check.stored_nothing": "Nothing was stored in the referential. Contents: {kinds}; SHA-256 "
    "fingerprint <code>{sha}…</code>.",
    "check.and": " and ",
    "check.counts": "Rows read",
    "check.col.kind": "Kind",
    "check.col.read": "Read",
    "check.col.valid": "Accepted",
    "check.col.rejected": "Refused",
    "check.warnings": "{n} warning(s): the row is kept, the value at fault cleaned or ignored.",
    "check.problems": "Problems, most frequent first",
    "check.col.severity": "Severity",
    "check.col.field": "Field",
    "check.col.what": "What is wrong",
    "check.col.fix": "How to fix it",
    "check.col.rows": "Rows",
    "check.col.first": "First rows (row, identifier, value)",
    "check.error": "Error: row refused",
    "check.warning": "Warning",
    "check.original": "original message:",
    "check.row": "row {row}",
    "check.more_problems": "And {n} other, less frequent problem(s).",
    "check.no_problem": "No problem.",
    "check.missing": "Expected columns missing from every row",
    "check.missing.intro": "The mapping reads these columns, which no row holds: a misspelt or "
    "renamed column?",
    "check.unmapped": "Values the value maps do not know",
    "check.col.map": "Map",
    "check.col.value": "Your value",
    "check.col.did_you_mean": "Did you mean",
    "check.changes": "What ingesting it would change",
    "check.dry_run": "A dry run of the ingest (the same as a submission's), then rolled back:",
    "check.submit": "Confirm and submit this file",
    "check.submit.hint": "Refused rows will be quarantined; the rest will be ingested. You can "
    "also fix the file and check it again.",
    "check.again": "Check a fixed file",
    "check.assessment": "The file as it is (phase 0)",
    "check.format": "Format {format}",
    "check.encoding": ", encoding {encoding}",
    "check.delimiter": ", delimiter “{delimiter}”",
    "check.sheet": ", sheet {sheet}",
    "check.size": "; {rows} row(s), {size} bytes.",
    "check.columns": "Columns",
    "check.col.column": "Column",
    "check.col.filled": "Filled",
    "check.col.distinct": "Distinct values",
    "check.col.samples": "Samples",
    "check.ids": "Possible identifiers:",
    "check.ids.none": "no unique column",
    "check.dates": "Update dates:",
    "check.dates.one": "{share} % readable, the most recent {newest}",
    "check.none": "none",
    "check.siret.one": "{fourteen} with 14 digits out of {filled}",
    "check.insee": "INSEE codes:",
    "check.insee.one": "{current} current, {unknown} unknown",
    "check.no_column": "no column",
    "check.refusal.gone": "This file would make too many of your records disappear at once "
    "(more than 20 %): an empty or truncated export? It cannot be submitted as it is. ({where})",
    "check.refusal": "This file cannot be submitted: {where}",
    "check.patterns": " (expected file names — {names})",
    "changes.new": "new record(s)",
    "changes.changed": "changed record(s)",
    "changes.unchanged": "unchanged record(s)",
    "changes.gone": "record(s) gone from your data",
    "changes.rejected": "row(s) refused, quarantined",
    "changes.new.title": "New records",
    "changes.changed.title": "Changed records, field by field",
    "changes.changed.region": "Changed records",
    "changes.col.record": "Record",
    "changes.col.before": "Before",
    "changes.col.after": "After",
    "changes.gone.title": "Records gone",
    "changes.rejected.title": "Refused rows",
    "submitted.title": "File submitted",
    "submitted.unchanged": "<code>{file}</code> is the file already ingested: nothing changed.",
    "submitted.done": "<code>{file}</code> is ingested",
    "submitted.run": " (run {run})",
    "submitted.merged": ". Your data is in the API, merged with the other producers'.",
    "submitted.analysis": "See the cross-analysis with the other producers",
    "analysis.title": "Cross-analysis — {source}",
    "analysis.heading": "Cross-analysis of {source}",
    "analysis.intro": "Your records compared with the other producers' of the referential: "
    "those they publish too, the values that differ (and who has the most recent date), those "
    "only you publish, and the likely duplicates in your own data.",
    "analysis.csv": "Download the analysis as CSV",
    "analysis.kind.structures": "Structures",
    "analysis.kind.services": "Services",
    "analysis.total": "published by you",
    "analysis.shared": "published by other producers too",
    "analysis.alone": "published by you only",
    "analysis.shared.caption": "Records in common, by producer",
    "analysis.col.producer": "Producer",
    "analysis.col.shared": "Records in common",
    "analysis.others_fill": "Fields you leave empty that others fill:",
    "analysis.duplicates": "Likely duplicates in your data",
    "analysis.and": "and",
    "analysis.differences": "Values that differ, field by field",
    "analysis.col.record": "Your record",
    "analysis.col.value": "Your value",
    "analysis.col.date": "Your date",
    "analysis.col.other": "Other producer",
    "analysis.col.other_value": "Their value",
    "analysis.col.other_date": "Their date",
    "analysis.col.recent": "More recent",
    "analysis.same_date": "same date",
    "analysis.more": "And {n} other differing value(s): all of them are in",
    "analysis.the_csv": "the CSV",
    "analysis.none": "No value differs from the other producers'.",
    "entry.title": "Online entry — {name}",
    "entry.heading": "Online entry: {name}",
    "entry.saved": "Record {id} saved",
    "entry.saved.run": " (run {run})",
    "entry.saved.merged": ": it is in the API, merged with the other producers'.",
    "entry.intro": "Your structures and services, as the gateway holds them. Each save is "
    "ingested as a file of your source: your identifiers, today as the update date, the "
    "provenance in your name.",
    "entry.structures": "Structures ({n})",
    "entry.services": "Services ({n})",
    "entry.new_structure": "Enter a new structure",
    "entry.new_service": "Enter a new service",
    "entry.structure_first": "Enter a structure first: every service belongs to one.",
    "entry.sheet": "Spreadsheet",
    "entry.sheet.intro": "Download your records as CSV (delimiter “;”, lists separated by “|”), "
    'edit them in a spreadsheet, then <a href="{home}">check and submit the file</a> without '
    "renaming it: the check shows what would change before you confirm.",
    "entry.structures_csv": "Structures as CSV",
    "entry.services_csv": "Services as CSV",
    "form.title.edit": "Edit",
    "form.title.new": "New record",
    "form.edit.structure": "Edit the structure “{name}”",
    "form.edit.service": "Edit the service “{name}”",
    "form.new.structure": "New structure",
    "form.new.service": "New service",
    "form.not_saved": "The record is not saved: {n} field(s) to fix",
    "form.required": "Fields marked with an asterisk (*) are required. The gateway checks the "
    "record with the same rules as a file.",
    "form.id": "Your identifier for this record",
    "form.id.fixed": "A record's identifier does not change.",
    "form.id.hint": "Your own database's, if there is one; left empty, the gateway makes one.",
    "form.structure": "Structure offering the service *",
    "form.list": "Separate the codes with commas.",
    "form.commune": "Commune (name, postcode, or both)",
    "form.commune.hint": "For instance “35000 Rennes”: the gateway finds the commune and its "
    "INSEE code in the territories referential.",
    "form.save": "Save",
    "form.live.errors": "{n} field(s) to fix.",
    "form.live.ok": "The fields filled in follow the gateway's rules.",
    "title.token": "Token refused",
    "title.signin": "Sign-in needed",
    "title.denied": "Access refused",
    "title.unknown_producer": "Unknown producer",
    "title.form": "Form refused",
    "title.busy": "Busy",
    "title.too_large": "File too large",
    "title.empty": "Empty file",
    "title.no_file": "No file",
    "title.unreadable": "Unreadable file",
    "title.expired": "File expired",
    "title.changed": "Changed since the check",
    "title.submit_refused": "Submission refused",
    "title.format": "Unknown format",
    "title.entry_unavailable": "Online entry unavailable",
    "title.not_found": "Record not found",
    "title.page_not_found": "Page not found",
    "title.save_refused": "Save refused",
    "err.token": "This token is not valid.",
    "err.consumer_token": "This token is an API user's, not a producer's: these pages need a "
    "producer token (gateway token create --producer SLUG).",
    "err.signin": "These pages are a producer's: sign in with your producer token ({prefix}).",
    "err.other_producer": "Your token is the producer “{producer}”'s: it opens only its pages "
    "({prefix}/{producer}).",
    "err.unknown_producer": "The gateway has no registry entry for “{slug}”: ask an operator "
    "for one.",
    "err.by_the_form": "Send the file with the form.",
    "err.busy_checks": "Other files are being checked: try again in a moment.",
    "err.busy_ingest": "Another ingest is running: try again.",
    "err.too_large": "The file is over {kib} KiB, this gateway's limit: split it or ask an "
    "operator to ingest it.",
    "err.choose": "Choose a file.",
    "err.choose_check": "Choose a file to check.",
    "err.expired": "This checked file is no longer there (submitted, or checked more than an "
    "hour ago): check it again.",
    "err.changed": "Your data changed since this check (another submission, an entry, or a new "
    "value map): check the file again.",
    "err.form_unreadable": "The form sent is unreadable.",
    "err.one_file": "One file at a time.",
    "err.form_too_long": "The form sent is too long.",
    "err.by_the_page": "The form must be sent from the page.",
    "err.format": "“{name}”: send a CSV, JSON, JSON Lines, XML, XLSX or ODS file, named with "
    "its extension ({extensions}).",
    "err.entry_unavailable": "The online entry holds the data of a source in the data·inclusion "
    "format; yours come from files with their own mapping: submit your files, or ask an "
    "operator for an entry source.",
    "err.entry_names": "Your {kind}' file names ({files}) do not admit a .{extension} file: ask "
    "an operator to adjust your registry entry.",
    "err.no_record": "No record “{id}” to edit.",
    "err.export_kinds": "Exports are of structures or services.",
    "err.record_refused": "The ingest refused the record: {why}",
    "err.id": "Letters without accents, digits, “.”, “_” or “-” (100 at most).",
    "err.id_taken": "One of your records already has the identifier “{id}”.",
    "err.structure": "Choose one of your structures.",
    "title.structure_first": "A structure first",
    "err.structure_first": "A service belongs to one of your structures: enter it first.",
    "err.entry_kinds": "Entries are of structures or services.",
    "err.no_commune": "No commune matches “{text}”: check the name or the postcode.",
    "err.communes": "Several communes match: {named}. Give the name and the postcode.",
}

# what the validators say, in plain words, and how to fix it (the keys of `explain`)
EXPLAINED_FR: dict[str, tuple[str, str]] = {
    "required": ("valeur obligatoire absente", "remplissez ce champ pour chaque ligne"),
    "date": ("date illisible",
             "écrivez la date AAAA-MM-JJ (2026-09-02) ou JJ/MM/AAAA (02/09/2026)"),
    "short": ("texte trop court",
              "écrivez un texte plus long (le minimum est indiqué dans le message d'origine)"),
    "long": ("texte trop long", "raccourcissez ce texte"),
    "siret": ("SIRET incorrect (la valeur est ignorée)",
              "donnez les 14 chiffres du SIRET, sans espace, ou laissez vide"),
    "phone": ("numéro de téléphone non reconnu (gardé tel quel)",
              "écrivez un numéro français à 10 chiffres (02 99 00 00 00) ou au format +33"),
    "email": ("adresse électronique invalide (la valeur est ignorée)",
              "écrivez une adresse de la forme nom@domaine.fr"),
    "insee": ("code INSEE inconnu (la valeur est ignorée)",
              "donnez le code INSEE de la commune (5 caractères, 35238 pour Rennes), "
              "pas le code postal"),
    "postcode": ("code postal incorrect", "donnez les 5 chiffres du code postal"),
    "unmapped": ("valeur que la table de correspondance ne connaît pas",
                 "utilisez une des valeurs connues (voir « Vouliez-vous dire ») ou demandez à "
                 "un opérateur de l'ajouter à la table"),
    "duplicate": ("identifiant en double dans le fichier",
                  "donnez à chaque ligne un identifiant unique"),
    "structure": ("structure de rattachement introuvable",
                  "indiquez l'identifiant d'une structure présente dans vos données"),
    "url": ("adresse web invalide (la valeur est ignorée)",
            "écrivez une adresse complète, commençant par https://"),
    "enum": ("valeur hors de la liste permise",
             "utilisez une des valeurs du schéma data·inclusion"),
    "other": ("valeur refusée", "corrigez la valeur selon le message d'origine"),
}  # fmt: skip

EXPLAINED_EN: dict[str, tuple[str, str]] = {
    "required": ("required value missing", "fill this field in on every row"),
    "date": ("unreadable date",
             "write the date YYYY-MM-DD (2026-09-02) or DD/MM/YYYY (02/09/2026)"),
    "short": ("text too short",
              "write a longer text (the minimum is given in the original message)"),
    "long": ("text too long", "shorten this text"),
    "siret": ("wrong SIRET (the value is ignored)",
              "give the SIRET's 14 digits, without spaces, or leave it empty"),
    "phone": ("phone number not recognised (kept as it is)",
              "write a 10-digit French number (02 99 00 00 00) or one in the +33 form"),
    "email": ("invalid email address (the value is ignored)",
              "write an address of the form name@domain.fr"),
    "insee": ("unknown INSEE code (the value is ignored)",
              "give the commune's INSEE code (5 characters, 35238 for Rennes), "
              "not its postcode"),
    "postcode": ("wrong postcode", "give the postcode's 5 digits"),
    "unmapped": ("a value the value map does not know",
                 "use one of the known values (see “Did you mean”) or ask an operator to add "
                 "it to the map"),
    "duplicate": ("identifier twice in the file", "give every row an identifier of its own"),
    "structure": ("parent structure not found",
                  "give the identifier of a structure present in your data"),
    "url": ("invalid web address (the value is ignored)",
            "write a full address, starting with https://"),
    "enum": ("value outside the allowed list", "use one of the data·inclusion schema's values"),
    "other": ("value refused", "fix the value as the original message says"),
}  # fmt: skip

MESSAGES: dict[str, dict[str, str]] = {"fr": FR, "en": EN}
EXPLAINED: dict[str, dict[str, tuple[str, str]]] = {"fr": EXPLAINED_FR, "en": EXPLAINED_EN}


def french_texts() -> list[str]:
    """Every French text of the catalogue (for the tests that no French leaks into English)."""
    return [*FR.values(), *(t for pair in EXPLAINED_FR.values() for t in pair)]
