"""Every key that has signed the log's checkpoints, and the tree sizes each one signed.

``ipx signing rotate`` starts a new Ed25519 key; the checkpoints signed before stay what they
are, verifiable with the retired key's public half. This table remembers each key (public
half only) with the first and last tree size it signed, for the public-key endpoint; the
signing transaction keeps the range up to date. It is bookkeeping, not evidence: ``ipx verify``
checks every checkpoint's signature against the keys the operator trusts (the instance's key
files), never against this table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import BigInteger, Integer, LargeBinary, String, UniqueConstraint, case, select
from sqlalchemy import update as sql_update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from ipx.db import Base, UTCDateTime
from ipx.ledger import note
from ipx.ledger.keyset import signer_key_ids
from ipx.ledger.tables import LedgerCheckpoint


class LedgerSigningKey(Base):
    """A checkpoint signing key: its name and public key, when it started and retired, and
    the first and last tree size it signed (NULL until it signs)."""

    __tablename__ = "ledger_signing_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_name: Mapped[str] = mapped_column(String(200))
    key_id: Mapped[str] = mapped_column(String(8))
    public_key: Mapped[bytes] = mapped_column(LargeBinary(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    first_tree_size: Mapped[int | None] = mapped_column(BigInteger)
    last_tree_size: Mapped[int | None] = mapped_column(BigInteger)

    __table_args__ = (UniqueConstraint("key_name", "public_key"),)


@dataclass(frozen=True)
class SigningKeyRecord:
    """One key of the keyring, as the public-key endpoint lists it."""

    key_name: str
    key_id: str
    public_key: bytes
    created_at: datetime
    retired_at: datetime | None
    first_tree_size: int | None
    last_tree_size: int | None

    @property
    def verifier_key(self) -> str:
        return note.verifier_key(self.key_name, self.public_key)


def key_id_hex(key_name: str, public_key: bytes) -> str:
    """The C2SP key id (SHA-256(name || "\\n" || 0x01 || key)[:4]) in hex."""
    return note.key_id(key_name, public_key).hex()


def signing_keys(session: Session) -> list[SigningKeyRecord]:
    """Every key the log has had, oldest first."""
    rows = session.execute(
        select(LedgerSigningKey).order_by(LedgerSigningKey.created_at, LedgerSigningKey.id)
    ).scalars()
    return [
        SigningKeyRecord(
            row.key_name,
            row.key_id,
            bytes(row.public_key),
            row.created_at,
            row.retired_at,
            row.first_tree_size,
            row.last_tree_size,
        )
        for row in rows
    ]


def register_key(session: Session, key_name: str, public_key: bytes, now: datetime) -> None:
    """Add the key to the keyring if it is not there (caller commits).

    The first key registered on a log signed before the keyring existed takes over the range
    of checkpoints it signed: the earliest and latest stored checkpoint, when they carry its
    signature (before rotation existed the log had one key).
    """
    if _find(session, key_name, public_key) is not None:
        return
    kid = key_id_hex(key_name, public_key)
    first = last = None
    if session.execute(select(LedgerSigningKey.id).limit(1)).first() is None:
        first, last = _earliest_and_latest_signed_by(session, kid)
    row = LedgerSigningKey(
        key_name=key_name,
        key_id=kid,
        public_key=public_key,
        created_at=now,
        first_tree_size=first,
        last_tree_size=last,
    )
    try:
        with session.begin_nested():  # a concurrent signer may register it first: fine
            session.add(row)
    except IntegrityError:
        pass


def retire_others(session: Session, key_name: str, public_key: bytes, now: datetime) -> None:
    """Mark every key but this one retired (caller commits)."""
    current = _find(session, key_name, public_key)
    stmt = sql_update(LedgerSigningKey).where(LedgerSigningKey.retired_at.is_(None))
    if current is not None:
        stmt = stmt.where(LedgerSigningKey.id != current)
    session.execute(stmt.values(retired_at=now))


def record_signature(
    session: Session, key_name: str, public_key: bytes, tree_size: int, now: datetime
) -> None:
    """Note, in the signing transaction, that this key signed the tree of ``tree_size``."""
    first, last = LedgerSigningKey.first_tree_size, LedgerSigningKey.last_tree_size
    stmt = (
        sql_update(LedgerSigningKey)
        .where(LedgerSigningKey.key_name == key_name, LedgerSigningKey.public_key == public_key)
        .values(
            first_tree_size=case((first.is_(None) | (first > tree_size), tree_size), else_=first),
            last_tree_size=case((last.is_(None) | (last < tree_size), tree_size), else_=last),
        )
        .execution_options(synchronize_session=False)
    )
    if session.execute(stmt).rowcount == 0:  # type: ignore[attr-defined]
        register_key(session, key_name, public_key, now)  # a key that was never registered
        session.execute(stmt)


def _find(session: Session, key_name: str, public_key: bytes) -> int | None:
    return session.execute(
        select(LedgerSigningKey.id).where(
            LedgerSigningKey.key_name == key_name, LedgerSigningKey.public_key == public_key
        )
    ).scalar_one_or_none()


def _earliest_and_latest_signed_by(session: Session, kid: str) -> tuple[int | None, int | None]:
    found: list[int | None] = []
    for order in (LedgerCheckpoint.tree_size.asc(), LedgerCheckpoint.tree_size.desc()):
        row = session.execute(
            select(LedgerCheckpoint.tree_size, LedgerCheckpoint.note).order_by(order).limit(1)
        ).first()
        found.append(row.tree_size if row is not None and kid in signer_key_ids(row.note) else None)
    return found[0], found[1]
