"""Transfer requests: a pledged asset's transfer or licence awaiting the pledgee's consent.

``transfer_requests`` holds each request (asset, pledge, kind, parties, who asked), its status
(``awaiting_consent`` -> ``completed`` | ``declined`` | ``withdrawn``) and, once completed, the
transfer it became. A partial unique index allows one request awaiting consent per asset.

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

AWAITING = sa.text("status = 'awaiting_consent'")


def upgrade() -> None:
    op.create_table(
        "transfer_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("pledge_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("from_party_ids", sa.JSON(), nullable=False),
        sa.Column("to_party_ids", sa.JSON(), nullable=False),
        sa.Column("requested_by", sa.String(length=16), nullable=False),
        sa.Column("requested_by_party_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.String(length=16), nullable=True),
        sa.Column("proceeds", sa.String(length=20), nullable=True),
        sa.Column("transfer_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["asset_id"], ["assets.id"], name=op.f("fk_transfer_requests_asset_id_assets")
        ),
        sa.ForeignKeyConstraint(
            ["pledge_id"], ["pledges.id"], name=op.f("fk_transfer_requests_pledge_id_pledges")
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_party_id"],
            ["parties.id"],
            name=op.f("fk_transfer_requests_requested_by_party_id_parties"),
        ),
        sa.ForeignKeyConstraint(
            ["transfer_id"],
            ["transfers.id"],
            name=op.f("fk_transfer_requests_transfer_id_transfers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transfer_requests")),
        sa.UniqueConstraint("transfer_id", name=op.f("uq_transfer_requests_transfer_id")),
    )
    with op.batch_alter_table("transfer_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_transfer_requests_asset_id"), ["asset_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_transfer_requests_pledge_id"), ["pledge_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_transfer_requests_status"), ["status"], unique=False)
    op.create_index(
        "uq_transfer_requests_awaiting_asset",
        "transfer_requests",
        ["asset_id"],
        unique=True,
        sqlite_where=AWAITING,
        postgresql_where=AWAITING,
    )


def downgrade() -> None:
    op.drop_index(
        "uq_transfer_requests_awaiting_asset",
        table_name="transfer_requests",
        sqlite_where=AWAITING,
        postgresql_where=AWAITING,
    )
    op.drop_table("transfer_requests")
