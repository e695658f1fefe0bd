"""Joint pledge applications: submission, correction, examination, registration, refusal."""

from __future__ import annotations

from sqlalchemy import select

from ipx.auth import Principal, Role
from ipx.errors import Forbidden, InvalidTransition, NotFound, ValidationFailed
from ipx.registry.commands import (
    ApplicationTerms,
    CorrectApplication,
    RefuseApplication,
    RequestCorrection,
    SubmitApplication,
)
from ipx.registry.model import (
    APPLICATION_TRANSITIONS,
    ApplicationStatus,
    Finding,
    Ground,
    can_move,
)
from ipx.registry.orm import PledgeApplication
from ipx.registry.repositories import repositories
from ipx.registry.services.common import emit, get_or_404
from ipx.registry.visibility import ensure_sees_application, party_filter_for_applications
from ipx.uow import UnitOfWork

APPLICATION_FIELDS = (
    "pledgor_id",
    "pledgee_id",
    "secured_amount",
    "currency",
    "debt_start",
    "debt_end",
    "contract_number",
    "co_owner_consent_ids",
    "forfeiture_clause",
    "acknowledged_risks",
    "valuation_id",
)


def submit_application(
    uow: UnitOfWork, principal: Principal, command: SubmitApplication
) -> PledgeApplication:
    """File a joint application. A bank files only as the pledgee."""
    terms = command.terms
    _check_applicant(principal, terms)
    asset_ids = _known_asset_ids(uow, terms.asset_ids)
    _check_valuation(uow, principal, terms.valuation_id, asset_ids)
    application = PledgeApplication(
        status=ApplicationStatus.SUBMITTED.value,
        asset_ids=asset_ids,
        submitted_by=principal.actor,
        created_at=uow.now,
        updated_at=uow.now,
        **{f: _normal(f, getattr(terms, f)) for f in APPLICATION_FIELDS},
    )
    repositories(uow).applications.add(application)
    emit(
        uow,
        "application.submitted",
        refs=application_refs(application),
        records={"application": application},
        data=public_terms(application),
    )
    return application


def correct_application(
    uow: UnitOfWork, principal: Principal, command: CorrectApplication
) -> PledgeApplication:
    """Replace the body of an application returned for correction, and resubmit it."""
    application = locked_application(uow, principal, command.application_id)
    terms = command.terms
    _check_applicant(principal, terms)
    if principal.role is Role.BANK and application.pledgee_id != principal.party_id:
        raise Forbidden("Only the applicant bank may correct this application.")
    _move(application, ApplicationStatus.SUBMITTED)
    application.asset_ids = _known_asset_ids(uow, terms.asset_ids)
    _check_valuation(uow, principal, terms.valuation_id, application.asset_ids)
    for field in APPLICATION_FIELDS:
        setattr(application, field, _normal(field, getattr(terms, field)))
    application.updated_at = uow.now
    emit(
        uow,
        "application.corrected",
        refs=application_refs(application),
        records={"application": application},
        data=public_terms(application),
    )
    return application


def request_correction(
    uow: UnitOfWork, principal: Principal, command: RequestCorrection
) -> PledgeApplication:
    """Return the application to the applicant with the clerk's note."""
    application = locked_application(uow, principal, command.application_id)
    _move(application, ApplicationStatus.CORRECTION_REQUESTED)
    application.note, application.updated_at = command.note, uow.now
    emit(
        uow,
        "application.correction_requested",
        refs=application_refs(application),
        records={"application": application},
        digests={},
    )
    return application


def refuse_application(
    uow: UnitOfWork, principal: Principal, command: RefuseApplication
) -> PledgeApplication:
    """Refuse with the clerk's grounds (codes R01-R12)."""
    application = locked_application(uow, principal, command.application_id)
    grounds, note = command.grounds, command.note
    _move(application, ApplicationStatus.REFUSED)
    application.grounds = [Finding(Ground(code)).as_dict() for code in dict.fromkeys(grounds)]
    application.note, application.updated_at = note, uow.now
    emit(
        uow,
        "application.refused",
        refs=application_refs(application),
        records={"application": application},
        data={"grounds": list(dict.fromkeys(grounds))},
    )
    return application


