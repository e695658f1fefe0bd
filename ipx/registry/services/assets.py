"""Assets: registration with holders, legal status changes, court freezes."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ipx.errors import Conflict, NotFound, ValidationFailed
from ipx.registry.model import AssetKind, LegalStatus
from ipx.registry.numbers import InvalidNumber, normalise_asset_number
from ipx.registry.orm import Asset, AssetHolder, Freeze, Party
from ipx.registry.services.common import emit, get_or_404
from ipx.registry.terms import protection_expiry
from ipx.uow import UnitOfWork

FEATURE_NAMES = (
    "claims",
    "backward_citations",
    "npl_citations",
    "family_size",
    "inventors",
    "similar_docs",
)


def create_asset(uow: UnitOfWork, data: dict, *, sample_key: str | None = None) -> Asset:
    """Register an asset with its holders; the number is validated and normalised."""
    kind = AssetKind(data["kind"])
    errors: dict[str, list[str]] = {}
    try:
        number = normalise_asset_number(kind.value, data["number"], today=uow.now.date())
    except InvalidNumber as exc:
        errors["number"] = [str(exc)]
    try:
        expiry = protection_expiry(kind.value, data["filing_date"], data.get("expiry_date"))
    except ValueError as exc:
        errors["expiry_date"] = [str(exc)]
    grant_date = data.get("grant_date")
    if grant_date and grant_date < data["filing_date"]:
        errors["grant_date"] = ["The grant date precedes the filing date."]
    holder_ids = list(dict.fromkeys(data["holder_ids"]))
    if not holder_ids:
        errors["holder_ids"] = ["At least one holder is needed."]
    if errors:
        raise ValidationFailed(errors)
    session = uow.session
    known = set(session.execute(select(Party.id).where(Party.id.in_(holder_ids))).scalars())
    if missing := [h for h in holder_ids if h not in known]:
        raise ValidationFailed({"holder_ids": [f"Unknown parties: {missing}."]})
    if session.execute(
        select(Asset.id).where(Asset.kind == kind.value, Asset.number == number)
    ).first():
        raise Conflict(f"The {kind.value} {number} is already registered.", code="asset-exists")
    asset = Asset(
        kind=kind.value,
        number=number,
        title=data["title"].strip(),
        filing_date=data["filing_date"],
        grant_date=grant_date,
        expiry_date=expiry,
        status=data["status"],
        fees_paid_until=data.get("fees_paid_until"),
        ipc=data.get("ipc"),
        features=_features(data.get("features")),
        frozen=False,
        invalidation_pending=bool(data.get("invalidation_pending", False)),
        sample_key=sample_key,
        created_at=uow.now,
        updated_at=uow.now,
        # In id order, as every later read returns them (the relationship's order_by).
        holders=[AssetHolder(party_id=h) for h in sorted(holder_ids)],
    )
    session.add(asset)
    try:
        session.flush()
    except IntegrityError:  # a concurrent request registered the same number first
        raise Conflict(
            f"The {kind.value} {number} was registered meanwhile.", code="asset-exists"
        ) from None
    emit(
        uow,
        "asset.registered",
        refs={"asset": asset.id, "parties": holder_ids},
        records={"asset": asset},
        data={
            "kind": asset.kind,
            "number": asset.number,
            "status": asset.status,
            "expiry_date": asset.expiry_date.isoformat(),
        },
    )
    return asset


def _features(features: dict | None) -> dict | None:
    if features is None:
        return None
    return {name: features.get(name) for name in FEATURE_NAMES if features.get(name) is not None}


def update_asset(uow: UnitOfWork, asset_id: int, changes: dict) -> Asset:
    """Record a change of legal status, fees paid or the invalidation-pending flag."""
    asset = get_or_404(uow.session, Asset, asset_id, lock=True, what="asset")
    applied = {}
    for field in ("status", "fees_paid_until", "invalidation_pending"):
        if field in changes and changes[field] != getattr(asset, field):
            setattr(asset, field, changes[field])
            value = changes[field]
            applied[field] = value.isoformat() if hasattr(value, "isoformat") else value
    if applied:
        asset.updated_at = uow.now
        if applied.get("status") == LegalStatus.GRANTED and asset.grant_date is None:
            asset.grant_date = uow.now.date()
        emit(uow, "asset.changed", refs={"asset": asset.id}, records={"asset": asset}, data=applied)
    return asset


def add_freeze(uow: UnitOfWork, asset_id: int, court: str, order_number: str) -> Freeze:
    """Record a court's preservation order; the asset is frozen until every order is lifted."""
    asset = get_or_404(uow.session, Asset, asset_id, lock=True, what="asset")
    freeze = Freeze(
        asset_id=asset.id,
        court=court.strip(),
        order_number=order_number.strip(),
        status="active",
        created_at=uow.now,
    )
    uow.session.add(freeze)
    asset.frozen = True
    asset.updated_at = uow.now
    uow.session.flush()
    emit(
        uow,
        "asset.frozen",
        refs={"asset": asset.id, "freeze": freeze.id},
        records={"asset": asset, "freeze": freeze},
        data={"court": freeze.court, "order_number": freeze.order_number},
    )
    return freeze


def lift_freeze(uow: UnitOfWork, freeze_id: int) -> Freeze:
    freeze = get_or_404(uow.session, Freeze, freeze_id, what="freeze")
    asset = get_or_404(uow.session, Asset, freeze.asset_id, lock=True, what="asset")
    freeze = get_or_404(uow.session, Freeze, freeze_id, lock=True, what="freeze")
    if freeze.status != "active":
        raise Conflict("This freeze was already lifted.", code="invalid-transition")
    freeze.status, freeze.lifted_at = "lifted", uow.now
    uow.session.flush()
    asset.frozen = (
        uow.session.execute(
            select(Freeze.id).where(Freeze.asset_id == asset.id, Freeze.status == "active")
        ).first()
        is not None
    )
    asset.updated_at = uow.now
    emit(
        uow,
        "asset.freeze_lifted",
        refs={"asset": asset.id, "freeze": freeze.id},
        records={"asset": asset, "freeze": freeze},
        data={"frozen": asset.frozen},
    )
    return freeze


def list_assets(
    uow: UnitOfWork,
    *,
    visible_clause,
    number: str | None,
    holder_id: int | None,
    after: int | None,
    limit: int,
) -> list[Asset]:
    stmt = select(Asset).order_by(Asset.id).limit(limit + 1)
    if visible_clause is not None:
        stmt = stmt.where(visible_clause)
    if after:
        stmt = stmt.where(Asset.id > after)
    if number:
        stmt = stmt.where(Asset.number == number)
    if holder_id:
        stmt = stmt.where(Asset.holders.any(AssetHolder.party_id == holder_id))
    return list(uow.session.execute(stmt).scalars())


def require_asset(uow: UnitOfWork, asset_id: int) -> Asset:
    asset = uow.session.get(Asset, asset_id)
    if asset is None:
        raise NotFound(f"No asset with id {asset_id}.")
    return asset
