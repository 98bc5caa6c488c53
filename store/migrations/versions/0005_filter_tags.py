"""PostgreSQL: each golden record's filter values as one GIN-indexed array of "field:value"
tags, so a filter of several conditions is one bitmap AND (SQLite keeps reading golden_value).
Existing records get their tags from golden_value here.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 20:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("golden_record", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "tags",
                postgresql.ARRAY(sa.Text()).with_variant(sa.JSON(), "sqlite"),
                nullable=True,
            )
        )
        batch_op.create_index(
            "ix_golden_record_tags", ["tags"], unique=False, postgresql_using="gin"
        )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "UPDATE golden_record SET tags = t.tags FROM (SELECT golden_id, "
            "array_agg(field || ':' || value) AS tags FROM golden_value GROUP BY golden_id) t "
            "WHERE t.golden_id = golden_record.id"
        )


def downgrade() -> None:
    with op.batch_alter_table("golden_record", schema=None) as batch_op:
        batch_op.drop_index("ix_golden_record_tags", postgresql_using="gin")
        batch_op.drop_column("tags")
