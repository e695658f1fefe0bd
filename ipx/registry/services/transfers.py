"""Assignments and licences of registered assets (Civil Code Art. 444 for pledged ones).

Art. 444: a pledged right moves only with the pledgee's consent, and the proceeds go to early
repayment of the secured debt or into escrow. With ``proceeds_amount`` the effect is recorded:
an early repayment reduces the secured amount (or, after default, the debt due, in the legal
order) and cancels the pledge (reason ``repaid``) when it covers it; escrow records the amount
held. An asset whose pledge is in disposal does not move by private transfer.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from decimal import Decimal

from ipx.auth import Principal
from ipx.errors import Conflict, NotFound, ValidationFailed
from ipx.registry.commands import RecordTransfer
from ipx.registry.disposal.defaults import debt_due, set_debt_due
from ipx.registry.disposal.distribution import apply_partial_sale
from ipx.registry.disposal.orm import PledgeDefault, TransferProceeds
from ipx.registry.model import CancellationReason, PledgeStatus
from ipx.registry.orm import Asset, AssetHolder, Pledge, Transfer
from ipx.registry.repositories import repositories
from ipx.registry.services.common import emit
from ipx.registry.services.pledges import move_pledge, release_assets
from ipx.uow import UnitOfWork


class TransferKind(enum.StrEnum):
    ASSIGNMENT = "assignment"
    LICENCE = "licence"


class Proceeds(enum.StrEnum):
    EARLY_REPAYMENT = "early_repayment"
    ESCROW = "escrow"


def record_transfer(uow: UnitOfWork, principal: Principal, data: RecordTransfer) -> dict:
    """Record an assignment (holders change) or a licence of an asset.

    A pledged asset moves only with the pledgee's recorded consent, and the proceeds go to early
    repayment or escrow; a frozen asset does not move at all.
    """
    asset, pledge = lock_asset_and_its_pledge(uow, data.asset_id)
    kind = TransferKind(data.kind)
    to_ids = receiving_parties(uow, data.to_party_ids)
    _check_transfer(asset, pledge, data)
    transfer = _log_transfer(
        uow,
        asset,
        kind,
        to_ids,
        pledge_id=pledge.id if pledge else None,
        pledgee_consent=bool(data.pledgee_consent),
        proceeds=data.proceeds,
    )
    proceeds = None
    if data.proceeds_amount is not None:
        assert pledge is not None and data.proceeds is not None  # _check_transfer
        amount = data.proceeds_amount
        proceeds = apply_proceeds(uow, transfer, pledge, Proceeds(data.proceeds), amount)
    return _transfer_answer(transfer, proceeds, pledge)


def _transfer_answer(
    transfer: Transfer, proceeds: TransferProceeds | None, pledge: Pledge | None
) -> dict:
    """The transfer with what its proceeds did to the debt, and the pledge's status after."""
    return {
        **{c.key: getattr(transfer, c.key) for c in transfer.__table__.columns},
        "proceeds_amount": proceeds.amount if proceeds else None,
        "debt_after": proceeds.debt_after if proceeds else None,
        "currency": pledge.currency if proceeds and pledge else None,  # the debt's
        "pledge_status": pledge.status if pledge else None,
    }


def lock_asset_and_its_pledge(uow: UnitOfWork, asset_id: int) -> tuple[Asset, Pledge | None]:
    """The asset and the pledge over it (if any), locked: the pledge before the asset, in the
    order every other pledge operation takes them (pledge, then its default record and
    assets), so a transfer running beside a disposal or a sale queues instead of deadlocking."""
    repos = repositories(uow)
    pledge = repos.pledges.encumbering(asset_id)
    if pledge is not None:
        repos.pledges.relock(pledge)
        repos.defaults.of_pledge(pledge.id, lock=True)  # before the asset, as sales take them
    asset = repos.assets.get(asset_id, lock=True)
    if asset is None:
        raise NotFound(f"No asset with id {asset_id}.")
    current = repos.pledges.encumbering(asset_id)
    if (current and current.id) != (pledge and pledge.id):
        raise Conflict(
            "The asset's pledge changed while the transfer was being recorded; retry.",
            code="conflict",
        )
    return asset, current


def _check_transfer(asset: Asset, pledge: Pledge | None, data: RecordTransfer) -> None:
    """A frozen asset does not move; a pledged one needs consent and says where the proceeds
    go; only a pledged asset's transfer has proceeds, and an amount needs its destination."""
    if asset.frozen:
        raise Conflict(
            "The asset is frozen by a court and cannot be transferred.", code="asset-frozen"
        )
    _check_pledged_transfer(pledge, data)
    if pledge is None and data.proceeds is not None:
        raise ValidationFailed({"proceeds": ["Only a pledged asset's transfer has proceeds."]})
    if data.proceeds_amount is not None and data.proceeds is None:
        raise ValidationFailed({"proceeds_amount": ["Give proceeds: early_repayment or escrow."]})


