"""French name material for the demo world: people, streets, association names, activities."""

from __future__ import annotations

FIRST_NAMES: tuple[str, ...] = (
    "Marie", "Nathalie", "Isabelle", "Sylvie", "Catherine", "Sandrine", "Céline", "Aurélie",
    "Julie", "Camille", "Léa", "Emma", "Chloé", "Manon", "Sophie", "Hélène", "Claire", "Anne",
    "Élodie", "Laëtitia", "Fatima", "Aïcha", "Nadia", "Samia", "Amélie", "Pauline", "Émilie",
    "Jean", "Pierre", "Michel", "Philippe", "Alain", "Nicolas", "Christophe", "Stéphane",
    "Julien", "Thomas", "Maxime", "Lucas", "Hugo", "Antoine", "François", "Éric", "Olivier",
    "Mohamed", "Karim", "Mehdi", "Yannick", "Gwenaël", "Loïc", "Sébastien", "Jérôme", "Benoît",
)  # fmt: skip

LAST_NAMES: tuple[str, ...] = (
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
    "Moreau", "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "David", "Bertrand", "Roux",
    "Vincent", "Fournier", "Morel", "Girard", "André", "Lefèvre", "Mercier", "Dupont",
    "Lambert", "Bonnet", "François", "Martinez", "Legrand", "Garnier", "Faure", "Rousseau",
    "Blanc", "Guérin", "Muller", "Henry", "Roussel", "Nicolas", "Perrin", "Morin", "Mathieu",
    "Le Gall", "Le Goff", "Guillou", "Le Roux", "Tanguy", "Benali", "Haddad", "Nguyen",
)  # fmt: skip

STREET_TYPES: tuple[tuple[str, int], ...] = (
    ("rue", 60), ("avenue", 12), ("boulevard", 7), ("place", 7), ("allée", 5),
    ("impasse", 3), ("chemin", 3), ("quai", 2), ("square", 1),
)  # fmt: skip

# names written after the street type ("rue Jean Jaurès", "place de la République")
STREET_NAMES: tuple[str, ...] = (
    "Jean Jaurès", "Victor Hugo", "Pasteur", "Gambetta", "Jules Ferry", "de la République",
    "de la Gare", "du Général de Gaulle", "de la Mairie", "des Écoles", "de l'Église",
    "Émile Zola", "Voltaire", "Anatole France", "Jean Moulin", "Louis Pasteur", "de Verdun",
    "de la Liberté", "du Maréchal Leclerc", "des Tilleuls", "des Lilas", "du Moulin",
    "de la Paix", "Saint-Michel", "Saint-Martin", "Paul Bert", "Carnot", "Aristide Briand",
    "Georges Clemenceau", "du 8 Mai 1945", "du 11 Novembre", "Lucie Aubrac", "Simone Veil",
    "Marie Curie", "Pierre Mendès France", "Jacques Prévert", "Léon Blum", "des Acacias",
    "du Stade", "de Bretagne", "de Paris", "de la Fontaine", "du Château", "des Peupliers",
    "Françoise Dolto", "Olympe de Gouges", "Nelson Mandela", "Jean-Baptiste Clément",
)  # fmt: skip

COMPLEMENTS: tuple[str, ...] = (
    "Bâtiment B", "1er étage", "2e étage", "Rez-de-chaussée", "Hôtel de ville", "BP 12",
    "Résidence Les Mimosas", "Espace social", "Porte 3", "Maison des associations",
    "Centre commercial", "Entrée par la cour",
)  # fmt: skip

# association names ("Association L'Escale", "Épicerie sociale La Passerelle")
FANCY: tuple[str, ...] = (
    "L'Escale", "La Passerelle", "Le Relais", "Le Fil d'Ariane", "L'Abri", "Le Phare",
    "La Boussole", "Le Tremplin", "L'Étape", "La Courte Échelle", "Le Pont", "L'Horizon",
    "La Clé", "Les Amis du Quartier", "Le Trait d'Union", "L'Arche", "La Main Tendue",
    "Le Goéland", "Les Colibris", "La Ruche", "Le Grain de Sel", "L'Atelier", "Le Chaînon",
    "La Maison Ouverte", "Les Petits Pas", "Le Lien", "La Source", "L'Envol", "Le Sillon",
)  # fmt: skip

# activities of ateliers et chantiers d'insertion / entreprises d'insertion
SIAE_ACTIVITIES: tuple[tuple[str, str], ...] = (
    ("maraîchage biologique", "Les Jardins"),
    ("espaces verts", "Nature et Paysages"),
    ("recyclerie", "La Recyclerie"),
    ("bâtiment second œuvre", "Bâti Solidaire"),
    ("couture et retouches", "Fil et Aiguille"),
    ("restauration collective", "La Table Solidaire"),
    ("nettoyage de locaux", "Net Services"),
    ("garage solidaire", "Garage Solidaire"),
    ("blanchisserie", "Blanchisserie du Lien"),
    ("logistique", "Logistique Insertion"),
)  # fmt: skip

OF_NAMES: tuple[str, ...] = (
    "Langues et Savoirs", "Lire et Écrire", "Alpha Formation", "Savoirs pour Tous",
    "Français pour Tous", "Parole et Écriture", "Accès Compétences", "Les Mots Partagés",
    "Clé de Lecture", "Apprendre Ensemble",
)  # fmt: skip

MEDNUM_NAMES: tuple[str, ...] = (
    "Cyber-base", "Espace public numérique", "Médiathèque", "Point numérique",
    "Fab'Lab solidaire", "Tiers-lieu numérique",
)  # fmt: skip