def get_application(
    uow: UnitOfWork, principal: Principal, application_id: int
) -> PledgeApplication:
    """An application the principal is party to (or any, for clerks and auditors)."""
    application = get_or_404(
        uow.session, PledgeApplication, application_id, what="pledge application"
    )
    ensure_sees_application(principal, application)
    return application


def list_applications(
    uow: UnitOfWork,
    principal: Principal,
    *,
    after: int | None,
    limit: int,
    status: str | None = None,
) -> list[PledgeApplication]:
    """Applications in id order after ``after`` (banks and owners: those they are party to)."""
    stmt = select(PledgeApplication).order_by(PledgeApplication.id).limit(limit + 1)
    if not principal.sees_all():
        stmt = stmt.where(party_filter_for_applications(principal))
    if after:
        stmt = stmt.where(PledgeApplication.id > after)
    if status:
        stmt = stmt.where(PledgeApplication.status == status)
    return list(uow.session.execute(stmt).scalars())


def locked_application(
    uow: UnitOfWork, principal: Principal, application_id: int
) -> PledgeApplication:
    application = repositories(uow).applications.get(application_id, lock=True)
    if application is None:
        raise NotFound(f"No pledge application with id {application_id}.")
    ensure_sees_application(principal, application)
    return application


def _move(application: PledgeApplication, target: ApplicationStatus) -> None:
    if not can_move(APPLICATION_TRANSITIONS, ApplicationStatus(application.status), target):
        raise InvalidTransition(
            f"An application that is {application.status} cannot become {target.value}."
        )
    application.status = target.value


def _check_applicant(principal: Principal, terms: ApplicationTerms) -> None:
    if principal.role is Role.BANK and terms.pledgee_id != principal.party_id:
        raise Forbidden("A bank files applications only as the pledgee.")


def _check_valuation(
    uow: UnitOfWork, principal: Principal, valuation_id: int | None, asset_ids: list[int]
) -> None:
    """A cited valuation must exist, be one the applicant may read, and value a pledged asset."""
    if valuation_id is None:
        return
    valuation = repositories(uow).applications.cited_valuation(valuation_id)
    visible = valuation is not None and (
        principal.sees_all() or valuation.party_id == principal.party_id
    )
    if not visible:
        raise ValidationFailed({"valuation_id": [f"No valuation with id {valuation_id}."]})
    assert valuation is not None  # visible
    if valuation.asset_id is not None and valuation.asset_id not in asset_ids:
        raise ValidationFailed(
            {
                "valuation_id": [
                    f"Valuation {valuation_id} is of asset {valuation.asset_id}, "
                    "which this application does not pledge."
                ]
            }
        )


def _known_asset_ids(uow: UnitOfWork, asset_ids: list[int]) -> list[int]:
    ids = list(dict.fromkeys(asset_ids))
    known = repositories(uow).assets.known(ids)
    if missing := [a for a in ids if a not in known]:
        raise ValidationFailed({"asset_ids": [f"Unknown assets: {missing}."]})
    return ids


def _normal(field: str, value):
    if field in ("co_owner_consent_ids", "acknowledged_risks"):
        return sorted(set(value or []))
    if field == "forfeiture_clause":
        return bool(value)
    return value


def application_refs(application: PledgeApplication) -> dict:
    return {
        "application": application.id,
        "assets": sorted(application.asset_ids),
        "parties": [application.pledgor_id, application.pledgee_id],
    }


def public_terms(application: PledgeApplication) -> dict:
    def text(value):
        return None if value is None else str(value)

    return {
        "secured_amount": text(application.secured_amount),
        "currency": application.currency,
        "debt_start": text(application.debt_start),
        "debt_end": text(application.debt_end),
        "status": application.status,
    }
