"""Producers' tokens: a token bound to one source (checking and submitting its files) has no
consumer.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 16:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("token", schema=None) as batch_op:
        batch_op.alter_column("consumer_id", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(
            sa.Column("source_slug", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
        batch_op.create_index(batch_op.f("ix_token_source_slug"), ["source_slug"], unique=False)
        batch_op.create_foreign_key("fk_token_source_slug", "source", ["source_slug"], ["slug"])


def downgrade() -> None:
    op.execute("DELETE FROM token WHERE consumer_id IS NULL")
    with op.batch_alter_table("token", schema=None) as batch_op:
        batch_op.drop_constraint("fk_token_source_slug", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_token_source_slug"))
        batch_op.drop_column("source_slug")
        batch_op.alter_column("consumer_id", existing_type=sa.Integer(), nullable=False)
