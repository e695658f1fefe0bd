"""Keep the Merkle frontier in the log head.

The frontier is the hashes of the complete subtrees that make up the tree (one per set bit of
its size, 32 bytes each, lowest level first). An appender already locks the head row; reading
the frontier from it saves the node query that every append ran under that lock. It is derived
data: NULL (as after this migration) makes the next append read the nodes once and store it,
and ``ipx verify`` compares it with the rebuilt tree.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("ledger_head", sa.Column("frontier", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    op.drop_column("ledger_head", "frontier")
