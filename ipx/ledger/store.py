"""The Merkle tree as stored in the database: roots and proofs in one round trip.

``merkle``'s algorithms only ever ask for complete subtrees, and which ones they ask for depends
on the sizes and indexes alone, never on the hashes. So each operation runs twice: once against
a recorder that notes the ``(level, position)`` keys asked for (O(log n) of them), then, after
one query fetches exactly those rows, against the fetched hashes. Level 0 is read from
``ledger_entries.leaf_hash``; higher levels from ``ledger_nodes``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable

from sqlalchemy import TextClause, select, text
from sqlalchemy.orm import Session

from ipx.ledger import merkle
from ipx.ledger.tables import LedgerHead

HEAD_ID = 1
NodeKey = tuple[int, int]
_PLACEHOLDER = bytes(merkle.HASH_SIZE)


class MissingNode(LookupError):
    """A node the tree of that size must have is not stored (a damaged or truncated log)."""


def log_size(session: Session) -> int:
    """The number of entries committed so far (read without locking)."""
    return session.execute(select(LedgerHead.size).where(LedgerHead.id == HEAD_ID)).scalar() or 0


def fetch_nodes(session: Session, keys: Iterable[NodeKey]) -> dict[NodeKey, bytes]:
    """The stored hashes of the given complete-subtree keys, in one query."""
    keys = set(keys)
    leaves = sorted(position for level, position in keys if level == 0)
    inner = sorted(key for key in keys if key[0] > 0)
    if not keys:
        return {}
    params = {f"s{i}": seq for i, seq in enumerate(leaves)}
    for i, (level, position) in enumerate(inner):
        params[f"l{i}"], params[f"p{i}"] = level, position
    rows = session.execute(_node_query(len(leaves), len(inner)), params)
    return {(int(lv), int(pos)): bytes(h) for lv, pos, h in rows}


@functools.lru_cache(maxsize=512)
def _node_query(leaves: int, inner: int) -> TextClause:
    """The SQL fetching ``leaves`` leaf hashes and ``inner`` nodes, built once per shape.

    Appends and proofs run it on every call, so it is plain SQL with numbered parameters rather
    than an expression rebuilt each time. Inner nodes are an OR of key pairs, not a row-value
    IN: SQLite scans the table for the latter, and uses the primary key for this.
    """
    parts = []
    if leaves:
        seqs = ", ".join(f":s{i}" for i in range(leaves))
        parts.append(
            "SELECT 0 AS level, seq AS position, leaf_hash AS hash FROM ledger_entries "
            f"WHERE seq IN ({seqs})"
        )
    if inner:
        pairs = " OR ".join(f"(level = :l{i} AND position = :p{i})" for i in range(inner))
        parts.append(f"SELECT level, position, hash FROM ledger_nodes WHERE {pairs}")
    return text(" UNION ALL ".join(parts))


def run_on_store(session: Session, operation: Callable[[merkle.GetNode], object]):
    """Run a ``merkle`` function of a node store against the database (see module docstring)."""
    wanted: set[NodeKey] = set()

    def record(level: int, position: int) -> bytes:
        wanted.add((level, position))
        return _PLACEHOLDER

    operation(record)
    nodes = fetch_nodes(session, wanted)
    missing = wanted - nodes.keys()
    if missing:
        level, position = min(missing)
        raise MissingNode(f"node (level {level}, position {position}) is not stored")
    return operation(lambda level, position: nodes[(level, position)])


def root_at(session: Session, tree_size: int) -> bytes:
    """The root hash of the first ``tree_size`` entries."""
    return run_on_store(session, lambda get: merkle.root_at(tree_size, get))


def inclusion_proof(session: Session, index: int, tree_size: int) -> list[bytes]:
    """RFC 9162 inclusion proof of entry ``index`` in the tree of ``tree_size`` entries."""
    return run_on_store(session, lambda get: merkle.inclusion_proof(index, tree_size, get))


def consistency_proof(session: Session, first: int, second: int) -> list[bytes]:
    """RFC 9162 consistency proof from ``first`` entries to ``second``."""
    return run_on_store(session, lambda get: merkle.consistency_proof(first, second, get))


def frontier_keys(size: int) -> list[NodeKey]:
    """The complete subtrees whose hashes make up the tree of ``size`` leaves (one per set bit).

    These are all an append needs: every left sibling it combines with is one of them or a
    node the same append creates.
    """
    return [(level, (size >> level) - 1) for level in range(size.bit_length()) if size >> level & 1]
