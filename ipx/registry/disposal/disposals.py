"""Disposals of defaulted pledges: opening, bids, reading; closing is in ``realization``.

Locks are taken in the registry's order (pledge, then disposal, then assets by id) so that
concurrent calls queue instead of deadlocking. "One open disposal per asset" is enforced by the
partial unique index on open disposal assets; the pledge lock makes it rare to reach it.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import or_, select

from ipx.auth import Principal
from ipx.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from ipx.registry.commands import OpenDisposal, RecordBid
from ipx.registry.disposal.defaults import pledge_refs
from ipx.registry.disposal.model import (
    BID_REFUSAL_MESSAGES,
    DEFAULT_ANNOUNCEMENT_DAYS,
    DisposalFacts,
    DisposalMethod,
    DisposalStatus,
    bid_refusal,
)
from ipx.registry.disposal.orm import Bid, Disposal, DisposalAsset
from ipx.registry.model import PledgeStatus
from ipx.registry.orm import Pledge
from ipx.registry.ports import Duplicate
from ipx.registry.repositories import repositories
from ipx.registry.services.common import emit
from ipx.registry.services.pledges import get_pledge, move_pledge
from ipx.registry.visibility import ensure_sees_pledge
from ipx.uow import UnitOfWork


def open_disposal(uow: UnitOfWork, principal: Principal, data: OpenDisposal) -> Disposal:
    """List some or all of a defaulted pledge's assets for auction or listing (clerk)."""
    pledge = get_pledge(uow, principal, data.pledge_id, lock=True)
    if pledge.status != PledgeStatus.DEFAULTED:
        raise InvalidTransition(
            f"A disposal is opened only on a defaulted pledge; this one is {pledge.status}."
        )
    asset_ids = _offered_assets(pledge, data.asset_ids)
    _check_assets_free(uow, asset_ids)
    disposal = _new_disposal(uow, pledge, data, asset_ids)
    try:
        repositories(uow).disposals.add(disposal)
    except Duplicate:  # a concurrent disposal the locks did not see; the database said no
        # The transaction is spoilt and fails with this answer; its owner rolls it back.
        raise _in_disposal(asset_ids) from None
    move_pledge(pledge, PledgeStatus.IN_DISPOSAL)
    pledge.updated_at = uow.now
    _record_opened(uow, pledge, disposal, asset_ids)
    return disposal


def _record_opened(
    uow: UnitOfWork, pledge: Pledge, disposal: Disposal, asset_ids: list[int]
) -> None:
    emit(
        uow,
        "disposal.opened",
        refs={**pledge_refs(pledge), "disposal": disposal.id, "assets": asset_ids},
        records={"disposal": disposal, "pledge": pledge},
        data={
            "method": disposal.method,
            "reserve_price": str(disposal.reserve_price),
            "reserve_source": disposal.reserve_source,
            "costs": str(disposal.costs),
            "currency": disposal.currency,
            "bids_open_at": disposal.bids_open_at.isoformat(),
        },
    )


def _new_disposal(
    uow: UnitOfWork, pledge: Pledge, data: OpenDisposal, asset_ids: list[int]
) -> Disposal:
    """The disposal as asked: the reserve given or the latest valuation's lower bound, costs
    paid to the pledgee unless someone else is named, bids open after the announcement."""
    reserve, source = data.reserve_price, "given"
    if reserve is None:
        # The latest valuations' lower bound (DESIGN), when every asset has one.
        reserve = repositories(uow).disposals.valuation_lower_bound(asset_ids)
        source = "valuation"
    if reserve is None:
        raise ValidationFailed(
            {"reserve_price": ["No stored valuation of these assets: give a reserve price."]}
        )
    costs_payee_id = data.costs_payee_id or pledge.pledgee_id
    _check_party(uow, costs_payee_id, "costs_payee_id")
    days = DEFAULT_ANNOUNCEMENT_DAYS if data.announcement_days is None else data.announcement_days
    return Disposal(
        pledge_id=pledge.id,
        method=DisposalMethod(data.method).value,
        status=DisposalStatus.OPEN.value,
        reserve_price=reserve,
        reserve_source=source,
        costs=data.costs,
        costs_payee_id=costs_payee_id,
        currency=pledge.currency,
        announcement_days=days,
        opened_at=uow.now,
        bids_open_at=uow.now + timedelta(days=days),
        assets=[DisposalAsset(asset_id=a, open=True) for a in asset_ids],
    )


def _offered_assets(pledge: Pledge, requested: list[int] | None) -> list[int]:
    active = [link.asset_id for link in pledge.assets if link.active]
    if not requested:
        return active
    asset_ids = sorted(set(requested))
    if stray := [a for a in asset_ids if a not in active]:
        raise ValidationFailed(
            {"asset_ids": [f"Not encumbered by this pledge (or already sold): {stray}."]}
        )
    return asset_ids


