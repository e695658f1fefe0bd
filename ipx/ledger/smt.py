"""A sparse Merkle tree over 256-bit keys: updates, proofs of presence and of absence.

Standard library only: the offline verifier (``python -m ipx.ledger.verify``) imports it.

The tree is the binary trie of the keys' bits (bit 0 is the most significant bit of byte 0),
depth 256, with two shortcuts that keep it small and its proofs short (the construction of
Diem's and Aptos's Jellyfish Merkle tree, binary):

- an **empty** subtree, at any height, has the default hash ``EMPTY`` (32 zero bytes, which no
  SHA-256 output equals), so nothing of it is stored;
- a subtree holding exactly **one** leaf is that leaf: its hash is the leaf hash, wherever the
  leaf sits, so a leaf sits at the shallowest depth where its key's prefix is its own.

Hashes (domain-separated from each other and from the RFC 9162 log's ``0x00``/``0x01``):

- leaf: ``SHA-256(0x10 || key || SHA-256(value))``;
- interior node: ``SHA-256(0x11 || left || right)`` (``EMPTY`` for an empty child).

A tree of ``n`` random keys is about ``log2 n`` deep (20 at 10^6), so an update reads and
rewrites about that many nodes and a proof holds about that many sibling hashes. Every set of
leaves has exactly one such tree, so its root commits to the set.

Nodes are stored by **path**: two bytes of depth, then the key's first ``depth`` bits packed
(the rest of the last byte zero). ``update`` and ``prove`` work on one key's ``Way`` down any
``Store``: the node at each depth on it and its sibling. ``MemoryStore`` keeps nodes by path in
a dict (the property tests, the replay of the log); the database keeps them in pages of four
levels (``ipx.ledger.smt_pages``), whose ways find a node by arithmetic on the key
(``ipx.ledger.encumbrance_map``).
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple, Protocol

KEY_SIZE = 32
DEPTH = 8 * KEY_SIZE
EMPTY = bytes(32)
_LEAF = b"\x10"
_NODE = b"\x11"


def value_hash(value: bytes) -> bytes:
    """SHA-256 of a leaf's value bytes."""
    return hashlib.sha256(value).digest()


def leaf_hash(key: bytes, hashed_value: bytes) -> bytes:
    """The hash of the leaf of ``key`` whose value hashes to ``hashed_value``."""
    return hashlib.sha256(_LEAF + key + hashed_value).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The hash of an interior node from its children's hashes."""
    return hashlib.sha256(_NODE + left + right).digest()


def bit(key: bytes, index: int) -> int:
    """Bit ``index`` of ``key`` (0 is the most significant bit of the first byte)."""
    return (key[index >> 3] >> (7 - (index & 7))) & 1


@functools.lru_cache(maxsize=1 << 16)
def path_of(key: bytes, depth: int) -> bytes:
    """The path of the node at ``depth`` on ``key``'s way down (see the module docstring).

    Cached: an update asks for each path on its way several times."""
    size, rest = divmod(depth, 8)
    prefix = bytearray(key[: size + (1 if rest else 0)])
    if rest:
        prefix[-1] &= (0xFF << (8 - rest)) & 0xFF
    return depth.to_bytes(2, "big") + bytes(prefix)


def flip(key: bytes, index: int) -> bytes:
    """``key`` with bit ``index`` inverted."""
    changed = bytearray(key)
    changed[index >> 3] ^= 0x80 >> (index & 7)
    return bytes(changed)


@functools.lru_cache(maxsize=1 << 16)
def sibling_path(key: bytes, depth: int) -> bytes:
    """The path of the sibling, at ``depth + 1``, of ``key``'s child of the node at ``depth``."""
    return path_of(flip(key, depth), depth + 1)


def common_prefix(a: bytes, b: bytes) -> int:
    """How many leading bits ``a`` and ``b`` share (256 when equal)."""
    for i in range(KEY_SIZE):
        if a[i] != b[i]:
            return 8 * i + 8 - (a[i] ^ b[i]).bit_length()
    return DEPTH


class Node(NamedTuple):
    """A stored node: an interior node (``key`` None) or a leaf with its key and value.

    (A named tuple, not a dataclass: a store builds one for every node it reads.)"""

    hash: bytes
    key: bytes | None = None
    value: bytes | None = None


