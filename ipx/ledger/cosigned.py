"""The witnesses' cosignatures the log holds, per signed tree size (``ledger_cosignatures``).

``ipx.ledger.witnessing`` asks the witnesses and stores their lines; ``checkpoints`` puts them
after the log's own signature whenever it reads a checkpoint, so the note served with the
checkpoint, with proofs and in receipts carries them. Append-only on PostgreSQL (0014).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, ColumnElement, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from ipx.db import Base
from ipx.ledger.tables import LedgerCheckpoint


class LedgerCosignature(Base):
    """A witness's cosignature line on the checkpoint of ``tree_size``."""

    __tablename__ = "ledger_cosignatures"

    tree_size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    witness: Mapped[str] = mapped_column(String(200), primary_key=True)
    key_id: Mapped[str] = mapped_column(String(8), primary_key=True)
    timestamp: Mapped[int] = mapped_column(BigInteger)
    line: Mapped[str] = mapped_column(Text)


def checkpoint_with_lines(
    session: Session, where: ColumnElement[bool]
) -> tuple[LedgerCheckpoint, list[str]] | None:
    """The checkpoint row ``where`` selects and its cosignature lines, in one query."""
    rows = session.execute(
        select(LedgerCheckpoint, LedgerCosignature.line)
        .outerjoin(LedgerCosignature, LedgerCosignature.tree_size == LedgerCheckpoint.tree_size)
        .where(where)
        .order_by(LedgerCosignature.witness, LedgerCosignature.key_id)
    ).all()
    if not rows:
        return None
    return rows[0][0], [line for _, line in rows if line is not None]
