"""Filing a support application: who may apply, eligibility from the registry's facts, and the
amount the service computes itself (``ipx.support.computation``)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from ipx.auth import Principal, Role
from ipx.china_time import china_date
from ipx.errors import Conflict, Forbidden, NotFound, ValidationFailed
from ipx.support import events
from ipx.support.commands import SubmitSupportApplication
from ipx.support.computation import compute
from ipx.support.model import (
    FEE_KINDS,
    ApplicationStatus,
    Claim,
    LoanFacts,
    ProgrammeKind,
    Terms,
    eligibility,
    pays_by_rate,
)
from ipx.support.money import cents, to_decimal
from ipx.support.orm import SupportApplication, SupportProgramme
from ipx.support.ports import RegistryFacts
from ipx.support.programmes import head_or_404, terms_of
from ipx.support.repositories import DuplicateClaim, SupportRecords
from ipx.uow import UnitOfWork

#: Kinds an owner applies for itself (the fees it paid); banks apply for their loans.
OWNER_KINDS = FEE_KINDS | {ProgrammeKind.FIRST_LOAN}


def submit_application(
    uow: UnitOfWork, principal: Principal, command: SubmitSupportApplication, facts: RegistryFacts
) -> SupportApplication:
    """File an application; refused at once (409 ``support-ineligible``, every ground) when the
    registry's facts rule it out."""
    records = SupportRecords(uow.session)
    programme = head_or_404(records, command.programme_id)
    terms = terms_of(programme)
    loans = _loans_of_applicant(uow, principal, programme, command, facts)
    claim = _claim(terms, command.claim)
    firm = facts.firm(uow.session, loans[0].pledgor_id)
    found = eligibility(terms, firm, loans, claim, china_date(uow.now))
    if found.grounds:
        codes = ", ".join(sorted({g.code.value for g in found.grounds}))
        raise Conflict(
            f"The application is not eligible: {codes}.",
            code="support-ineligible",
            grounds=[g.to_dict() for g in found.grounds],
        )
    if claimed := records.claimed(programme.series_id, command.pledge_ids):
        raise _duplicate(claimed)
    held = records.firm_held(programme.series_id, firm.party_id)
    result = compute(terms, loans, claim, held)
    applicant = principal.party_id if principal.role in (Role.BANK, Role.OWNER) else None
    application = SupportApplication(
        programme_id=programme.id,
        series_id=programme.series_id,
        status=ApplicationStatus.SUBMITTED.value,
        applicant_id=applicant or _default_applicant(terms.kind, loans[0]),
        bank_id=loans[0].pledgee_id,
        firm_id=firm.party_id,
        pledge_ids=list(command.pledge_ids),
        claim=_claim_json(command.claim),
        document_digests=list(command.document_digests),
        computed_amount=to_decimal(result.amount),
        working=result.working,
        currency=programme.currency,
        submitted_by=principal.actor,
        created_at=uow.now,
        updated_at=uow.now,
    )
    records.add(application)
    try:
        records.claim(application)
    except DuplicateClaim:  # another application took the loan meanwhile
        raise _duplicate(command.pledge_ids) from None
    events.record(
        uow,
        "support.application_submitted",
        application=application,
        public={"status": application.status},
        private={
            "computed_amount": f"{application.computed_amount:.2f}",
            "claim": application.claim,
        },
        documents=application.document_digests,
    )
    return application


def recompute(
    uow: UnitOfWork, moved: list[SupportApplication], programme: SupportProgramme, facts
) -> None:
    """Compute undecided applications again under a new version of their programme.

    The result does not depend on the order they come in: all of them first hold nothing,
    then each is computed in id order (first filed, first served) against what the firm's
    decided applications and its applications filed before it (already recomputed) hold.
    """
    records = SupportRecords(uow.session)
    terms = terms_of(programme)
    ordered = sorted(moved, key=lambda a: a.id)
    for application in ordered:
        application.computed_amount = to_decimal(0)
    uow.session.flush()
    for application in ordered:
        loans = facts.loans(uow.session, list(application.pledge_ids))
        claim = _claim(terms, application.claim, validate=False)
        held = records.firm_held(programme.series_id, application.firm_id)
        result = compute(terms, loans, claim, held)
        application.computed_amount = to_decimal(result.amount)
        application.working, application.updated_at = result.working, uow.now
        uow.session.flush()  # held by the next ones of the firm
        events.record(
            uow,
            "support.application_recomputed",
            application=application,
            public={"status": application.status},
            private={
                "computed_amount": f"{application.computed_amount:.2f}",
                "version": programme.version,
            },
        )


