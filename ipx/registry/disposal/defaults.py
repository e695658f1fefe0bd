"""Default on a pledge: the pledgee's declaration, the debt still due, the pledgor's request.

Choices where the brief left room:
- a default is declared by a bank key bound to the pledgee, or by a clerk recording it on the
  bank's behalf (as clerks file applications for banks); the pledgor's bank or owner key is
  refused (403), a key of an unrelated party does not see the pledge (404).
- the debt due is kept by kind (costs, interest and penalties, principal): partial sales and
  early repayments reduce it in the legal order; costs of a failed disposal are added to it,
  because the costs of realizing a pledge are secured too (Civil Code Art. 389).
- the pledgor may ask for timely disposal (Civil Code Art. 437) once the debt has fallen due
  or default has been declared; the request is recorded and logged for the clerk to act on.
"""

from __future__ import annotations

from decimal import Decimal

from ipx.auth import Principal
from ipx.errors import Conflict, Forbidden, InvalidTransition, NotFound, ValidationFailed
from ipx.registry.commands import DeclareDefault, RequestDisposal
from ipx.registry.disposal.distribution import Debt
from ipx.registry.disposal.orm import DisposalRequest, PledgeDefault
from ipx.registry.model import PledgeStatus
from ipx.registry.orm import Pledge
from ipx.registry.repositories import repositories
from ipx.registry.services.common import emit
from ipx.registry.services.pledges import get_pledge, move_pledge
from ipx.registry.visibility import is_clerk_like
from ipx.uow import UnitOfWork


def declare_default(uow: UnitOfWork, principal: Principal, command: DeclareDefault) -> dict:
    """The pledgee declares default with the outstanding principal, interest and penalties."""
    pledge = get_pledge(uow, principal, command.pledge_id, lock=True)
    if not is_clerk_like(principal) and principal.party_id != pledge.pledgee_id:
        raise Forbidden("Only the pledgee (or a clerk on its behalf) declares default.")
    if command.principal + command.interest + command.penalties <= 0:
        raise ValidationFailed({"principal": ["A default needs an outstanding amount."]})
    move_pledge(pledge, PledgeStatus.DEFAULTED)
    default = _new_default(uow, principal, pledge, command)
    repositories(uow).defaults.add(default)
    pledge.updated_at = uow.now
    emit(
        uow,
        "pledge.defaulted",
        refs={**pledge_refs(pledge), "default": default.id},
        records={"pledge": pledge, "default": default},
        data={
            "principal": str(command.principal),
            "interest": str(command.interest),
            "penalties": str(command.penalties),
            "currency": pledge.currency,
        },
    )
    return default_view(default, pledge)


def _new_default(
    uow: UnitOfWork, principal: Principal, pledge: Pledge, command: DeclareDefault
) -> PledgeDefault:
    """The declaration, with the whole declared debt still due and no costs yet."""
    return PledgeDefault(
        pledge_id=pledge.id,
        principal=command.principal,
        interest=command.interest,
        penalties=command.penalties,
        costs_due=Decimal("0.00"),
        interest_penalties_due=command.interest + command.penalties,
        principal_due=command.principal,
        declared_by=principal.actor,
        declared_at=uow.now,
        updated_at=uow.now,
    )


def default_view(default: PledgeDefault, pledge: Pledge) -> dict:
    """A pledge's default as the API shows it: what was declared and what is still due."""
    due = debt_due(default)
    return {
        "id": default.id,
        "pledge_id": pledge.id,
        "status": pledge.status,
        "principal": default.principal,
        "interest": default.interest,
        "penalties": default.penalties,
        "outstanding": {**due.__dict__, "total": due.total},
        "currency": pledge.currency,
        "declared_at": default.declared_at,
        "updated_at": default.updated_at,
    }


def get_default(uow: UnitOfWork, principal: Principal, pledge_id: int) -> dict:
    """The default of a pledge the caller sees (``default_view``), or 404."""
    pledge = get_pledge(uow, principal, pledge_id)
    default = repositories(uow).defaults.of_pledge(pledge_id)
    if default is None:
        raise NotFound(f"No default has been declared on pledge {pledge_id}.")
    return default_view(default, pledge)


def debt_due(default: PledgeDefault) -> Debt:
    return Debt(default.costs_due, default.interest_penalties_due, default.principal_due)


def set_debt_due(uow: UnitOfWork, default: PledgeDefault, debt: Debt) -> None:
    default.costs_due = debt.costs
    default.interest_penalties_due = debt.interest_penalties
    default.principal_due = debt.principal
    default.updated_at = uow.now


def request_disposal(
    uow: UnitOfWork, principal: Principal, command: RequestDisposal
) -> DisposalRequest:
    """The pledgor asks that the pledge be realized promptly (Civil Code Art. 437)."""
    pledge = get_pledge(uow, principal, command.pledge_id, lock=True)
    _check_disposal_may_be_requested(uow, principal, pledge)
    request = DisposalRequest(
        pledge_id=pledge.id,
        party_id=pledge.pledgor_id,
        note=command.note,
        requested_by=principal.actor,
        created_at=uow.now,
    )
    repositories(uow).defaults.add_request(request)
    emit(
        uow,
        "pledge.disposal_requested",
        refs={**pledge_refs(pledge), "disposal_request": request.id},
        records={"disposal_request": request},
        data={"status": pledge.status},
    )
    return request


def _check_disposal_may_be_requested(uow: UnitOfWork, principal: Principal, pledge: Pledge) -> None:
    """The pledgor (or a clerk) asks, once the debt fell due or default was declared."""
    if not is_clerk_like(principal) and principal.party_id != pledge.pledgor_id:
        raise Forbidden("Only the pledgor (or a clerk on its behalf) asks for timely disposal.")
    if pledge.status not in (PledgeStatus.REGISTERED, PledgeStatus.DEFAULTED):
        raise InvalidTransition(f"A pledge that is {pledge.status} cannot be sent to disposal.")
    if pledge.status == PledgeStatus.REGISTERED and pledge.debt_end >= uow.now.date():
        raise Conflict(
            f"The debt falls due on {pledge.debt_end.isoformat()}; timely disposal can be asked "
            "for only after that.",
            code="debt-not-due",
        )


def pledge_refs(pledge: Pledge) -> dict:
    return {
        "pledge": pledge.id,
        "assets": pledge.asset_ids,
        "parties": [pledge.pledgor_id, pledge.pledgee_id],
    }
