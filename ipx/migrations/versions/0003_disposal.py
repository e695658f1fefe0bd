"""Disposal on default: defaults, disposals, bids, distributions, claims, realized prices.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "disposal_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pledge_id", sa.Integer(), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("requested_by", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["party_id"], ["parties.id"], name=op.f("fk_disposal_requests_party_id_parties")
        ),
        sa.ForeignKeyConstraint(
            ["pledge_id"], ["pledges.id"], name=op.f("fk_disposal_requests_pledge_id_pledges")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disposal_requests")),
    )
    with op.batch_alter_table("disposal_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_disposal_requests_pledge_id"), ["pledge_id"], unique=False
        )

    op.create_table(
        "disposals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pledge_id", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reserve_price", sa.BigInteger(), nullable=False),
        sa.Column("reserve_source", sa.String(length=16), nullable=False),
        sa.Column("costs", sa.BigInteger(), nullable=False),
        sa.Column("costs_payee_id", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("announcement_days", sa.Integer(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("bids_open_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("price", sa.BigInteger(), nullable=True),
        sa.Column("buyer_id", sa.Integer(), nullable=True),
        sa.Column("winning_bid_id", sa.Integer(), nullable=True),
        sa.Column("shortfall", sa.BigInteger(), nullable=True),
        sa.Column("final", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(
            ["buyer_id"], ["parties.id"], name=op.f("fk_disposals_buyer_id_parties")
        ),
        sa.ForeignKeyConstraint(
            ["costs_payee_id"], ["parties.id"], name=op.f("fk_disposals_costs_payee_id_parties")
        ),
        sa.ForeignKeyConstraint(
            ["pledge_id"], ["pledges.id"], name=op.f("fk_disposals_pledge_id_pledges")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disposals")),
    )
    with op.batch_alter_table("disposals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_disposals_pledge_id"), ["pledge_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_disposals_status"), ["status"], unique=False)

    op.create_table(
        "pledge_defaults",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pledge_id", sa.Integer(), nullable=False),
        sa.Column("principal", sa.BigInteger(), nullable=False),
        sa.Column("interest", sa.BigInteger(), nullable=False),
        sa.Column("penalties", sa.BigInteger(), nullable=False),
        sa.Column("costs_due", sa.BigInteger(), nullable=False),
        sa.Column("interest_penalties_due", sa.BigInteger(), nullable=False),
        sa.Column("principal_due", sa.BigInteger(), nullable=False),
        sa.Column("declared_by", sa.String(length=40), nullable=False),
        sa.Column("declared_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["pledge_id"], ["pledges.id"], name=op.f("fk_pledge_defaults_pledge_id_pledges")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pledge_defaults")),
        sa.UniqueConstraint("pledge_id", name=op.f("uq_pledge_defaults_pledge_id")),
    )
    op.create_table(
        "bids",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("disposal_id", sa.Integer(), nullable=False),
        sa.Column("bidder_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("placed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["bidder_id"], ["parties.id"], name=op.f("fk_bids_bidder_id_parties")
        ),
        sa.ForeignKeyConstraint(
            ["disposal_id"], ["disposals.id"], name=op.f("fk_bids_disposal_id_disposals")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bids")),
    )
    with op.batch_alter_table("bids", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bids_disposal_id"), ["disposal_id"], unique=False)

    op.create_table(
        "disposal_assets",
        sa.Column("disposal_id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("open", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["asset_id"], ["assets.id"], name=op.f("fk_disposal_assets_asset_id_assets")
        ),
        sa.ForeignKeyConstraint(
            ["disposal_id"], ["disposals.id"], name=op.f("fk_disposal_assets_disposal_id_disposals")
        ),
        sa.PrimaryKeyConstraint("disposal_id", "asset_id", name=op.f("pk_disposal_assets")),
    )
    with op.batch_alter_table("disposal_assets", schema=None) as batch_op:
        batch_op.create_index(
            "uq_disposal_assets_open_asset",
            ["asset_id"],
            unique=True,
            sqlite_where=sa.text("open"),
            postgresql_where=sa.text("open"),
        )

    op.create_table(
        "distribution_lines",
        sa.Column("disposal_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("payee_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["disposal_id"],
            ["disposals.id"],
            name=op.f("fk_distribution_lines_disposal_id_disposals"),
        ),
        sa.ForeignKeyConstraint(
            ["payee_id"], ["parties.id"], name=op.f("fk_distribution_lines_payee_id_parties")
        ),
        sa.PrimaryKeyConstraint("disposal_id", "position", name=op.f("pk_distribution_lines")),
    )
    op.create_table(
        "sale_transactions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("disposal_id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("asset_kind", sa.String(length=16), nullable=False),
        sa.Column("asset_number", sa.String(length=40), nullable=False),
        sa.Column("ipc", sa.String(length=40), nullable=True),
        sa.Column("features", sa.JSON(), nullable=True),
        sa.Column("filing_date", sa.Date(), nullable=False),
        sa.Column("grant_date", sa.Date(), nullable=True),
        sa.Column("expiry_date", sa.Date(), nullable=False),
        sa.Column("price", sa.BigInteger(), nullable=False),
        sa.Column("lot_size", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("sale_date", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["asset_id"], ["assets.id"], name=op.f("fk_sale_transactions_asset_id_assets")
        ),
        sa.ForeignKeyConstraint(
            ["disposal_id"],
            ["disposals.id"],
            name=op.f("fk_sale_transactions_disposal_id_disposals"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sale_transactions")),
    )
    with op.batch_alter_table("sale_transactions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sale_transactions_asset_id"), ["asset_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_sale_transactions_disposal_id"), ["disposal_id"], unique=False
        )

    op.create_table(
        "transfer_proceeds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("transfer_id", sa.Integer(), nullable=False),
        sa.Column("pledge_id", sa.Integer(), nullable=False),
        sa.Column("destination", sa.String(length=20), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("debt_before", sa.BigInteger(), nullable=False),
        sa.Column("debt_after", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["pledge_id"], ["pledges.id"], name=op.f("fk_transfer_proceeds_pledge_id_pledges")
        ),
        sa.ForeignKeyConstraint(
            ["transfer_id"],
            ["transfers.id"],
            name=op.f("fk_transfer_proceeds_transfer_id_transfers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transfer_proceeds")),
        sa.UniqueConstraint("transfer_id", name=op.f("uq_transfer_proceeds_transfer_id")),
    )
    with op.batch_alter_table("transfer_proceeds", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_transfer_proceeds_pledge_id"), ["pledge_id"], unique=False
        )

    op.create_table(
        "unsecured_claims",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pledge_id", sa.Integer(), nullable=False),
        sa.Column("disposal_id", sa.Integer(), nullable=False),
        sa.Column("creditor_id", sa.Integer(), nullable=False),
        sa.Column("debtor_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["creditor_id"], ["parties.id"], name=op.f("fk_unsecured_claims_creditor_id_parties")
        ),
        sa.ForeignKeyConstraint(
            ["debtor_id"], ["parties.id"], name=op.f("fk_unsecured_claims_debtor_id_parties")
        ),
        sa.ForeignKeyConstraint(
            ["disposal_id"],
            ["disposals.id"],
            name=op.f("fk_unsecured_claims_disposal_id_disposals"),
        ),
        sa.ForeignKeyConstraint(
            ["pledge_id"], ["pledges.id"], name=op.f("fk_unsecured_claims_pledge_id_pledges")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unsecured_claims")),
        sa.UniqueConstraint("disposal_id", name=op.f("uq_unsecured_claims_disposal_id")),
    )
    with op.batch_alter_table("unsecured_claims", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_unsecured_claims_pledge_id"), ["pledge_id"], unique=False
        )


def downgrade() -> None:
    for table in (
        "unsecured_claims",
        "transfer_proceeds",
        "sale_transactions",
        "distribution_lines",
        "disposal_assets",
        "bids",
        "pledge_defaults",
        "disposals",
        "disposal_requests",
    ):
        op.drop_table(table)
