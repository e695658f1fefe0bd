"""Assets: registration with holders, legal status changes, court freezes."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from sqlalchemy import select

from ipx.auth import Principal
from ipx.errors import Conflict, NotFound, ValidationFailed
from ipx.registry.commands import CreateAsset, FreezeAsset, LiftFreeze, UpdateAsset
from ipx.registry.model import AssetKind, LegalStatus
from ipx.registry.numbers import InvalidNumber, normalise_asset_number
from ipx.registry.orm import Asset, AssetHolder, Freeze
from ipx.registry.ports import Duplicate
from ipx.registry.repositories import repositories
from ipx.registry.services.common import emit
from ipx.registry.terms import protection_expiry
from ipx.registry.visibility import ensure_sees_asset, visible_asset_ids_clause
from ipx.rights import PATENT_COUNTS
from ipx.uow import UnitOfWork

FEATURE_NAMES = PATENT_COUNTS  # the bibliographic counts an asset record keeps


def create_asset(
    uow: UnitOfWork, principal: Principal, command: CreateAsset, *, sample_key: str | None = None
) -> Asset:
    """Register an asset with its holders; the number is validated and normalised."""
    kind, number, expiry, holder_ids = _checked(uow, command)
    assets = repositories(uow).assets
    if assets.exists(kind.value, number):
        raise Conflict(f"The {kind.value} {number} is already registered.", code="asset-exists")
    asset = _new_asset(uow, command, number, expiry, holder_ids, sample_key)
    try:
        assets.add(asset)
    except Duplicate:  # a concurrent request registered the same number first
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
            # So the map of encumbrances replays from the log (sealed: not a public event).
            **({"invalidation_pending": True} if asset.invalidation_pending else {}),
        },
    )
    return asset


def _new_asset(
    uow: UnitOfWork,
    command: CreateAsset,
    number: str,
    expiry: date,
    holder_ids: list[int],
    sample_key: str | None,
) -> Asset:
    """The asset as registered: the checked number and expiry, not frozen, its holders."""
    return Asset(
        kind=AssetKind(command.kind).value,
        number=number,
        title=command.title.strip(),
        filing_date=command.filing_date,
        grant_date=command.grant_date,
        expiry_date=expiry,
        status=command.status,
        fees_paid_until=command.fees_paid_until,
        ipc=command.ipc,
        features=_features(command.features),
        frozen=False,
        invalidation_pending=bool(command.invalidation_pending),
        sample_key=sample_key,
        created_at=uow.now,
        updated_at=uow.now,
        # In id order, as every later read returns them (the relationship's order_by).
        holders=[AssetHolder(party_id=h) for h in sorted(holder_ids)],
    )


def _checked(uow: UnitOfWork, command: CreateAsset) -> tuple[AssetKind, str, date, list[int]]:
    """The asset's kind, normalised number, expiry and holders, or every field's error."""
    kind = AssetKind(command.kind)
    errors: dict[str, list[str]] = {}
    number = expiry = None
    try:
        number = normalise_asset_number(kind.value, command.number, today=uow.now.date())
    except InvalidNumber as exc:
        errors["number"] = [str(exc)]
    try:
        expiry = protection_expiry(kind.value, command.filing_date, command.expiry_date)
    except ValueError as exc:
        errors["expiry_date"] = [str(exc)]
    if command.grant_date and command.grant_date < command.filing_date:
        errors["grant_date"] = ["The grant date precedes the filing date."]
    holder_ids = list(dict.fromkeys(command.holder_ids))
    if not holder_ids:
        errors["holder_ids"] = ["At least one holder is needed."]
    if errors:
        raise ValidationFailed(errors)
    known = repositories(uow).parties.known(holder_ids)
    if missing := [h for h in holder_ids if h not in known]:
        raise ValidationFailed({"holder_ids": [f"Unknown parties: {missing}."]})
    assert number is not None and expiry is not None
    return kind, number, expiry, holder_ids


def _features(features: Mapping[str, int] | None) -> dict | None:
    if features is None:
        return None
    return {name: features.get(name) for name in FEATURE_NAMES if features.get(name) is not None}


def update_asset(uow: UnitOfWork, principal: Principal, command: UpdateAsset) -> Asset:
    """Record a change of legal status, fees paid or the invalidation-pending flag."""
    asset = _locked_asset(uow, command.asset_id)
    if command.unchanged_since is not None and asset.updated_at != command.unchanged_since:
        raise Conflict("The asset changed since the change was asked for.", code="asset-changed")
    changes = command.changes
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


def add_freeze(uow: UnitOfWork, principal: Principal, command: FreezeAsset) -> Freeze:
    """Record a court's preservation order, or an ownership dispute's suspension; the asset is
    frozen until every one is lifted."""
    asset = _locked_asset(uow, command.asset_id)
    freeze = Freeze(
        asset_id=asset.id,
        court=command.court.strip(),
        order_number=command.order_number.strip(),
        kind=command.kind,
        status="active",
        created_at=uow.now,
    )
    repositories(uow).freezes.add(freeze)
    asset.frozen = True
    asset.updated_at = uow.now
    emit(
        uow,
        "asset.frozen",
        refs={"asset": asset.id, "freeze": freeze.id},
        records={"asset": asset, "freeze": freeze},
        data={"court": freeze.court, "order_number": freeze.order_number, "kind": freeze.kind},
    )
    return freeze


def lift_freeze(uow: UnitOfWork, principal: Principal, command: LiftFreeze) -> Freeze:
    """Lift a court freeze; the asset stays frozen while another order is active."""
    freezes = repositories(uow).freezes
    found = freezes.get(command.freeze_id)
    if found is None:
        raise NotFound(f"No freeze with id {command.freeze_id}.")
    # Locks in the order every asset operation takes them: the asset, then its freeze.
    asset = _locked_asset(uow, found.asset_id)
    freeze = freezes.get(command.freeze_id, lock=True) or found
    if freeze.status != "active":
        raise Conflict("This freeze was already lifted.", code="invalid-transition")
    freeze.status, freeze.lifted_at = "lifted", uow.now
    asset.frozen = freezes.any_active(asset.id)
    asset.updated_at = uow.now
    emit(
        uow,
        "asset.freeze_lifted",
        refs={"asset": asset.id, "freeze": freeze.id},
        records={"asset": asset, "freeze": freeze},
        data={"frozen": asset.frozen},
    )
    return freeze


def _locked_asset(uow: UnitOfWork, asset_id: int) -> Asset:
    asset = repositories(uow).assets.get(asset_id, lock=True)
    if asset is None:
        raise NotFound(f"No asset with id {asset_id}.")
    return asset


def list_assets(
    uow: UnitOfWork,
    principal: Principal,
    *,
    number: str | None,
    holder_id: int | None,
    after: int | None,
    limit: int,
) -> list[Asset]:
    stmt = select(Asset).order_by(Asset.id).limit(limit + 1)
    if not principal.sees_all():
        stmt = stmt.where(visible_asset_ids_clause(principal, Asset.id))
    if after:
        stmt = stmt.where(Asset.id > after)
    if number:
        stmt = stmt.where(Asset.number == number)
    if holder_id:
        stmt = stmt.where(Asset.holders.any(AssetHolder.party_id == holder_id))
    return list(uow.session.execute(stmt).scalars())


def get_asset(uow: UnitOfWork, principal: Principal | None, asset_id: int) -> Asset:
    """An asset the principal may see (404 otherwise; ``None``: the registry itself)."""
    if principal is not None:
        ensure_sees_asset(uow.session, principal, asset_id)
    asset = uow.session.get(Asset, asset_id)
    if asset is None:
        raise NotFound(f"No asset with id {asset_id}.")
    return asset
