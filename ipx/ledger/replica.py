"""The checkpoint a read is answered from, on the primary or on a read replica.

Signing is lazy (``ipx.ledger.checkpoints``): a reader that finds the latest checkpoint stale
signs the current tree. A read replica (``IPX_READ_DATABASE_URL``) cannot sign: it is read-only,
and a checkpoint is only worth stamping on an answer if the database the answer was read from
holds it. So a read on the replica is stamped with the latest checkpoint the replica has
replayed, never a newer one of the primary's; when that one is stale by the policy, the primary
is asked to sign (if it still needs to), and the replica receives the new checkpoint by
replication, in time for the next reads.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from ipx.db import is_read_replica
from ipx.db_ext import database
from ipx.errors import ServiceUnavailable
from ipx.ledger import store
from ipx.ledger.checkpoints import CheckpointPolicy, SignedCheckpoint, latest_checkpoint
from ipx.ledger.signing import app_policy, current_checkpoint
from ipx.ledger.tables import LedgerCheckpoint

log = logging.getLogger(__name__)

#: How long a read on a replica that holds no checkpoint at all (a new service, a new replica)
#: waits for the primary's first one to arrive before answering 503 ``replica-behind``.
FIRST_CHECKPOINT_WAIT_SECONDS = 2.0
_POLL_SECONDS = 0.05


class ReplicaBehind(ServiceUnavailable):
    code, title = "replica-behind", "The read replica holds no signed checkpoint yet"


def held_checkpoint(session: Session) -> SignedCheckpoint:
    """The latest signed checkpoint of the database ``session`` reads, for an answer read there.

    On the primary: the latest checkpoint, signing the current tree first if it is due (as
    ``current_checkpoint``). On a read replica: the latest checkpoint the replica holds. Call it
    before the answer's other reads, so that they see at least the state it was signed on.
    """
    bind = session.get_bind()
    if not is_read_replica(bind):
        return current_checkpoint(bind)
    latest = latest_checkpoint(session)
    if latest is None or app_policy().due(latest, store.log_size(session), datetime.now(UTC)):
        _ask_the_primary_to_sign()
    if latest is not None:
        return latest
    return _first_checkpoint(session)


def _ask_the_primary_to_sign() -> None:
    """Sign on the primary if the checkpoint is due there too. An unreachable primary does not
    stop reads: the replica answers with the checkpoint it holds."""
    try:
        current_checkpoint(database().engine)
    except OperationalError as exc:
        log.warning("could not ask the primary to sign a checkpoint: %s", exc.orig)


def _first_checkpoint(session: Session) -> SignedCheckpoint:
    """Wait briefly for the replica to replay the primary's first checkpoint."""
    deadline = time.monotonic() + FIRST_CHECKPOINT_WAIT_SECONDS
    while time.monotonic() < deadline:
        time.sleep(_POLL_SECONDS)
        # A short session of its own each time: a new snapshot of what the replica replayed.
        with Session(session.get_bind()) as look:
            latest = latest_checkpoint(look)
        if latest is not None:
            return latest
    raise ReplicaBehind(
        "The read replica has not received a signed checkpoint from the primary yet; retry."
    )


def replica_lag_seconds(primary: Session, replica: Session, now: datetime) -> float:
    """How far the replica is behind the primary's checkpoints, in seconds: 0 when it holds
    the primary's latest, otherwise the age of the oldest checkpoint of the primary it lacks
    (a replica that stopped replaying falls further behind at every new checkpoint)."""
    held = latest_checkpoint(replica)
    held_size = -1 if held is None else held.tree_size
    stmt = (
        select(LedgerCheckpoint.signed_at)
        .where(LedgerCheckpoint.tree_size > held_size)
        .order_by(LedgerCheckpoint.tree_size)
        .limit(1)
    )
    missing = primary.execute(stmt).scalar_one_or_none()
    return 0.0 if missing is None else max(0.0, (now - missing).total_seconds())


def replica_lag_limit_seconds(policy: CheckpointPolicy) -> float:
    """The lag a replica may have and still serve: what the signing policy lets a checkpoint
    age before a new one is due, and at least the wait for a replica's first checkpoint."""
    return max(float(policy.every_seconds), FIRST_CHECKPOINT_WAIT_SECONDS)
