"""Console users (Argon2id password hashes) and the failed-login streaks that lock them out.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "console_users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("session_epoch", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["party_id"], ["parties.id"], name=op.f("fk_console_users_party_id_parties")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_console_users")),
        sa.UniqueConstraint("username", name=op.f("uq_console_users_username")),
    )
    # Keyed by the username as typed (normalised), with no reference to console_users:
    # unknown usernames are counted and locked out like known ones.
    op.create_table(
        "console_login_failures",
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("username", name=op.f("pk_console_login_failures")),
    )
    op.create_index(
        op.f("ix_console_login_failures_last_failed_at"),
        "console_login_failures",
        ["last_failed_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_console_login_failures_last_failed_at"), table_name="console_login_failures"
    )
    op.drop_table("console_login_failures")
    op.drop_table("console_users")
