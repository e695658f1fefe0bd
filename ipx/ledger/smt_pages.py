"""The sparse Merkle tree's nodes stored as pages of four levels (Jellyfish's 16-ary nodes).

Standard library only. ``ipx.ledger.smt`` names each node by its path (depth, key prefix);
a store that kept one row per node would read and write about 2 x depth rows per update (the
nodes on a key's way and the siblings beside them). Here nodes are grouped into **pages**:

- a page is named by the path of a node at a depth that is a multiple of ``STRIDE`` (4), and
  holds the nodes at the four depths below it under that path, ``STRIDE * k + 1`` ..
  ``STRIDE * k + 4`` (2 + 4 + 8 + 16 slots); the root page (depth 0) also holds the root;
- so a node at depth ``d >= 1`` lives in the page of depth ``4 * ((d - 1) // 4)`` on its way,
  and so does its sibling (they share the path of depth ``d - 1``): a walk down a key's way
  reads about depth / 4 pages and nothing beside them, and an update writes as many;
- a page exists exactly when its subtree holds nodes below the page's own depth, that is two
  keys or more (the root page: one or more). The first page missing on a key's way therefore
  ends it: nothing is stored deeper on that prefix (``DatabaseStore`` in
  ``ipx.ledger.encumbrance_map`` answers "empty" there without asking).

A page's bytes (``encode``): the 31-bit bitmap of the slots present and the 31-bit bitmap of
those that are leaves (4 bytes each, big-endian), the 32-byte hash of each present slot in slot
order, then for each leaf in slot order its 32-byte key, its value's length (4 bytes) and its
value. Slot ``(1 << r) - 1 + b`` is the node ``r`` levels below the page's own path whose
next ``r`` bits are ``b`` (heap order: slot 0 is the page's own node, used by the root page
only). Every set of nodes has exactly one encoding, so pages compare as bytes.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping

from ipx.ledger import smt

STRIDE = 4
SLOTS = (1 << (STRIDE + 1)) - 1
ROOT_PAGE = smt.path_of(bytes(smt.KEY_SIZE), 0)
_HEADER = 8
_UNBUILT = object()


@functools.lru_cache(maxsize=1 << 14)
def locate(path: bytes) -> tuple[bytes, int]:
    """The page holding the node at ``path``, and its slot there."""
    depth = int.from_bytes(path[:2], "big")
    if depth == 0:
        return ROOT_PAGE, 0
    top = STRIDE * ((depth - 1) // STRIDE)
    below = depth - top
    bits = path[2:]
    prefix = int.from_bytes(bits, "big") >> (8 * len(bits) - depth)  # the path's own bits
    size = (top + 7) >> 3
    page = top.to_bytes(2, "big") + ((prefix >> below) << (8 * size - top)).to_bytes(size, "big")
    return page, (1 << below) - 1 + (prefix & ((1 << below) - 1))


def page_paths(key: bytes, depth: int) -> list[bytes]:
    """The paths of the pages on ``key``'s way, from the root page down to ``depth``."""
    return [smt.path_of(key, top) for top in range(0, min(depth, smt.DEPTH) + 1, STRIDE)]


def parent_pages(page: bytes) -> list[bytes]:
    """The pages above ``page`` on its way, nearest first (none for the root page)."""
    depth = int.from_bytes(page[:2], "big")
    bits = page[2:].ljust(smt.KEY_SIZE, b"\0")
    return [smt.path_of(bits, top) for top in range(depth - STRIDE, -1, -STRIDE)]


