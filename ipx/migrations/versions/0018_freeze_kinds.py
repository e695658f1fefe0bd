"""Why an asset is frozen: a court's preservation order, or an ownership dispute.

``freezes.kind`` is ``court_preservation`` (every freeze recorded before) or
``ownership_dispute`` (the right's procedures suspended while its ownership is disputed before
a court or arbitration): either is ground R05.

Revision ID: 0018
Revises: 0017
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "freezes",
        sa.Column(
            "kind", sa.String(length=24), server_default="court_preservation", nullable=False
        ),
    )


def downgrade() -> None:
    with op.batch_alter_table("freezes") as batch:
        batch.drop_column("kind")
