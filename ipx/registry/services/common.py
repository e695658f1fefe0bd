"""Helpers shared by the registry's use cases: loading visible records, locking, events."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ipx.auth import Principal, Role
from ipx.errors import NotFound
from ipx.ledger import Event
from ipx.registry.orm import AssetHolder, Pledge, PledgeApplication
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


# --- visibility ------------------------------------------------------------------------------
# A bank or owner key sees only records where its party takes part; others answer 404.


def party_filter_for_pledges(principal: Principal):
    return or_(Pledge.pledgor_id == principal.party_id, Pledge.pledgee_id == principal.party_id)


def party_filter_for_applications(principal: Principal):
    return or_(
        PledgeApplication.pledgor_id == principal.party_id,
        PledgeApplication.pledgee_id == principal.party_id,
    )


def ensure_sees_pledge(principal: Principal, pledge: Pledge) -> None:
    if not principal.sees_all() and principal.party_id not in (
        pledge.pledgor_id,
        pledge.pledgee_id,
    ):
        raise NotFound(f"No pledge with id {pledge.id}.")


def ensure_sees_application(principal: Principal, application: PledgeApplication) -> None:
    if not principal.sees_all() and principal.party_id not in (
        application.pledgor_id,
        application.pledgee_id,
    ):
        raise NotFound(f"No pledge application with id {application.id}.")


def visible_asset_ids_clause(principal: Principal, asset_id_column):
    """A clause limiting assets to those a bank/owner may see: held, or under its pledges."""
    from ipx.registry.orm import PledgeAsset

    held = select(AssetHolder.asset_id).where(AssetHolder.party_id == principal.party_id)
    pledged = (
        select(PledgeAsset.asset_id)
        .join(Pledge, Pledge.id == PledgeAsset.pledge_id)
        .where(party_filter_for_pledges(principal))
    )
    return or_(asset_id_column.in_(held), asset_id_column.in_(pledged))


def ensure_sees_asset(session: Session, principal: Principal, asset_id: int) -> None:
    if principal.sees_all():
        return
    from ipx.registry.orm import Asset

    visible = session.execute(
        select(Asset.id).where(Asset.id == asset_id, visible_asset_ids_clause(principal, Asset.id))
    ).first()
    if visible is None:
        raise NotFound(f"No asset with id {asset_id}.")


def is_clerk_like(principal: Principal) -> bool:
    return principal.role in (Role.CLERK, Role.ADMIN)