def _loans_of_applicant(uow, principal, programme, command, facts) -> list[LoanFacts]:
    """The cited loans, if the caller may apply for them: a bank only as their pledgee, an
    owner only as their pledgor (and only for its fees); others' loans are 404."""
    kind = ProgrammeKind(programme.kind)
    if len(set(command.pledge_ids)) != len(command.pledge_ids):
        raise ValidationFailed({"pledge_ids": ["A pledge is cited twice."]})
    if kind in FEE_KINDS and len(command.pledge_ids) != 1:
        raise ValidationFailed({"pledge_ids": ["A fee subsidy concerns exactly one loan."]})
    if pays_by_rate(kind, programme.rate_bp) and len(command.pledge_ids) != 1:
        raise ValidationFailed(
            {"pledge_ids": ["An interest claim concerns one loan: its outstanding principal."]}
        )
    if principal.role is Role.OWNER and kind not in OWNER_KINDS:
        raise Forbidden("Owners apply for fee and first-loan subsidies; banks for their loans.")
    loans = facts.loans(uow.session, list(command.pledge_ids))
    for loan in loans:
        party = loan.pledgee_id if principal.role is Role.BANK else loan.pledgor_id
        if principal.role in (Role.BANK, Role.OWNER) and party != principal.party_id:
            raise NotFound(f"No pledge with id {loan.pledge_id}.")
    if len({(loan.pledgor_id, loan.pledgee_id) for loan in loans}) != 1:
        raise ValidationFailed(
            {"pledge_ids": ["The loans of one application share their pledgor and pledgee."]}
        )
    return loans


def _claim(terms: Terms, raw, *, validate: bool = True) -> Claim:
    def money(name):
        value = raw.get(name)
        return None if value is None else cents(_decimal(value))

    claim = Claim(
        interest_paid=money("interest_paid"),
        outstanding_principal=money("outstanding_principal"),
        fee_amount=money("fee_amount"),
        period_start=_date(raw.get("period_start")),
        period_end=_date(raw.get("period_end")),
    )
    kind = terms.kind
    needs_fee = kind in FEE_KINDS or (kind is ProgrammeKind.FIRST_LOAN and not terms.by_rate)
    if validate and needs_fee and claim.fee_amount is None:
        raise ValidationFailed({"claim": {"fee_amount": ["This programme subsidises a fee."]}})
    if validate and terms.by_rate and claim.outstanding_principal is None:
        raise ValidationFailed(
            {"claim": {"outstanding_principal": ["An interest claim gives the loan's."]}}
        )
    if (
        validate
        and claim.period_start
        and claim.period_end
        and claim.period_end < claim.period_start
    ):
        raise ValidationFailed({"claim": {"period_end": ["The period ends before it starts."]}})
    return claim


def _decimal(value) -> Decimal:
    return Decimal(str(value))


def _date(value) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


def _claim_json(raw) -> dict:
    """The claim as stored and logged: money as decimal strings, dates as ISO 8601."""
    out: dict = {}
    for name, value in raw.items():
        if value is None:
            continue
        out[name] = value.isoformat() if hasattr(value, "isoformat") else f"{_decimal(value):.2f}"
    return out


def _default_applicant(kind: ProgrammeKind, loan: LoanFacts) -> int:
    """Who a clerk files for: the owner for its fees, the bank for its loans."""
    return loan.pledgor_id if kind in FEE_KINDS else loan.pledgee_id


def _duplicate(pledge_ids) -> Conflict:
    return Conflict(
        f"A loan of this application is already claimed in this programme: {list(pledge_ids)}.",
        code="duplicate-application",
    )
