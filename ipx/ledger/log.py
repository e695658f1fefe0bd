"""Appending to the log inside the caller's transaction.

The head row is locked (``FOR UPDATE``) only here, at the very end of a unit of work, so
concurrent appenders are serialised and the log's order is the commit order with neither gaps
nor duplicates. Under the lock the append reads the few frontier nodes it builds on (one
query), then writes its entries, the subtree nodes they complete and their record refs in
three batched inserts. Nothing is cached between transactions: the frontier read under the
lock is the only state an append depends on, so it is always the committed one.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from ipx.ledger import merkle
from ipx.ledger.events import Event, leaf_bytes, sealed_details
from ipx.ledger.store import HEAD_ID, fetch_nodes, frontier_keys
from ipx.ledger.tables import LedgerEntry, LedgerHead, LedgerNode, LedgerRef

leaf_hash = merkle.leaf_hash

_INSERT_ENTRIES = insert(LedgerEntry.__table__)
_INSERT_NODES = insert(LedgerNode.__table__)
_INSERT_REFS = insert(LedgerRef.__table__)
_UPDATE_HEAD = (
    update(LedgerHead.__table__)
    .where(LedgerHead.__table__.c.id == HEAD_ID)
    .values(size=bindparam("size"), last_time=bindparam("last_time"))
)


def append(session: Session, events: list[Event], *, actor: str, now: datetime) -> list[int]:
    """Append events to the log in the caller's transaction; return their sequence numbers.

    A leaf's time is ``now``, raised to the previous leaf's time when a transaction that started
    later committed first, so times never go backwards along the log.
    """
    if not events:
        return []
    size, last_time = _lock_head(session)
    time = max(now, last_time) if last_time is not None else now
    nodes = fetch_nodes(session, frontier_keys(size))
    entries, new_nodes, refs = [], [], []
    for offset, event in enumerate(events):
        seq = size + offset
        details = None
        if event.private:
            details, digest = sealed_details(event.private)
            event = replace(event, digests={**event.digests, "details": digest})
        leaf = leaf_bytes(event, seq=seq, time=time, actor=actor)
        hashed = leaf_hash(leaf)
        entries.append(
            {
                "seq": seq,
                "time": time,
                "type": event.type,
                "leaf": leaf.decode(),
                "leaf_hash": hashed,
                "details": details,
            }
        )
        for level, position, value in merkle.new_nodes_for_append(
            seq, hashed, lambda lv, pos: nodes[(lv, pos)]
        ):
            nodes[(level, position)] = value
            if level:
                new_nodes.append({"level": level, "position": position, "hash": value})
        refs.extend({"seq": seq, "kind": k, "ref_id": i} for k, i in _flatten_refs(event.refs))
    # Core statements on the session's connection: the ORM's bulk machinery costs more than
    # the inserts themselves at one event per transaction, and these rows have no objects.
    connection = session.connection()
    connection.execute(_INSERT_ENTRIES, entries)
    if new_nodes:
        connection.execute(_INSERT_NODES, new_nodes)
    if refs:
        connection.execute(_INSERT_REFS, refs)
    new_size = size + len(events)
    connection.execute(_UPDATE_HEAD, {"size": new_size, "last_time": time})
    return list(range(size, new_size))


def _lock_head(session: Session) -> tuple[int, datetime | None]:
    row = session.execute(
        select(LedgerHead.size, LedgerHead.last_time)
        .where(LedgerHead.id == HEAD_ID)
        .with_for_update()
    ).first()
    if row is None:  # a database created without migration 0002's head row
        session.add(LedgerHead(id=HEAD_ID, size=0))
        session.flush()
        return 0, None
    return row.size, row.last_time


def _flatten_refs(refs: dict):
    seen = set()
    for kind, value in refs.items():
        ids = value if isinstance(value, list | tuple) else [value]
        singular = kind[:-1] if kind.endswith("s") and isinstance(value, list | tuple) else kind
        for ref_id in ids:
            if ref_id is not None and (singular, ref_id) not in seen:
                seen.add((singular, ref_id))
                yield singular, int(ref_id)
