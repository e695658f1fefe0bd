"""The map of encumbrances beside the log (proofs that an asset is, or is not, encumbered).

``encumbrance_map_nodes`` holds the nodes of the two sparse Merkle trees (public notice and
restricted state) by ``(tree, path)``, ``encumbrance_map_assets`` the map key of each asset
the log registered, ``encumbrance_map_roots`` the roots after each append that changed them
(``ipx.ledger.encumbrance_map``). The map is derived data, rebuilt by replaying the log
already stored, and ``ipx verify`` compares it with a fresh replay. This migration built it
until 0017 moved the nodes into pages; now 0017 builds the map of a log that predates it (the
code that writes the map writes pages, which do not exist yet here).

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "encumbrance_map_nodes",
        sa.Column("tree", sa.SmallInteger(), nullable=False),
        sa.Column("path", sa.LargeBinary(length=34), nullable=False),
        sa.Column("hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("leaf_key", sa.LargeBinary(length=32), nullable=True),
        sa.Column("value", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("tree", "path", name=op.f("pk_encumbrance_map_nodes")),
    )
    op.create_table(
        "encumbrance_map_assets",
        sa.Column("asset_id", sa.BigInteger(), nullable=False),
        sa.Column("key", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("asset_id", name=op.f("pk_encumbrance_map_assets")),
    )
    op.create_table(
        "encumbrance_map_roots",
        sa.Column("tree_size", sa.BigInteger(), nullable=False),
        sa.Column("public_root", sa.LargeBinary(length=32), nullable=False),
        sa.Column("restricted_root", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("tree_size", name=op.f("pk_encumbrance_map_roots")),
    )


def downgrade() -> None:
    op.drop_table("encumbrance_map_roots")
    op.drop_table("encumbrance_map_assets")
    op.drop_table("encumbrance_map_nodes")
