"""C2SP tlog-tiles: paths as Go's ``tlog.Tile.Path`` writes them, and proofs from tiles alone.

For every tree size 1..600 the tiles of that size (full ones and the partial ones of exactly
that size) are cut from an in-memory tree; a client holding only them and the root computes,
for every index, the inclusion proof the service computes from its node store, and for every
smaller size the consistency proof.
"""

from __future__ import annotations

import pytest

from ipx.ledger import merkle
from ipx.ledger.tiles import (
    ENTRIES,
    WIDTH,
    Tile,
    TileNodes,
    decode_bundle,
    encode_bundle,
    encode_index,
    hash_tile,
    parse_tile_path,
    served_in,
    tiles_of,
    width_at,
)


@pytest.mark.parametrize(
    ("tile", "path"),
    [
        (Tile(0, 0), "tile/0/000"),
        (Tile(0, 1234067), "tile/0/x001/x234/067"),
        (Tile(2, 5, 17), "tile/2/005.p/17"),
        (Tile(1, 1000, 1), "tile/1/x001/000.p/1"),
        (Tile(ENTRIES, 42), "tile/entries/042"),
        (Tile(ENTRIES, 999, 255), "tile/entries/999.p/255"),
    ],
)
def test_paths_are_encoded_and_parsed_as_the_spec_writes_them(tile, path):
    assert tile.path() == path
    assert parse_tile_path(path.removeprefix("tile/")) == tile


@pytest.mark.parametrize(
    "path",
    [
        "0/1",
        "0/0001",
        "0/x000/001",  # a leading zero group
        "0/001/x002",
        "00/001",
        "64/000",
        "0/000.p/0",
        "0/000.p/256",
        "0/000.p/05",
        "0/000.p",
        "entry/000",
        "0",
        "-1/000",
        "0/x1/000",
    ],
)
def test_paths_not_as_the_spec_writes_them_name_no_tile(path):
    assert parse_tile_path(path) is None


def test_index_groups():
    assert encode_index(0) == "000" and encode_index(999) == "999"
    assert encode_index(1000) == "x001/000" and encode_index(10**6) == "x001/x000/000"


def test_partial_widths_follow_the_spec_example():
    # A tree of 70,000: 273 full level-0 tiles and one of 112, one full level-1 tile and one
    # of 17, and one level-2 tile of 1.
    tiles = [t for t in tiles_of(70_000) if t.level != ENTRIES]
    level0 = [t for t in tiles if t.level == 0]
    assert len(level0) == 274 and level0[-1].width == 112
    assert all(t.width == WIDTH for t in level0[:-1])
    assert [(t.index, t.width) for t in tiles if t.level == 1] == [(0, 256), (1, 17)]
    assert [(t.index, t.width) for t in tiles if t.level == 2] == [(0, 1)]
    assert width_at(0, 274, 70_000) == 0
    assert [t.width for t in tiles_of(256) if t.level != ENTRIES] == [256, 1]


def test_bundles_round_trip_and_a_truncated_one_is_refused():
    leaves = [b"", b"a", bytes(300)]
    assert decode_bundle(encode_bundle(leaves)) == leaves
    with pytest.raises(ValueError):
        decode_bundle(encode_bundle(leaves)[:-1])


def test_only_the_signed_sizes_partial_tile_is_served():
    assert served_in(Tile(0, 0), 256) and not served_in(Tile(0, 0), 255)
    assert served_in(Tile(0, 0, 255), 255) and not served_in(Tile(0, 0, 254), 255)
    assert not served_in(Tile(0, 1, 1), 256) and not served_in(Tile(0, 0, 255), 256)
    assert served_in(Tile(1, 0, 1), 300) and not served_in(Tile(1, 0), 300)


def test_proofs_from_tiles_alone_equal_the_stores_for_sizes_1_to_600():
    tree = merkle.MemoryTree()
    leaves = [f"leaf {i}".encode() for i in range(600)]
    for leaf in leaves:
        tree.append(leaf)
    for size in range(1, 601):
        tiles = {
            tile: hash_tile(tile, tree.get_node) for tile in tiles_of(size) if tile.level != ENTRIES
        }
        fetched: list[Tile] = []

        def fetch(tile: Tile, tiles=tiles, fetched=fetched) -> bytes:
            fetched.append(tile)
            return tiles[tile]  # a KeyError: a tile the size does not have was asked for

        client = TileNodes(size, fetch)
        assert client.root() == tree.root(size)
        for index in range(size):
            assert client.inclusion_proof(index) == tree.inclusion_proof(index, size)
        last = size - 1
        proof = client.inclusion_proof(last)
        root = client.root()
        assert merkle.verify_inclusion(merkle.leaf_hash(leaves[last]), last, size, proof, root)
        # From every smaller size at every 50th size and the tile edges; from the sizes
        # that cross tile edges at the others (180,000 proofs in all would take half a minute).
        edges = {1, 2, 255, 256, 257, 511, 512, 513, size // 2, size - 1, size}
        firsts = range(1, size + 1) if size % 50 == 0 or size in edges else sorted(edges)
        for first in (f for f in firsts if 1 <= f <= size):
            assert client.consistency_proof(first) == tree.consistency_proof(first, size)
        assert len(fetched) == len(set(fetched))  # each tile read once


def test_a_tile_beyond_the_tree_is_not_asked_for():
    tree = merkle.MemoryTree()
    for i in range(10):
        tree.append(bytes([i]))
    client = TileNodes(10, lambda tile: hash_tile(tile, tree.get_node))
    with pytest.raises(IndexError):
        client.tile_hashes(0, 1)
    with pytest.raises(IndexError):
        client.get_node(4, 0)  # 16 leaves: not complete in a tree of 10
