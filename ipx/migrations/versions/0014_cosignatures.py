"""Witness cosignatures of checkpoints (C2SP tlog-witness, tlog-cosignature).

``ledger_cosignatures`` holds, per signed tree size, the timestamped Ed25519 cosignature line
each configured witness answered to ``add-checkpoint``: served after the log's own signature in
the checkpoint's note and in receipts. Append-only on PostgreSQL, like the log's tables.

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ledger_cosignatures",
        sa.Column("tree_size", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("witness", sa.String(length=200), nullable=False),
        sa.Column("key_id", sa.String(length=8), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.Column("line", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint(
            "tree_size", "witness", "key_id", name=op.f("pk_ledger_cosignatures")
        ),
    )
    if op.get_bind().dialect.name == "postgresql":  # ledger_refuse_change(): migration 0002
        op.execute(
            "CREATE TRIGGER ledger_cosignatures_append_only BEFORE UPDATE OR DELETE ON "
            "ledger_cosignatures FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS ledger_cosignatures_append_only ON ledger_cosignatures")
    op.drop_table("ledger_cosignatures")
