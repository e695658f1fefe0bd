"""Key lifecycle: API keys may expire; every checkpoint signing key is remembered.

``api_keys.expires_at`` (NULL: the key does not expire). ``ledger_signing_keys`` lists each
Ed25519 key that has signed (or will sign) the log's checkpoints, with the first and last tree
size it signed: ``ipx signing rotate`` adds a key and retires the previous one, and the
public-key endpoint serves the list so old checkpoints stay verifiable. The table holds public
keys only; it is not part of the append-only log (its ranges grow as checkpoints are signed).

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "ledger_signing_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_name", sa.String(length=200), nullable=False),
        sa.Column("key_id", sa.String(length=8), nullable=False),
        sa.Column("public_key", sa.LargeBinary(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_tree_size", sa.BigInteger(), nullable=True),
        sa.Column("last_tree_size", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_signing_keys")),
        sa.UniqueConstraint("key_name", "public_key", name=op.f("uq_ledger_signing_keys_key_name")),
    )


def downgrade() -> None:
    op.drop_table("ledger_signing_keys")
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("expires_at")
