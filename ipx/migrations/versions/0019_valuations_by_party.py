"""An index for a party's own latest valuation of an asset.

A revaluation reads the bank's own latest valuation of each asset it values, and the console's
collateral page the latest of every asset under the bank's pledges: by ``(party_id, asset_id)``,
newest ``created_at`` first. ``ix_valuations_asset_id_created_at`` alone walks back through
every party's valuations of the asset.

Revision ID: 0019
Revises: 0018
"""

from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_valuations_party_asset_created_at",
        "valuations",
        ["party_id", "asset_id", "created_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_valuations_party_asset_created_at", table_name="valuations")
