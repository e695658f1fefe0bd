"""Index pledged assets by asset, for the public query by number.

``pledge_assets``'s primary key starts with ``pledge_id`` and the partial unique index covers only
active links, so finding every pledge (cancelled ones included) on an asset scanned the whole
table; the public query by number now reads one index entry per pledge of that asset.

Revision ID: 0005
Revises: 0004
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(op.f("ix_pledge_assets_asset_id"), "pledge_assets", ["asset_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_pledge_assets_asset_id"), table_name="pledge_assets")
