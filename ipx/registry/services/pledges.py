"""Registered pledges: reading, changes of amount or term, cancellation and revocation."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from ipx.auth import Principal
from ipx.errors import InvalidTransition, NotFound, ValidationFailed
from ipx.registry.commands import CancelPledge, ChangePledge, RevokePledge
from ipx.registry.model import PLEDGE_TRANSITIONS, CancellationReason, PledgeStatus, can_move
from ipx.registry.orm import Pledge, PledgeAsset
from ipx.registry.repositories import repositories
from ipx.registry.services.common import emit
from ipx.registry.visibility import ensure_sees_pledge, party_filter_for_pledges
from ipx.uow import UnitOfWork


def get_pledge(
    uow: UnitOfWork, principal: Principal, pledge_id: int, *, lock: bool = False
) -> Pledge:
    """A pledge the principal may see (404 otherwise), locked for a change when asked."""
    pledge = repositories(uow).pledges.get(pledge_id, lock=lock)
    if pledge is None:
        raise NotFound(f"No pledge with id {pledge_id}.")
    ensure_sees_pledge(principal, pledge)
    return pledge


def list_pledges(
    uow: UnitOfWork, principal: Principal, *, filters: dict, after: int | None, limit: int
) -> list[Pledge]:
    stmt = select(Pledge).order_by(Pledge.id).limit(limit + 1)
    if not principal.sees_all():
        stmt = stmt.where(party_filter_for_pledges(principal))
    if after:
        stmt = stmt.where(Pledge.id > after)
    for field in ("status", "pledgor_id", "pledgee_id"):
        if filters.get(field) is not None:
            stmt = stmt.where(getattr(Pledge, field) == filters[field])
    if filters.get("asset_id") is not None:
        stmt = stmt.where(Pledge.assets.any(PledgeAsset.asset_id == filters["asset_id"]))
    return list(uow.session.execute(stmt).scalars())


def change_pledge(uow: UnitOfWork, principal: Principal, command: ChangePledge) -> Pledge:
    """Change the secured amount and/or extend or shorten the debt term of a live pledge."""
    pledge = get_pledge(uow, principal, command.pledge_id, lock=True)
    if pledge.status != PledgeStatus.REGISTERED:
        raise InvalidTransition(f"A pledge that is {pledge.status} cannot be changed.")
    extended = _extends(pledge, command.changes.get("debt_end"))
    applied = _apply_changes(uow, pledge, command.changes)
    if not applied:
        raise ValidationFailed(
            {
                "_body": [
                    "Nothing to change: give secured_amount or debt_end "
                    "different from the current ones."
                ]
            }
        )
    pledge.updated_at = uow.now
    emit(
        uow,
        "pledge.extended" if extended else "pledge.changed",
        refs=_refs(pledge),
        records={"pledge": pledge},
        data=applied,
    )
    return pledge


def _extends(pledge: Pledge, debt_end: date | None) -> bool:
    return debt_end is not None and debt_end > pledge.debt_end


def _apply_changes(uow: UnitOfWork, pledge: Pledge, changes: Mapping[str, Any]) -> dict[str, str]:
    """Set what differs from the pledge (the new term checked), and say what was set."""
    applied: dict[str, str] = {}
    amount: Decimal | None = changes.get("secured_amount")
    if amount is not None and amount != pledge.secured_amount:
        pledge.secured_amount = amount
        applied["secured_amount"] = str(amount)
    debt_end: date | None = changes.get("debt_end")
    if debt_end is not None and debt_end != pledge.debt_end:
        if debt_end <= pledge.debt_start:
            raise ValidationFailed({"debt_end": ["The debt must end after it starts."]})
        _check_term_covers(uow, pledge, debt_end)
        pledge.debt_end = debt_end
        applied["debt_end"] = debt_end.isoformat()
    return applied


def _check_term_covers(uow: UnitOfWork, pledge: Pledge, debt_end: date) -> None:
    expiries = repositories(uow).assets.expiry_dates(pledge.asset_ids)
    if short := [asset_id for asset_id, expiry in expiries.items() if expiry < debt_end]:
        raise ValidationFailed(
            {"debt_end": [f"The debt would run past the protection term of assets {short} (R06)."]}
        )


def cancel_pledge(uow: UnitOfWork, principal: Principal, command: CancelPledge) -> Pledge:
    """Cancel: repaid, waived, realized (after a disposal) or the contract void."""
    return close_pledge(
        uow, principal, command.pledge_id, target=PledgeStatus.CANCELLED, reason=command.reason
    )


def revoke_pledge(uow: UnitOfWork, principal: Principal, command: RevokePledge) -> Pledge:
    """Revoke a registration made in error or on false documents."""
    return close_pledge(
        uow, principal, command.pledge_id, target=PledgeStatus.REVOKED, reason=command.reason
    )


def close_pledge(
    uow: UnitOfWork, principal: Principal, pledge_id: int, *, target: PledgeStatus, reason: str
) -> Pledge:
    """Cancel or revoke: the pledge stops encumbering its assets (kept in the public record)."""
    pledge = get_pledge(uow, principal, pledge_id, lock=True)
    if (
        target is PledgeStatus.CANCELLED
        and pledge.status == PledgeStatus.REGISTERED
        and reason == CancellationReason.REALIZED
    ):
        raise InvalidTransition("A pledge is cancelled as realized only after its disposal.")
    move_pledge(pledge, target)
    release_assets(pledge)
    pledge.closed_at, pledge.closing_reason, pledge.updated_at = uow.now, reason, uow.now
    emit(
        uow,
        f"pledge.{target.value}",
        refs=_refs(pledge),
        records={"pledge": pledge},
        data={"status": pledge.status, "reason": reason},
    )
    return pledge


def move_pledge(pledge: Pledge, target: PledgeStatus) -> None:
    if not can_move(PLEDGE_TRANSITIONS, PledgeStatus(pledge.status), target):
        raise InvalidTransition(f"A pledge that is {pledge.status} cannot become {target.value}.")
    pledge.status = target.value


def release_assets(pledge: Pledge, asset_ids: list[int] | None = None) -> None:
    for link in pledge.assets:
        if asset_ids is None or link.asset_id in asset_ids:
            link.active = False


def _refs(pledge: Pledge) -> dict:
    return {
        "pledge": pledge.id,
        "assets": pledge.asset_ids,
        "parties": [pledge.pledgor_id, pledge.pledgee_id],
    }
