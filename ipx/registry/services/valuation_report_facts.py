"""The registry's side of a valuation report: the asset as recorded, and its pledges."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ipx.registry.orm import Asset, Party, Pledge, PledgeApplication, PledgeAsset
from ipx.valuation.report_facts import AssetDescription, PledgeMention


def asset_description(session: Session, asset_id: int, valuation_id: int) -> AssetDescription:
    """The asset a stored valuation concerns, for the report of that valuation.

    The caller has been admitted to the valuation (``get_valuation``), and so to the asset it
    was allowed to value; the pledges named are public facts (the encumbrance query gives the
    same registration numbers to anyone): those the asset is under now, and those whose
    application cited this valuation.
    """
    asset = session.get(Asset, asset_id)
    assert asset is not None, "a valuation's asset is never deleted"
    names = session.execute(
        select(Party.name).where(Party.id.in_(asset.holder_ids)).order_by(Party.id)
    ).scalars()
    pledges = session.execute(
        select(Pledge.registration_number, Pledge.status)
        .join(PledgeAsset, PledgeAsset.pledge_id == Pledge.id)
        .join(PledgeApplication, PledgeApplication.id == Pledge.application_id)
        .where(PledgeAsset.asset_id == asset_id)
        .where(or_(PledgeAsset.active, PledgeApplication.valuation_id == valuation_id))
        .order_by(Pledge.registered_at, Pledge.id)
    ).all()
    return AssetDescription(
        kind=asset.kind,
        number=asset.number,
        title=asset.title,
        holders=tuple(names),
        status=asset.status,
        filing_date=asset.filing_date,
        grant_date=asset.grant_date,
        expiry_date=asset.expiry_date,
        fees_paid_until=asset.fees_paid_until,
        ipc=asset.ipc,
        pledges=tuple(PledgeMention(number, status) for number, status in pledges),
    )
