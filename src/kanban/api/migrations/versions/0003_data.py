"""imports: the files imported into each account, so that the same file twice is a no-op

Revision ID: 0003_data
Revises: 0003_analytics
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from kanban.db.types import Id, JsonDocument, UtcDateTime

revision: str = "0003_data"
down_revision: str | None = "0003_analytics"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "imports",
        sa.Column("id", Id(), primary_key=True),
        sa.Column("user_id", Id(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("format", sa.String(length=20), nullable=False),
        sa.Column("board_ids", JsonDocument, nullable=False),
        sa.Column("report", JsonDocument, nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.UniqueConstraint("user_id", "key"),
    )


def downgrade() -> None:
    op.drop_table("imports")
