"""Régions, départements, EPCI and communes."""
