"""The transactional outbox: announced events written beside the ledger append.

``UnitOfWork.append_events`` calls ``write_outbox`` right after ``ipx.ledger.log.append``, in
the same transaction: an event is announced if and only if its change commits, and a crash
between commit and delivery loses nothing (the worker finds the row afterwards). Only record
ids and public facts are kept (``ipx.notify.events``); who may receive an event is decided when
the worker fans it out (``ipx.notify.dispatch``), so this write stays one small INSERT.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import insert
from sqlalchemy.orm import Session

from ipx.ledger.events import Event
from ipx.notify.events import notification_of
from ipx.notify.orm import OutboxEvent


def write_outbox(
    session: Session, events: Sequence[Event], seqs: Sequence[int], now: datetime
) -> int:
    """Write the announced ones of ``events`` (appended at ``seqs``); how many were written."""
    rows = []
    for event, seq in zip(events, seqs, strict=True):
        notification = notification_of(event.type, event.refs, event.data)
        if notification is None:
            continue
        rows.append(
            {
                "seq": seq,
                "type": notification.type,
                "pledge_id": notification.pledge_id,
                "application_id": notification.application_id,
                "asset_ids": list(notification.asset_ids),
                "data": notification.data,
                "dedup_key": notification.dedup_key,
                "created_at": now,
            }
        )
    if rows:
        session.execute(insert(OutboxEvent), rows)
    return len(rows)
