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
from collections.abc import Callable, Iterable, Mapping

from ipx.ledger import smt

STRIDE = 4
SLOTS = (1 << (STRIDE + 1)) - 1
ROOT_PAGE = smt.path_of(bytes(smt.KEY_SIZE), 0)
_HEADER = 8


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


class Page:
    """One page's nodes, as its bytes hold them: the two bitmaps, the hashes of the slots
    present and the leaves' tails, each list in slot order (a slot's place in it is the number
    of bits set below its own), changed in place by ``set``; so ``encode`` joins them.

    Raises ``ValueError`` when ``data`` is not a page's bytes (the whole layout is checked)."""

    __slots__ = ("_present", "_leaves", "_hashes", "_tails", "_data", "_changed", "stored")

    def __init__(self, data: bytes | None = None) -> None:
        #: Whether the page was read from bytes (False: it was not stored, so neither is any
        #: page below it on a way).
        self.stored = data is not None
        data = data if data is not None else bytes(_HEADER)
        if len(data) < _HEADER:
            raise ValueError("a map page is at least 8 bytes")
        present = int.from_bytes(data[:4], "big")
        leaves = int.from_bytes(data[4:8], "big")
        if present >> SLOTS or leaves & ~present:
            raise ValueError("a map page's bitmaps are malformed")
        at = _HEADER + 32 * present.bit_count()
        if at > len(data):
            raise ValueError("a map page's hashes are truncated")
        tails = []  # each leaf's key, value length and value, in slot order
        for _ in range(leaves.bit_count()):
            length = int.from_bytes(data[at + 32 : at + 36], "big")
            if at + 36 + length > len(data):
                raise ValueError("a map page's leaf is truncated")
            tails.append(data[at : at + 36 + length])
            at += 36 + length
        if at != len(data):
            raise ValueError("a map page's length does not match its bitmaps")
        self._present, self._leaves, self._data, self._changed = present, leaves, data, False
        self._hashes = [
            data[i : i + 32] for i in range(_HEADER, _HEADER + 32 * present.bit_count(), 32)
        ]
        self._tails = tails

    def get(self, slot: int) -> smt.Node | None:
        """The node in ``slot`` (None: empty)."""
        bit = 1 << slot
        if not self._present & bit:
            return None
        hashed = self._hashes[(self._present & (bit - 1)).bit_count()]
        if not self._leaves & bit:
            return smt.Node(hashed)
        tail = self._tails[(self._leaves & (bit - 1)).bit_count()]
        return smt.Node(hashed, tail[:32], tail[36:])

    def is_interior(self, slot: int) -> bool:
        """Whether ``slot`` holds an interior node (not empty, not a leaf)."""
        return bool((self._present & ~self._leaves) >> slot & 1)

    def hash_of(self, slot: int) -> bytes:
        """The hash of the node in ``slot`` (``smt.EMPTY``: empty)."""
        bit = 1 << slot
        if not self._present & bit:
            return smt.EMPTY
        return self._hashes[(self._present & (bit - 1)).bit_count()]

    def set_interior(self, slot: int, hashed: bytes) -> None:
        """Put an interior node of hash ``hashed`` in ``slot`` (``set`` of ``smt.Node(hashed)``;
        in place where an interior node is already there, as on most of an update's way)."""
        bit = 1 << slot
        if self._present & bit and not self._leaves & bit:
            self._hashes[(self._present & (bit - 1)).bit_count()] = hashed
            self._changed = True
        else:
            self.set(slot, smt.Node(hashed))

    def set(self, slot: int, node: smt.Node | None) -> None:
        """Put ``node`` in ``slot`` (None empties it)."""
        bit, below = 1 << slot, (1 << slot) - 1
        self._changed = True
        at = (self._present & below).bit_count()
        if self._present & bit:  # out with what is there
            del self._hashes[at]
            if self._leaves & bit:
                del self._tails[(self._leaves & below).bit_count()]
            self._present &= ~bit
            self._leaves &= ~bit
        if node is None:
            return
        self._hashes.insert(at, node.hash)
        self._present |= bit
        tail = _tail(node)
        if tail is not None:
            self._tails.insert((self._leaves & below).bit_count(), tail)
            self._leaves |= bit

    def nodes(self) -> dict[int, smt.Node]:
        """Every node of the page by slot, with the changes."""
        found = {slot: self.get(slot) for slot in range(SLOTS)}
        return {slot: node for slot, node in found.items() if node is not None}

    def encode(self) -> bytes | None:
        """The page's bytes with the changes (None: the page is empty, so not stored)."""
        if not self._present:
            return None
        if not self._changed:
            return self._data
        header = self._present.to_bytes(4, "big") + self._leaves.to_bytes(4, "big")
        return b"".join([header, *self._hashes, *self._tails])


class Written:
    """What the ways of one store have written: the paths of the pages changed, and a count
    that every write (a node put, a rehash) raises, which tells a way whether the end it found
    may have moved since."""

    __slots__ = ("pages", "puts")

    def __init__(self) -> None:
        self.pages: set[bytes] = set()
        self.puts = 0


