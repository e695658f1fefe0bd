"""Log entries and receipts as a reader may see them (no Flask).

Everyone gets the public leaf (``leaf``, ``leaf_hash``): for an event the public notice does not
show, only digests (``ipx.ledger.disclosure``). A reader the caller's ``may_open`` admits
(clerks, auditors, the parties the event names: the HTTP layer decides) also gets the event in
clear (``event``), the stored text the leaf seals (``record``) and, for a format-2 entry, the
entry's own key (``entry_key``, hex): with these the leaf can be recomputed offline
(``python -m ipx.ledger.verify``), and they open no other entry.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from ipx.errors import NotFound
from ipx.ledger import disclosure, proofs
from ipx.ledger.checkpoints import SignedCheckpoint, b64
from ipx.ledger.disclosure import JSONObject
from ipx.ledger.tables import LedgerEntry

MayOpen = Callable[[disclosure.OpenedEntry], bool]


def entry(session: Session, index: int, *, blinding_key: bytes, may_open: MayOpen) -> JSONObject:
    """``{index, leaf, leaf_hash}``, plus the event in clear when ``may_open`` admits it; 404
    when the log has no such entry."""
    row = _row(session, index)
    answer: JSONObject = {"index": row.seq, "leaf": row.leaf, "leaf_hash": b64(row.leaf_hash)}
    return answer | _disclosed(row, blinding_key, may_open)


def receipt(
    session: Session,
    index: int,
    checkpoint: SignedCheckpoint,
    *,
    blinding_key: bytes,
    may_open: MayOpen,
) -> JSONObject:
    """The receipt of entry ``index`` in the signed tree ``checkpoint`` (``proofs.receipt``)
    with the event in clear; 404 unless ``may_open`` admits the caller to it."""
    shown = _disclosed(_row(session, index), blinding_key, may_open)
    if not shown:
        raise NotFound(f"The log has no entry {index} you may see in clear.")
    return proofs.receipt(session, index, checkpoint) | shown


def may_see_in_clear(session: Session, index: int, may_open: MayOpen) -> bool:
    """Whether ``may_open`` admits the caller to entry ``index`` (404 for no such entry)."""
    row = _row(session, index)
    return may_open(disclosure.open_entry(row.leaf, row.details))


def _row(session: Session, index: int) -> LedgerEntry:
    row = session.get(LedgerEntry, index)
    if row is None:
        raise NotFound(f"The log has no entry {index}.")
    return row


def _disclosed(row: LedgerEntry, blinding_key: bytes, may_open: MayOpen) -> JSONObject:
    opened = disclosure.open_entry(row.leaf, row.details)
    if not may_open(opened):
        return {}
    shown: JSONObject = {"event": opened.event()}
    if opened.sealed is not None:
        shown["record"] = opened.sealed
    if opened.version == disclosure.FORMAT:
        shown["entry_key"] = disclosure.entry_key(blinding_key, row.seq).hex()
    return shown
