"""The registry's side of the back-test: every transaction record with the valuation its pledge
cited, as the plain facts the valuation package reads (it never imports the registry)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ipx.registry.disposal.orm import Disposal, SaleTransaction
from ipx.registry.orm import Pledge, PledgeApplication
from ipx.valuation.backtest import RealizedSale


def realized_sales(session: Session) -> list[RealizedSale]:
    """Every realized price, oldest first, with the valuation id the pledge application cited
    and when its disposal was opened (valuations from then on saw the reserve and the bids)."""
    rows = session.execute(
        select(SaleTransaction, PledgeApplication.valuation_id, Disposal.opened_at)
        .join(Disposal, Disposal.id == SaleTransaction.disposal_id)
        .join(Pledge, Pledge.id == Disposal.pledge_id)
        .join(PledgeApplication, PledgeApplication.id == Pledge.application_id)
        .order_by(SaleTransaction.created_at, SaleTransaction.id)
    ).all()
    return [
        RealizedSale(
            transaction_id=t.id,
            asset_id=t.asset_id,
            asset_kind=t.asset_kind,
            ipc=t.ipc,
            price=t.price,
            currency=t.currency,
            lot_size=t.lot_size,
            sale_date=t.sale_date,
            recorded_at=t.created_at,
            cited_valuation_id=valuation_id,
            disposal_opened_at=opened_at,
        )
        for t, valuation_id, opened_at in rows
    ]