class PageWay:
    """``smt.Way`` over pages: a node on the way or beside it is found by arithmetic on the
    key (its page is the ``(depth - 1) // STRIDE``-th on the way, its slot the key's next bits),
    and each page on the way is opened once, from the root page down.

    ``open_page(path, below_a_missing_page)`` gives the page at ``path``; the flag says that a
    page above it on the way was not stored, so that neither is this one (the first missing
    page ends a way). The ways of one store share its ``Written``; where a way ends is
    remembered only while no way of the store has put a node since (another key's update may
    push this key's leaf down, or lift it)."""

    __slots__ = ("_key", "_bits", "_pages", "_paths", "_open", "_written", "_end", "_seen")

    def __init__(self, key: bytes, open_page: Callable[[bytes, bool], Page], written: Written):
        self._key, self._bits = key, int.from_bytes(key, "big")
        self._pages: list[Page | None] = [None] * (smt.DEPTH // STRIDE + 1)
        self._paths: list[bytes | None] = [None] * (smt.DEPTH // STRIDE + 1)
        self._open, self._written = open_page, written
        self._end: tuple[int, smt.Node | None] | None = None
        self._seen = -1  # ``written.puts`` when ``_end`` was found

    def end(self) -> tuple[int, smt.Node | None]:
        if self._end is None or self._seen != self._written.puts:
            self._seen = self._written.puts
            depth = 0
            while True:
                index, slot = self._slot(depth, 0)
                page = self._page(index)
                if not page.is_interior(slot):
                    self._end = depth, page.get(slot)
                    break
                depth += 1
        return self._end

    def _page(self, index: int) -> Page:
        page = self._pages[index]
        if page is None:
            missing_above = index > 0 and not self._page(index - 1).stored
            path = self._paths[index] = smt.path_of(self._key, STRIDE * index)
            page = self._pages[index] = self._open(path, missing_above)
        return page

    def _slot(self, depth: int, beside: int) -> tuple[int, int]:
        """The page index and slot of the node at ``depth`` on the way (``beside`` 1: of its
        sibling)."""
        if depth == 0:
            return 0, 0
        index = (depth - 1) // STRIDE
        row = depth - STRIDE * index
        bits = (self._bits >> (smt.DEPTH - depth)) & ((1 << row) - 1)
        return index, (1 << row) - 1 + (bits ^ beside)

    def node(self, depth: int) -> smt.Node | None:
        index, slot = self._slot(depth, 0)
        return self._page(index).get(slot)

    def beside(self, depth: int) -> smt.Node | None:
        index, slot = self._slot(depth, 1)
        return self._page(index).get(slot)

    def put(self, depth: int, node: smt.Node | None) -> None:
        self._put(*self._slot(depth, 0), node)

    def put_beside(self, depth: int, node: smt.Node | None) -> None:
        self._put(*self._slot(depth, 1), node)

    def _put(self, index: int, slot: int, node: smt.Node | None) -> None:
        self._page(index).set(slot, node)
        path = self._paths[index]
        assert path is not None
        self._written.pages.add(path)
        self._written.puts += 1

    def rehash(self, deepest: int) -> None:
        """``smt.rehash`` on the pages directly: at each level the sibling's hash is read and the
        node's hash replaced in place, with no ``Node`` read or built and no put counted per
        level (the property tests check it against ``smt.rehash`` over a tree of nodes)."""
        below = self.node(deepest + 1) if deepest >= 0 else None
        hashed = smt.EMPTY if below is None else below.hash
        pages = self._written.pages
        for level in range(deepest, -1, -1):
            index, slot = self._slot(level + 1, 1)  # the sibling of the node just computed
            beside = self._page(index).hash_of(slot)
            if smt.bit(self._key, level):
                hashed = smt.node_hash(beside, hashed)
            else:
                hashed = smt.node_hash(hashed, beside)
            index, slot = self._slot(level, 0)
            self._page(index).set_interior(slot, hashed)
            path = self._paths[index]
            assert path is not None
            pages.add(path)
        self._written.puts += 1


def decode(data: bytes) -> dict[int, smt.Node]:
    """A page's nodes by slot; raises ``ValueError`` when ``data`` is not a page's bytes."""
    return Page(data).nodes()


def encode(nodes: Mapping[int, smt.Node]) -> bytes:
    """The bytes of a page holding ``nodes`` by slot (see the module docstring)."""
    page = Page()
    for slot, node in sorted(nodes.items()):
        page.set(slot, node)
    return page.encode() or bytes(_HEADER)


def _tail(node: smt.Node) -> bytes | None:
    """A leaf's key, value length and value as a page stores them (None: an interior node)."""
    if node.key is None:
        return None
    assert node.value is not None
    return node.key + len(node.value).to_bytes(4, "big") + node.value


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