class Page:
    """One page's nodes, built from its bytes only as they are asked for (an update uses a few
    slots of each page on its way), with the changes kept until ``encode``.

    Raises ``ValueError`` when ``data`` is not a page's bytes (the whole layout is checked)."""

    __slots__ = ("_data", "_present", "_tails", "_nodes", "_changed")

    def __init__(self, data: bytes | None = None) -> None:
        data = data if data is not None else bytes(_HEADER)
        if len(data) < _HEADER:
            raise ValueError("a map page is at least 8 bytes")
        present = int.from_bytes(data[:4], "big")
        leaves = int.from_bytes(data[4:8], "big")
        if present >> SLOTS or leaves & ~present:
            raise ValueError("a map page's bitmaps are malformed")
        at = _HEADER + 32 * present.bit_count()
        tails: dict[int, tuple[int, int]] = {}  # leaf slot -> (where its key starts, value length)
        while leaves:  # the leaves' keys and values, in slot order (lowest bit first)
            lowest = leaves & -leaves
            leaves ^= lowest
            length = int.from_bytes(data[at + 32 : at + 36], "big")
            if at + 36 + length > len(data):
                raise ValueError("a map page's leaf is truncated")
            tails[lowest.bit_length() - 1] = (at, length)
            at += 36 + length
        if at != len(data):
            raise ValueError("a map page's length does not match its bitmaps")
        self._data, self._present, self._tails = data, present, tails
        self._nodes: dict[int, smt.Node | None] = {}  # slots built or changed
        self._changed = False

    def get(self, slot: int) -> smt.Node | None:
        """The node in ``slot`` (None: empty)."""
        node = self._nodes.get(slot, _UNBUILT)
        if node is not _UNBUILT:
            return node  # type: ignore[return-value]
        node = None
        if self._present >> slot & 1:
            hashed, tail = self._hash_at(slot), self._tails.get(slot)
            if tail is None:
                node = smt.Node(hashed)
            else:
                start, length = tail
                key, value = (
                    self._data[start : start + 32],
                    self._data[start + 36 : start + 36 + length],
                )
                node = smt.Node(hashed, key, value)
        self._nodes[slot] = node
        return node

    def _hash_at(self, slot: int) -> bytes:
        """The stored hash of a slot present in the bytes read (they come in slot order)."""
        at = _HEADER + 32 * (self._present & ((1 << slot) - 1)).bit_count()
        return self._data[at : at + 32]

    def set(self, slot: int, node: smt.Node | None) -> None:
        """Put ``node`` in ``slot`` (None empties it)."""
        self._nodes[slot] = node
        self._changed = True

    def nodes(self) -> dict[int, smt.Node]:
        """Every node of the page by slot, with the changes."""
        found = {slot: self.get(slot) for slot in range(SLOTS)}
        return {slot: node for slot, node in found.items() if node is not None}

    def encode(self) -> bytes | None:
        """The page's bytes with the changes (None: the page is empty, so not stored)."""
        if not self._changed:
            return self._data if self._present else None
        entries = []
        for slot in range(SLOTS):
            if slot in self._nodes:  # built or changed: from its node
                node = self._nodes[slot]
                if node is not None:
                    entries.append((slot, node.hash, _tail(node)))
            elif self._present >> slot & 1:  # as read: its bytes as they are
                tail = self._tails.get(slot)
                kept = None if tail is None else self._data[tail[0] : tail[0] + 36 + tail[1]]
                entries.append((slot, self._hash_at(slot), kept))
        return _assemble(entries) if entries else None


def decode(data: bytes) -> dict[int, smt.Node]:
    """A page's nodes by slot; raises ``ValueError`` when ``data`` is not a page's bytes."""
    return Page(data).nodes()


def encode(nodes: Mapping[int, smt.Node]) -> bytes:
    """The bytes of a page holding ``nodes`` by slot (see the module docstring)."""
    return _assemble([(slot, node.hash, _tail(node)) for slot, node in sorted(nodes.items())])


def _tail(node: smt.Node) -> bytes | None:
    """A leaf's key, value length and value as a page stores them (None: an interior node)."""
    if node.key is None:
        return None
    assert node.value is not None
    return node.key + len(node.value).to_bytes(4, "big") + node.value


def _assemble(entries: list[tuple[int, bytes, bytes | None]]) -> bytes:
    """A page's bytes from its ``(slot, hash, leaf tail or None)`` in slot order."""
    present = leaves = 0
    hashes, tails = [], []
    for slot, hashed, tail in entries:
        present |= 1 << slot
        hashes.append(hashed)
        if tail is not None:
            leaves |= 1 << slot
            tails.append(tail)
    return b"".join([present.to_bytes(4, "big"), leaves.to_bytes(4, "big"), *hashes, *tails])


def paginate(nodes: Iterable[tuple[bytes, smt.Node]]) -> dict[bytes, bytes]:
    """Nodes by path (an ``smt.MemoryStore``'s) as page bytes by page path."""
    pages: dict[bytes, dict[int, smt.Node]] = {}
    for path, node in nodes:
        page, slot = locate(path)
        pages.setdefault(page, {})[slot] = node
    return {page: encode(slots) for page, slots in pages.items()}


def unpaginate(pages: Iterable[tuple[bytes, bytes]]) -> dict[bytes, smt.Node]:
    """Page bytes by page path back to nodes by path (``paginate``'s inverse)."""
    nodes: dict[bytes, smt.Node] = {}
    for page, data in pages:
        depth = int.from_bytes(page[:2], "big")
        bits = int.from_bytes(page[2:].ljust(smt.KEY_SIZE, b"\0"), "big")
        for slot, node in decode(data).items():
            below = (slot + 1).bit_length() - 1
            prefix = (bits >> (smt.DEPTH - depth)) << below | (slot + 1 - (1 << below))
            key = (prefix << (smt.DEPTH - depth - below)).to_bytes(smt.KEY_SIZE, "big")
            nodes[smt.path_of(key, depth + below)] = node
    return nodes
