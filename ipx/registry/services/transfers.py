"""Assignments and licences of registered assets (Civil Code Art. 444 for pledged ones)."""

from __future__ import annotations

import enum

from sqlalchemy import select

from ipx.errors import Conflict, ValidationFailed
from ipx.registry.model import ENCUMBERING
from ipx.registry.orm import Asset, AssetHolder, Party, Pledge, PledgeAsset, Transfer
from ipx.registry.services.common import emit, get_or_404
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


def record_transfer(uow: UnitOfWork, data: dict) -> Transfer:
    """Record an assignment (holders change) or a licence of an asset.

    A pledged asset moves only with the pledgee's recorded consent, and the proceeds go to early
    repayment or escrow; a frozen asset does not move at all.
    """
    asset = get_or_404(uow.session, Asset, data["asset_id"], lock=True, what="asset")
    kind = TransferKind(data["kind"])
    to_ids = list(dict.fromkeys(data["to_party_ids"]))
    _check_parties(uow, to_ids)
    if asset.frozen:
        raise Conflict(
            "The asset is frozen by a court and cannot be transferred.", code="asset-frozen"
        )
    pledge = encumbering_pledge(uow, asset.id)
    proceeds = data.get("proceeds")
    if pledge is not None:
        if not data.get("pledgee_consent"):
            raise Conflict(
                f"The asset is under pledge {pledge.registration_number}: a transfer or licence "
                "needs the pledgee's recorded consent.",
                code="pledgee-consent-required",
                pledge_id=pledge.id,
            )
        if proceeds is None:
            raise ValidationFailed(
                {
                    "proceeds": [
                        "Say where the proceeds go: early_repayment or escrow "
                        "(Civil Code Art. 444)."
                    ]
                }
            )
    elif proceeds is not None:
        raise ValidationFailed({"proceeds": ["Only a pledged asset's transfer has proceeds."]})
    from_ids = asset.holder_ids
    if kind is TransferKind.ASSIGNMENT:
        asset.holders = [AssetHolder(party_id=p) for p in to_ids]
        asset.updated_at = uow.now
    transfer = Transfer(
        asset_id=asset.id,
        kind=kind.value,
        from_party_ids=from_ids,
        to_party_ids=to_ids,
        pledge_id=pledge.id if pledge else None,
        pledgee_consent=bool(data.get("pledgee_consent")),
        proceeds=proceeds,
        created_at=uow.now,
    )
    uow.session.add(transfer)
    uow.session.flush()
    emit(
        uow,
        f"asset.{kind.value}",
        records={"asset": asset, "transfer": transfer},
        refs={
            "asset": asset.id,
            "transfer": transfer.id,
            "parties": from_ids + to_ids,
            **({"pledge": pledge.id} if pledge else {}),
        },
        data={
            "kind": kind.value,
            "proceeds": proceeds,
            "pledgee_consent": transfer.pledgee_consent,
        },
    )
    return transfer


def _check_parties(uow: UnitOfWork, ids: list[int]) -> None:
    if not ids:
        raise ValidationFailed({"to_party_ids": ["At least one party receives the right."]})
    known = set(uow.session.execute(select(Party.id).where(Party.id.in_(ids))).scalars())
    if missing := [p for p in ids if p not in known]:
        raise ValidationFailed({"to_party_ids": [f"Unknown parties: {missing}."]})
