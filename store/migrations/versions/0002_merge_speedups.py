"""Merge speed-ups and API filters: a hash of each golden record's details, stored
duplicate-detection features, services found by their structure through an index, no second
index on provenance's golden_id; the values and the text the API filters and counts by.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 17:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "golden_value",
        sa.Column("golden_id", sa.Integer(), nullable=False),
        sa.Column("field", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("value", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.ForeignKeyConstraint(["golden_id"], ["golden_record.id"]),
        sa.PrimaryKeyConstraint("golden_id", "field", "value"),
    )
    with op.batch_alter_table("golden_value", schema=None) as batch_op:
        batch_op.create_index(
            "ix_golden_value_field_value", ["field", "value", "golden_id"], unique=False
        )
    # (golden_id, field) is unique, so that index already serves lookups by golden_id
    with op.batch_alter_table("field_provenance", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_field_provenance_golden_id"))
    with op.batch_alter_table("golden_record", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("details_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
        batch_op.add_column(sa.Column("search_text", sa.Text(), nullable=True))
    with op.batch_alter_table("producer_record", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "dedup_features",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=True,
            )
        )
        batch_op.create_index(
            batch_op.f("ix_producer_record_structure_producer_id"),
            ["structure_producer_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("golden_value", schema=None) as batch_op:
        batch_op.drop_index("ix_golden_value_field_value")
    op.drop_table("golden_value")
    with op.batch_alter_table("producer_record", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_producer_record_structure_producer_id"))
        batch_op.drop_column("dedup_features")
    with op.batch_alter_table("golden_record", schema=None) as batch_op:
        batch_op.drop_column("search_text")
        batch_op.drop_column("details_hash")
    with op.batch_alter_table("field_provenance", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_field_provenance_golden_id"), ["golden_id"], unique=False
        )
