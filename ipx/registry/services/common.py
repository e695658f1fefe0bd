"""Helpers shared by the registry's use cases: loading (and locking) records, events."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ipx.errors import NotFound
from ipx.ledger.events import Event
from ipx.registry.state import digest_of
from ipx.uow import UnitOfWork


def get_or_404(session: Session, model, record_id: int, *, lock: bool = False, what: str = ""):
    stmt = select(model).where(model.id == record_id)
    if lock:
        stmt = stmt.with_for_update()
    record = session.execute(stmt).scalar_one_or_none()
    if record is None:
        raise NotFound(f"No {what or model.__tablename__.rstrip('s')} with id {record_id}.")
    return record


def emit(
    uow: UnitOfWork,
    type_: str,
    *,
    refs: dict,
    records: dict,
    data: dict | None = None,
    digests: dict | None = None,
) -> None:
    """Record an event; ``records`` maps a kind to the records it changed (states digested)."""
    all_digests = dict(digests or {})
    for kind, items in records.items():
        for record in items if isinstance(items, list | tuple) else [items]:
            all_digests.update(digest_of(kind, record, uow.digest_key))
    public = {k: v for k, v in (data or {}).items() if k in PUBLIC_FACTS}
    private = {k: v for k, v in (data or {}).items() if k not in PUBLIC_FACTS}
    uow.record(Event(type=type_, refs=refs, data=public, digests=all_digests, private=private))


#: Facts an event may publish in clear in the public log: those of the public notice and the
#: legal status. Everything else (amounts, debt terms, contract numbers, bids, statements)
#: is confidential and only sealed into the leaf (see ``Event.private``).
PUBLIC_FACTS = frozenset(
    {
        "status",
        "registration_number",
        "kind",
        "number",
        "expiry_date",
        "reason",
        "grounds",
        "court",
        "order_number",
        "frozen",
        "invalidation_pending",
        "fees_paid_until",
        "credit_code",
        "method",
        "final",
        "released_assets",
    }
)
