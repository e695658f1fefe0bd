"""The registry's side of valuations: the facts of an asset the caller may value."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ipx.auth import Principal
from ipx.registry.model import LegalStatus
from ipx.registry.orm import Asset
from ipx.registry.visibility import ensure_may_value_asset
from ipx.valuation.services import AssetFacts


def asset_facts(session: Session, who: Principal, asset_id: int) -> AssetFacts:
    """Facts of an asset for valuation, if the caller may value it (the visibility policy's
    ``ensure_may_value_asset``)."""
    asset = ensure_may_value_asset(who, session.get(Asset, asset_id), asset_id)
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
