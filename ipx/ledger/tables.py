"""Tables of the append-only log.

``ledger_entries`` holds the leaves; ``ledger_nodes`` the hashes of complete subtrees above
them (level >= 1; level 0 is ``ledger_entries.leaf_hash``), written once when the subtree
completes, so roots and proofs read O(log n) rows; ``ledger_checkpoints`` the signed tree heads.
On PostgreSQL a trigger refuses UPDATE and DELETE on all three and on ``ledger_refs``
(migration 0002). Only ``ledger_head`` changes: appenders lock it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from ipx.db import Base, UTCDateTime


class LedgerHead(Base):
    """A single row: the log's size, last leaf time and Merkle frontier (the hashes of the
    complete subtrees making up the tree, lowest level first; NULL until the next append
    stores it). Appenders lock it, which makes the log's order the commit order."""

    __tablename__ = "ledger_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    last_time: Mapped[datetime | None] = mapped_column(UTCDateTime())
    frontier: Mapped[bytes | None] = mapped_column(LargeBinary)


class LedgerEntry(Base):
    """A leaf: its canonical JSON text and SHA-256(0x00 || text)."""

    __tablename__ = "ledger_entries"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    time: Mapped[datetime] = mapped_column(UTCDateTime())
    type: Mapped[str] = mapped_column(String(64))
    leaf: Mapped[str] = mapped_column(Text)
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    # The text the leaf's digests.details seals, never served publicly: a format-2 entry's
    # sealed record (the whole event, ipx.ledger.disclosure); a format-1 entry's private facts
    # with their salt (None when it had none).
    details: Mapped[str | None] = mapped_column(Text)


class LedgerRef(Base):
    """Index from a record to the log entries that concern it (for histories)."""

    __tablename__ = "ledger_refs"

    seq: Mapped[int] = mapped_column(BigInteger, ForeignKey("ledger_entries.seq"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    ref_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)

    __table_args__ = (Index("ix_ledger_refs_kind_ref_id", "kind", "ref_id", "seq"),)


class LedgerNode(Base):
    """The hash of the complete subtree of 2**level leaves starting at leaf position * 2**level."""

    __tablename__ = "ledger_nodes"

    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    position: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class LedgerCheckpoint(Base):
    """A signed tree head: the C2SP signed note over (origin, tree size, root hash)."""

    __tablename__ = "ledger_checkpoints"

    tree_size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    note: Mapped[str] = mapped_column(Text)
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime())
