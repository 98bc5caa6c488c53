"""Trusted documents: a token may be limited to the GraphQL documents registered for it.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 22:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import models.columns

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("token", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "trusted_documents_only", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
    op.create_table(
        "trusted_document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("body", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("created_at", models.columns.AwareDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["token_id"], ["token.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_id", "sha256"),
    )
    with op.batch_alter_table("trusted_document", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_trusted_document_token_id"), ["token_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("trusted_document", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_trusted_document_token_id"))
    op.drop_table("trusted_document")
    with op.batch_alter_table("token", schema=None) as batch_op:
        batch_op.drop_column("trusted_documents_only")
