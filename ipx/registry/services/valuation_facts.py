"""The registry's side of valuations: the facts of an asset the caller may value."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ipx.auth import Principal, Role
from ipx.errors import NotFound
from ipx.registry.model import LegalStatus
from ipx.registry.orm import Asset
from ipx.valuation.services import AssetFacts


def asset_facts(session: Session, who: Principal, asset_id: int) -> AssetFacts:
    """Facts of an asset for valuation.

    A bank values any registered asset (it asks before it lends, when nothing ties it to the
    asset yet; patents' bibliographic data is public anyway); an owner only assets it holds.
    """
    asset = session.get(Asset, asset_id)
    if asset is None or (who.role is Role.OWNER and who.party_id not in asset.holder_ids):
        raise NotFound(f"No asset with id {asset_id}.")
    return AssetFacts(
        id=asset.id,
        kind=asset.kind,
        features=asset.features,
        ipc=asset.ipc,
        filing_date=asset.filing_date,
        grant_date=asset.grant_date,
        expiry_date=asset.expiry_date,
        frozen=asset.frozen,
        lapsed=asset.status in (LegalStatus.LAPSED, LegalStatus.INVALIDATED),
    )
