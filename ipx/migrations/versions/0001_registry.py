"""Registry, API keys and idempotency keys

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "assets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("filing_date", sa.Date(), nullable=False),
        sa.Column("grant_date", sa.Date(), nullable=True),
        sa.Column("expiry_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("fees_paid_until", sa.Date(), nullable=True),
        sa.Column("ipc", sa.String(length=40), nullable=True),
        sa.Column("features", sa.JSON(), nullable=True),
        sa.Column("frozen", sa.Boolean(), nullable=False),
        sa.Column("invalidation_pending", sa.Boolean(), nullable=False),
        sa.Column("sample_key", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assets")),
        sa.UniqueConstraint("kind", "number", name="uq_assets_kind_number"),
        sa.UniqueConstraint("sample_key", name=op.f("uq_assets_sample_key")),
    )
    op.create_index(op.f("ix_assets_number"), "assets", ["number"], unique=False)
    op.create_table(
        "counters",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_counters")),
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("principal", sa.String(length=40), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("principal", "key", name=op.f("pk_idempotency_keys")),
    )
    op.create_table(
        "parties",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("credit_code", sa.String(length=18), nullable=True),
        sa.Column("id_number_digest", sa.String(length=64), nullable=True),
        sa.Column("digest_key", sa.LargeBinary(length=32), nullable=False),
        sa.Column("sample_key", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parties")),
        sa.UniqueConstraint("credit_code", name=op.f("uq_parties_credit_code")),
        sa.UniqueConstraint("id_number_digest", name=op.f("uq_parties_id_number_digest")),
        sa.UniqueConstraint("sample_key", name=op.f("uq_parties_sample_key")),
    )
    op.create_index(op.f("ix_parties_name"), "parties", ["name"], unique=False)
    op.create_table(
        "pledge_applications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("pledgor_id", sa.Integer(), nullable=False),
        sa.Column("pledgee_id", sa.Integer(), nullable=False),
        sa.Column("secured_amount", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("debt_start", sa.Date(), nullable=True),
        sa.Column("debt_end", sa.Date(), nullable=True),
        sa.Column("contract_number", sa.String(length=100), nullable=True),
        sa.Column("asset_ids", sa.JSON(), nullable=False),
        sa.Column("co_owner_consent_ids", sa.JSON(), nullable=False),
        sa.Column("forfeiture_clause", sa.Boolean(), nullable=False),
        sa.Column("acknowledged_risks", sa.JSON(), nullable=False),
        sa.Column("valuation_id", sa.Integer(), nullable=True),
        sa.Column("submitted_by", sa.String(length=40), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("grounds", sa.JSON(), nullable=True),
        sa.Column("pledge_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pledge_applications")),
    )
    op.create_index(
        op.f("ix_pledge_applications_pledgee_id"),
        "pledge_applications",
        ["pledgee_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_pledge_applications_pledgor_id"),
        "pledge_applications",
        ["pledgor_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_pledge_applications_status"), "pledge_applications", ["status"], unique=False
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["party_id"], ["parties.id"], name=op.f("fk_api_keys_party_id_parties")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("key_id", name=op.f("uq_api_keys_key_id")),
    )
    op.create_table(
        "asset_holders",
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["asset_id"], ["assets.id"], name=op.f("fk_asset_holders_asset_id_assets")
        ),
        sa.ForeignKeyConstraint(
            ["party_id"], ["parties.id"], name=op.f("fk_asset_holders_party_id_parties")
        ),
        sa.PrimaryKeyConstraint("asset_id", "party_id", name=op.f("pk_asset_holders")),
    )
    op.create_index(op.f("ix_asset_holders_party_id"), "asset_holders", ["party_id"], unique=False)
    op.create_table(
        "freezes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("court", sa.String(length=300), nullable=False),
        sa.Column("order_number", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lifted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["asset_id"], ["assets.id"], name=op.f("fk_freezes_asset_id_assets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_freezes")),
    )
    op.create_index(op.f("ix_freezes_asset_id"), "freezes", ["asset_id"], unique=False)
    op.create_table(
        "pledges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registration_number", sa.String(length=20), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("pledgor_id", sa.Integer(), nullable=False),
        sa.Column("pledgee_id", sa.Integer(), nullable=False),
        sa.Column("secured_amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("debt_start", sa.Date(), nullable=False),
        sa.Column("debt_end", sa.Date(), nullable=False),
        sa.Column("contract_number", sa.String(length=100), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closing_reason", sa.String(length=200), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["pledge_applications.id"],
            name=op.f("fk_pledges_application_id_pledge_applications"),
        ),
        sa.ForeignKeyConstraint(
            ["pledgee_id"], ["parties.id"], name=op.f("fk_pledges_pledgee_id_parties")
        ),
        sa.ForeignKeyConstraint(
            ["pledgor_id"], ["parties.id"], name=op.f("fk_pledges_pledgor_id_parties")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pledges")),
        sa.UniqueConstraint("application_id", name=op.f("uq_pledges_application_id")),
        sa.UniqueConstraint("registration_number", name=op.f("uq_pledges_registration_number")),
    )
    op.create_index(op.f("ix_pledges_pledgee_id"), "pledges", ["pledgee_id"], unique=False)
    op.create_index(op.f("ix_pledges_pledgor_id"), "pledges", ["pledgor_id"], unique=False)
    op.create_index(op.f("ix_pledges_status"), "pledges", ["status"], unique=False)
    op.create_table(
        "pledge_assets",
        sa.Column("pledge_id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["asset_id"], ["assets.id"], name=op.f("fk_pledge_assets_asset_id_assets")
        ),
        sa.ForeignKeyConstraint(
            ["pledge_id"], ["pledges.id"], name=op.f("fk_pledge_assets_pledge_id_pledges")
        ),
        sa.PrimaryKeyConstraint("pledge_id", "asset_id", name=op.f("pk_pledge_assets")),
    )
    op.create_index(
        "uq_pledge_assets_active_asset",
        "pledge_assets",
        ["asset_id"],
        unique=True,
        sqlite_where=sa.text("active"),
        postgresql_where=sa.text("active"),
    )
    op.create_table(
        "transfers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("from_party_ids", sa.JSON(), nullable=False),
        sa.Column("to_party_ids", sa.JSON(), nullable=False),
        sa.Column("pledge_id", sa.Integer(), nullable=True),
        sa.Column("pledgee_consent", sa.Boolean(), nullable=False),
        sa.Column("proceeds", sa.String(length=20), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["asset_id"], ["assets.id"], name=op.f("fk_transfers_asset_id_assets")
        ),
        sa.ForeignKeyConstraint(
            ["pledge_id"], ["pledges.id"], name=op.f("fk_transfers_pledge_id_pledges")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transfers")),
    )
    op.create_index(op.f("ix_transfers_asset_id"), "transfers", ["asset_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_transfers_asset_id"), table_name="transfers")
    op.drop_table("transfers")
    op.drop_index(
        "uq_pledge_assets_active_asset",
        table_name="pledge_assets",
        sqlite_where=sa.text("active"),
        postgresql_where=sa.text("active"),
    )
    op.drop_table("pledge_assets")
    op.drop_index(op.f("ix_pledges_status"), table_name="pledges")
    op.drop_index(op.f("ix_pledges_pledgor_id"), table_name="pledges")
    op.drop_index(op.f("ix_pledges_pledgee_id"), table_name="pledges")
    op.drop_table("pledges")
    op.drop_index(op.f("ix_freezes_asset_id"), table_name="freezes")
    op.drop_table("freezes")
    op.drop_index(op.f("ix_asset_holders_party_id"), table_name="asset_holders")
    op.drop_table("asset_holders")
    op.drop_table("api_keys")
    op.drop_index(op.f("ix_pledge_applications_status"), table_name="pledge_applications")
    op.drop_index(op.f("ix_pledge_applications_pledgor_id"), table_name="pledge_applications")
    op.drop_index(op.f("ix_pledge_applications_pledgee_id"), table_name="pledge_applications")
    op.drop_table("pledge_applications")
    op.drop_index(op.f("ix_parties_name"), table_name="parties")
    op.drop_table("parties")
    op.drop_table("idempotency_keys")
    op.drop_table("counters")
    op.drop_index(op.f("ix_assets_number"), table_name="assets")
    op.drop_table("assets")
