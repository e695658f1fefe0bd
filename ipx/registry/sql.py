"""Steps every SQL repository of the registry takes: writing a record, reading one by id."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ipx.registry.ports import Duplicate


def add_or_duplicate(session: Session, record: object) -> None:
    """Write the record now; a clash on a unique key is ``Duplicate``."""
    session.add(record)
    try:
        session.flush()
    except IntegrityError:
        # The transaction is spoilt and the use case fails with it; whoever owns the
        # transaction (the unit of work, or the Idempotency-Key claim) rolls it back.
        raise Duplicate() from None


def add_now(session: Session, record: object) -> None:
    """Write the record now (its id is known afterwards); a clash is the error handler's."""
    session.add(record)
    session.flush()


def get_by_id(session: Session, model: Any, record_id: int, lock: bool) -> Any:
    """The record with this id, or None; ``lock``: SELECT ... FOR UPDATE."""
    stmt = select(model).where(model.id == record_id)
    if lock:
        stmt = stmt.with_for_update()
    return session.execute(stmt).scalar_one_or_none()
