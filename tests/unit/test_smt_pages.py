"""The map's pages of four levels (``ipx.ledger.smt_pages``) and the paged store the database
uses (``encumbrance_map.DatabaseStore``), over a dict standing in for the table: no database.

Random sequences of updates (keys with long shared prefixes among them) on a tree of nodes
(``smt.MemoryStore``, the replay's) and, update by update, on pages as an append writes them:
the pages always equal the tree's nodes grouped into pages, convert back to exactly those
nodes, exist exactly where the module says (so the first missing page on a way ends it), and
a walk that reads the pages on a key's way down to the first missing one leaves the update
nothing else to read.
"""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ipx.ledger import smt, smt_pages
from ipx.ledger.encumbrance_map import DatabaseStore


def _key(n: int) -> bytes:
    return hashlib.sha256(n.to_bytes(4, "big")).digest()


KEYS = st.sampled_from(
    [_key(n) for n in range(40)]
    + [bytes(31) + bytes([b]) for b in (0, 1, 2, 16, 128)]  # splits 250+ levels down
    + [b"\xff" * 31 + bytes([b]) for b in (254, 255)]
)
OPS = st.lists(
    st.tuples(KEYS, st.one_of(st.none(), st.binary(min_size=1, max_size=40))), max_size=60
)


class TablePages(DatabaseStore):
    """``DatabaseStore`` reading pages from a dict (the table's rows) instead of a query."""

    def __init__(self, table: dict[bytes, bytes]) -> None:
        super().__init__(None, 0, connection=object())  # type: ignore[arg-type]
        self.table = table
        self.reads: list[bytes] = []

    def fetch(self, pages) -> None:
        for page in pages:
            self.reads.append(page)
            self.stored[page] = self.table.get(page)

    def write_pending(self) -> None:
        """Write the changed pages to the table, as an append's statement does."""
        deletes, upserts = self.take_pending()
        for page in deletes:
            del self.table[page]
        self.table.update(upserts)

    def walk(self, key: bytes) -> None:
        """What the PostgreSQL walk reads: the pages on ``key``'s way to the first missing."""
        for page in smt_pages.page_paths(key, smt.DEPTH):
            self.fetch([page])
            if self.stored[page] is None:
                return


def _keys_under(keys: set[bytes], page: bytes) -> int:
    depth = int.from_bytes(page[:2], "big")
    return sum(1 for key in keys if smt.path_of(key, depth) == page)


@settings(max_examples=150, deadline=None)
@given(OPS)
def test_pages_written_update_by_update_are_the_nodes_of_the_tree_in_pages(ops):
    tree, table, model = smt.MemoryStore(), {}, {}
    for key, value in ops:
        smt.update(tree, key, value)
        model[key] = value
        store = TablePages(table)
        store.walk(key)
        walked = len(store.reads)
        smt.update(store, key, value)
        assert len(store.reads) == walked  # the walk left nothing to read one page at a time
        store.write_pending()
        assert table == smt_pages.paginate(tree.nodes.items())
        assert smt.root(store) == smt.root(tree)
    assert smt_pages.unpaginate(table.items()) == tree.nodes
    present = {key for key, value in model.items() if value is not None}
    for page, data in table.items():
        assert smt_pages.encode(smt_pages.decode(data)) == data
        needed = 1 if page == smt_pages.ROOT_PAGE else 2
        assert _keys_under(present, page) >= needed
    for key in present:  # every page on a way that holds two keys or more is stored
        for page in smt_pages.page_paths(key, smt.DEPTH):
            needed = 1 if page == smt_pages.ROOT_PAGE else 2
            assert (page in table) == (_keys_under(present, page) >= needed)


@settings(max_examples=150, deadline=None)
@given(st.lists(OPS, min_size=1, max_size=4), KEYS, st.booleans())
def test_several_updates_in_one_store_as_one_append_writes_them(appends, other, reuse):
    """One store per append (or, ``reuse``, one for them all, its pages taken after each),
    several keys updated in it, each read then written as ``Replay.apply`` does: a key's way
    must see what the other keys' updates did on it (a leaf pushed down, a parent removed)
    before the append's pages are written, and so must another key's read and proof."""
    tree, table = smt.MemoryStore(), {}
    store = TablePages(table)
    for ops in appends:
        store = store if reuse else TablePages(table)
        for key, value in ops:
            assert smt.get(store, key) == smt.get(tree, key)
            smt.update(tree, key, value)
            smt.update(store, key, value)
            assert smt.root(store) == smt.root(tree)
            assert smt.get(store, key) == value
            assert smt.prove(store, other) == smt.prove(tree, other)
        store.write_pending()
        assert table == smt_pages.paginate(tree.nodes.items())


@settings(max_examples=60, deadline=None)
@given(OPS, KEYS)
def test_a_proof_read_from_pages_is_the_proof_of_the_tree(ops, asked):
    tree = smt.MemoryStore()
    for key, value in ops:
        smt.update(tree, key, value)
    store = TablePages(smt_pages.paginate(tree.nodes.items()))
    store.walk(asked)
    walked = len(store.reads)
    assert smt.prove(store, asked) == smt.prove(tree, asked)
    assert smt.get(store, asked) == smt.get(tree, asked)
    assert len(store.reads) == walked


def test_a_node_and_its_sibling_share_a_page_and_pages_start_every_four_levels():
    key = _key(7)
    for depth in range(1, 40):
        page, slot = smt_pages.locate(smt.path_of(key, depth))
        assert smt_pages.locate(smt.sibling_path(key, depth - 1))[0] == page
        top = 4 * ((depth - 1) // 4)
        assert page == smt.path_of(key, top)
        assert (1 << (depth - top)) - 1 <= slot < (1 << (depth - top + 1)) - 1
    assert smt_pages.locate(smt.path_of(key, 0)) == (smt_pages.ROOT_PAGE, 0)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\0\0\0",
        (1 << 31).to_bytes(4, "big") + bytes(4),  # a slot beyond the 31
        (1).to_bytes(4, "big") + (2).to_bytes(4, "big"),  # a leaf that is not present
        (1).to_bytes(4, "big") + bytes(4) + bytes(31),  # a hash cut short
        (1).to_bytes(4, "big") + bytes(4) + bytes(33),  # a byte too many
        (1).to_bytes(4, "big") * 2 + bytes(32 + 32) + (9).to_bytes(4, "big") + b"short",
    ],
)
def test_bytes_that_are_not_a_page_are_refused(data):
    with pytest.raises(ValueError):
        smt_pages.decode(data)
