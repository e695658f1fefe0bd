"""Appending to the log inside the caller's transaction."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from ipx.ledger.events import Event, leaf_bytes
from ipx.ledger.tables import LedgerEntry, LedgerHead, LedgerRef

HEAD_ID = 1


def leaf_hash(leaf: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + leaf).digest()


def append(session: Session, events: list[Event], *, actor: str, now: datetime) -> list[int]:
    """Append events to the log in the caller's transaction; return their sequence numbers.

    The head row is locked (``FOR UPDATE``) so concurrent appenders are serialised and the
    log's order is the commit order, without gaps or duplicates.
    """
    if not events:
        return []
    size = session.execute(
        select(LedgerHead.size).where(LedgerHead.id == HEAD_ID).with_for_update()
    ).scalar_one_or_none()
    if size is None:
        session.add(LedgerHead(id=HEAD_ID, size=0))
        session.flush()
        size = 0
    entries, refs, seqs = [], [], []
    for offset, event in enumerate(events):
        seq = size + offset
        leaf = leaf_bytes(event, seq=seq, time=now, actor=actor)
        entries.append(
            {
                "seq": seq,
                "time": now,
                "type": event.type,
                "leaf": leaf.decode(),
                "leaf_hash": leaf_hash(leaf),
            }
        )
        refs.extend({"seq": seq, "kind": k, "ref_id": i} for k, i in _flatten_refs(event.refs))
        seqs.append(seq)
    session.execute(insert(LedgerEntry), entries)
    if refs:
        session.execute(insert(LedgerRef), refs)
    session.execute(
        update(LedgerHead).where(LedgerHead.id == HEAD_ID).values(size=size + len(events))
    )
    return seqs


def _flatten_refs(refs: dict):
    seen = set()
    for kind, value in refs.items():
        ids = value if isinstance(value, list | tuple) else [value]
        singular = kind[:-1] if kind.endswith("s") and isinstance(value, list | tuple) else kind
        for ref_id in ids:
            if ref_id is not None and (singular, ref_id) not in seen:
                seen.add((singular, ref_id))
                yield singular, int(ref_id)
