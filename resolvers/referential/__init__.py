"""The referential's enumerations (thematiques, publics, frais…)."""
