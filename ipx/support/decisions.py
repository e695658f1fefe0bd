"""A clerk's decisions: approve (reserving budget), refuse with coded reasons, record payment.

Approval and payment change the programme's budget counters, so they lock the programme's row
first (SELECT ... FOR UPDATE; SQLite's write transactions are serial anyway), then the
application: every writer takes the locks in that order, so concurrent clerks queue and none
reserves what another already took.
"""

from __future__ import annotations

from decimal import Decimal

from ipx.auth import Principal
from ipx.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from ipx.support import events
from ipx.support.budget import BudgetExhausted, FirmCapReached, check_firm_cap
from ipx.support.commands import (
    ApproveSupportApplication,
    PaySupportApplication,
    RefuseSupportApplication,
)
from ipx.support.model import TRANSITIONS, ApplicationStatus
from ipx.support.money import cents, to_decimal
from ipx.support.orm import SupportApplication
from ipx.support.repositories import SupportRecords, budget_of
from ipx.uow import UnitOfWork


def approve_application(
    uow: UnitOfWork, principal: Principal, command: ApproveSupportApplication
) -> SupportApplication:
    """Approve the computed amount (or a lower one, with a reason); 409 ``budget-exhausted``
    when the programme's budget has less left."""
    records = SupportRecords(uow.session)
    programme, application = _locked(records, command.application_id)
    # What the firm's other approvals hold, read before this one counts as approved.
    firm_approved = records.firm_held(application.series_id, application.firm_id, decided_only=True)
    _move(application, ApplicationStatus.APPROVED)
    amount = _approved_amount(application, command)
    try:
        check_firm_cap(cents(programme.cap_per_firm_year), firm_approved, cents(amount))
        budget = budget_of(programme).reserve(cents(amount))
    except BudgetExhausted:
        raise Conflict(
            "The programme's remaining budget does not cover this approval.",
            code="budget-exhausted",
        ) from None
    except FirmCapReached:
        raise Conflict(
            "The approval would take the firm past its yearly cap in this programme.",
            code="firm-cap-reached",
        ) from None
    programme.reserved, programme.updated_at = to_decimal(budget.reserved), uow.now
    application.approved_amount, application.decision_reason = amount, command.reason
    application.decided_at = application.updated_at = uow.now
    events.record(
        uow,
        "support.application_approved",
        programmes=[programme],
        application=application,
        public={"status": application.status},
        private={"approved_amount": f"{amount:.2f}", "reason": command.reason},
    )
    return application


def refuse_application(
    uow: UnitOfWork, principal: Principal, command: RefuseSupportApplication
) -> SupportApplication:
    """Refuse with coded reasons; the loans it claimed are free to be claimed again."""
    records = SupportRecords(uow.session)
    application = _application(records, command.application_id, lock=True)
    _move(application, ApplicationStatus.REFUSED)
    application.refusal_reasons = sorted(set(command.reasons))
    application.decision_reason = command.note
    application.decided_at = application.updated_at = uow.now
    records.release_claims(application.id)
    events.record(
        uow,
        "support.application_refused",
        application=application,
        public={"status": application.status},
        private={"reasons": application.refusal_reasons, "note": command.note},
    )
    return application


def pay_application(
    uow: UnitOfWork, principal: Principal, command: PaySupportApplication
) -> SupportApplication:
    """Record that the approved amount was paid, with the payment's reference."""
    records = SupportRecords(uow.session)
    programme, application = _locked(records, command.application_id, any_version=True)
    _move(application, ApplicationStatus.PAID)
    amount = application.approved_amount or Decimal("0.00")
    budget = budget_of(programme).pay(cents(amount))
    programme.paid, programme.updated_at = to_decimal(budget.paid), uow.now
    application.payment_reference = command.reference
    application.paid_at = application.updated_at = uow.now
    events.record(
        uow,
        "support.application_paid",
        programmes=[programme],
        application=application,
        public={"status": application.status},
        private={"paid_amount": f"{amount:.2f}", "reference": command.reference},
    )
    return application


def _locked(records: SupportRecords, application_id: int, *, any_version: bool = False):
    """The programme holding the series' budget, then the application, both locked.

    The counters live on the series' newest version; an approved application may sit on an
    older one (decided applications keep their version)."""
    application = _application(records, application_id)
    programme = records.newest_of_series(application.series_id, lock=True)
    application = _application(records, application_id, lock=True)
    if not any_version and application.programme_id != programme.id:
        raise Conflict(
            "The programme changed while this application was decided; try again.",
            code="programme-changed",
        )
    return programme, application


def _application(records: SupportRecords, application_id: int, *, lock: bool = False):
    application = records.application(application_id, lock=lock)
    if application is None:
        raise NotFound(f"No support application with id {application_id}.")
    return application


def _move(application: SupportApplication, to: ApplicationStatus) -> None:
    current = ApplicationStatus(application.status)
    if to not in TRANSITIONS[current]:
        raise InvalidTransition(f"A {current.value} application cannot become {to.value}.")
    application.status = to.value


def _approved_amount(application: SupportApplication, command: ApproveSupportApplication):
    amount = application.computed_amount if command.amount is None else command.amount
    if amount > application.computed_amount:
        raise ValidationFailed({"amount": ["More than the computed amount."]})
    if amount < application.computed_amount and not command.reason:
        raise ValidationFailed({"reason": ["Give the reason for approving less."]})
    return amount