class Way(Protocol):
    """One key's way down a tree: the node at each depth on it (depth 0 is the root) and the
    node beside it, its sibling (depth >= 1), to read and to write (None: empty)."""

    def end(self) -> tuple[int, Node | None]:
        """The depth at which the way ends, and what is there (None, or a leaf)."""
        ...

    def node(self, depth: int) -> Node | None: ...

    def beside(self, depth: int) -> Node | None: ...

    def put(self, depth: int, node: Node | None) -> None: ...

    def put_beside(self, depth: int, node: Node | None) -> None: ...

    def rehash(self, deepest: int) -> None:
        """Recompute the interior nodes on the way from ``deepest`` up to the root (each from
        the one just computed below it and its sibling): ``rehash``'s result."""
        ...


class Store(Protocol):
    """Where nodes live: ``way`` gives a key's way down, which reads and writes them."""

    def way(self, key: bytes) -> Way: ...


class MemoryStore:
    """A store in a dict of nodes by path (tests, and replaying the log in ``ipx verify``)."""

    def __init__(self) -> None:
        self.nodes: dict[bytes, Node] = {}

    def way(self, key: bytes) -> Way:
        return PathWay(self.nodes, key)


class PathWay:
    """A key's way over nodes by path (``path_of``, ``sibling_path``)."""

    __slots__ = ("nodes", "key")

    def __init__(self, nodes: dict[bytes, Node], key: bytes) -> None:
        self.nodes, self.key = nodes, key

    def end(self) -> tuple[int, Node | None]:
        depth = 0
        while True:
            node = self.node(depth)
            if node is None or node.key is not None:
                return depth, node
            depth += 1

    def node(self, depth: int) -> Node | None:
        return self.nodes.get(path_of(self.key, depth))

    def beside(self, depth: int) -> Node | None:
        return self.nodes.get(sibling_path(self.key, depth - 1))

    def put(self, depth: int, node: Node | None) -> None:
        self._put(path_of(self.key, depth), node)

    def put_beside(self, depth: int, node: Node | None) -> None:
        self._put(sibling_path(self.key, depth - 1), node)

    def _put(self, path: bytes, node: Node | None) -> None:
        if node is None:
            self.nodes.pop(path, None)
        else:
            self.nodes[path] = node

    def rehash(self, deepest: int) -> None:
        rehash(self, self.key, deepest)


def root(store: Store) -> bytes:
    """The root hash (``EMPTY`` for the empty tree)."""
    node = store.way(bytes(KEY_SIZE)).node(0)
    return EMPTY if node is None else node.hash


def get(store: Store, key: bytes) -> bytes | None:
    """The value stored under ``key``, or None."""
    _, node = store.way(key).end()
    return node.value if node is not None and node.key == key else None


def update(store: Store, key: bytes, value: bytes | None) -> None:
    """Set ``key``'s value (None removes it), rewriting the O(depth) nodes above it."""
    if len(key) != KEY_SIZE:
        raise ValueError("a key is 32 bytes")
    way = store.way(key)
    depth, found = way.end()
    if value is not None:
        leaf = Node(leaf_hash(key, value_hash(value)), key, value)
        if found is None or found.key == key:
            way.put(depth, leaf)
            way.rehash(depth - 1)
            return
        assert found.key is not None
        split = common_prefix(key, found.key)  # the deepest new interior node
        way.put_beside(split + 1, found)  # (the other key's way parts from ours there)
        way.put(split + 1, leaf)
        way.rehash(split)
        return
    if found is None or found.key != key:
        return  # nothing to remove
    way.put(depth, None)
    moving: Node | None = None  # a lone leaf rising to replace its parent
    level = depth - 1
    while level >= 0:
        beside = way.beside(level + 1)
        if moving is None and beside is not None and beside.key is not None:
            way.put_beside(level + 1, None)
            moving = beside
        elif moving is not None and beside is None:
            way.put(level + 1, None)
        else:
            break
        way.put(level, moving)
        level -= 1
    way.rehash(level)


def rehash(way: Way, key: bytes, deepest: int) -> None:
    """Recompute the interior nodes on ``key``'s way from ``deepest`` up to the root (each
    from the one just computed below it and its sibling: one read a level), through the way's
    reads and writes: ``PathWay.rehash``, and what a faster ``Way.rehash`` must equal."""
    below = way.node(deepest + 1) if deepest >= 0 else None
    hashed = EMPTY if below is None else below.hash
    for level in range(deepest, -1, -1):
        other = way.beside(level + 1)
        beside = EMPTY if other is None else other.hash
        hashed = node_hash(hashed, beside) if bit(key, level) == 0 else node_hash(beside, hashed)
        way.put(level, Node(hashed))


