"""Service kinds of the demo world and the producers' own vocabularies that describe them."""

# ruff: noqa: E501  (a data table: long enum member names and descriptions stay on one line)

from __future__ import annotations

from dataclasses import dataclass

from data_inclusion.schema import v1

T = v1.Thematique
P = v1.Public
TS = v1.TypeService


def _v(*members: v1.Thematique | v1.Public) -> tuple[str, ...]:
    return tuple(m.value for m in members)


# -- Soliguide categories: code -> (French label, thematiques the generator means by it) --------
SOLIGUIDE_CATEGORIES: dict[int, tuple[str, tuple[str, ...]]] = {
    100: ("Santé", _v(T.SANTE__ACCES_AUX_SOINS)),
    101: ("Addictions", _v(T.SANTE__ADDICTIONS)),
    102: ("Dépistage", _v(T.SANTE__SANTE_SEXUELLE)),
    103: ("Psychologie", _v(T.SANTE__SANTE_MENTALE)),
    104: ("Soins infirmiers", _v(T.SANTE__ACCES_AUX_SOINS)),
    200: (
        "Conseil",
        _v(T.DIFFICULTES_ADMINISTRATIVES_OU_JURIDIQUES__ACCOMPAGNEMENT_POUR_LACCES_AUX_DROITS),
    ),
    201: (
        "Accompagnement social",
        _v(T.DIFFICULTES_ADMINISTRATIVES_OU_JURIDIQUES__ACCOMPAGNEMENT_POUR_LACCES_AUX_DROITS),
    ),
    202: (
        "Conseil juridique",
        _v(
            T.DIFFICULTES_ADMINISTRATIVES_OU_JURIDIQUES__PRENDRE_EN_COMPTE_UNE_PROBLEMATIQUE_JUDICIAIRE,
            T.DIFFICULTES_ADMINISTRATIVES_OU_JURIDIQUES__CONNAITRE_SES_DROITS_FACE_A_UNE_DISCRIMINATION,
        ),
    ),
    203: (
        "Conseil budget",
        _v(
            T.DIFFICULTES_FINANCIERES__AMELIORER_SA_GESTION_BUDGETAIRE,
            T.DIFFICULTES_FINANCIERES__SITUATION_DENDETTEMENT_SURENDETTEMENT,
        ),
    ),
    204: (
        "Aide aux démarches administratives",
        _v(
            T.DIFFICULTES_ADMINISTRATIVES_OU_JURIDIQUES__ACCOMPAGNEMENT_AUX_DEMARCHES_ADMINISTRATIVES
        ),
    ),
    205: (
        "Accompagnement au logement",
        _v(
            T.LOGEMENT_HEBERGEMENT__SINFORMER_SUR_LES_DEMARCHES_LIEES_A_LACCES_AU_LOGEMENT,
            T.LOGEMENT_HEBERGEMENT__SE_MAINTENIR_DANS_LE_LOGEMENT,
        ),
    ),
    301: (
        "Domiciliation",
        _v(T.DIFFICULTES_ADMINISTRATIVES_OU_JURIDIQUES__ACCOMPAGNEMENT_POUR_LACCES_AUX_DROITS),
    ),
    302: ("Accueil de jour", _v(T.REMOBILISATION__LIEN_SOCIAL)),
    303: ("Bagagerie", ()),
    401: (
        "Hébergement d'urgence",
        _v(T.LOGEMENT_HEBERGEMENT__RECHERCHER_UNE_SOLUTION_DHEBERGEMENT_TEMPORAIRE),
    ),
    402: ("Logement", _v(T.LOGEMENT_HEBERGEMENT__LOUER_UN_LOGEMENT)),
    501: ("Douches", ()),
    502: ("Laverie", ()),
    600: ("Alimentation", _v(T.EQUIPEMENT_ET_ALIMENTATION__ALIMENTATION)),
    601: ("Distribution alimentaire", _v(T.EQUIPEMENT_ET_ALIMENTATION__ALIMENTATION)),
    602: ("Restauration assise", _v(T.EQUIPEMENT_ET_ALIMENTATION__ALIMENTATION)),
    603: (
        "Épicerie sociale et solidaire",
        _v(
            T.EQUIPEMENT_ET_ALIMENTATION__ALIMENTATION,
            T.DIFFICULTES_FINANCIERES__ACQUERIR_UNE_AUTONOMIE_BUDGETAIRE,
        ),
    ),
    604: ("Colis alimentaire", _v(T.EQUIPEMENT_ET_ALIMENTATION__ALIMENTATION)),
    701: ("Vestiaire", _v(T.EQUIPEMENT_ET_ALIMENTATION__HABILLEMENT)),
    702: ("Meubles et électroménager", _v(T.EQUIPEMENT_ET_ALIMENTATION__ELECTROMENAGER)),
    801: (
        "Activités sportives et culturelles",
        _v(T.REMOBILISATION__ACTIVITES_SPORTIVES_ET_CULTURELLES),
    ),
    802: ("Lien social et convivialité", _v(T.REMOBILISATION__LIEN_SOCIAL)),
    901: (
        "Accès à un ordinateur et à internet",
        _v(
            T.NUMERIQUE__ACCEDER_A_UNE_CONNEXION_INTERNET,
            T.NUMERIQUE__ACCEDER_A_DES_SERVICES_EN_LIGNE,
        ),
    ),
    902: ("Formation au numérique", _v(T.NUMERIQUE__MAITRISER_LES_FONDAMENTAUX_DU_NUMERIQUE)),
    1001: (
        "Aide à la mobilité",
        _v(
            T.MOBILITE__ETRE_ACCOMPAGNE_DANS_SON_PARCOURS_MOBILITE,
            T.MOBILITE__UTILISER_DES_SERVICES_DE_MOBILITE_DOUCE_PARTAGEE_COLLECTIVE,
        ),
    ),
    1101: ("Soutien à la parentalité", _v(T.FAMILLE__SOUTIEN_A_LA_PARENTALITE_ET_A_LEDUCATION)),
    1102: ("Violences", _v(T.FAMILLE__SURMONTER_CONFLITS_SEPARATION_VIOLENCE)),
    1200: (
        "Formation et emploi",
        _v(T.SE_FORMER__TROUVER_SA_FORMATION, T.TROUVER_UN_EMPLOI__REPONDRE_A_DES_OFFRES_DEMPLOI),
    ),
    1201: ("Formation", _v(T.SE_FORMER__TROUVER_SA_FORMATION)),
    1202: (
        "Insertion professionnelle",
        _v(
            T.TROUVER_UN_EMPLOI__REPONDRE_A_DES_OFFRES_DEMPLOI,
            T.PREPARER_SA_CANDIDATURE__REALISER_UN_CV_ET_OU_UNE_LETTRE_DE_MOTIVATION,
        ),
    ),
    1203: ("Cours de français", _v(T.LECTURE_ECRITURE_CALCUL__MAITRISER_LE_FRANCAIS)),
}

