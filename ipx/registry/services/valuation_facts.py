"""The registry's side of valuations: the facts of an asset the caller may value."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from ipx.auth import Principal
from ipx.registry.model import LegalStatus
from ipx.registry.orm import Asset
from ipx.registry.visibility import ensure_may_value_asset
from ipx.valuation.registry_outcomes import owner_digest
from ipx.valuation.services import AssetFacts, AssetSource


def owner_digesting(digest_key: Callable[[], bytes]) -> AssetSource:
    """``asset_facts`` naming the owner as ``ipx outcomes export`` does: the keyed digest of the
    holders' party ids (the instance's identity-digest key). A model trained with the registry's
    outcomes then finds the owner's renewal history in the registry's own records; a model that
    has none (the bundled one) treats the owner as unseen, as before. No name leaves."""

    def facts(session: Session, who: Principal, asset_id: int) -> AssetFacts:
        return asset_facts(session, who, asset_id, digest_key=digest_key())

    return facts


def asset_facts(
    session: Session, who: Principal, asset_id: int, *, digest_key: bytes | None = None
) -> AssetFacts:
    """Facts of an asset for valuation, if the caller may value it (the visibility policy's
    ``ensure_may_value_asset``); the owner is its holders' digest under ``digest_key`` (None
    without one: the unseen-owner case)."""
    asset = ensure_may_value_asset(who, session.get(Asset, asset_id), asset_id)
    owner = None if digest_key is None else owner_digest(digest_key, asset.holder_ids)
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
        owner=owner,
    )
