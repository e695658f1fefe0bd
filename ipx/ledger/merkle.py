"""The Merkle tree of RFC 9162 section 2: hashes, roots, proofs and their verification.

Standard library only (no database): the ledger's storage layer and the offline verifier both
import it.

Node store contract. A store answers ``get_node(level, index) -> bytes``: the 32-byte hash of
the COMPLETE subtree of ``2**level`` leaves that starts at leaf ``index * 2**level`` (level 0
is the leaf hash of leaf ``index``). Only complete subtrees are ever requested, and only ones
lying inside the tree size being proved, so a store may keep exactly the nodes listed by
``new_nodes_for_append`` (2n - popcount(n) hashes for n leaves, fixed once written) and never
update a row. Hashes of incomplete right-edge subtrees are recomputed from complete ones:
at most one per level, so proofs cost O(log n) lookups and roots O(log n) as well.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()
"""MTH({}) per RFC 9162 2.1.1: the root of the empty tree."""

GetNode = Callable[[int, int], bytes]


def leaf_hash(leaf: bytes) -> bytes:
    """SHA-256(0x00 || leaf)."""
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes | bytearray, right: bytes | bytearray) -> bytes:
    """SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than ``n`` (n >= 2): RFC 9162's k."""
    return 1 << ((n - 1).bit_length() - 1)


def root_from_leaf_hashes(hashes: Sequence[bytes]) -> bytes:
    """MTH over a list of leaf hashes, bottom-up in O(n): an odd last node is carried up."""
    if not hashes:
        return EMPTY_ROOT
    level = list(hashes)
    while len(level) > 1:
        paired = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