# -- France Travail service themes (column "Thématique", several joined by "|") ----------------
FT_THEMES: dict[str, tuple[str, ...]] = {
    "Trouver un emploi": _v(
        T.TROUVER_UN_EMPLOI__REPONDRE_A_DES_OFFRES_DEMPLOI,
        T.TROUVER_UN_EMPLOI__FAIRE_DES_CANDIDATURES_SPONTANEES,
    ),
    "Préparer sa candidature": _v(
        T.PREPARER_SA_CANDIDATURE__REALISER_UN_CV_ET_OU_UNE_LETTRE_DE_MOTIVATION,
        T.TROUVER_UN_EMPLOI__CONVAINCRE_UN_RECRUTEUR_EN_ENTRETIEN,
    ),
    "Créer son entreprise": _v(
        T.CREER_UNE_ENTREPRISE__DEFINIR_SON_PROJET_DE_CREATION_DENTREPRISE,
        T.CREER_UNE_ENTREPRISE__STRUCTURER_SON_PROJET_DE_CREATION_DENTREPRISE,
    ),
    "Se former": _v(
        T.SE_FORMER__TROUVER_SA_FORMATION, T.SE_FORMER__MONTER_SON_DOSSIER_DE_FORMATION
    ),
    "Aide à la mobilité": _v(T.MOBILITE__FINANCER_MA_MOBILITE, T.MOBILITE__PREPARER_UN_PERMIS),
    "Choisir un métier": _v(
        T.CHOISIR_UN_METIER__DECOUVRIR_UN_METIER_OU_UN_SECTEUR_DACTIVITE,
        T.CHOISIR_UN_METIER__CONFIRMER_SON_CHOIX_DE_METIER,
    ),
    "Accompagnement social": _v(
        T.DIFFICULTES_ADMINISTRATIVES_OU_JURIDIQUES__ACCOMPAGNEMENT_POUR_LACCES_AUX_DROITS
    ),
    "Travailler à l'étranger": _v(
        T.SOUVRIR_A_LINTERNATIONAL__CONNAITRE_LES_OPPORTUNITES_DEMPLOI_A_LETRANGER,
        T.SOUVRIR_A_LINTERNATIONAL__SINFORMER_SUR_LES_AIDES_POUR_TRAVAILLER_A_LETRANGER,
    ),
    "Services numériques": _v(T.NUMERIQUE__ACCEDER_A_DES_SERVICES_EN_LIGNE),
}

# -- France Travail publics (column "Public", several joined by "|") --------------------------
FT_PUBLICS: dict[str, tuple[str, ...]] = {
    "Tous publics": _v(P.TOUS_PUBLICS),
    "Demandeurs d'emploi": _v(P.DEMANDEURS_EMPLOI),
    "Jeunes de moins de 26 ans": _v(P.JEUNES),
    "Bénéficiaires du RSA": _v(P.BENEFICIAIRES_DES_MINIMAS_SOCIAUX),
    "Personnes en situation de handicap": _v(P.PERSONNES_EN_SITUATION_DE_HANDICAP),
    "Seniors": _v(P.SENIORS),
    "Salariés": _v(P.ACTIFS),
}

# -- carif-oref FORMACODE values used by the generator ---------------------------------------
FORMACODES: dict[str, tuple[str, tuple[str, ...]]] = {
    "15235": ("Français langue étrangère", _v(T.LECTURE_ECRITURE_CALCUL__MAITRISER_LE_FRANCAIS)),
    "15254": (
        "Remise à niveau",
        _v(
            T.LECTURE_ECRITURE_CALCUL__MAITRISER_LE_FRANCAIS,
            T.LECTURE_ECRITURE_CALCUL__MAITRISER_LE_CALCUL,
        ),
    ),
    "15040": (
        "Lutte contre l'illettrisme",
        _v(
            T.LECTURE_ECRITURE_CALCUL__MAITRISER_LE_FRANCAIS,
            T.LECTURE_ECRITURE_CALCUL__MAITRISER_LE_CALCUL,
        ),
    ),
    "15043": ("Alphabétisation", _v(T.LECTURE_ECRITURE_CALCUL__MAITRISER_LE_FRANCAIS)),
}

# -- unccas "Services proposés" labels -> (service id suffix, thematiques meant) --------------
UNCCAS_LABELS: dict[str, tuple[str, tuple[str, ...]]] = {
    "Aide alimentaire": ("aide-alimentaire", _v(T.EQUIPEMENT_ET_ALIMENTATION__ALIMENTATION)),
    "Domiciliation": (
        "domiciliation",
        _v(T.DIFFICULTES_ADMINISTRATIVES_OU_JURIDIQUES__ACCOMPAGNEMENT_POUR_LACCES_AUX_DROITS),
    ),
    "Aide aux démarches administratives": (
        "aide-aux-demarches-administratives",
        _v(
            T.DIFFICULTES_ADMINISTRATIVES_OU_JURIDIQUES__ACCOMPAGNEMENT_AUX_DEMARCHES_ADMINISTRATIVES
        ),
    ),
    "Aides financières": (
        "aides-financieres",
        _v(T.DIFFICULTES_FINANCIERES__PREVENIR_UNE_DEGRADATION_DE_LA_SITUATION_FINANCIERE),
    ),
    "Accompagnement budgétaire": (
        "accompagnement-budgetaire",
        _v(
            T.DIFFICULTES_FINANCIERES__AMELIORER_SA_GESTION_BUDGETAIRE,
            T.DIFFICULTES_FINANCIERES__SITUATION_DENDETTEMENT_SURENDETTEMENT,
        ),
    ),
    "Accompagnement social": (
        "accompagnement-social",
        _v(T.DIFFICULTES_ADMINISTRATIVES_OU_JURIDIQUES__ACCOMPAGNEMENT_POUR_LACCES_AUX_DROITS),
    ),
    "Aide au logement": (
        "aide-au-logement",
        _v(
            T.LOGEMENT_HEBERGEMENT__SINFORMER_SUR_LES_DEMARCHES_LIEES_A_LACCES_AU_LOGEMENT,
            T.LOGEMENT_HEBERGEMENT__LOUER_UN_LOGEMENT,
        ),
    ),
    "Prévention des expulsions": (
        "prevention-des-expulsions",
        _v(
            T.LOGEMENT_HEBERGEMENT__SE_MAINTENIR_DANS_LE_LOGEMENT,
            T.LOGEMENT_HEBERGEMENT__REDUIRE_LES_IMPAYES_DE_LOYER,
        ),
    ),
    "Portage de repas": (
        "portage-de-repas",
        _v(
            T.FAMILLE__PRISE_EN_CHARGE_PERSONNE_DEPENDANTE,
            T.EQUIPEMENT_ET_ALIMENTATION__ALIMENTATION,
        ),
    ),
    "Soutien aux aidants": ("soutien-aux-aidants", _v(T.FAMILLE__SOUTIEN_AIDANTS)),
    "Transport solidaire": (
        "transport-solidaire",
        _v(T.MOBILITE__UTILISER_DES_SERVICES_DE_MOBILITE_DOUCE_PARTAGEE_COLLECTIVE),
    ),
    "Point numérique": (
        "point-numerique",
        _v(
            T.NUMERIQUE__ACCEDER_A_DES_SERVICES_EN_LIGNE,
            T.NUMERIQUE__ACCEDER_A_UNE_CONNEXION_INTERNET,
        ),
    ),
}

