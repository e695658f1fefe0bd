"""Closing a disposal: a failed auction, or a sale whose proceeds are distributed.

On a sale the price is shared out by ``distribution`` in the legal order, ownership of the sold
assets passes to the buyer (an assignment logged like any other), each sold asset's realized
price is kept as a transaction record, and the pledge is realized and cancelled, or, when
assets remain and so does the debt, goes back to ``defaulted`` on the rest.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from ipx.auth import Principal
from ipx.errors import Conflict, InvalidTransition, NotFound
from ipx.registry.commands import CloseDisposal, WithdrawDisposal
from ipx.registry.disposal.defaults import debt_due, pledge_refs, set_debt_due
from ipx.registry.disposal.disposals import get_disposal
from ipx.registry.disposal.distribution import Debt, Statement, apply_partial_sale, distribute
from ipx.registry.disposal.model import (
    BidFacts,
    DisposalStatus,
    WithdrawalReason,
    is_final_sale,
    winning_bid,
)
from ipx.registry.disposal.orm import (
    Disposal,
    DistributionLine,
    PledgeDefault,
    SaleTransaction,
    UnsecuredClaim,
)
from ipx.registry.model import CancellationReason, PledgeStatus
from ipx.registry.orm import Asset, Pledge
from ipx.registry.repositories import repositories
from ipx.registry.services.common import emit
from ipx.registry.services.pledges import get_pledge, move_pledge, release_assets
from ipx.registry.services.transfers import pass_ownership
from ipx.uow import UnitOfWork


def close_disposal(uow: UnitOfWork, principal: Principal, command: CloseDisposal) -> Disposal:
    """Close: the best bid wins, or the disposal failed. Closing again answers the same (and a
    withdrawn disposal stays withdrawn)."""
    # Locks in the order every pledge operation takes them: pledge, default, disposal, assets.
    pledge, default, disposal = _locked_disposal(uow, principal, command.disposal_id)
    if disposal.status != DisposalStatus.OPEN:
        return disposal
    if uow.now < disposal.bids_open_at:
        raise Conflict("The announcement period has not ended yet.", code="bidding-not-open")
    bids = repositories(uow).disposals.bids(disposal.id)
    best = winning_bid([BidFacts(b.id, b.bidder_id, b.amount, b.placed_at) for b in bids])
    _end_offer(uow, disposal)
    if best is None:
        _fail(uow, disposal, pledge, default)
    else:
        _sell(uow, disposal, pledge, default, best)
    return disposal


def withdraw_disposal(uow: UnitOfWork, principal: Principal, command: WithdrawDisposal) -> Disposal:
    """Call off an open disposal: no bid wins and its assets leave the disposal.

    ``debt_paid``: the debt, the disposal's costs included, was paid, so the pledge ends here
    (cancelled as repaid, its assets released). Otherwise (a court's stay, the parties'
    agreement) the pledge is ``defaulted`` again and the disposal's costs stay owed, as after a
    failed disposal; a court's stay should also be recorded as a freeze on the assets, which
    keeps a new disposal from opening. Withdrawing again for the same reason answers the same;
    a sold or failed disposal, or another reason, is 409 ``invalid-transition``.
    """
    why, note = WithdrawalReason(command.reason), command.note
    pledge, default, disposal = _locked_disposal(uow, principal, command.disposal_id)
    if _withdrawn_already(disposal, why):
        return disposal
    disposal.status, disposal.withdrawal_reason = DisposalStatus.WITHDRAWN.value, why.value
    _end_offer(uow, disposal)
    move_pledge(pledge, PledgeStatus.DEFAULTED)
    pledge.updated_at = uow.now
    if why is not WithdrawalReason.DEBT_PAID:
        _carry_costs(uow, disposal, default)
    refs = {**pledge_refs(pledge), "disposal": disposal.id, "default": default.id}
    emit(
        uow,
        "disposal.withdrawn",
        refs=refs,
        records={"disposal": disposal, "pledge": pledge, "default": default},
        data={"status": disposal.status, "reason": why.value, **({"note": note} if note else {})},
    )
    if why is WithdrawalReason.DEBT_PAID:
        _cancel_pledge(uow, pledge, refs, CancellationReason.REPAID)
    return disposal


def _withdrawn_already(disposal: Disposal, why: WithdrawalReason) -> bool:
    """True when withdrawn for this reason before; 409 unless the disposal is open."""
    if disposal.status == DisposalStatus.WITHDRAWN and disposal.withdrawal_reason == why:
        return True
    if disposal.status != DisposalStatus.OPEN:
        already = f" ({disposal.withdrawal_reason})" if disposal.withdrawal_reason else ""
        raise InvalidTransition(
            f"A disposal that is {disposal.status}{already} cannot be withdrawn {why.value}."
        )
    return False


def _end_offer(uow: UnitOfWork, disposal: Disposal) -> None:
    """The disposal closes: its assets are no longer on offer."""
    disposal.closed_at = uow.now
    for link in disposal.assets:
        link.open = False


def _locked_disposal(
    uow: UnitOfWork, principal: Principal, disposal_id: int
) -> tuple[Pledge, PledgeDefault, Disposal]:
    """Pledge, default and disposal, locked in the order every pledge operation takes them."""
    repos = repositories(uow)
    pledge_id = repos.disposals.pledge_id_of(disposal_id)
    if pledge_id is None:
        raise NotFound(f"No disposal with id {disposal_id}.")
    pledge = get_pledge(uow, principal, pledge_id, lock=True)
    default = repos.defaults.of_pledge(pledge.id, lock=True)
    disposal = repos.disposals.get(disposal_id, lock=True)
    if disposal is None:
        raise NotFound(f"No disposal with id {disposal_id}.")
    assert default is not None  # a disposal opens only on a defaulted pledge
    return pledge, default, disposal


def _carry_costs(uow: UnitOfWork, disposal: Disposal, default: PledgeDefault) -> None:
    # The costs were spent all the same; they stay secured and are paid first at the next sale.
    due = debt_due(default)
    set_debt_due(uow, default, Debt(due.costs + disposal.costs, *_rest(due)))


def _fail(uow: UnitOfWork, disposal: Disposal, pledge: Pledge, default: PledgeDefault) -> None:
    disposal.status = DisposalStatus.FAILED.value
    _carry_costs(uow, disposal, default)
    move_pledge(pledge, PledgeStatus.DEFAULTED)
    pledge.updated_at = uow.now
    emit(
        uow,
        "disposal.failed",
        refs={**pledge_refs(pledge), "disposal": disposal.id, "default": default.id},
        records={"disposal": disposal, "pledge": pledge, "default": default},
        data={"reserve_price": str(disposal.reserve_price), "carried_costs": str(disposal.costs)},
    )


def _rest(debt: Debt) -> tuple[Decimal, Decimal]:
    return debt.interest_penalties, debt.principal


def _sell(uow, disposal: Disposal, pledge: Pledge, default: PledgeDefault, best: BidFacts) -> None:
    sold_ids = disposal.asset_ids
    active_ids = {link.asset_id for link in pledge.assets if link.active}
    statement, remaining, final = _distribute(disposal, pledge, default, best.amount, active_ids)
    disposal.status, disposal.price = DisposalStatus.SOLD.value, best.amount
    disposal.buyer_id, disposal.winning_bid_id = best.bidder_id, best.id
    disposal.shortfall, disposal.final = statement.shortfall, final
    disposal.lines = [
        DistributionLine(position=i, kind=line.kind, payee_id=line.payee_id, amount=line.amount)
        for i, line in enumerate(statement.lines)
    ]
    set_debt_due(uow, default, remaining)
    claim = _claim(uow, disposal, pledge, statement.shortfall)
    assets = _locked_assets(uow, sold_ids)
    sales = [_sale_record(uow, disposal, asset, len(sold_ids)) for asset in assets]
    emit(
        uow,
        "disposal.sold",
        refs={**pledge_refs(pledge), "disposal": disposal.id, "assets": sold_ids},
        records={
            "disposal": disposal,
            "default": default,
            "sale_transaction": sales,
            **({"claim": claim} if claim else {}),
        },
        data={**statement.to_dict(), "buyer_id": best.bidder_id, "final": final},
    )
    for asset in assets:
        pass_ownership(uow, asset, best.bidder_id, pledge_id=pledge.id, disposal_id=disposal.id)
    release_assets(pledge, sold_ids)
    _settle_pledge(uow, pledge, disposal, final)


def _distribute(disposal, pledge, default, price, active_ids) -> tuple[Statement, Debt, bool]:
    due = debt_due(default)
    args = (price, due.costs + disposal.costs, due.interest_penalties, due.principal)
    payees = {
        "pledgee_id": pledge.pledgee_id,
        "pledgor_id": pledge.pledgor_id,
        "costs_payee_id": disposal.costs_payee_id,
    }
    if is_final_sale(set(disposal.asset_ids), active_ids):
        statement = distribute(*args, **payees)
        return statement, statement.unpaid, True
    partial = apply_partial_sale(*args, **payees)
    return partial.statement, partial.remaining, partial.settled


def _claim(uow, disposal: Disposal, pledge: Pledge, shortfall: Decimal) -> UnsecuredClaim | None:
    if not shortfall:
        return None
    claim = UnsecuredClaim(
        pledge_id=pledge.id,
        disposal_id=disposal.id,
        creditor_id=pledge.pledgee_id,
        debtor_id=pledge.pledgor_id,
        amount=shortfall,
        currency=disposal.currency,
        created_at=uow.now,
    )
    repositories(uow).disposals.add_claim(claim)
    return claim


def _locked_assets(uow: UnitOfWork, asset_ids: list[int]) -> list[Asset]:
    assets = repositories(uow).assets.locked(asset_ids)
    if frozen := [a.id for a in assets if a.frozen]:
        raise Conflict(
            f"Assets {frozen} were frozen by a court after the disposal opened; "
            "the sale cannot complete.",
            code="asset-frozen",
        )
    return assets


def _sale_record(uow, disposal: Disposal, asset: Asset, lot_size: int) -> SaleTransaction:
    sale = SaleTransaction(
        disposal_id=disposal.id,
        asset_id=asset.id,
        asset_kind=asset.kind,
        asset_number=asset.number,
        ipc=asset.ipc,
        features=dict(asset.features) if asset.features else None,
        filing_date=asset.filing_date,
        grant_date=asset.grant_date,
        expiry_date=asset.expiry_date,
        price=disposal.price,
        lot_size=lot_size,
        currency=disposal.currency,
        method=disposal.method,
        sale_date=uow.now.date(),
        created_at=uow.now,
    )
    repositories(uow).disposals.add_sale(sale)
    return sale


def _settle_pledge(uow: UnitOfWork, pledge: Pledge, disposal: Disposal, final: bool) -> None:
    pledge.updated_at = uow.now
    refs = {**pledge_refs(pledge), "disposal": disposal.id}
    if not final:
        move_pledge(pledge, PledgeStatus.DEFAULTED)
        emit(
            uow,
            "pledge.partially_realized",
            refs=refs,
            records={"pledge": pledge},
            data={"status": pledge.status, "released_assets": disposal.asset_ids},
        )
        return
    move_pledge(pledge, PledgeStatus.REALIZED)
    emit(uow, "pledge.realized", refs=refs, records={"pledge": pledge}, data={"status": "realized"})
    _cancel_pledge(uow, pledge, refs, CancellationReason.REALIZED)


def _cancel_pledge(uow: UnitOfWork, pledge: Pledge, refs: dict, reason: CancellationReason):
    """End the pledge: cancelled for ``reason``, its assets released, the change logged."""
    move_pledge(pledge, PledgeStatus.CANCELLED)
    release_assets(pledge)
    pledge.closed_at, pledge.closing_reason = uow.now, reason.value
    emit(
        uow,
        "pledge.cancelled",
        refs=refs,
        records={"pledge": pledge},
        data={"status": pledge.status, "reason": reason.value},
    )


def statement_of(uow: UnitOfWork, principal: Principal, disposal_id: int) -> dict:
    """The distribution statement of a sold disposal (409 ``disposal-not-sold`` otherwise)."""
    disposal = get_disposal(uow, principal, disposal_id)
    if disposal.status != DisposalStatus.SOLD:
        raise Conflict(
            f"The disposal is {disposal.status}: only a sale has a statement.",
            code="disposal-not-sold",
        )
    return {
        "disposal_id": disposal.id,
        "pledge_id": disposal.pledge_id,
        "price": disposal.price,
        "currency": disposal.currency,
        "lines": disposal.lines,
        "shortfall": disposal.shortfall,
        "final": disposal.final,
    }


def list_transactions(
    uow: UnitOfWork, principal: Principal, *, filters: dict, after: int | None, limit: int
) -> list[SaleTransaction]:
    """Realized prices, oldest first, filtered by asset kind or method."""
    stmt = select(SaleTransaction).order_by(SaleTransaction.id).limit(limit + 1)
    for field in ("asset_kind", "method"):
        if filters.get(field) is not None:
            stmt = stmt.where(getattr(SaleTransaction, field) == filters[field])
    if after:
        stmt = stmt.where(SaleTransaction.id > after)
    return list(uow.session.execute(stmt).scalars())