def subtree_hash(start: int, end: int, get_node: GetNode) -> bytes:
    """MTH of leaves ``[start, end)`` (non-empty) read from a node store.

    A range that is one complete aligned subtree is a single lookup; otherwise it is split at
    RFC 9162's k and both halves are hashed, which for the aligned ranges proofs use costs
    popcount(end - start) lookups.
    """
    if not 0 <= start < end:
        raise ValueError(f"empty or negative range [{start}, {end})")
    n = end - start
    if n & (n - 1) == 0 and start % n == 0:
        return get_node(n.bit_length() - 1, start // n)
    k = _split(n)
    left = subtree_hash(start, start + k, get_node)
    return node_hash(left, subtree_hash(start + k, end, get_node))


def root_at(tree_size: int, get_node: GetNode) -> bytes:
    """The root hash of the first ``tree_size`` leaves of the store."""
    if tree_size < 0:
        raise ValueError("tree size must not be negative")
    return subtree_hash(0, tree_size, get_node) if tree_size else EMPTY_ROOT


def inclusion_proof(index: int, tree_size: int, get_node: GetNode) -> list[bytes]:
    """PATH(index, D[tree_size]) of RFC 9162 2.1.3.1, leaf-side sibling first."""
    if not 0 <= index < tree_size:
        raise ValueError(f"index {index} is outside a tree of size {tree_size}")
    path: list[bytes] = []
    start, end = 0, tree_size
    while end - start > 1:
        k = _split(end - start)
        if index < start + k:
            path.append(subtree_hash(start + k, end, get_node))
            end = start + k
        else:
            path.append(subtree_hash(start, start + k, get_node))
            start += k
    path.reverse()  # collected root-side first; PATH lists the leaf's sibling first
    return path


def consistency_proof(first: int, second: int, get_node: GetNode) -> list[bytes]:
    """PROOF(first, D[second]) of RFC 9162 2.1.4.1; empty when first is 0 or equals second."""
    if not 0 <= first <= second:
        raise ValueError(f"no consistency proof from size {first} to size {second}")
    proof: list[bytes] = []
    if first in (0, second):
        return proof
    start, end, m, whole_old_tree = 0, second, first, True
    while True:
        n = end - start
        if m == n:
            # SUBPROOF(m, D[m], b): the old tree's own root is left out only at the top.
            if not whole_old_tree:
                proof.append(subtree_hash(start, end, get_node))
            break
        k = _split(n)
        if m <= k:
            proof.append(subtree_hash(start + k, end, get_node))
            end = start + k
        else:
            proof.append(subtree_hash(start, start + k, get_node))
            start, m, whole_old_tree = start + k, m - k, False
    proof.reverse()
    return proof


def new_nodes_for_append(
    leaf_index: int, leaf_hash_: bytes, get_node: GetNode
) -> list[tuple[int, int, bytes]]:
    """The ``(level, index, hash)`` nodes that become complete when leaf ``leaf_index`` is added.

    Level 0 is the leaf itself; each further level is completed while the leaf closes a
    subtree (one per trailing 1 bit of ``leaf_index``), so appends write 2 nodes on average.
    ``get_node`` must already answer for the left siblings, i.e. for all earlier leaves.
    """
    if leaf_index < 0:
        raise ValueError("leaf index must not be negative")
    nodes = [(0, leaf_index, leaf_hash_)]
    current, index, level = leaf_hash_, leaf_index, 0
    while index & 1:
        current = node_hash(get_node(level, index - 1), current)
        index >>= 1
        level += 1
        nodes.append((level, index, current))
    return nodes


def required_nodes(compute: Callable[[GetNode], object]) -> list[tuple[int, int]]:
    """The ``(level, index)`` store nodes ``compute(get_node)`` reads, in first-read order.

    Lets a database store fetch every node a proof needs in one query: the computation is run
    once against placeholder hashes (which proofs never inspect, only combine), e.g.
    ``required_nodes(lambda get: inclusion_proof(i, n, get))``.
    """
    seen: dict[tuple[int, int], None] = {}

    def placeholder(level: int, index: int) -> bytes:
        seen[level, index] = None
        return bytes(HASH_SIZE)

    compute(placeholder)
    return list(seen)


class MemoryTree:
    """An in-memory node store (one list of hashes per level), for tests and benchmarks."""

    def __init__(self) -> None:
        self.levels: list[list[bytes]] = [[]]

    @property
    def size(self) -> int:
        """Number of leaves appended so far."""
        return len(self.levels[0])

    def get_node(self, level: int, index: int) -> bytes:
        """The node store interface; raises ``IndexError`` for a node that is not complete."""
        if level < 0 or index < 0:
            raise IndexError(f"no node ({level}, {index})")
        return self.levels[level][index]

    def append(self, leaf: bytes) -> int:
        """Append leaf bytes; return the new leaf's index."""
        return self.append_hash(leaf_hash(leaf))

    def append_hash(self, hash_: bytes) -> int:
        """Append an already computed leaf hash; return the new leaf's index."""
        index = self.size
        for level, position, value in new_nodes_for_append(index, hash_, self.get_node):
            if level == len(self.levels):
                self.levels.append([])
            assert len(self.levels[level]) == position  # nodes complete strictly left to right
            self.levels[level].append(value)
        return index

    def root(self, tree_size: int | None = None) -> bytes:
        """Root hash at ``tree_size`` (default: the whole tree)."""
        return root_at(self.size if tree_size is None else self._bounded(tree_size), self.get_node)

    def inclusion_proof(self, index: int, tree_size: int | None = None) -> list[bytes]:
        """Inclusion proof for ``index`` in the tree of ``tree_size`` leaves."""
        size = self.size if tree_size is None else self._bounded(tree_size)
        return inclusion_proof(index, size, self.get_node)

    def consistency_proof(self, first: int, second: int | None = None) -> list[bytes]:
        """Consistency proof from ``first`` leaves to ``second`` (default: the whole tree)."""
        size = self.size if second is None else self._bounded(second)
        return consistency_proof(first, size, self.get_node)

    def _bounded(self, tree_size: int) -> int:
        if not 0 <= tree_size <= self.size:
            raise ValueError(f"tree size {tree_size} is outside 0..{self.size}")
        return tree_size


def _is_hash(value: object) -> bool:
    return isinstance(value, bytes) and len(value) == HASH_SIZE


def _is_size(value: object) -> bool:
    return type(value) is int and value >= 0


def _is_proof(proof: object) -> bool:
    return isinstance(proof, list | tuple) and all(_is_hash(p) for p in proof)


def verify_inclusion(
    leaf_hash_: bytes, index: int, tree_size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """RFC 9162 2.1.3.2: does ``proof`` show leaf ``index`` has ``leaf_hash_`` under ``root``?

    Never raises: malformed input (wrong types or lengths, index outside the tree) is False.
    """
    if not (_is_hash(leaf_hash_) and _is_hash(root) and _is_proof(proof)):
        return False
    if not (_is_size(index) and _is_size(tree_size)) or index >= tree_size:
        return False
    fn, sn, r = index, tree_size - 1, leaf_hash_
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 2.1.4.2: is the tree of size ``first`` a prefix of the tree of size ``second``?

    Edge cases (RFC 9162 2.1.4.1 and C2SP merkle-tree): equal sizes need an empty proof and
    equal roots; from size 0 the proof is empty and the old root must be MTH({}). Never raises:
    malformed input is False.
    """
    if not (_is_hash(first_root) and _is_hash(second_root) and _is_proof(proof)):
        return False
    if not (_is_size(first) and _is_size(second)) or first > second:
        return False
    if first == second:
        return not proof and first_root == second_root
    if first == 0:
        return not proof and first_root == EMPTY_ROOT
    if not proof:
        return False
    path = list(proof)
    if first & (first - 1) == 0:
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == first_root and sr == second_root