# -- cd35 "THEMATIQUE" labels (one per structure) ---------------------------------------------
CD35_THEMES: tuple[str, ...] = (
    "Action sociale",
    "Insertion professionnelle",
    "Emploi",
    "Handicap",
    "Aide alimentaire",
    "Accès aux droits",
    "Logement - Hébergement",
    "Insertion par l'activité économique",
    "Loisirs - Culture",
    "Numérique",
    "Formation - Langue française",
    "Services municipaux",
)


@dataclass(frozen=True)
class ServiceKind:
    """What a service is in the real world, and how each producer names it."""

    code: str
    noms: tuple[str, ...]  # the first is the usual name, others are variants producers use
    description: str  # "{structure}" and "{commune}" are filled in
    thematiques: tuple[str, ...]  # the first is always kept, the others often
    type: str
    publics: tuple[tuple[str, ...], ...]  # alternatives, one is drawn
    payant: float = 0.0  # probability the service is not free
    distance: float = 0.1  # probability it is also (or only) offered remotely
    professionnels: float = 0.3  # probability professionals can refer people to it
    soliguide: int | None = None
    unccas: str | None = None
    ft: str | None = None  # France Travail catalogue code
    ft_themes: tuple[str, ...] = ()
    ft_publics: tuple[str, ...] = ()
    formacode: str | None = None


_TOUS = _v(P.TOUS_PUBLICS)
_URG = _v(P.PERSONNES_EN_SITUATION_D_URGENCE)
_DE = _v(P.DEMANDEURS_EMPLOI)
_JEUNES = _v(P.JEUNES)
_MINIMA = _v(P.BENEFICIAIRES_DES_MINIMAS_SOCIAUX)


