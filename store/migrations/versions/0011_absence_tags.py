"""Absence tags: a service without a zone of eligibility carries the tag `zone:∅`, one without
a mode of reception `mode_accueil:∅` (store/tags.py), so a search around a place tests
eligibility ("no zone, or one of these") and presence ("in person, or no mode given") with the
GIN-indexed tags rather than a subquery per candidate row. PostgreSQL only: SQLite keeps no tags.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 17:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FIELDS = ("zone", "mode_accueil")  # store/tags.py's ABSENCE_TAGGED for services


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for field in FIELDS:
        op.execute(
            f"""UPDATE golden_record g
            SET tags = array_append(coalesce(g.tags, ARRAY[]::text[]), '{field}:∅')
            WHERE g.kind = 'service'
              AND NOT coalesce(g.tags, ARRAY[]::text[]) @> ARRAY['{field}:∅']
              AND NOT EXISTS (SELECT 1 FROM golden_value v
                              WHERE v.golden_id = g.id AND v.field = '{field}')"""
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for field in FIELDS:
        op.execute(f"UPDATE golden_record SET tags = array_remove(tags, '{field}:∅')")
