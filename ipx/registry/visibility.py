"""The visibility policy: which registry records a principal may see.

Clerks, auditors and admins see everything. A bank or owner (a key or a console user bound to
a party) sees only records where its party takes part; anything else answers 404, as if it did
not exist. Every read of the registry, in the API, the console, histories and receipts, goes
through these functions: there is no other place that decides.
"""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ipx.auth import Principal, Role
from ipx.errors import NotFound
from ipx.registry.json_sql import json_array_holds
from ipx.registry.orm import (
    Asset,
    AssetHolder,
    Pledge,
    PledgeApplication,
    PledgeAsset,
    TransferRequest,
)


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
    visible = session.execute(
        select(Asset.id).where(Asset.id == asset_id, visible_asset_ids_clause(principal, Asset.id))
    ).first()
    if visible is None:
        raise NotFound(f"No asset with id {asset_id}.")


def ensure_sees_party(session: Session, principal: Principal, party_id: int) -> None:
    if not principal.sees_all() and not _related_parties(session, principal.party_id, party_id):
        raise NotFound(f"No party with id {party_id}.")


def _related_parties(session: Session, own_id: int | None, party_id: int) -> bool:
    """Banks and owners see their own party and their counterparties in registered pledges.

    Applications do not count: anyone can file one naming any party, so they would open every
    party's record to every bank.
    """
    if own_id == party_id:
        return True
    row = session.execute(
        select(Pledge.id)
        .where(
            ((Pledge.pledgor_id == own_id) & (Pledge.pledgee_id == party_id))
            | ((Pledge.pledgee_id == own_id) & (Pledge.pledgor_id == party_id))
        )
        .limit(1)
    ).first()
    return row is not None


def party_filter_for_transfer_requests(principal: Principal):
    """Transfer requests a bank or owner sees: a bank those on pledges where it is the
    pledgee (the one asked to consent); an owner those on assets it holds, those it made, and
    those made for an asset it held when they were made (a co-holder whose share a consented
    assignment moved away still sees, and is told of, what was done with it)."""
    if principal.role is Role.BANK:
        as_pledgee = select(Pledge.id).where(Pledge.pledgee_id == principal.party_id)
        return TransferRequest.pledge_id.in_(as_pledgee)
    held = select(AssetHolder.asset_id).where(AssetHolder.party_id == principal.party_id)
    return or_(
        TransferRequest.asset_id.in_(held),
        TransferRequest.requested_by_party_id == principal.party_id,
        json_array_holds(TransferRequest.from_party_ids, principal.party_id),
    )


def ensure_sees_transfer_request(
    principal: Principal, request: TransferRequest, *, pledgee_id: int, holder_ids: list[int]
) -> None:
    """``party_filter_for_transfer_requests`` for one request, given its pledge's pledgee and
    its asset's holders now (the holders it was asked for are its own)."""
    if principal.sees_all():
        return
    if principal.role is Role.BANK:
        sees = principal.party_id == pledgee_id
    else:
        sees = (
            principal.party_id in holder_ids
            or principal.party_id == request.requested_by_party_id
            or principal.party_id in request.from_party_ids
        )
    if not sees:
        raise NotFound(f"No transfer request with id {request.id}.")


def ensure_may_request_transfer(principal: Principal, asset: Asset) -> None:
    """An owner asks to transfer only an asset it holds (``NotFound`` otherwise, as for an
    asset it may not see); a clerk asks on the holder's behalf."""
    if principal.role is Role.OWNER and principal.party_id not in asset.holder_ids:
        raise NotFound(f"No asset with id {asset.id}.")


def is_clerk_like(principal: Principal) -> bool:
    return principal.role in (Role.CLERK, Role.ADMIN)


def ensure_may_value_asset(principal: Principal, asset: Asset | None, asset_id: int) -> Asset:
    """The registered asset the principal asks to value (``NotFound`` otherwise).

    Wider than seeing the asset's record: a bank values any registered asset (it asks before it
    lends, when nothing ties it to the asset yet; a patent's bibliographic data is public
    anyway); an owner only assets it holds; clerks and admins any.
    """
    if asset is None or (
        principal.role is Role.OWNER and principal.party_id not in asset.holder_ids
    ):
        raise NotFound(f"No asset with id {asset_id}.")
    return asset