def _kinds() -> dict[str, ServiceKind]:
    S = ServiceKind
    kinds = [
        # CCAS / CIAS, mairies, maisons des solidarités
        S(
            code="aide-alimentaire",
            noms=("Aide alimentaire", "Bons alimentaires", "Colis alimentaires d'urgence"),
            description="{structure} attribue une aide alimentaire (colis ou bons d'achat) aux foyers de {commune} en difficulté, après évaluation de la situation.",
            thematiques=_v(T.EQUIPEMENT_ET_ALIMENTATION__ALIMENTATION),
            type=TS.AIDE_MATERIELLE.value,
            publics=(_TOUS, _v(P.FAMILLES, P.PERSONNES_EN_SITUATION_D_URGENCE), _MINIMA),
            soliguide=604,
            unccas="Aide alimentaire",
        ),
        S(
            code="domiciliation",
            noms=("Domiciliation administrative", "Domiciliation", "Élection de domicile"),
            description="Les personnes sans domicile stable peuvent élire domicile auprès de {structure} pour recevoir leur courrier et faire valoir leurs droits.",
            thematiques=_v(
                T.DIFFICULTES_ADMINISTRATIVES_OU_JURIDIQUES__ACCOMPAGNEMENT_POUR_LACCES_AUX_DROITS
            ),
            type=TS.ACCOMPAGNEMENT.value,
            publics=(_URG, _v(P.PERSONNES_EN_SITUATION_D_URGENCE, P.PERSONNES_EXILEES)),
            soliguide=301,
            unccas="Domiciliation",
        ),
        S(
            code="demarches-administratives",
            noms=(
                "Aide aux démarches administratives",
                "Accompagnement aux démarches",
                "Écrivain public",
            ),
            description="Accompagnement pour constituer un dossier (CAF, CPAM, retraite, logement) et comprendre les courriers administratifs, à {commune}.",
            thematiques=_v(
                T.DIFFICULTES_ADMINISTRATIVES_OU_JURIDIQUES__ACCOMPAGNEMENT_AUX_DEMARCHES_ADMINISTRATIVES,
                T.NUMERIQUE__ACCEDER_A_DES_SERVICES_EN_LIGNE,
            ),
            type=TS.ACCOMPAGNEMENT.value,
            publics=(_TOUS,),
            distance=0.2,
            soliguide=204,
            unccas="Aide aux démarches administratives",
        ),
        S(
            code="aides-financieres",
            noms=(
                "Aides financières facultatives",
                "Secours d'urgence",
                "Aide financière ponctuelle",
            ),
            description="{structure} peut accorder une aide financière ponctuelle (factures d'énergie, cantine, secours d'urgence) sous conditions de ressources.",
            thematiques=_v(
                T.DIFFICULTES_FINANCIERES__PREVENIR_UNE_DEGRADATION_DE_LA_SITUATION_FINANCIERE
            ),
            type=TS.AIDE_FINANCIERE.value,
            publics=(_TOUS, _MINIMA),
            professionnels=0.6,
            unccas="Aides financières",
            soliguide=200,
        ),
        S(
            code="accompagnement-budgetaire",
            noms=(
                "Accompagnement budgétaire",
                "Conseil en gestion budgétaire",
                "Point conseil budget",
            ),
            description="Un conseiller aide à faire le point sur le budget du foyer, prévenir le surendettement et, si besoin, monter un dossier auprès de la Banque de France.",
            thematiques=_v(
                T.DIFFICULTES_FINANCIERES__AMELIORER_SA_GESTION_BUDGETAIRE,
                T.DIFFICULTES_FINANCIERES__SITUATION_DENDETTEMENT_SURENDETTEMENT,
            ),
            type=TS.ACCOMPAGNEMENT.value,
            publics=(_TOUS,),
            distance=0.3,
            soliguide=203,
            unccas="Accompagnement budgétaire",
        ),
        S(
            code="accompagnement-social",
            noms=("Accompagnement social", "Accueil et accompagnement social", "Suivi social"),
            description="Accueil, écoute et orientation des habitants de {commune} ; accompagnement social global pour l'accès aux droits.",
            thematiques=_v(
                T.DIFFICULTES_ADMINISTRATIVES_OU_JURIDIQUES__ACCOMPAGNEMENT_POUR_LACCES_AUX_DROITS
            ),
            type=TS.ACCOMPAGNEMENT.value,
            publics=(_TOUS, _MINIMA),
            professionnels=0.5,
            soliguide=201,
            unccas="Accompagnement social",
        ),
        S(
            code="aide-au-logement",
            noms=("Aide à l'accès au logement", "Accès au logement", "Demande de logement social"),
            description="Information sur les démarches d'accès au logement, aide à la demande de logement social et au dossier FSL.",
            thematiques=_v(
                T.LOGEMENT_HEBERGEMENT__SINFORMER_SUR_LES_DEMARCHES_LIEES_A_LACCES_AU_LOGEMENT,
                T.LOGEMENT_HEBERGEMENT__LOUER_UN_LOGEMENT,
            ),
            type=TS.INFORMATION.value,
            publics=(_TOUS, _v(P.FAMILLES, P.JEUNES)),
            soliguide=205,
            unccas="Aide au logement",
        ),
        S(
            code="prevention-expulsions",
            noms=("Prévention des expulsions locatives", "Maintien dans le logement"),
            description="Accompagnement des locataires en impayés de loyer pour éviter l'expulsion : plan d'apurement, médiation avec le bailleur.",
            thematiques=_v(
                T.LOGEMENT_HEBERGEMENT__SE_MAINTENIR_DANS_LE_LOGEMENT,
                T.LOGEMENT_HEBERGEMENT__REDUIRE_LES_IMPAYES_DE_LOYER,
            ),
            type=TS.ACCOMPAGNEMENT.value,
            publics=(_TOUS,),
            professionnels=0.7,
            unccas="Prévention des expulsions",
            soliguide=205,
        ),
        S(
            code="portage-repas",
            noms=("Portage de repas à domicile", "Portage de repas"),
            description="Livraison de repas à domicile pour les personnes âgées ou en perte d'autonomie de {commune}.",
            thematiques=_v(
                T.FAMILLE__PRISE_EN_CHARGE_PERSONNE_DEPENDANTE,
                T.EQUIPEMENT_ET_ALIMENTATION__ALIMENTATION,
            ),
            type=TS.AIDE_MATERIELLE.value,
            publics=(_v(P.SENIORS), _v(P.SENIORS, P.PERSONNES_EN_SITUATION_DE_HANDICAP)),
            payant=0.9,
            unccas="Portage de repas",
        ),
        S(
            code="soutien-aidants",
            noms=("Soutien aux aidants", "Café des aidants", "Accompagnement des proches aidants"),
            description="Temps d'échange, information et répit pour les proches qui accompagnent une personne âgée, malade ou en situation de handicap.",
            thematiques=_v(T.FAMILLE__SOUTIEN_AIDANTS),
            type=TS.ATELIER.value,
            publics=(_TOUS, _v(P.SENIORS)),
            unccas="Soutien aux aidants",
        ),
        S(
            code="transport-solidaire",
            noms=("Transport solidaire", "Navette solidaire"),
            description="Des bénévoles accompagnent en voiture les habitants sans moyen de transport (rendez-vous médicaux, courses, démarches).",
            thematiques=_v(T.MOBILITE__UTILISER_DES_SERVICES_DE_MOBILITE_DOUCE_PARTAGEE_COLLECTIVE),
            type=TS.AIDE_MATERIELLE.value,
            publics=(_TOUS, _v(P.SENIORS)),
            payant=0.5,
            soliguide=1001,
            unccas="Transport solidaire",
        ),
        S(
            code="point-numerique",
            noms=(
                "Point numérique",
                "Accès libre à un ordinateur",
                "Espace numérique en libre accès",
            ),
            description="Ordinateurs, imprimante et connexion internet en libre accès, avec l'aide d'un médiateur pour les démarches en ligne.",
            thematiques=_v(
                T.NUMERIQUE__ACCEDER_A_DES_SERVICES_EN_LIGNE,
                T.NUMERIQUE__ACCEDER_A_UNE_CONNEXION_INTERNET,
            ),
            type=TS.AIDE_MATERIELLE.value,
            publics=(_TOUS,),
            soliguide=901,
            unccas="Point numérique",
        ),
        S(
            code="accueil-mairie",
            noms=("Accueil et orientation des habitants", "Accueil de la mairie"),
            description="La mairie de {commune} accueille les habitants, les informe et les oriente vers les services compétents (état civil, CCAS, associations).",
            thematiques=_v(
                T.DIFFICULTES_ADMINISTRATIVES_OU_JURIDIQUES__ACCOMPAGNEMENT_AUX_DEMARCHES_ADMINISTRATIVES
            ),
            type=TS.INFORMATION.value,
            publics=(_TOUS,),
        ),
        S(
            code="accompagnement-rsa",
            noms=("Accompagnement des allocataires du RSA", "Accompagnement RSA", "Référent RSA"),
            description="Un référent accompagne les allocataires du RSA dans leur parcours d'insertion sociale et professionnelle (contrat d'engagements réciproques).",
            thematiques=_v(
                T.DIFFICULTES_ADMINISTRATIVES_OU_JURIDIQUES__ACCOMPAGNEMENT_POUR_LACCES_AUX_DROITS,
                T.TROUVER_UN_EMPLOI__REPONDRE_A_DES_OFFRES_DEMPLOI,
            ),
            type=TS.ACCOMPAGNEMENT.value,
            publics=(_MINIMA,),
            professionnels=0.8,
            soliguide=201,
        ),
        S(
            code="parentalite",
            noms=(
                "Soutien à la parentalité",
                "Lieu d'accueil enfants-parents",
                "Consultations PMI",
            ),
            description="Accueil des parents et futurs parents : consultations, ateliers et écoute autour de l'éducation des enfants.",
            thematiques=_v(T.FAMILLE__SOUTIEN_A_LA_PARENTALITE_ET_A_LEDUCATION),
            type=TS.ACCOMPAGNEMENT.value,
            publics=(_v(P.FAMILLES),),
            soliguide=1101,
        ),
        S(
            code="violences",
            noms=(
                "Accompagnement des victimes de violences",
                "Écoute victimes de violences conjugales",
            ),
            description="Écoute, information juridique et accompagnement des personnes victimes de violences conjugales ou intrafamiliales.",
            thematiques=_v(T.FAMILLE__SURMONTER_CONFLITS_SEPARATION_VIOLENCE),
            type=TS.ACCOMPAGNEMENT.value,
            publics=(_v(P.FEMMES), _v(P.FEMMES, P.FAMILLES)),
            distance=0.4,
            soliguide=1102,
        ),
        # emergency and solidarity associations
        S(
            code="distribution-alimentaire",
            noms=("Distribution alimentaire", "Distribution de colis", "Aide alimentaire"),
            description="Distribution de denrées alimentaires aux personnes orientées par les travailleurs sociaux ou inscrites sur place.",
            thematiques=_v(T.EQUIPEMENT_ET_ALIMENTATION__ALIMENTATION),
            type=TS.AIDE_MATERIELLE.value,
            publics=(_TOUS, _v(P.PERSONNES_EN_SITUATION_D_URGENCE, P.FAMILLES)),
            payant=0.1,
            soliguide=601,
        ),
        S(
            code="repas",
            noms=("Repas chauds", "Restauration solidaire", "Repas sur place"),
            description="Repas chauds servis sur place, sans condition, dans un cadre convivial.",
            thematiques=_v(T.EQUIPEMENT_ET_ALIMENTATION__ALIMENTATION),
            type=TS.AIDE_MATERIELLE.value,
            publics=(_URG, _TOUS),
            soliguide=602,
        ),
        S(
            code="epicerie",
            noms=("Épicerie solidaire", "Épicerie sociale"),
            description="Produits alimentaires et d'hygiène à 10 à 30 % du prix, sur orientation d'un travailleur social, avec un accompagnement budgétaire.",
            thematiques=_v(
                T.EQUIPEMENT_ET_ALIMENTATION__ALIMENTATION,
                T.DIFFICULTES_FINANCIERES__ACQUERIR_UNE_AUTONOMIE_BUDGETAIRE,
            ),
            type=TS.AIDE_MATERIELLE.value,
            publics=(_TOUS, _MINIMA),
            payant=0.9,
            professionnels=0.7,
            soliguide=603,
        ),
        S(
            code="vestiaire",
            noms=("Vestiaire solidaire", "Vestiboutique", "Bourse aux vêtements"),
            description="Vêtements et chaussures pour toute la famille, donnés ou vendus à petit prix.",
            thematiques=_v(T.EQUIPEMENT_ET_ALIMENTATION__HABILLEMENT),
            type=TS.AIDE_MATERIELLE.value,
            publics=(_TOUS,),
            payant=0.4,
            soliguide=701,
        ),
        S(
            code="meubles",
            noms=("Meubles et électroménager à petit prix", "Aide à l'équipement du logement"),
            description="Meubles et appareils électroménagers d'occasion, révisés, pour équiper un premier logement.",
            thematiques=_v(T.EQUIPEMENT_ET_ALIMENTATION__ELECTROMENAGER),
            type=TS.AIDE_MATERIELLE.value,
            publics=(_TOUS,),
            payant=0.8,
            soliguide=702,
        ),
        S(
            code="accueil-de-jour",
            noms=("Accueil de jour", "Accueil de jour et café solidaire"),
            description="Lieu d'accueil en journée : café, douches, bagagerie, écoute et orientation par une équipe de travailleurs sociaux.",
            thematiques=_v(
                T.REMOBILISATION__LIEN_SOCIAL,
                T.LOGEMENT_HEBERGEMENT__RECHERCHER_UNE_SOLUTION_DHEBERGEMENT_TEMPORAIRE,
            ),
            type=TS.ACCOMPAGNEMENT.value,
            publics=(_URG,),
            soliguide=302,
        ),
        S(
            code="hebergement-urgence",
            noms=("Hébergement d'urgence", "Mise à l'abri"),
            description="Hébergement d'urgence sur orientation du 115 (SIAO), avec un accompagnement social.",
            thematiques=_v(T.LOGEMENT_HEBERGEMENT__RECHERCHER_UNE_SOLUTION_DHEBERGEMENT_TEMPORAIRE),
            type=TS.AIDE_MATERIELLE.value,
            publics=(_URG, _v(P.PERSONNES_EN_SITUATION_D_URGENCE, P.FAMILLES)),
            professionnels=0.9,
            soliguide=401,
        ),
        S(
            code="hebergement-insertion",
            noms=("Hébergement et réinsertion sociale", "Hébergement d'insertion"),
            description="Hébergement temporaire et accompagnement vers le logement, l'emploi et la santé des personnes en grande difficulté.",
            thematiques=_v(
                T.LOGEMENT_HEBERGEMENT__RECHERCHER_UNE_SOLUTION_DHEBERGEMENT_TEMPORAIRE,
                T.DIFFICULTES_ADMINISTRATIVES_OU_JURIDIQUES__ACCOMPAGNEMENT_POUR_LACCES_AUX_DROITS,
            ),
            type=TS.ACCOMPAGNEMENT.value,
            publics=(_URG,),
            professionnels=1.0,
            soliguide=402,
        ),
        S(
            code="acces-soins",
            noms=("Permanence d'accès aux soins", "Consultations médicales gratuites"),
            description="Consultations médicales et infirmières gratuites, aide à l'ouverture des droits à l'assurance maladie.",
            thematiques=_v(T.SANTE__ACCES_AUX_SOINS),
            type=TS.ACCOMPAGNEMENT.value,
            publics=(_URG, _TOUS),
            soliguide=100,
        ),
        S(
            code="addictions",
            noms=("Prévention et accompagnement des addictions", "Consultation addictologie"),
            description="Écoute, réduction des risques et accompagnement des personnes confrontées à une addiction.",
            thematiques=_v(T.SANTE__ADDICTIONS),
            type=TS.ACCOMPAGNEMENT.value,
            publics=(_TOUS,),
            distance=0.3,
            soliguide=101,
        ),
        S(
            code="soutien-psychologique",
            noms=("Soutien psychologique", "Permanence d'écoute"),
            description="Entretiens gratuits avec un psychologue, sans rendez-vous le mardi.",
            thematiques=_v(T.SANTE__SANTE_MENTALE),
            type=TS.ACCOMPAGNEMENT.value,
            publics=(_TOUS, _URG),
            distance=0.3,
            soliguide=103,
        ),
        S(
            code="permanence-juridique",
            noms=("Permanence juridique", "Point justice", "Accès au droit"),
            description="Un juriste informe gratuitement sur les droits (famille, logement, travail, étrangers) et oriente vers les professionnels du droit.",
            thematiques=_v(
                T.DIFFICULTES_ADMINISTRATIVES_OU_JURIDIQUES__PRENDRE_EN_COMPTE_UNE_PROBLEMATIQUE_JUDICIAIRE,
                T.DIFFICULTES_ADMINISTRATIVES_OU_JURIDIQUES__CONNAITRE_SES_DROITS_FACE_A_UNE_DISCRIMINATION,
            ),
            type=TS.INFORMATION.value,
            publics=(_TOUS,),
            soliguide=202,
        ),
        S(
            code="lien-social",
            noms=(
                "Activités collectives et lien social",
                "Ateliers conviviaux",
                "Sorties culturelles",
            ),
            description="Ateliers, sorties et temps conviviaux pour rompre l'isolement et reprendre confiance.",
            thematiques=_v(
                T.REMOBILISATION__LIEN_SOCIAL, T.REMOBILISATION__ACTIVITES_SPORTIVES_ET_CULTURELLES
            ),
            type=TS.ATELIER.value,
            publics=(_TOUS,),
            soliguide=802,
        ),
        # missions locales, Cap emploi, SIAE, création d'entreprise
        S(
            code="accompagnement-jeunes",
            noms=("Accompagnement vers l'emploi des jeunes", "Accompagnement emploi 16-25 ans"),
            description="Un conseiller accompagne les jeunes de 16 à 25 ans dans leur projet professionnel : orientation, formation, recherche d'emploi.",
            thematiques=_v(
                T.TROUVER_UN_EMPLOI__REPONDRE_A_DES_OFFRES_DEMPLOI,
                T.PREPARER_SA_CANDIDATURE__REALISER_UN_CV_ET_OU_UNE_LETTRE_DE_MOTIVATION,
                T.CHOISIR_UN_METIER__IDENTIFIER_SES_POINTS_FORTS_ET_SES_COMPETENCES,
            ),
            type=TS.ACCOMPAGNEMENT.value,
            publics=(_JEUNES,),
            distance=0.2,
            professionnels=0.6,
            soliguide=1202,
        ),
        S(
            code="cej",
            noms=("Contrat d'engagement jeune (CEJ)", "Contrat d'engagement jeune"),
            description="Un accompagnement intensif de 6 à 12 mois, avec une allocation, pour les jeunes sans emploi ni formation.",
            thematiques=_v(
                T.TROUVER_UN_EMPLOI__REPONDRE_A_DES_OFFRES_DEMPLOI,
                T.SE_FORMER__TROUVER_SA_FORMATION,
            ),
            type=TS.ACCOMPAGNEMENT.value,
            publics=(_JEUNES,),
            professionnels=0.8,
            soliguide=1202,
        ),
        S(
            code="mobilite-jeunes",
            noms=("Aide à la mobilité (permis, transport)", "Aide au permis de conduire"),
            description="Aide au financement du permis de conduire et des déplacements vers l'emploi ou la formation.",
            thematiques=_v(T.MOBILITE__PREPARER_UN_PERMIS, T.MOBILITE__FINANCER_MA_MOBILITE),
            type=TS.AIDE_FINANCIERE.value,
            publics=(_JEUNES,),
            soliguide=1001,
        ),
        S(
            code="logement-jeunes",
            noms=("Accès au logement des jeunes", "Logement jeunes"),
            description="Information et aide pour trouver un logement autonome ou en foyer de jeunes travailleurs.",
            thematiques=_v(T.LOGEMENT_HEBERGEMENT__LOUER_UN_LOGEMENT),
            type=TS.INFORMATION.value,
            publics=(_JEUNES,),
            soliguide=205,
        ),
        S(
            code="accompagnement-handicap",
            noms=(
                "Accompagnement vers l'emploi des personnes handicapées",
                "Insertion professionnelle et handicap",
            ),
            description="Accompagnement des personnes en situation de handicap dans leur recherche d'emploi et leur projet professionnel.",
            thematiques=_v(
                T.TROUVER_UN_EMPLOI__REPONDRE_A_DES_OFFRES_DEMPLOI,
                T.CHOISIR_UN_METIER__CONFIRMER_SON_CHOIX_DE_METIER,
            ),
            type=TS.ACCOMPAGNEMENT.value,
            publics=(_v(P.PERSONNES_EN_SITUATION_DE_HANDICAP),),
            professionnels=0.8,
            soliguide=1202,
        ),
        S(
            code="maintien-emploi",
            noms=("Maintien dans l'emploi", "Maintien en emploi et handicap"),
            description="Conseil aux salariés et aux employeurs pour adapter le poste de travail et prévenir la perte d'emploi.",
            thematiques=_v(T.TROUVER_UN_EMPLOI__MAINTIEN_DANS_LEMPLOI),
            type=TS.ACCOMPAGNEMENT.value,
            publics=(_v(P.PERSONNES_EN_SITUATION_DE_HANDICAP, P.ACTIFS),),
            professionnels=0.6,
        ),
        S(
            code="cddi",
            noms=(
                "Contrat d'insertion (CDDI)",
                "Parcours d'insertion en chantier",
                "Emploi en insertion",
            ),
            description="Un contrat de travail de 4 à 24 mois en {activite}, avec un accompagnement socio-professionnel et des formations.",
            thematiques=_v(
                T.TROUVER_UN_EMPLOI__REPONDRE_A_DES_OFFRES_DEMPLOI,
                T.TROUVER_UN_EMPLOI__MAINTIEN_DANS_LEMPLOI,
                T.PREPARER_SA_CANDIDATURE__VALORISER_SES_COMPETENCES,
            ),
            type=TS.ACCOMPAGNEMENT.value,
            publics=(_v(P.DEMANDEURS_EMPLOI, P.BENEFICIAIRES_DES_MINIMAS_SOCIAUX), _DE),
            professionnels=1.0,
            soliguide=1202,
        ),
        S(
            code="mise-a-disposition",
            noms=("Missions de travail en insertion", "Mise à disposition de personnel"),
            description="Des missions de travail chez des particuliers, des collectivités ou des entreprises, avec un suivi personnalisé.",
            thematiques=_v(
                T.TROUVER_UN_EMPLOI__REPONDRE_A_DES_OFFRES_DEMPLOI,
                T.PREPARER_SA_CANDIDATURE__DEVELOPPER_SON_RESEAU,
            ),
            type=TS.ACCOMPAGNEMENT.value,
            publics=(_DE, _MINIMA),
            professionnels=0.8,
            soliguide=1202,
        ),
        S(
            code="formation-situation",
            noms=("Formation en situation de travail", "Formation qualifiante en alternance"),
            description="Formation pratique sur le poste de travail et préparation d'un titre professionnel.",
            thematiques=_v(
                T.SE_FORMER__TROUVER_SA_FORMATION,
                T.PREPARER_SA_CANDIDATURE__VALORISER_SES_COMPETENCES,
            ),
            type=TS.FORMATION.value,
            publics=(_DE,),
            professionnels=0.8,
            soliguide=1201,
        ),
        S(
            code="creation-entreprise",
            noms=("Accompagnement à la création d'entreprise", "Créer son activité"),
            description="Ateliers et rendez-vous individuels pour définir, financer et lancer un projet de création d'entreprise.",
            thematiques=_v(
                T.CREER_UNE_ENTREPRISE__DEFINIR_SON_PROJET_DE_CREATION_DENTREPRISE,
                T.CREER_UNE_ENTREPRISE__STRUCTURER_SON_PROJET_DE_CREATION_DENTREPRISE,
            ),
            type=TS.ACCOMPAGNEMENT.value,
            publics=(_TOUS, _DE),
            distance=0.3,
        ),
        # médiation, numérique, France services, MJC
        S(
            code="mediation-energie",
            noms=("Médiation énergie et factures", "Aide aux factures d'énergie"),
            description="Médiation avec les fournisseurs d'énergie et d'eau, aide à la lecture des factures et aux demandes de chèque énergie.",
            thematiques=_v(
                T.DIFFICULTES_FINANCIERES__PREVENIR_UNE_DEGRADATION_DE_LA_SITUATION_FINANCIERE,
                T.LOGEMENT_HEBERGEMENT__SE_MAINTENIR_DANS_LE_LOGEMENT,
            ),
            type=TS.ACCOMPAGNEMENT.value,
            publics=(_TOUS,),
            soliguide=203,
        ),
        S(
            code="numerique-fondamentaux",
            noms=(
                "Initiation au numérique",
                "Ateliers numériques débutants",
                "Apprendre à utiliser un ordinateur",
            ),
            description="Ateliers en petits groupes pour apprendre à se servir d'un ordinateur, d'un smartphone, de sa messagerie et d'internet.",
            thematiques=_v(T.NUMERIQUE__MAITRISER_LES_FONDAMENTAUX_DU_NUMERIQUE),
            type=TS.ATELIER.value,
            publics=(_TOUS, _v(P.SENIORS)),
            payant=0.2,
            soliguide=902,
        ),
        S(
            code="numerique-demarches",
            noms=("Accompagnement aux démarches en ligne", "Aide aux démarches numériques"),
            description="Un médiateur numérique aide à réaliser les démarches en ligne (CAF, impôts, ANTS, France Travail) et à créer ses comptes.",
            thematiques=_v(
                T.NUMERIQUE__ACCEDER_A_DES_SERVICES_EN_LIGNE,
                T.DIFFICULTES_ADMINISTRATIVES_OU_JURIDIQUES__ACCOMPAGNEMENT_AUX_DEMARCHES_ADMINISTRATIVES,
            ),
            type=TS.ACCOMPAGNEMENT.value,
            publics=(_TOUS,),
            soliguide=204,
        ),
        S(
            code="equipement-numerique",
            noms=("Ordinateurs reconditionnés à petit prix", "Acquérir un équipement informatique"),
            description="Vente solidaire d'ordinateurs et de tablettes reconditionnés pour les personnes aux faibles revenus.",
            thematiques=_v(T.NUMERIQUE__ACQUERIR_UN_EQUIPEMENT),
            type=TS.AIDE_MATERIELLE.value,
            publics=(_MINIMA, _TOUS),
            payant=1.0,
        ),
        S(
            code="activites",
            noms=("Activités culturelles et sportives", "Ateliers et loisirs"),
            description="Activités culturelles, artistiques et sportives pour tous les âges, avec une tarification solidaire.",
            thematiques=_v(T.REMOBILISATION__ACTIVITES_SPORTIVES_ET_CULTURELLES),
            type=TS.ATELIER.value,
            publics=(_TOUS, _JEUNES),
            payant=0.8,
            soliguide=801,
        ),
        S(
            code="benevolat",
            noms=("Bénévolat et engagement citoyen", "Devenir bénévole"),
            description="Des missions de bénévolat pour s'engager localement et reprendre pied.",
            thematiques=_v(T.REMOBILISATION__BENEVOLAT_ACTION_CITOYENNE),
            type=TS.INFORMATION.value,
            publics=(_TOUS,),
            soliguide=802,
        ),
        S(
            code="information-jeunesse",
            noms=("Point information jeunesse", "Information jeunesse"),
            description="Information sur les métiers, les formations, le logement, la santé et les loisirs pour les jeunes.",
            thematiques=_v(
                T.CHOISIR_UN_METIER__DECOUVRIR_UN_METIER_OU_UN_SECTEUR_DACTIVITE,
                T.SE_FORMER__TROUVER_SA_FORMATION,
            ),
            type=TS.INFORMATION.value,
            publics=(_JEUNES,),
            distance=0.2,
            soliguide=1200,
        ),
        S(
            code="confiance-en-soi",
            noms=("Ateliers confiance en soi", "Estime de soi"),
            description="Ateliers collectifs pour reprendre confiance en soi avant un retour à l'emploi.",
            thematiques=_v(T.REMOBILISATION__BIEN_ETRE_CONFIANCE_EN_SOI),
            type=TS.ATELIER.value,
            publics=(_TOUS, _DE),
            soliguide=802,
        ),
        # formation linguistique et savoirs de base (carif-oref)
        S(
            code="fle",
            noms=("Français langue étrangère (FLE)", "Cours de français", "Apprendre le français"),
            description="Cours de français à l'oral et à l'écrit pour les personnes non francophones, du niveau A1 au niveau B1.",
            thematiques=_v(T.LECTURE_ECRITURE_CALCUL__MAITRISER_LE_FRANCAIS),
            type=TS.FORMATION.value,
            publics=(_v(P.PERSONNES_EXILEES), _TOUS),
            payant=0.2,
            soliguide=1203,
            formacode="15235",
        ),
        S(
            code="illettrisme",
            noms=("Lutte contre l'illettrisme – savoirs de base", "Savoirs de base"),
            description="Réapprendre à lire, écrire et compter pour gagner en autonomie au quotidien et au travail.",
            thematiques=_v(
                T.LECTURE_ECRITURE_CALCUL__MAITRISER_LE_FRANCAIS,
                T.LECTURE_ECRITURE_CALCUL__MAITRISER_LE_CALCUL,
            ),
            type=TS.FORMATION.value,
            publics=(_TOUS, _DE),
            formacode="15040",
            soliguide=1203,
        ),
        S(
            code="remise-a-niveau",
            noms=("Remise à niveau en français et mathématiques", "Remise à niveau"),
            description="Remise à niveau en français, mathématiques et raisonnement avant une formation qualifiante ou un concours.",
            thematiques=_v(
                T.LECTURE_ECRITURE_CALCUL__MAITRISER_LE_CALCUL,
                T.LECTURE_ECRITURE_CALCUL__MAITRISER_LE_FRANCAIS,
            ),
            type=TS.FORMATION.value,
            publics=(_DE, _TOUS),
            payant=0.3,
            formacode="15254",
            soliguide=1201,
        ),
        S(
            code="alphabetisation",
            noms=("Alphabétisation", "Ateliers d'alphabétisation"),
            description="Apprentissage de la lecture et de l'écriture pour les adultes qui n'ont jamais été scolarisés.",
            thematiques=_v(T.LECTURE_ECRITURE_CALCUL__MAITRISER_LE_FRANCAIS),
            type=TS.FORMATION.value,
            publics=(_v(P.PERSONNES_EXILEES), _TOUS),
            soliguide=1203,
            formacode="15043",
        ),
    ]
    kinds += _ft_kinds()
    return {k.code: k for k in kinds}