@dataclass(frozen=True)
class Proof:
    """The way down to where ``key`` is or would be: the sibling hashes from the root down,
    and what ends the way: ``None`` (an empty subtree) or a leaf ``(key, value hash)`` —
    ``key``'s own (presence) or another key sharing the prefix (absence)."""

    siblings: tuple[bytes, ...]
    leaf: tuple[bytes, bytes] | None

    def to_json(self) -> dict[str, object]:
        """``{"siblings": [base64, or null for EMPTY], "leaf": {"key": hex, "value_hash":
        base64} | null}``."""
        leaf = None
        if self.leaf is not None:
            leaf = {"key": self.leaf[0].hex(), "value_hash": _b64(self.leaf[1])}
        return {"siblings": [None if s == EMPTY else _b64(s) for s in self.siblings], "leaf": leaf}

    @classmethod
    def from_json(cls, data: object) -> Proof:
        """Parse ``to_json``'s form; raises ``ValueError`` when malformed."""
        if not isinstance(data, dict) or set(data) != {"siblings", "leaf"}:
            raise ValueError("a map proof is {siblings, leaf}")
        siblings = data["siblings"]
        if not isinstance(siblings, list) or len(siblings) > DEPTH:
            raise ValueError("siblings must be a list of at most 256 hashes")
        hashes = tuple(EMPTY if s is None else unb64(s) for s in siblings)
        leaf = data["leaf"]
        if leaf is None:
            return cls(hashes, None)
        if not isinstance(leaf, dict) or set(leaf) != {"key", "value_hash"}:
            raise ValueError("a proof's leaf is {key, value_hash}")
        try:
            key = bytes.fromhex(leaf["key"]) if isinstance(leaf["key"], str) else b""
        except ValueError:
            key = b""
        if len(key) != KEY_SIZE:
            raise ValueError("a proof's leaf key is 32 bytes in hex")
        return cls(hashes, (key, unb64(leaf["value_hash"])))


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: object) -> bytes:
    if not isinstance(text, str):
        raise ValueError("a hash is a base64 string")
    try:
        data = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError) as exc:
        raise ValueError("a hash is not valid base64") from exc
    if len(data) != 32:
        raise ValueError("a hash is 32 bytes")
    return data


def prove(store: Store, key: bytes) -> Proof:
    """The proof of ``key``'s value, or of its absence."""
    way = store.way(key)
    depth, found = way.end()
    siblings = []
    for level in range(depth):
        node = way.beside(level + 1)
        siblings.append(EMPTY if node is None else node.hash)
    leaf = None
    if found is not None:
        assert found.key is not None and found.value is not None
        leaf = (found.key, value_hash(found.value))
    return Proof(tuple(siblings), leaf)


def verify(root_hash: bytes, key: bytes, value: bytes | None, proof: Proof) -> bool:
    """Whether ``proof`` shows that under ``root_hash`` the value of ``key`` is ``value``
    (None: that ``key`` is absent)."""
    return proven_root(key, value, proof) == root_hash


def proven_root(key: bytes, value: bytes | None, proof: Proof) -> bytes | None:
    """The root ``proof`` leads to when it is a proof that ``key`` has ``value`` (None: is
    absent); None when it cannot be one (a leaf of another key where ``key``'s should be, a
    value whose hash differs, an absence that another key's prefix does not cover)."""
    if len(key) != KEY_SIZE or len(proof.siblings) > DEPTH:
        return None
    depth = len(proof.siblings)
    if proof.leaf is None:
        if value is not None:
            return None
        hashed = EMPTY
    else:
        other, hashed_value = proof.leaf
        if value is not None:
            if other != key or hashed_value != value_hash(value):
                return None
        elif other == key or common_prefix(other, key) < depth:
            return None
        hashed = leaf_hash(other, hashed_value)
    for level in range(depth - 1, -1, -1):
        sibling = proof.siblings[level]
        hashed = node_hash(hashed, sibling) if bit(key, level) == 0 else node_hash(sibling, hashed)
    return hashed


def build(items: Iterable[tuple[bytes, bytes]]) -> MemoryStore:
    """A tree in memory holding ``(key, value)`` items."""
    store = MemoryStore()
    for key, value in items:
        update(store, key, value)
    return store
