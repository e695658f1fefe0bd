"""Stored valuations.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "valuations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=True),
        sa.Column("requested_by", sa.String(length=40), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=True),
        sa.Column("model_version", sa.String(length=40), nullable=False),
        sa.Column("feature_schema_hash", sa.String(length=64), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("value_p10", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("request", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["asset_id"], ["assets.id"], name=op.f("fk_valuations_asset_id_assets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_valuations")),
    )
    op.create_index(op.f("ix_valuations_party_id"), "valuations", ["party_id"], unique=False)
    op.create_index(
        "ix_valuations_asset_id_created_at", "valuations", ["asset_id", "created_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_valuations_asset_id_created_at", table_name="valuations")
    op.drop_index(op.f("ix_valuations_party_id"), table_name="valuations")
    op.drop_table("valuations")
