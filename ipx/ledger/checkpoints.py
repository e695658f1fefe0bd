"""Signed checkpoints: when to sign one, signing it, and reading the stored ones.

Signing is lazy: nothing signs on the registry's write path. A reader that needs a checkpoint
(checkpoint, proof, receipt and public-query requests) calls ``refresh_checkpoint``, which
signs the current tree only when the policy says the latest checkpoint is stale (older than
``every_seconds`` or ``every_events`` behind), or when forced (a clerk's request, ``ipx
checkpoint``, a receipt whose entry no checkpoint covers yet). The signature goes in a short
transaction of its own; concurrent signers of one size meet the primary key on ``tree_size``
and the loser reads the winner's row.

Each checkpoint commits to the root of the map of encumbrances at its size on a C2SP
tlog-checkpoint **extension line** (``ipx.encumbrance-map/v1 <base64 root>``), not in a log
leaf: the signature then binds the log's root and the map's root of the same tree size N,
so a search certificate is "as of N" exactly, with nothing appended to the log for it (a leaf
carrying the root could only commit to the map before itself, and every checkpoint would cost
an entry); verifiers that do not know the line ignore it, as tlog-checkpoint lets them, and
checkpoints signed before the map (no line) verify as they did.
"""

from __future__ import annotations

import base64
import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import overload

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ipx.db import begin_write, reading
from ipx.errors import LedgerInconsistent
from ipx.ledger import encumbrance_map, encumbrances, keyring, merkle, note, store
from ipx.ledger.cosigned import checkpoint_with_lines
from ipx.ledger.tables import LedgerCheckpoint

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LogSigner:
    """The log's identity: origin line, key name and Ed25519 signing key."""

    origin: str
    key_name: str
    private_key: Ed25519PrivateKey

    @property
    def public_key(self) -> bytes:
        """The 32 raw bytes of the public key."""
        return self.private_key.public_key().public_bytes_raw()

    def sign(self, tree_size: int, root_hash: bytes, extensions: tuple[str, ...] = ()) -> str:
        """The signed note of a checkpoint (with ``extensions``: its extension lines)."""
        checkpoint = note.Checkpoint(self.origin, tree_size, root_hash, extensions)
        return note.sign_checkpoint(checkpoint, self.key_name, self.private_key)


@dataclass(frozen=True)
class CheckpointPolicy:
    """A new checkpoint is due when the latest is this old or this many entries behind."""

    every_seconds: float
    every_events: int

    def due(self, latest: SignedCheckpoint | None, size: int, now: datetime) -> bool:
        """Whether a reader at ``now``, seeing ``size`` entries, should sign a new checkpoint."""
        if latest is None:
            return True
        if size <= latest.tree_size:
            return False
        behind = size - latest.tree_size >= self.every_events
        return behind or now - latest.signed_at >= timedelta(seconds=self.every_seconds)


@dataclass(frozen=True)
class SignedCheckpoint:
    """A stored checkpoint."""

    tree_size: int
    root_hash: bytes
    note: str
    signed_at: datetime

    def reference(self) -> dict:
        """``{tree_size, root_hash}`` (base64) as answers stamped with a checkpoint carry it."""
        return {"tree_size": self.tree_size, "root_hash": b64(self.root_hash)}


def b64(data: bytes) -> str:
    """Standard base64 text, as the API and the signed notes use."""
    return base64.b64encode(data).decode("ascii")


@overload
def _signed(row: LedgerCheckpoint) -> SignedCheckpoint: ...
@overload
def _signed(row: LedgerCheckpoint | None) -> SignedCheckpoint | None: ...
def _signed(row: LedgerCheckpoint | None) -> SignedCheckpoint | None:
    if row is None:
        return None
    return SignedCheckpoint(row.tree_size, bytes(row.root_hash), row.note, row.signed_at)


def latest_checkpoint(session: Session) -> SignedCheckpoint | None:
    """The stored checkpoint of the largest tree, or None (its note with the witnesses'
    cosignatures, ``ipx.ledger.cosigned``)."""
    newest = select(func.max(LedgerCheckpoint.tree_size)).scalar_subquery()
    return _cosigned(session, LedgerCheckpoint.tree_size == newest)


