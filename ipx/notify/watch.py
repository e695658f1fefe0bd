"""The fee-lapse watch: pledged patents whose annual fee is overdue, or past its grace period.

A patent's annual fee is due by ``fees_paid_until``; for six months afterwards it may still be
paid, with a surcharge (Patent Law Implementing Rules, r. 98: 5 % of the fee per month late,
up to 25 %). The watch announces ``asset.fees_overdue`` once per due date (a ledger event,
so it reaches the outbox through the same seam as every change) and, past the grace period,
changes the asset's status to ``lapsed`` through the registry's own use case (its
``asset.changed`` event is announced as ``asset.lapsed``).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from ipx.auth import Principal
from ipx.china_time import china_date
from ipx.ledger.events import Event
from ipx.notify.commands import WatchFees
from ipx.notify.events import dedup_key
from ipx.notify.orm import OutboxEvent
from ipx.registry.commands import UpdateAsset
from ipx.registry.model import LegalStatus
from ipx.registry.orm import Asset, PledgeAsset
from ipx.registry.services.assets import update_asset
from ipx.rights import PATENT_KINDS
from ipx.uow import UnitOfWork
from ipx.valuation.terms import add_months

GRACE_MONTHS = 6
SURCHARGE = "5% of the annual fee per month late, at most 25%"


def watch_fees(uow: UnitOfWork, principal: Principal, command: WatchFees) -> dict:
    """Announce overdue fees, lapse patents past the grace period; the ids of each."""
    today = china_date(uow.now)  # China's date, as the registry counts due dates
    stmt = (
        select(Asset)
        .where(
            Asset.id.in_(select(PledgeAsset.asset_id).where(PledgeAsset.active.is_(True))),
            Asset.kind.in_(sorted(k.value for k in PATENT_KINDS)),
            Asset.status == LegalStatus.GRANTED.value,
            Asset.fees_paid_until < today,
        )
        .order_by(Asset.id)
        .with_for_update()
    )
    if command.asset_ids:
        stmt = stmt.where(Asset.id.in_(command.asset_ids))
    overdue, lapsed = [], []
    for asset in uow.session.execute(stmt).scalars():
        assert asset.fees_paid_until is not None
        grace_until = add_months(asset.fees_paid_until, GRACE_MONTHS)
        if today > grace_until:
            update_asset(uow, principal, UpdateAsset(asset.id, {"status": LegalStatus.LAPSED}))
            lapsed.append(asset.id)
        elif _announce_overdue(uow, asset.id, asset.fees_paid_until, grace_until):
            overdue.append(asset.id)
    return {"overdue": overdue, "lapsed": lapsed}


def _announce_overdue(uow: UnitOfWork, asset_id: int, due: date, grace_until: date) -> bool:
    data = {
        "fees_paid_until": due.isoformat(),
        "grace_until": grace_until.isoformat(),
        "surcharge": SURCHARGE,
    }
    key = dedup_key("asset.fees_overdue", {"asset": asset_id}, data)
    if uow.session.execute(select(OutboxEvent.id).where(OutboxEvent.dedup_key == key)).first():
        return False
    uow.record(Event(type="asset.fees_overdue", refs={"asset": asset_id}, data=data))
    return True
