"""Alembic migrations of the store (PostgreSQL and SQLite)."""
