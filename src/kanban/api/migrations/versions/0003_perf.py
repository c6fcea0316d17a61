"""task positions become sparse ranks, so a move writes one row

Revision ID: 0003_perf
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_perf"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing dense positions 0..n-1 are already valid ranks; new ones fall between them.
    with op.batch_alter_table("tasks") as batch:
        batch.alter_column("position", existing_type=sa.Integer(), type_=sa.Float(), existing_nullable=False)


def downgrade() -> None:
    # Back to dense integers: each task's index in its column.
    op.execute(
        "UPDATE tasks SET position = (SELECT count(*) FROM tasks AS earlier WHERE earlier.column_id = tasks.column_id"
        " AND (earlier.position < tasks.position OR (earlier.position = tasks.position AND earlier.id < tasks.id)))"
    )
    with op.batch_alter_table("tasks") as batch:
        batch.alter_column("position", existing_type=sa.Float(), type_=sa.Integer(), existing_nullable=False)
