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
    with op.batch_alter_table("disposals") as batch:
        batch.add_column(sa.Column("withdrawal_reason", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("disposals") as batch:
        batch.drop_column("withdrawal_reason")
