"""sign-ins that can be revoked (auth_sessions), and the look-alike skeleton of each email

Revision ID: 0003_hardening
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import kanban.db.types

revision: str = "0003_hardening"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email_skeleton", sa.String(length=320), nullable=True))
        batch_op.create_index(batch_op.f("ix_users_email_skeleton"), ["email_skeleton"], unique=False)
    _backfill_skeletons()
    op.create_table(
        "auth_sessions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=True),
        sa.Column("created_at", kanban.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", kanban.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", kanban.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", kanban.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.CheckConstraint("kind IN ('token','cookie')", name=op.f("ck_auth_sessions_auth_session_kind")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_auth_sessions_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_auth_sessions_token_hash")),
    )
    with op.batch_alter_table("auth_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_auth_sessions_user_id"), ["user_id"], unique=False)
    # Sign-ins made before this revision keep working: each live refresh-token family becomes a
    # token session (its access tokens carry no session id and are refused; the next refresh mints one).
    op.execute(
        "INSERT INTO auth_sessions (id, user_id, kind, created_at, last_seen_at, expires_at) "
        "SELECT family_id, MIN(user_id), 'token', MIN(issued_at), MAX(issued_at), MAX(expires_at) "
        "FROM refresh_tokens WHERE revoked_at IS NULL GROUP BY family_id"
    )


def _backfill_skeletons() -> None:
    # The skeleton is code, not SQL: computed here for the accounts that exist (later ones get it at registration).
    from kanban.api.security.emails import email_skeleton

    conn = op.get_bind()
    users = sa.table("users", sa.column("id", sa.String), sa.column("email", sa.String), sa.column("email_skeleton"))
    for user_id, email in conn.execute(sa.select(users.c.id, users.c.email)).all():
        conn.execute(users.update().where(users.c.id == user_id).values(email_skeleton=email_skeleton(email)))


def downgrade() -> None:
    with op.batch_alter_table("auth_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_auth_sessions_user_id"))
    op.drop_table("auth_sessions")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_email_skeleton"))
        batch_op.drop_column("email_skeleton")
