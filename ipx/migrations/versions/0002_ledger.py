"""The append-only event log (Merkle leaves) and its head.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ledger_entries",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("leaf", sa.Text(), nullable=False),
        sa.Column("leaf_hash", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_ledger_entries")),
    )
    op.create_table(
        "ledger_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_head")),
    )
    op.create_table(
        "ledger_refs",
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("ref_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["seq"], ["ledger_entries.seq"], name=op.f("fk_ledger_refs_seq_ledger_entries")
        ),
        sa.PrimaryKeyConstraint("seq", "kind", "ref_id", name=op.f("pk_ledger_refs")),
    )
    op.create_index(
        "ix_ledger_refs_kind_ref_id", "ledger_refs", ["kind", "ref_id", "seq"], unique=False
    )
    op.execute("INSERT INTO ledger_head (id, size) VALUES (1, 0)")


def downgrade() -> None:
    op.drop_index("ix_ledger_refs_kind_ref_id", table_name="ledger_refs")
    op.drop_table("ledger_refs")
    op.drop_table("ledger_head")
    op.drop_table("ledger_entries")