# France Travail national catalogue: code, name, description, themes, publics
_FT_CATALOGUE: tuple[tuple[str, str, str, tuple[str, ...], tuple[str, ...]], ...] = (
    (
        "S01",
        "Accompagnement personnalisé vers l'emploi",
        "Un conseiller référent vous accompagne dans votre recherche d'emploi, à votre rythme.",
        ("Trouver un emploi", "Préparer sa candidature"),
        ("Demandeurs d'emploi",),
    ),
    (
        "S02",
        "Atelier CV et lettre de motivation",
        "Un atelier collectif de deux heures pour rédiger ou mettre à jour son CV et sa lettre de motivation.",
        ("Préparer sa candidature",),
        ("Demandeurs d'emploi",),
    ),
    (
        "S03",
        "Se préparer à l'entretien d'embauche",
        "Simulations d'entretien et conseils pour convaincre un recruteur.",
        ("Préparer sa candidature",),
        ("Demandeurs d'emploi", "Jeunes de moins de 26 ans"),
    ),
    (
        "S04",
        "Créer ou reprendre une entreprise",
        "Information et ateliers pour les porteurs de projet de création ou de reprise d'entreprise.",
        ("Créer son entreprise",),
        ("Tous publics",),
    ),
    (
        "S05",
        "Trouver et financer une formation",
        "Choisir une formation, connaître les financements possibles (CPF, AIF) et monter son dossier.",
        ("Se former",),
        ("Demandeurs d'emploi",),
    ),
    (
        "S06",
        "Aides à la mobilité",
        "Aides financières pour les déplacements, le permis de conduire et la garde d'enfants lors de la reprise d'emploi.",
        ("Aide à la mobilité",),
        ("Demandeurs d'emploi",),
    ),
    (
        "S07",
        "Découvrir un métier en immersion",
        "Une période de mise en situation en milieu professionnel (PMSMP) pour découvrir un métier.",
        ("Choisir un métier",),
        ("Demandeurs d'emploi", "Jeunes de moins de 26 ans"),
    ),
    (
        "S08",
        "Accompagnement global",
        "Un accompagnement conjoint avec les services sociaux du département pour lever les freins à l'emploi.",
        ("Accompagnement social", "Trouver un emploi"),
        ("Bénéficiaires du RSA", "Demandeurs d'emploi"),
    ),
    (
        "S09",
        "Travailler à l'étranger",
        "Conseils et offres pour travailler en Europe et à l'international.",
        ("Travailler à l'étranger",),
        ("Tous publics",),
    ),
    (
        "S10",
        "Utiliser les services en ligne",
        "Aide à l'utilisation de l'espace personnel francetravail.fr et des applications.",
        ("Services numériques",),
        ("Tous publics",),
    ),
)

_FT_TYPES = {"S02": TS.ATELIER, "S03": TS.ATELIER, "S06": TS.AIDE_FINANCIERE, "S09": TS.INFORMATION}


def _ft_kinds() -> list[ServiceKind]:
    out = []
    for code, nom, description, themes, publics in _FT_CATALOGUE:
        thematiques: list[str] = []
        for theme in themes:
            thematiques += [t for t in FT_THEMES[theme] if t not in thematiques]
        pubs: list[str] = []
        for label in publics:
            pubs += [p for p in FT_PUBLICS[label] if p not in pubs]
        out.append(
            ServiceKind(
                code=f"ft-{code.lower()}",
                noms=(nom,),
                description=description,
                thematiques=tuple(thematiques),
                type=_FT_TYPES.get(code, TS.ACCOMPAGNEMENT).value,
                publics=(tuple(pubs),),
                distance=0.5 if code in ("S04", "S09", "S10") else 0.2,
                professionnels=0.5,
                ft=code,
                ft_themes=themes,
                ft_publics=publics,
            )
        )
    return out


SERVICE_KINDS: dict[str, ServiceKind] = _kinds()
FT_CODES: tuple[str, ...] = tuple(c[0] for c in _FT_CATALOGUE)
