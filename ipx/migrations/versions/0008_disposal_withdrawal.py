"""Disposals can be withdrawn before they close: record why.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("disposals", sa.Column("withdrawal_reason", sa.String(length=32), nullable=True))


def downgrade() -> None:
    # recreate="never": SQLite (3.35+) drops the column itself, instead of rebuilding a table
    # that bids and distribution lines refer to.
    with op.batch_alter_table("disposals", recreate="never") as batch:
        batch.drop_column("withdrawal_reason")
