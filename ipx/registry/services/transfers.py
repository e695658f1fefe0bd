"""Assignments and licences of registered assets (Civil Code Art. 444 for pledged ones).

Art. 444: a pledged right moves only with the pledgee's consent, and the proceeds go to early
repayment of the secured debt or into escrow. With ``proceeds_amount`` the effect is recorded:
an early repayment reduces the secured amount (or, after default, the debt due, in the legal
order) and cancels the pledge (reason ``repaid``) when it covers it; escrow records the amount
held. An asset whose pledge is in disposal does not move by private transfer.
"""

from __future__ import annotations

import enum
from decimal import Decimal

from sqlalchemy import select

from ipx.auth import Principal
from ipx.errors import Conflict, ValidationFailed
from ipx.registry.commands import RecordTransfer
from ipx.registry.disposal.defaults import debt_due, default_of, set_debt_due
from ipx.registry.disposal.distribution import apply_partial_sale
from ipx.registry.disposal.orm import TransferProceeds
from ipx.registry.model import ENCUMBERING, CancellationReason, PledgeStatus
from ipx.registry.orm import Asset, AssetHolder, Party, Pledge, PledgeAsset, Transfer
from ipx.registry.services.common import emit, get_or_404
from ipx.registry.services.pledges import move_pledge, release_assets
from ipx.uow import UnitOfWork


class TransferKind(enum.StrEnum):
    ASSIGNMENT = "assignment"
    LICENCE = "licence"


class Proceeds(enum.StrEnum):
    EARLY_REPAYMENT = "early_repayment"
    ESCROW = "escrow"


def encumbering_pledge(uow: UnitOfWork, asset_id: int) -> Pledge | None:
    return uow.session.execute(
        select(Pledge)
        .join(PledgeAsset, PledgeAsset.pledge_id == Pledge.id)
        .where(
            PledgeAsset.asset_id == asset_id,
            PledgeAsset.active,
            Pledge.status.in_([s.value for s in ENCUMBERING]),
        )
    ).scalar_one_or_none()


def record_transfer(uow: UnitOfWork, principal: Principal, data: RecordTransfer) -> dict:
    """Record an assignment (holders change) or a licence of an asset.

    A pledged asset moves only with the pledgee's recorded consent, and the proceeds go to early
    repayment or escrow; a frozen asset does not move at all.
    """
    asset = _lock_asset_and_its_pledge(uow, data.asset_id)
    kind = TransferKind(data.kind)
    to_ids = list(dict.fromkeys(data.to_party_ids))
    _check_parties(uow, to_ids)
    if asset.frozen:
        raise Conflict(
            "The asset is frozen by a court and cannot be transferred.", code="asset-frozen"
        )
    pledge = encumbering_pledge(uow, asset.id)
    proceeds = data.proceeds
    _check_pledged_transfer(pledge, data)
    if pledge is None and proceeds is not None:
        raise ValidationFailed({"proceeds": ["Only a pledged asset's transfer has proceeds."]})
    if data.proceeds_amount is not None and proceeds is None:
        raise ValidationFailed({"proceeds_amount": ["Give proceeds: early_repayment or escrow."]})
    transfer = _log_transfer(
        uow,
        asset,
        kind,
        to_ids,
        pledge_id=pledge.id if pledge else None,
        pledgee_consent=bool(data.pledgee_consent),
        proceeds=proceeds,
    )
    if data.proceeds_amount is not None:
        assert pledge is not None and proceeds is not None  # both checked above
        apply_proceeds(uow, transfer, pledge, Proceeds(proceeds), data.proceeds_amount)
    return _transfer_answer(uow, transfer)


def _transfer_answer(uow: UnitOfWork, transfer: Transfer) -> dict:
    """The transfer with what its proceeds did to the debt, and the pledge's status after."""
    proceeds = proceeds_of(uow, transfer.id)
    return {
        **{c.key: getattr(transfer, c.key) for c in transfer.__table__.columns},
        "proceeds_amount": proceeds.amount if proceeds else None,
        "debt_after": proceeds.debt_after if proceeds else None,
        "pledge_status": pledge_status(uow, transfer.pledge_id),
    }


def _lock_asset_and_its_pledge(uow: UnitOfWork, asset_id: int) -> Asset:
    """Lock the pledge over the asset (if any) before the asset, in the order every other
    pledge operation takes them (pledge, then its default record and assets), so a transfer
    running beside a disposal or a sale queues instead of deadlocking."""
    pledge = encumbering_pledge(uow, asset_id)
    if pledge is not None:
        uow.session.execute(select(Pledge.id).where(Pledge.id == pledge.id).with_for_update())
        uow.session.refresh(pledge)  # what it says now that we hold the lock
        default_of(uow, pledge.id, lock=True)  # before the asset, as sales take them
    asset = get_or_404(uow.session, Asset, asset_id, lock=True, what="asset")
    current = encumbering_pledge(uow, asset_id)
    if (current and current.id) != (pledge and pledge.id):
        raise Conflict(
            "The asset's pledge changed while the transfer was being recorded; retry.",
            code="conflict",
        )
    return asset


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
    uow.session.add(transfer)
    uow.session.flush()
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
    default = default_of(uow, pledge.id, lock=True)
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
    uow.session.add(record)
    uow.session.flush()
    _emit_proceeds(uow, pledge, record, default, repaid=not after)
    return record


def _emit_proceeds(uow: UnitOfWork, pledge: Pledge, record, default, *, repaid: bool) -> None:
    pledge.updated_at = uow.now
    if repaid:
        move_pledge(pledge, PledgeStatus.CANCELLED)
        release_assets(pledge)
        pledge.closed_at, pledge.closing_reason = uow.now, CancellationReason.REPAID.value
    records = {"pledge": pledge, "transfer_proceeds": record}
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


def proceeds_of(uow: UnitOfWork, transfer_id: int) -> TransferProceeds | None:
    return uow.session.execute(
        select(TransferProceeds).where(TransferProceeds.transfer_id == transfer_id)
    ).scalar_one_or_none()


def _check_parties(uow: UnitOfWork, ids: list[int]) -> None:
    if not ids:
        raise ValidationFailed({"to_party_ids": ["At least one party receives the right."]})
    known = set(uow.session.execute(select(Party.id).where(Party.id.in_(ids))).scalars())
    if missing := [p for p in ids if p not in known]:
        raise ValidationFailed({"to_party_ids": [f"Unknown parties: {missing}."]})


def pledge_status(uow: UnitOfWork, pledge_id: int | None) -> str | None:
    """The status of the pledge a transfer concerned, after it (None for unpledged assets)."""
    if pledge_id is None:
        return None
    pledge = uow.session.get(Pledge, pledge_id)
    assert pledge is not None  # a foreign key
    return pledge.status
