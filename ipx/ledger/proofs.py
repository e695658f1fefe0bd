"""What the ledger API answers, from the database: entries, proofs and receipts (no Flask)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ipx.errors import Conflict, NotFound, ValidationFailed
from ipx.ledger import store
from ipx.ledger.checkpoints import SignedCheckpoint, b64, checkpoint_at, latest_checkpoint
from ipx.ledger.tables import LedgerEntry, LedgerRef


class NotYetCheckpointed(Conflict):
    code, title = "not-checkpointed", "No signed checkpoint covers that entry yet"


def entry(session: Session, index: int) -> dict[str, Any]:
    """``{index, leaf, leaf_hash}`` of one entry; 404 when the log has no such entry."""
    row = session.get(LedgerEntry, index)
    if row is None:
        raise NotFound(f"The log has no entry {index}.")
    return {"index": row.seq, "leaf": row.leaf, "leaf_hash": b64(row.leaf_hash)}


def signed_size(session: Session, tree_size: int) -> SignedCheckpoint:
    """The checkpoint of ``tree_size``: proofs are only ever given against a signed size."""
    found = checkpoint_at(session, tree_size)
    if found is None:
        raise NotFound(f"No signed checkpoint has tree size {tree_size}.")
    return found


def inclusion(session: Session, index: int, checkpoint: SignedCheckpoint) -> dict[str, Any]:
    """Inclusion proof of entry ``index`` in the signed tree ``checkpoint``."""
    if index >= checkpoint.tree_size:
        raise NotYetCheckpointed(
            f"Entry {index} is not in the signed tree of size {checkpoint.tree_size}; "
            "a newer checkpoint is signed within the configured interval.",
            tree_size=checkpoint.tree_size,
        )
    leaf_hash = session.execute(
        select(LedgerEntry.leaf_hash).where(LedgerEntry.seq == index)
    ).scalar_one()
    proof = store.inclusion_proof(session, index, checkpoint.tree_size)
    return {
        "index": index,
        "tree_size": checkpoint.tree_size,
        "leaf_hash": b64(leaf_hash),
        "hashes": [b64(h) for h in proof],
        "root_hash": b64(checkpoint.root_hash),
    }


def consistency(session: Session, first: int, second: SignedCheckpoint) -> dict[str, Any]:
    """Consistency proof from the signed size ``first`` to the signed tree ``second``."""
    if first > second.tree_size:
        raise ValidationFailed({"first": [f"Must not exceed second ({second.tree_size})."]})
    signed_size(session, first)
    proof = store.consistency_proof(session, first, second.tree_size)
    return {"first": first, "second": second.tree_size, "hashes": [b64(h) for h in proof]}


def first_entry_of(session: Session, kind: str, record_id: int, event_type: str) -> int | None:
    """The index of the first entry of ``event_type`` that concerns the record, or None."""
    return session.execute(
        select(LedgerEntry.seq)
        .join(LedgerRef, LedgerRef.seq == LedgerEntry.seq)
        .where(LedgerRef.kind == kind, LedgerRef.ref_id == record_id)
        .where(LedgerEntry.type == event_type)
        .order_by(LedgerEntry.seq)
        .limit(1)
    ).scalar_one_or_none()


def receipt(session: Session, index: int, checkpoint: SignedCheckpoint) -> dict[str, Any]:
    """Everything needed to verify offline that entry ``index`` is in the signed tree."""
    found = entry(session, index)
    proof = inclusion(session, index, checkpoint)
    return {
        "leaf": found["leaf"],
        "leaf_index": index,
        "leaf_hash": found["leaf_hash"],
        "inclusion_proof": proof["hashes"],
        "checkpoint": checkpoint.note,
    }


def latest_size(session: Session) -> int | None:
    """The tree size of the latest signed checkpoint, or None when none is signed yet."""
    latest = latest_checkpoint(session)
    return None if latest is None else latest.tree_size
