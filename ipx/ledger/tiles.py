"""The log as C2SP tlog-tiles: hash tiles, entry bundles, their paths, and proofs from tiles.

A tile at level ``L``, index ``N`` is ``W`` consecutive hashes at tree level ``8 L``: the hashes
of the complete subtrees of ``256**L`` leaves starting at leaf ``(N * 256 + i) * 256**L``, for
``i`` in ``0..W-1`` (tlog-tiles, "Merkle Tree"). Full tiles are 256 hashes (8,192 bytes) and
never change; the rightmost tile of a level is partial (``.p/W``) while the tree grows. An entry
bundle is the leaves of a level-0 tile, each a big-endian uint16 length then the leaf's bytes.

Paths as the spec and Go's ``tlog.Tile.Path`` write them: ``tile/<L>/<N>[.p/<W>]``, ``N`` in
zero-padded 3-digit groups, all but the last prefixed with ``x`` (1234067: ``x001/x234/067``).

Every tile hash is one row the store already keeps (``ledger_nodes``, level 0 in
``ledger_entries``), so a tile is one range query on a primary key. ``TileNodes`` goes the
other way: it answers ``merkle``'s node-store interface from tiles alone, so a client holding
only a checkpoint and tiles computes the same roots and proofs as the service. Standard library
only in the path and proof helpers; the database reads take a session.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ipx.ledger import merkle, store
from ipx.ledger.tables import LedgerEntry, LedgerNode

HEIGHT = 8
WIDTH = 1 << HEIGHT  # hashes in a full tile
MAX_LEVEL = 63
ENTRIES = "entries"
_GROUP = re.compile(r"x[0-9]{3}")
_LAST = re.compile(r"[0-9]{3}")
_WIDTH = re.compile(r"[1-9][0-9]{0,2}")
_LEVEL = re.compile(r"0|[1-9][0-9]?")


@dataclass(frozen=True)
class Tile:
    """A tile: ``level`` (an int, or ``"entries"`` for an entry bundle), ``index`` and ``width``
    (1..256; under 256 a partial tile)."""

    level: int | str
    index: int
    width: int = WIDTH

    @property
    def hash_level(self) -> int:
        """The level whose hashes this tile lists (an entry bundle: its level-0 tile's)."""
        return 0 if self.level == ENTRIES else int(self.level)

    def path(self) -> str:
        """``tile/<L>/<N>[.p/<W>]`` as tlog-tiles and Go's ``Tile.Path`` encode it."""
        suffix = "" if self.width == WIDTH else f".p/{self.width}"
        return f"tile/{self.level}/{encode_index(self.index)}{suffix}"


def encode_index(index: int) -> str:
    """``N`` in 3-digit groups, all but the last prefixed with ``x``: 1234067 -> x001/x234/067."""
    if index < 0:
        raise ValueError("a tile index is non-negative")
    digits = str(index)
    digits = "0" * (-len(digits) % 3) + digits
    groups = [digits[i : i + 3] for i in range(0, len(digits), 3)]
    return "/".join([*(f"x{g}" for g in groups[:-1]), groups[-1]])


def parse_tile_path(path: str) -> Tile | None:
    """The tile a path after ``tile/`` names (``0/x001/067.p/5``, ``entries/000``), or None
    when it is not exactly as ``Tile.path`` writes it."""
    parts = path.split("/")
    if len(parts) < 2:
        return None
    head, rest = parts[0], parts[1:]
    if head == ENTRIES:
        level: int | str = ENTRIES
    elif _LEVEL.fullmatch(head) and int(head) <= MAX_LEVEL:
        level = int(head)
    else:
        return None
    width = WIDTH
    if len(rest) >= 2 and rest[-2].endswith(".p"):
        if not _WIDTH.fullmatch(rest[-1]) or int(rest[-1]) >= WIDTH:
            return None
        width = int(rest[-1])
        rest = [*rest[:-2], rest[-2][: -len(".p")]]
    if not _LAST.fullmatch(rest[-1]) or not all(_GROUP.fullmatch(g) for g in rest[:-1]):
        return None
    index = int("".join(g.removeprefix("x") for g in rest))
    tile = Tile(level, index, width)
    return tile if tile.path() == f"tile/{path}" else None  # no leading zero groups


def width_at(level: int, index: int, tree_size: int) -> int:
    """How many hashes tile ``(level, index)`` has in the tree of ``tree_size`` (0..256)."""
    hashes = tree_size >> (HEIGHT * level) if level * HEIGHT < 64 else 0
    return max(0, min(WIDTH, hashes - index * WIDTH))


def tiles_of(tree_size: int) -> list[Tile]:
    """Every tile and entry bundle of the tree of ``tree_size``: the full ones and its partial
    rightmost ones, lowest level first."""
    found: list[Tile] = []
    level = 0
    while level == 0 or tree_size >> (HEIGHT * level):
        count = tree_size >> (HEIGHT * level)
        for index in range((count + WIDTH - 1) // WIDTH):
            width = width_at(level, index, tree_size)
            found.append(Tile(level, index, width))
            if level == 0:
                found.append(Tile(ENTRIES, index, width))
        level += 1
    return found


def node_keys(tile: Tile) -> list[tuple[int, int]]:
    """The node-store keys ``(tree level, position)`` of the tile's hashes, in order."""
    first = tile.index * WIDTH
    return [(HEIGHT * tile.hash_level, first + i) for i in range(tile.width)]


def hash_tile(tile: Tile, get_node: merkle.GetNode) -> bytes:
    """The tile's bytes from a node store: its hashes concatenated."""
    return b"".join(get_node(level, position) for level, position in node_keys(tile))


def encode_bundle(leaves: list[bytes]) -> bytes:
    """An entry bundle: each leaf as a big-endian uint16 length and its bytes."""
    out = bytearray()
    for leaf in leaves:
        if len(leaf) > 0xFFFF:
            raise ValueError("a leaf of an entry bundle is at most 65535 bytes")
        out += len(leaf).to_bytes(2, "big") + leaf
    return bytes(out)


def decode_bundle(data: bytes) -> list[bytes]:
    """The leaves of an entry bundle; raises ``ValueError`` when it is truncated."""
    leaves, at = [], 0
    while at < len(data):
        if at + 2 > len(data):
            raise ValueError("truncated entry bundle")
        size = int.from_bytes(data[at : at + 2], "big")
        if at + 2 + size > len(data):
            raise ValueError("truncated entry bundle")
        leaves.append(data[at + 2 : at + 2 + size])
        at += 2 + size
    return leaves


# --- From the database ---


def read_tile(session: Session, tile: Tile) -> bytes:
    """The bytes of a hash tile or entry bundle (the caller has checked it is in the tree)."""
    if tile.level == ENTRIES:
        first = tile.index * WIDTH
        rows = session.execute(
            select(LedgerEntry.leaf)
            .where(LedgerEntry.seq >= first, LedgerEntry.seq < first + tile.width)
            .order_by(LedgerEntry.seq)
        ).scalars()
        leaves = [leaf.encode("utf-8") for leaf in rows]
        if len(leaves) != tile.width:
            raise store.MissingNode(f"entries of {tile.path()} are not all stored")
        return encode_bundle(leaves)
    first, level = tile.index * WIDTH, HEIGHT * tile.hash_level
    if level == 0:
        stmt = select(LedgerEntry.leaf_hash).where(
            LedgerEntry.seq >= first, LedgerEntry.seq < first + tile.width
        )
        hashes = list(session.execute(stmt.order_by(LedgerEntry.seq)).scalars())
    else:
        stmt = select(LedgerNode.hash).where(
            LedgerNode.level == level,
            LedgerNode.position >= first,
            LedgerNode.position < first + tile.width,
        )
        hashes = list(session.execute(stmt.order_by(LedgerNode.position)).scalars())
    if len(hashes) != tile.width:
        raise store.MissingNode(f"hashes of {tile.path()} are not all stored")
    return b"".join(bytes(h) for h in hashes)


def served_in(tile: Tile, signed_size: int) -> bool:
    """Whether the service serves ``tile`` while its latest checkpoint is of ``signed_size``:
    a full tile once that tree holds it, a partial one only at exactly the width it has in that
    tree (older partial widths are superseded, newer ones are not signed yet)."""
    return width_at(tile.hash_level, tile.index, signed_size) == tile.width


def is_immutable(tile: Tile) -> bool:
    """Full tiles never change; a partial one is replaced as the tree grows."""
    return tile.width == WIDTH


# --- Proofs from tiles alone (a client's side) ---


class TileNodes:
    """``merkle``'s node store over the tiles of one tree size: ``get_node(level, position)``
    is hashed from the tile at level ``level // 8`` (full, or the partial one of this size).

    ``fetch(tile) -> bytes`` reads a tile (an HTTP GET, a file); each is read once.
    """

    def __init__(self, tree_size: int, fetch: Callable[[Tile], bytes]) -> None:
        self.tree_size = tree_size
        self._fetch = fetch
        self._tiles: dict[tuple[int, int], list[bytes]] = {}
        self._nodes: dict[tuple[int, int], bytes] = {}

    def tile_hashes(self, level: int, index: int) -> list[bytes]:
        """The hashes of tile ``(level, index)`` at this size."""
        key = (level, index)
        if key not in self._tiles:
            width = width_at(level, index, self.tree_size)
            if width == 0:
                raise IndexError(f"tile {level}/{index} is beyond the tree of {self.tree_size}")
            data = self._fetch(Tile(level, index, width))
            if len(data) != width * merkle.HASH_SIZE:
                raise ValueError(f"tile {level}/{index} is not {width} hashes")
            size = merkle.HASH_SIZE
            self._tiles[key] = [data[i : i + size] for i in range(0, len(data), size)]
        return self._tiles[key]

    def get_node(self, level: int, position: int) -> bytes:
        """The hash of the complete subtree of ``2**level`` leaves at ``position``."""
        key = (level, position)
        if key not in self._nodes:
            tile_level, within = divmod(level, HEIGHT)
            first = position << within  # in hashes of the tile's level
            hashes = self.tile_hashes(tile_level, first // WIDTH)
            start = first % WIDTH
            span = hashes[start : start + (1 << within)]
            if len(span) != 1 << within:
                raise IndexError(f"node ({level}, {position}) is not complete at this size")
            self._nodes[key] = merkle.root_from_leaf_hashes(span)
        return self._nodes[key]

    def root(self) -> bytes:
        """The tree's root hash, to compare with the signed checkpoint's."""
        return merkle.root_at(self.tree_size, self.get_node)

    def inclusion_proof(self, index: int) -> list[bytes]:
        """RFC 9162 inclusion proof of leaf ``index`` in this tree."""
        return merkle.inclusion_proof(index, self.tree_size, self.get_node)

    def consistency_proof(self, first: int) -> list[bytes]:
        """RFC 9162 consistency proof from ``first`` leaves to this tree."""
        return merkle.consistency_proof(first, self.tree_size, self.get_node)
