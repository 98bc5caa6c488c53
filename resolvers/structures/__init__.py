"""Merged structures, their producer records and field-level provenance."""
