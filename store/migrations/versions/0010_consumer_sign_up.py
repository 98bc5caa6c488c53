"""Consumers who sign up on the page: the use they intend, and whether an operator must still
approve them.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 16:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import models.columns

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("consumer", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("intended_use", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True)
        )
        batch_op.add_column(
            sa.Column("awaiting_approval", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("approved_at", models.columns.AwareDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("consumer", schema=None) as batch_op:
        batch_op.drop_column("approved_at")
        batch_op.drop_column("awaiting_approval")
        batch_op.drop_column("intended_use")
