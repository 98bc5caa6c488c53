"""Consumers of the API and their tokens (hashed), with scopes, origins, expiry, revocation.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 19:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

import models.columns

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "consumer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("contact", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=True),
        sa.Column("cgu_version", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("cgu_accepted_on", sa.Date(), nullable=False),
        sa.Column("created_at", models.columns.AwareDateTime(timezone=True), nullable=False),
        sa.Column("disabled_at", models.columns.AwareDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consumer_id", sa.Integer(), nullable=False),
        sa.Column("prefix", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("scopes", JSON, nullable=False),
        sa.Column("origins", JSON, nullable=False),
        sa.Column("label", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("created_at", models.columns.AwareDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", models.columns.AwareDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", models.columns.AwareDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["consumer_id"], ["consumer.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("sha256"),
    )
    with op.batch_alter_table("token", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_token_consumer_id"), ["consumer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_token_prefix"), ["prefix"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_token_prefix"))
        batch_op.drop_index(batch_op.f("ix_token_consumer_id"))
    op.drop_table("token")
    op.drop_table("consumer")
