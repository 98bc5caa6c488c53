"""The API's change feed, alphabetical order and search around a place: a change log of golden
records; each golden record's folded name and coordinates; French stems in the search text.

Existing golden records are marked for recomputation (their hashes emptied): `gateway db upgrade`
or `gateway serve` merges them again once, which fills the new columns and the stems.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 19:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

import models.columns

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "golden_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("public_id", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
        sa.Column("visibility", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("operation", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column(
            "fields",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("at", models.columns.AwareDateTime(timezone=True), nullable=False),
        sa.Column("data_version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("golden_change", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_golden_change_at"), ["at"], unique=False)
    with op.batch_alter_table("golden_record", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("sort_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True)
        )
        batch_op.add_column(sa.Column("latitude", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("longitude", sa.Float(), nullable=True))
        batch_op.create_index("ix_golden_record_kind_latitude", ["kind", "latitude"], unique=False)
    # recomputed once by the next `gateway db upgrade` / `gateway serve` (bootstrap)
    op.execute("UPDATE golden_record SET details_hash = NULL, content_hash = NULL")


def downgrade() -> None:
    with op.batch_alter_table("golden_record", schema=None) as batch_op:
        batch_op.drop_index("ix_golden_record_kind_latitude")
        batch_op.drop_column("longitude")
        batch_op.drop_column("latitude")
        batch_op.drop_column("sort_name")
    with op.batch_alter_table("golden_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_golden_change_at"))
    op.drop_table("golden_change")