def checkpoint_at(session: Session, tree_size: int) -> SignedCheckpoint | None:
    """The stored checkpoint of exactly ``tree_size`` entries, or None (with cosignatures)."""
    return _cosigned(session, LedgerCheckpoint.tree_size == tree_size)


def _cosigned(session: Session, where: ColumnElement[bool]) -> SignedCheckpoint | None:
    found = checkpoint_with_lines(session, where)  # one query: the row and its cosignatures
    if found is None:
        return None
    signed = _signed(found[0])
    return replace(signed, note=signed.note + "".join(found[1])) if found[1] else signed


class TreeNotConsistent(LedgerInconsistent):
    """The stored tree does not extend the last signed one: refuse to sign it (fail closed).

    Every answer that needs a fresh checkpoint is then 503 ``ledger-inconsistent`` until an
    operator has found the damage with ``ipx verify``."""

    def __init__(self, message: str) -> None:
        super().__init__(f"The log cannot be vouched for: {message}.")


def sign_current_tree(session: Session, signer: LogSigner, now: datetime) -> SignedCheckpoint:
    """Sign the tree as committed now and add the checkpoint to ``session`` (caller commits).

    First proves, from the stored nodes, that the tree extends the latest signed checkpoint:
    whatever went wrong in the nodes since (a damaged store, a bad frontier in the head), the
    log never signs a tree that forks from what it signed before.
    """
    latest = latest_checkpoint(session)  # first: the log only grows, so size >= its size
    size = store.log_size(session)
    root = store.root_at(session, size)
    if latest is not None:
        proof = store.consistency_proof(session, latest.tree_size, size)
        if not merkle.verify_consistency(latest.tree_size, size, latest.root_hash, root, proof):
            message = (
                f"the stored tree of {size} entries does not extend checkpoint "
                f"{latest.tree_size}; run ipx verify"
            )
            log.error("refusing to sign: %s", message)
            raise TreeNotConsistent(message)
    # The map of encumbrances as of this size, on a tlog-checkpoint extension line (see
    # ipx.ledger.encumbrances): the one signature binds log and map at the same size.
    line = encumbrances.extension_line(encumbrance_map.root_at(session, size))
    row = LedgerCheckpoint(
        tree_size=size, root_hash=root, note=signer.sign(size, root, (line,)), signed_at=now
    )
    session.add(row)
    session.flush()
    # Which key signed which sizes, for the public-key endpoint (keys rotate: ipx signing rotate).
    keyring.record_signature(session, signer.key_name, signer.public_key, size, now)
    return _signed(row)


def refresh_checkpoint(
    bind: Engine | Connection,
    signer: LogSigner,
    policy: CheckpointPolicy,
    now: datetime,
    *,
    force: bool = False,
    on_signed: Callable[[SignedCheckpoint], object] | None = None,
) -> SignedCheckpoint:
    """The latest checkpoint, first signing the current tree if it is due (or ``force``).

    A first look takes no write lock (on SQLite a reader must not queue behind writers); only
    when a signature is due does a write transaction look again and sign. ``on_signed`` is
    called with a checkpoint this call signed, once committed (the witnesses are asked then).
    """
    with reading(functools.partial(Session, bind, expire_on_commit=False)) as session:
        latest, due = _look(session, policy, now, force)
    if not due:
        assert latest is not None  # never due while nothing is signed
        return latest
    with Session(bind, expire_on_commit=False) as session:
        begin_write(session)
        latest, due = _look(session, policy, now, force)
        if not due:
            assert latest is not None
            return latest
        try:
            signed: SignedCheckpoint | None = sign_current_tree(session, signer, now)
            session.commit()
            if on_signed is not None and signed is not None:
                on_signed(signed)
        except IntegrityError:  # another signer stored this size first: theirs is as good
            session.rollback()
            signed = latest_checkpoint(session)
        assert signed is not None  # ours, or the one that just beat it
        return signed


def _look(
    session: Session, policy: CheckpointPolicy, now: datetime, force: bool
) -> tuple[SignedCheckpoint | None, bool]:
    latest = latest_checkpoint(session)
    size = store.log_size(session)
    grew = latest is None or size > latest.tree_size
    return latest, grew and (force or policy.due(latest, size, now))