def _check_pledged_transfer(pledge: Pledge | None, data: RecordTransfer) -> None:
    if pledge is None:
        return
    if not data.pledgee_consent:
        raise Conflict(
            f"The asset is under pledge {pledge.registration_number}: a transfer or licence "
            "needs the pledgee's recorded consent.",
            code="pledgee-consent-required",
            pledge_id=pledge.id,
        )
    if data.proceeds is None:
        raise ValidationFailed(
            {
                "proceeds": [
                    "Say where the proceeds go: early_repayment or escrow (Civil Code Art. 444)."
                ]
            }
        )
    if pledge.status == PledgeStatus.IN_DISPOSAL:
        raise Conflict(
            f"Pledge {pledge.registration_number} is in disposal: the asset is sold on the "
            "exchange, not transferred privately.",
            code="pledge-in-disposal",
            pledge_id=pledge.id,
        )


def pass_ownership(
    uow: UnitOfWork, asset: Asset, buyer_id: int, *, pledge_id: int, disposal_id: int
) -> Transfer:
    """Ownership of a sold asset passes to the buyer: an assignment logged like any other."""
    return _log_transfer(
        uow,
        asset,
        TransferKind.ASSIGNMENT,
        [buyer_id],
        pledge_id=pledge_id,
        pledgee_consent=True,
        proceeds=None,
        disposal_id=disposal_id,
    )


def _log_transfer(
    uow: UnitOfWork,
    asset: Asset,
    kind: TransferKind,
    to_ids: list[int],
    *,
    pledge_id: int | None,
    pledgee_consent: bool,
    proceeds: str | None,
    disposal_id: int | None = None,
) -> Transfer:
    from_ids = asset.holder_ids
    if kind is TransferKind.ASSIGNMENT:
        asset.holders = [AssetHolder(party_id=p) for p in to_ids]
        asset.updated_at = uow.now
    transfer = Transfer(
        asset_id=asset.id,
        kind=kind.value,
        from_party_ids=from_ids,
        to_party_ids=to_ids,
        pledge_id=pledge_id,
        pledgee_consent=pledgee_consent,
        proceeds=proceeds,
        created_at=uow.now,
    )
    repositories(uow).transfers.add(transfer)
    by_disposal = {"disposal": disposal_id} if disposal_id else {}
    emit(
        uow,
        f"asset.{kind.value}",
        records={"asset": asset, "transfer": transfer},
        refs={
            "asset": asset.id,
            "transfer": transfer.id,
            "parties": from_ids + to_ids,
            **({"pledge": pledge_id} if pledge_id else {}),
            **by_disposal,
        },
        data={
            "kind": kind.value,
            "proceeds": proceeds,
            "pledgee_consent": pledgee_consent,
            **by_disposal,
        },
    )
    return transfer


def apply_proceeds(
    uow: UnitOfWork, transfer: Transfer, pledge: Pledge, proceeds: Proceeds, amount: Decimal
) -> TransferProceeds:
    """Record what the proceeds did to the secured debt (Art. 444)."""
    repos = repositories(uow)
    default = repos.defaults.of_pledge(pledge.id, lock=True)
    before = debt_due(default).total if default else pledge.secured_amount
    after = before
    if proceeds is Proceeds.EARLY_REPAYMENT:
        if default is not None:
            due = debt_due(default)
            paid = apply_partial_sale(
                min(amount, due.total),
                *(due.costs, due.interest_penalties, due.principal),
                pledgee_id=pledge.pledgee_id,
                pledgor_id=pledge.pledgor_id,
                costs_payee_id=pledge.pledgee_id,
            )
            set_debt_due(uow, default, paid.remaining)
            after = paid.remaining.total
        else:
            after = max(before - amount, Decimal("0.00"))
            if after:
                pledge.secured_amount = after
    record = TransferProceeds(
        transfer_id=transfer.id,
        pledge_id=pledge.id,
        destination=proceeds.value,
        amount=amount,
        debt_before=before,
        debt_after=after,
        created_at=uow.now,
    )
    repos.transfers.add_proceeds(record)
    _emit_proceeds(uow, pledge, record, default, repaid=not after)
    return record


def _emit_proceeds(
    uow: UnitOfWork,
    pledge: Pledge,
    record: TransferProceeds,
    default: PledgeDefault | None,
    *,
    repaid: bool,
) -> None:
    pledge.updated_at = uow.now
    if repaid:
        move_pledge(pledge, PledgeStatus.CANCELLED)
        release_assets(pledge)
        pledge.closed_at, pledge.closing_reason = uow.now, CancellationReason.REPAID.value
    records: dict[str, object] = {"pledge": pledge, "transfer_proceeds": record}
    if default is not None:
        records["default"] = default
    emit(
        uow,
        f"pledge.proceeds_{record.destination}",
        refs={"pledge": pledge.id, "transfer": record.transfer_id, "transfer_proceeds": record.id},
        records=records,
        data={
            "amount": str(record.amount),
            "debt_before": str(record.debt_before),
            "debt_after": str(record.debt_after),
            "status": pledge.status,
            **({"reason": pledge.closing_reason} if repaid else {}),
        },
    )


def receiving_parties(uow: UnitOfWork, party_ids: Iterable[int]) -> list[int]:
    """The parties a transfer gives the right to, each once, in order; all must exist."""
    ids = list(dict.fromkeys(party_ids))
    if not ids:
        raise ValidationFailed({"to_party_ids": ["At least one party receives the right."]})
    known = repositories(uow).parties.known(ids)
    if missing := [p for p in ids if p not in known]:
        raise ValidationFailed({"to_party_ids": [f"Unknown parties: {missing}."]})
    return ids
