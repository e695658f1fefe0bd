"""The map's nodes in pages of four levels instead of a row each.

An update of the map of encumbrances read and wrote about 2 x depth rows of
``encumbrance_map_nodes`` (the nodes on a key's way and their siblings); kept as pages of four
levels in ``encumbrance_map_pages`` (``ipx.ledger.smt_pages``) it reads and writes about
depth / 4. The stored nodes are converted as they are: the trees, their roots, the roots rows
and the asset keys do not change, so neither does what any checkpoint commits to. A database
whose log predates the map (0013 creates the map's tables and leaves them to this migration)
gets its map built here by replaying the log.

Revision ID: 0017
Revises: 0016
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

_BATCH = 5000
_nodes = sa.table(
    "encumbrance_map_nodes",
    sa.column("tree", sa.SmallInteger()),
    sa.column("path", sa.LargeBinary()),
    sa.column("hash", sa.LargeBinary()),
    sa.column("leaf_key", sa.LargeBinary()),
    sa.column("value", sa.Text()),
)
_pages = sa.table(
    "encumbrance_map_pages",
    sa.column("tree", sa.SmallInteger()),
    sa.column("path", sa.LargeBinary()),
    sa.column("nodes", sa.LargeBinary()),
)


def _insert(rows: list[dict], table: sa.TableClause) -> None:
    for start in range(0, len(rows), _BATCH):
        op.get_bind().execute(table.insert(), rows[start : start + _BATCH])


def upgrade() -> None:
    from ipx.ledger import smt, smt_pages

    op.create_table(
        "encumbrance_map_pages",
        sa.Column("tree", sa.SmallInteger(), nullable=False),
        sa.Column("path", sa.LargeBinary(length=34), nullable=False),
        sa.Column("nodes", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("tree", "path", name=op.f("pk_encumbrance_map_pages")),
    )
    bind = op.get_bind()
    by_tree: dict[int, list[tuple[bytes, smt.Node]]] = {}
    for tree, path, hashed, key, value in bind.execute(
        sa.select(_nodes.c.tree, _nodes.c.path, _nodes.c.hash, _nodes.c.leaf_key, _nodes.c.value)
    ):
        node = smt.Node(
            bytes(hashed),
            None if key is None else bytes(key),
            None if value is None else value.encode("utf-8"),
        )
        by_tree.setdefault(int(tree), []).append((bytes(path), node))
    _insert(
        [
            {"tree": tree, "path": page, "nodes": data}
            for tree, nodes in by_tree.items()
            for page, data in smt_pages.paginate(nodes).items()
        ],
        _pages,
    )
    op.drop_table("encumbrance_map_nodes")
    logged = bind.execute(sa.text("SELECT count(*) FROM ledger_entries")).scalar()
    learnt = bind.execute(sa.text("SELECT count(*) FROM encumbrance_map_assets")).scalar()
    if logged and not learnt:  # a log that predates the map: build it
        from ipx.ledger.encumbrance_map import rebuild

        rebuild(Session(bind=bind))


def downgrade() -> None:
    from ipx.ledger import smt_pages

    op.create_table(
        "encumbrance_map_nodes",
        sa.Column("tree", sa.SmallInteger(), nullable=False),
        sa.Column("path", sa.LargeBinary(length=34), nullable=False),
        sa.Column("hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("leaf_key", sa.LargeBinary(length=32), nullable=True),
        sa.Column("value", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("tree", "path", name=op.f("pk_encumbrance_map_nodes")),
    )
    by_tree: dict[int, list[tuple[bytes, bytes]]] = {}
    for tree, page, data in op.get_bind().execute(
        sa.select(_pages.c.tree, _pages.c.path, _pages.c.nodes)
    ):
        by_tree.setdefault(int(tree), []).append((bytes(page), bytes(data)))
    _insert(
        [
            {"tree": tree, "path": path, "hash": node.hash, "leaf_key": node.key}
            | {"value": None if node.value is None else node.value.decode("utf-8")}
            for tree, pages in by_tree.items()
            for path, node in smt_pages.unpaginate(pages).items()
        ],
        _nodes,
    )
    op.drop_table("encumbrance_map_pages")
