"""The change feed numbered per view: each entry's position and data version among the entries
a public or a restricted consumer reads, so a feed shows no gap where the other view changed.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VIEWS = {"public": ("all", "public"), "restricted": ("all", "restricted")}


def upgrade() -> None:
    with op.batch_alter_table("golden_change", schema=None) as batch_op:
        for view in VIEWS:
            batch_op.add_column(sa.Column(f"{view}_position", sa.Integer(), nullable=True))
            batch_op.add_column(sa.Column(f"{view}_version", sa.Integer(), nullable=True))
            batch_op.create_index(f"ix_golden_change_{view}_position", [f"{view}_position"])
    conn = op.get_bind()
    rows = conn.execute(
        sa.text("SELECT id, visibility, data_version FROM golden_change ORDER BY id")
    ).all()
    updates = []
    numbers = {view: [0, 0, None] for view in VIEWS}  # position, version, last data version
    for change_id, visibility, data_version in rows:
        values = {"b_id": change_id}
        for view, stored in VIEWS.items():
            state = numbers[view]
            if visibility in stored:
                state[0] += 1
                if state[2] != data_version:
                    state[1] += 1
                    state[2] = data_version
                values[f"{view}_position"], values[f"{view}_version"] = state[0], state[1]
            else:
                values[f"{view}_position"] = values[f"{view}_version"] = None
        updates.append(values)
    if updates:
        conn.execute(
            sa.text(
                "UPDATE golden_change SET public_position = :public_position, "
                "public_version = :public_version, restricted_position = :restricted_position, "
                "restricted_version = :restricted_version WHERE id = :b_id"
            ),
            updates,
        )
    # positions of entries `gateway prune` dropped are not known: a consumer resuming from an
    # id-based cursor of before this change syncs again (the cursor format changed too)
    conn.execute(sa.text("DELETE FROM meta WHERE key = 'change_feed_pruned_through'"))


def downgrade() -> None:
    with op.batch_alter_table("golden_change", schema=None) as batch_op:
        for view in VIEWS:
            batch_op.drop_index(f"ix_golden_change_{view}_position")
            batch_op.drop_column(f"{view}_version")
            batch_op.drop_column(f"{view}_position")
