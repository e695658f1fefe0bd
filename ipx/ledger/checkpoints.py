"""Checkpoints of the log (placeholder until signed checkpoints land: the current size only)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ipx.ledger.tables import LedgerHead


def checkpoint_reference(session: Session) -> dict:
    """The checkpoint a read was answered from: tree size and base64 root hash."""
    size = session.execute(select(LedgerHead.size)).scalar_one_or_none() or 0
    return {"tree_size": size, "root_hash": None}
