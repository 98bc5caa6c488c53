"""An index for searches around a point: golden records by grid cell and kind (a tenth of a
degree of latitude by a tenth of longitude, about 11 × 8 km in metropolitan France), so a search
within a radius reads the few cells around its centre whatever the filters, rather than a strip
of the whole country's latitude band.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 13:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# store/search.py's `CELL` renders the same expression: the planner matches them
CELL = "(CAST(latitude * 10 AS INTEGER) * 4000 + CAST(longitude * 10 AS INTEGER))"


def upgrade() -> None:
    # the cell first: an index led by the kind would be taken for every query on a kind (a
    # bitmap of a whole kind's rows); the view last, a search names the views it reads
    op.execute(f"CREATE INDEX ix_golden_record_cell ON golden_record ({CELL}, kind, visibility)")


def downgrade() -> None:
    op.execute("DROP INDEX ix_golden_record_cell")