def _check_assets_free(uow: UnitOfWork, asset_ids: list[int]) -> None:
    """The assets, locked in id order, are neither frozen nor offered by an open disposal."""
    repos = repositories(uow)
    if frozen := [a.id for a in repos.assets.locked(asset_ids) if a.frozen]:
        raise Conflict(
            f"Assets {frozen} are frozen by a court and cannot be disposed of.",
            code="asset-frozen",
        )
    if busy_ids := repos.disposals.on_offer(asset_ids):
        raise _in_disposal(busy_ids)


def _in_disposal(asset_ids: list[int]) -> Conflict:
    return Conflict(
        f"An open disposal already offers assets {sorted(asset_ids)}.", code="asset-in-disposal"
    )


def _check_party(uow: UnitOfWork, party_id: int, field: str) -> None:
    if repositories(uow).parties.get(party_id) is None:
        raise ValidationFailed({field: [f"Unknown party {party_id}."]})


def record_bid(uow: UnitOfWork, principal: Principal, command: RecordBid) -> Bid:
    """Record a bid, or refuse it with the code of the first rule it breaks."""
    disposal = _disposal_or_404(uow, command.disposal_id, lock=True)
    bidder_id, amount = command.bidder_id, command.amount
    _check_party(uow, bidder_id, "bidder_id")
    facts = _bidding_facts(uow, disposal)
    refusal = bid_refusal(facts, bidder_id, amount, uow.now)
    if refusal is not None:
        best = facts.best_amount
        raise Conflict(
            BID_REFUSAL_MESSAGES[refusal],
            code=refusal.value,
            reserve_price=str(disposal.reserve_price),
            best_bid=None if best is None else str(best),
            currency=disposal.currency,
        )
    bid = Bid(disposal_id=disposal.id, bidder_id=bidder_id, amount=amount, placed_at=uow.now)
    bid.disposal = disposal  # its currency, for the answer
    repositories(uow).disposals.add_bid(bid)
    emit(
        uow,
        "disposal.bid",
        refs={"disposal": disposal.id, "bid": bid.id, "parties": [bidder_id]},
        records={"bid": bid},
        data={"amount": str(amount), "currency": disposal.currency},
    )
    return bid


def _bidding_facts(uow: UnitOfWork, disposal: Disposal) -> DisposalFacts:
    """What the bidding rules look at: the disposal, its pledge's parties, the best bid."""
    repos = repositories(uow)
    pledge = _pledge_of(uow, disposal)
    return DisposalFacts(
        method=DisposalMethod(disposal.method),
        status=DisposalStatus(disposal.status),
        reserve_price=disposal.reserve_price,
        bids_open_at=disposal.bids_open_at,
        pledgor_id=pledge.pledgor_id,
        pledgee_id=pledge.pledgee_id,
        best_amount=repos.disposals.best_bid(disposal.id),
    )


def _disposal_or_404(uow: UnitOfWork, disposal_id: int, *, lock: bool = False) -> Disposal:
    disposal = repositories(uow).disposals.get(disposal_id, lock=lock)
    if disposal is None:
        raise NotFound(f"No disposal with id {disposal_id}.")
    return disposal


def _pledge_of(uow: UnitOfWork, disposal: Disposal) -> Pledge:
    pledge = repositories(uow).pledges.get(disposal.pledge_id)
    assert pledge is not None  # a foreign key
    return pledge


def get_disposal(uow: UnitOfWork, principal: Principal, disposal_id: int) -> Disposal:
    """A disposal the caller may see (the pledge's parties, clerks, auditors), or 404."""
    disposal = _disposal_or_404(uow, disposal_id)
    try:
        ensure_sees_pledge(principal, _pledge_of(uow, disposal))
    except NotFound:
        raise NotFound(f"No disposal with id {disposal_id}.") from None
    return disposal


def list_disposals(
    uow: UnitOfWork, principal: Principal, *, filters: dict, after: int | None, limit: int
) -> list[Disposal]:
    """Disposals, oldest first; banks and owners see those of their own pledges."""
    stmt = select(Disposal).order_by(Disposal.id).limit(limit + 1)
    if not principal.sees_all():
        mine = select(Pledge.id).where(
            or_(Pledge.pledgor_id == principal.party_id, Pledge.pledgee_id == principal.party_id)
        )
        stmt = stmt.where(Disposal.pledge_id.in_(mine))
    for field in ("status", "pledge_id"):
        if filters.get(field) is not None:
            stmt = stmt.where(getattr(Disposal, field) == filters[field])
    if after:
        stmt = stmt.where(Disposal.id > after)
    return list(uow.session.execute(stmt).scalars())


def list_bids(
    uow: UnitOfWork,
    principal: Principal,
    disposal_id: int,
    *,
    after: int | None = None,
    limit: int | None = None,
) -> list[Bid]:
    """The bids of a disposal the caller sees, in the order they were recorded (after bid
    ``after``; ``limit + 1`` at most with a ``limit``: a page and whether there is more)."""
    get_disposal(uow, principal, disposal_id)
    more = None if limit is None else limit + 1
    return repositories(uow).disposals.bids(disposal_id, after=after, limit=more)
