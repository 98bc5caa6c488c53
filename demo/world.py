"""The real-world entities of the demo: structures and services with their true attributes."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field

from data_inclusion.schema import v1

from demo import names
from demo.catalogue import SERVICE_KINDS, ServiceKind
from demo.codes import head_siret, new_siren, new_siret, slugify, strip_accents
from demo.geo import Commune, Territory, jitter, landline, mobile, territory
from demo.hours import PATTERNS, Week
from demo.kinds import CD35, DRAWN_KINDS, KINDS, SLUGS, StructureKind

WORLD_PER_SCALE = 630  # drawn structures per unit of scale (companion mairies come on top)
CYCLE = 200  # kinds are dealt in a shuffled cycle of this many slots
MAIRIE_SHARE = 0.15  # CCAS that come with their mairie at the same address
MOVED_SHARE = 0.04  # structures seen at their former place (and SIRET) by one producer
STALE_ORDER = (CD35, "unccas", "emplois-de-linclusion", "soliguide", "carif-oref", "dora")

MA = v1.ModeAccueil
MM = v1.ModeMobilisation
PM = v1.PersonneMobilisatrice


@dataclass(slots=True)
class Location:
    commune: Commune
    code_postal: str
    arrondissement: str | None  # municipal arrondissement code (Paris, Lyon, Marseille)
    adresse: str
    complement: str | None
    lat: float
    lon: float


@dataclass(slots=True)
class Service:
    key: str  # "<structure key>/<service kind>"
    kind: ServiceKind
    nom: str
    description: str
    thematiques: tuple[str, ...]
    type: str
    publics: tuple[str, ...]
    frais: str
    frais_precisions: str | None
    modes_accueil: tuple[str, ...]
    modes_mobilisation: tuple[str, ...]
    mobilisable_par: tuple[str, ...]
    zone_type: str | None  # None, "commune", "departement", "epci", "france"
    zone_code: str | None


@dataclass(slots=True)
class Structure:
    key: str  # "s<index>" or "s<index>-mairie"
    kind: StructureKind
    long_name: str
    short_name: str
    siret: str
    head_siret: str | None  # the network head office's SIRET, when the kind is a network
    location: Location
    phone: str  # 10 digits
    mobile: str | None
    email: str
    other_email: str  # another address some producers have (personal or older)
    website: str | None
    hours: Week
    description: str
    producers: tuple[str, ...]
    services: list[Service] = field(default_factory=list)
    previous: Location | None = None  # where it was before moving (one producer still says so)
    previous_siret: str | None = None
    stale_producer: str | None = None  # the producer that still shows `previous`
    companion_of: str | None = None  # a mairie: the key of its CCAS


def de(nom: str) -> str:
    """French "de" before a commune or EPCI name: "de Rennes", "d'Angers", "du Mans"."""
    if nom.startswith("Le "):
        return "du " + nom[3:]
    if nom.startswith("Les "):
        return "des " + nom[4:]
    if not nom.startswith("L'") and strip_accents(nom[:1]).lower() in "aeiouy":
        return "d'" + nom
    return "de " + nom


def _epci_area(nom: str) -> str:
    """The EPCI as a place after "CIAS": "CC du Pays de Vitré" -> "du Pays de Vitré"."""
    for prefix in ("CC ", "Communauté de communes "):
        if nom.startswith(prefix):
            nom = nom[len(prefix) :]
    if nom.startswith(("du ", "de la ", "de l'", "des ", "d'")):
        return nom
    if nom.startswith(("Val ", "Pays ", "Bassin ", "Haut ", "Bas ")):
        return "du " + nom
    return de(nom)


def _weighted(
    rng: random.Random, pairs: tuple[tuple[str, float], ...] | list[tuple[str, float]]
) -> str:
    total = sum(w for _, w in pairs)
    x = rng.random() * total
    for value, w in pairs:
        x -= w
        if x < 0:
            return value
    return pairs[-1][0]


def street(rng: random.Random) -> str:
    kind = _weighted(rng, [(k, float(w)) for k, w in names.STREET_TYPES])
    number = rng.choice((rng.randint(1, 40), rng.randint(1, 140), rng.randint(1, 12)))
    suffix = " bis" if rng.random() < 0.04 else ""
    return f"{number}{suffix} {kind} {rng.choice(names.STREET_NAMES)}"


def new_location(rng: random.Random, t: Territory, c: Commune, mairie: bool = False) -> Location:
    """An address in that commune: street, postcode, coordinates near the centre."""
    cp = rng.choice(c.codes_postaux)
    if mairie and rng.random() < 0.5:
        adresse = rng.choice(
            ("1 place de la Mairie", "place de l'Hôtel de Ville", "2 rue de la Mairie")
        )
    else:
        adresse = street(rng)
    complement = rng.choice(names.COMPLEMENTS) if rng.random() < 0.2 else None
    lat, lon = jitter(rng, c.lat, c.lon)
    return Location(c, cp, t.arrondissements.get((c.code, cp)), adresse, complement, lat, lon)


class World:
    """Deals the world's structures, one group (a structure and its companions) per index."""

    def __init__(self, seed: int, scale: int) -> None:
        self.seed = seed
        self.count = WORLD_PER_SCALE * scale
        self.t = territory()
        slots: list[StructureKind] = []
        total = sum(k.weight for k in DRAWN_KINDS)
        quotas = [(k, k.weight * CYCLE / total) for k in DRAWN_KINDS]
        for k, q in quotas:
            slots += [k] * int(q)
        rest = sorted(quotas, key=lambda kq: (-(kq[1] - int(kq[1])), kq[0].code))
        slots += [k for k, _ in rest[: CYCLE - len(slots)]]
        random.Random(f"{seed}/cycle").shuffle(slots)
        self.cycle = slots
        self.rank: list[int] = []
        per_kind: dict[str, int] = {}
        for k in slots:
            self.rank.append(per_kind.get(k.code, 0))
            per_kind[k.code] = per_kind.get(k.code, 0) + 1
        self.per_cycle = per_kind
        full, rest_n = divmod(self.count, CYCLE)
        needed = {code: n * full for code, n in per_kind.items()}
        for k in slots[:rest_n]:
            needed[k.code] += 1
        self.orders = {code: self.t.order(f"{seed}/{code}", n + 1) for code, n in needed.items()}

    def __iter__(self) -> Iterator[tuple[list[Structure], random.Random]]:
        for i in range(self.count):
            rng = random.Random(f"{self.seed}/entity/{i}")
            kind = self.cycle[i % CYCLE]
            k = (i // CYCLE) * self.per_cycle[kind.code] + self.rank[i % CYCLE]
            order = self.orders[kind.code]
            commune = order[k % len(order)]
            s = self._structure(rng, f"s{i}", kind, commune)
            group = [s]
            if kind.code == "ccas" and rng.random() < MAIRIE_SHARE:
                group.append(self._mairie(rng, s))
            yield group, rng

    # -- one structure ----------------------------------------------------------------------
    def _structure(
        self, rng: random.Random, key: str, kind: StructureKind, c: Commune
    ) -> Structure:
        long_name, short_name, flavour = self._names(rng, kind, c)
        location = new_location(rng, self.t, c, mairie=kind.code in ("ccas", "france-services"))
        siret, head = self._siret(rng, kind, c)
        producers = self._producers(rng, kind, c)
        email, other = self._emails(rng, kind, c, short_name)
        s = Structure(
            key=key,
            kind=kind,
            long_name=long_name,
            short_name=short_name,
            siret=siret,
            head_siret=head,
            location=location,
            phone=landline(rng, c),
            mobile=mobile(rng, c) if rng.random() < 0.3 else None,
            email=email,
            other_email=other,
            website=self._website(rng, kind, c, short_name)
            if rng.random() < kind.website
            else None,
            hours=rng.choice(PATTERNS[kind.hours]),
            description=self._description(rng, kind, long_name, c, flavour),
            producers=producers,
        )
        if len(producers) >= 2 and rng.random() < MOVED_SHARE:
            s.previous = new_location(rng, self.t, self.t.pick_near(rng, c))
            s.previous_siret = new_siret(siret[:9], rng)
            s.stale_producer = next((p for p in STALE_ORDER if p in producers), producers[-1])
        s.services = self._services(rng, s, flavour)
        return s

    def _mairie(self, rng: random.Random, ccas: Structure) -> Structure:
        kind = KINDS["mairie"]
        c = ccas.location.commune
        long_name = f"Mairie {de(c.nom)}"
        short_name = rng.choice((long_name, f"Hôtel de ville {de(c.nom)}"))
        producers = tuple(p for p in SLUGS if rng.random() < self._p(kind, p, c))
        slug = slugify(c.nom)
        s = Structure(
            key=f"{ccas.key}-mairie",
            kind=kind,
            long_name=long_name,
            short_name=short_name,
            siret=new_siret(new_siren(rng, "21"), rng),
            head_siret=None,
            location=ccas.location,
            phone=landline(rng, c),
            mobile=None,
            email=f"mairie@ville-{slug}.fr",
            other_email=f"accueil@mairie-{slug}.fr",
            website=f"https://www.ville-{slug}.fr",
            hours=ccas.hours,
            description=f"La mairie {de(c.nom)} accueille les habitants pour l'état civil, "
            "l'urbanisme, les élections et les démarches du quotidien.",
            producers=producers or ("dora",),
            companion_of=ccas.key,
        )
        s.services = self._services(rng, s, "")
        return s

    def _p(self, kind: StructureKind, slug: str, c: Commune) -> float:
        if slug == CD35 and c.departement != "35":
            return 0.0
        return kind.producers.get(slug, 0.0)

    def _producers(self, rng: random.Random, kind: StructureKind, c: Commune) -> tuple[str, ...]:
        chosen = tuple(p for p in SLUGS if rng.random() < self._p(kind, p, c))
        if chosen:
            return chosen
        best = max(SLUGS, key=lambda p: (self._p(kind, p, c), p == "dora"))
        return (best,)

    def _siret(self, rng: random.Random, kind: StructureKind, c: Commune) -> tuple[str, str | None]:
        if kind.network:
            scope = c.departement if kind.network == "departement" else "fr"
            nrng = random.Random(f"{self.seed}/network/{kind.code}/{scope}")
            siren = new_siren(nrng, nrng.choice(kind.siren_prefixes))
            return new_siret(siren, rng), head_siret(siren)
        return new_siret(new_siren(rng, rng.choice(kind.siren_prefixes)), rng), None

    # -- names, contacts, descriptions ----------------------------------------------------
    def _names(self, rng: random.Random, kind: StructureKind, c: Commune) -> tuple[str, str, str]:
        """(long name, short name, flavour): the flavour is an activity for SIAE, else ""."""
        d = de(c.nom)
        fancy = rng.choice(names.FANCY)
        if kind.names:
            long_name, short_name = (t.format(de=d, nom=c.nom, fancy=fancy) for t in kind.names)
            return long_name, short_name, kind.flavour
        code = kind.code
        if code == "ccas":
            if c.epci and self.t.epci_types.get(c.epci) == "CC" and rng.random() < 0.2:
                area = _epci_area(self.t.epci_names.get(c.epci, c.nom))
                return f"Centre intercommunal d'action sociale {area}", f"CIAS {area}", ""
            return f"Centre communal d'action sociale {d}", f"CCAS {d}", ""
        if code == "mission-locale":
            if rng.random() < 0.25:
                return f"Mission locale du bassin {d}", f"ML du bassin {d}", ""
            return f"Mission locale {d}", f"ML {c.nom}", ""
        if code == "solidarites":
            if c.departement == "35":
                return f"Centre départemental d'action sociale {d}", f"CDAS {d}", ""
            return f"Maison départementale des solidarités {d}", f"MDS {d}", ""
        if code == "epicerie":
            if rng.random() < 0.5:
                return f"Épicerie solidaire {d}", f"Épicerie solidaire {c.nom}", ""
            return f"Épicerie sociale {fancy}", fancy, ""
        if code == "association":
            if rng.random() < 0.4:
                return f"Accueil de jour {fancy}", f"AJ {fancy}", ""
            return f"Association {fancy}", fancy, ""
        if code in ("aci", "ei", "eiti"):
            activity, label = rng.choice(names.SIAE_ACTIVITIES)
            if code == "aci":
                return f"Atelier chantier d'insertion {label} {d}", f"ACI {label} {c.nom}", activity
            if code == "ei":
                return f"Entreprise d'insertion {label} {c.nom}", f"EI {label}", activity
            return (
                f"Entreprise d'insertion par le travail indépendant {d}",
                f"EITI {c.nom}",
                activity,
            )
        if code == "etti":
            prefix = rng.choice(("Tremplin", "Passerelle", "Solid'", "Alter", "Élan"))
            return f"{prefix} Intérim Insertion {c.nom}", f"{prefix} Intérim", "travail temporaire"
        if code == "geiq":
            sector = rng.choice(
                ("BTP", "Propreté", "Industrie", "Transport Logistique", "Agricole")
            )
            dep = self.t.departement_names.get(c.departement, c.departement)
            return (
                f"Groupement d'employeurs pour l'insertion et la qualification {sector} {dep}",
                f"GEIQ {sector} {dep}",
                sector.lower(),
            )
        if code == "mediation-numerique":
            label = rng.choice(names.MEDNUM_NAMES)
            if label == "Espace public numérique":
                return f"Espace public numérique {d}", f"EPN {c.nom}", ""
            return f"{label} {d}", f"{label} {c.nom}", ""
        if code == "formation":
            of = rng.choice(names.OF_NAMES)
            if rng.random() < 0.5:
                return f"Association {of} {c.nom}", f"{of} {c.nom}", ""
            return f"Centre de formation {of} – {c.nom}", f"CF {of} {c.nom}", ""
        return f"{fancy} {c.nom}", fancy, ""  # pragma: no cover

    def _emails(
        self, rng: random.Random, kind: StructureKind, c: Commune, short_name: str
    ) -> tuple[str, str]:
        slug = slugify(c.nom)
        dep = c.departement.lower()
        name_slug = slugify(short_name)[:30].strip("-")
        org = tuple(t.format(slug=slug, dep=dep) for t in kind.emails) or None
        if c.departement == "35" and kind.code == "solidarites":
            org = (f"cdas.{slug}@ille-et-vilaine.fr",)
        if org is None:
            r = rng.random()
            if r < 0.5:
                org = (f"contact@{name_slug}.fr",)
            elif r < 0.75:
                org = (f"contact@{name_slug}.org",)
            elif r < 0.9:
                org = (f"{name_slug}@orange.fr",)
            else:
                org = (f"{name_slug.replace('-', '.')}@gmail.com",)
        email = rng.choice(org)
        domain = email.split("@", 1)[1]
        first = slugify(rng.choice(names.FIRST_NAMES))
        last = slugify(rng.choice(names.LAST_NAMES)).replace("-", "")
        personal = f"{first}.{last}@{domain}"
        other = personal if rng.random() < 0.6 else f"accueil@{domain}"
        if rng.random() < 0.05:  # a few structures only have a personal-looking address
            email, other = personal, email
        return email, other

    def _website(self, rng: random.Random, kind: StructureKind, c: Commune, short_name: str) -> str:
        slug = slugify(c.nom)
        dep = c.departement.lower()
        if kind.site:
            return kind.site.format(slug=slug, dep=dep)
        return f"https://www.{slugify(short_name)[:30].strip('-')}.fr"

    def _description(
        self, rng: random.Random, kind: StructureKind, long_name: str, c: Commune, flavour: str
    ) -> str:
        default = (
            "{name} : accueil, information et accompagnement des habitants {de} et des environs."
            if not flavour
            else "{name} propose des parcours d'insertion dans le secteur " + flavour + "."
        )
        return (kind.description or default).format(name=long_name, de=de(c.nom))

    # -- services --------------------------------------------------------------------------
    def _services(self, rng: random.Random, s: Structure, flavour: str) -> list[Service]:
        kind = s.kind
        lo, hi = kind.n_services
        n = rng.randint(lo, hi)
        pool = list(kind.services)
        chosen: list[str] = []
        while pool and len(chosen) < n:
            code = _weighted(rng, pool)
            chosen.append(code)
            pool = [p for p in pool if p[0] != code]
        if kind.required and not any(c in kind.required for c in chosen):
            chosen[0] = kind.required[0]
        return [self._service(rng, s, SERVICE_KINDS[code], flavour) for code in chosen]

    def _service(self, rng: random.Random, s: Structure, k: ServiceKind, flavour: str) -> Service:
        c = s.location.commune
        nom = k.noms[0] if rng.random() < 0.6 else rng.choice(k.noms)
        thematiques = (k.thematiques[0], *(t for t in k.thematiques[1:] if rng.random() < 0.7))
        payant = rng.random() < k.payant
        precisions = (
            rng.choice(
                (
                    "Participation de 2 € par panier",
                    "Adhésion annuelle de 10 €",
                    "Tarif selon le quotient familial",
                    "10 % du prix public",
                )
            )
            if payant
            else None
        )
        accueil = [MA.EN_PRESENTIEL.value]
        if rng.random() < k.distance:
            accueil = (
                [MA.A_DISTANCE.value] if rng.random() < 0.15 else [*accueil, MA.A_DISTANCE.value]
            )
        modes = [m.value for m in MM if rng.random() < 0.45] or [MM.SE_PRESENTER.value]
        par = [PM.USAGERS.value] if rng.random() < 0.95 else []
        if rng.random() < k.professionnels or not par:
            par.append(PM.PROFESSIONNELS.value)
        zone_type, zone_code = self._zone(rng, s)
        return Service(
            key=f"{s.key}/{k.code}",
            kind=k,
            nom=nom,
            description=k.description.format(
                structure=s.long_name, commune=c.nom, activite=flavour or "différents métiers"
            ),
            thematiques=thematiques,
            type=k.type,
            publics=rng.choice(k.publics),
            frais=v1.Frais.PAYANT.value if payant else v1.Frais.GRATUIT.value,
            frais_precisions=precisions,
            modes_accueil=tuple(accueil),
            modes_mobilisation=tuple(modes),
            mobilisable_par=tuple(par),
            zone_type=zone_type,
            zone_code=zone_code,
        )

    def _zone(self, rng: random.Random, s: Structure) -> tuple[str | None, str | None]:
        c = s.location.commune
        code = s.kind.code
        if code in ("ccas", "mairie"):
            weights = [(None, 3.0), ("commune", 6.0), ("epci", 1.0)]
        elif code in ("france-travail", "mission-locale", "cap-emploi", "solidarites"):
            weights = [(None, 2.0), ("departement", 4.0), ("epci", 3.0), ("france", 1.0)]
        else:
            weights = [
                (None, 4.0),
                ("commune", 1.5),
                ("departement", 2.5),
                ("epci", 1.5),
                ("france", 0.5),
            ]
        x = rng.random() * sum(w for _, w in weights)
        chosen: str | None = None
        for value, w in weights:
            x -= w
            if x < 0:
                chosen = value
                break
        if chosen == "epci" and not c.epci:
            chosen = "commune"
        if chosen is None:
            return None, None
        return chosen, {
            "commune": c.code,
            "departement": c.departement,
            "epci": c.epci,
            "france": "france",
        }[chosen]
