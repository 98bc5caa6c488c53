"""Golden records: a hash of their members and field provenance, so unchanged details are kept.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 17:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("golden_record", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("details_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("golden_record", schema=None) as batch_op:
        batch_op.drop_column("details_hash")
