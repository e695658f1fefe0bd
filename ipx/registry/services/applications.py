"""Joint pledge applications: submission, correction, examination, registration, refusal."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ipx.auth import Principal, Role
from ipx.errors import Forbidden, InvalidTransition, RegistrationRefused, ValidationFailed
from ipx.registry.model import (
    APPLICATION_TRANSITIONS,
    ENCUMBERING,
    ApplicationFacts,
    ApplicationStatus,
    AssetFacts,
    AssetKind,
    Finding,
    Ground,
    LegalStatus,
    PledgeStatus,
    can_move,
    examine,
)
from ipx.registry.orm import Asset, Counter, Party, Pledge, PledgeApplication, PledgeAsset
from ipx.registry.services.common import emit, ensure_sees_application, get_or_404
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


def submit_application(uow: UnitOfWork, principal: Principal, data: dict) -> PledgeApplication:
    """File a joint application. A bank files only as the pledgee."""
    _check_applicant(principal, data)
    asset_ids = _known_asset_ids(uow, data["asset_ids"])
    application = PledgeApplication(
        status=ApplicationStatus.SUBMITTED.value,
        asset_ids=asset_ids,
        submitted_by=principal.actor,
        created_at=uow.now,
        updated_at=uow.now,
        **{f: _normal(f, data.get(f)) for f in APPLICATION_FIELDS},
    )
    uow.session.add(application)
    uow.session.flush()
    emit(
        uow,
        "application.submitted",
        refs=_refs(application),
        records={"application": application},
        data=_public_terms(application),
    )
    return application


def correct_application(
    uow: UnitOfWork, principal: Principal, application_id: int, data: dict
) -> PledgeApplication:
    """Replace the body of an application returned for correction, and resubmit it."""
    application = _locked(uow, principal, application_id)
    _check_applicant(principal, data)
    if principal.role is Role.BANK and application.pledgee_id != principal.party_id:
        raise Forbidden("Only the applicant bank may correct this application.")
    _move(application, ApplicationStatus.SUBMITTED)
    application.asset_ids = _known_asset_ids(uow, data["asset_ids"])
    for field in APPLICATION_FIELDS:
        setattr(application, field, _normal(field, data.get(field)))
    application.updated_at = uow.now
    emit(
        uow,
        "application.corrected",
        refs=_refs(application),
        records={"application": application},
        data=_public_terms(application),
    )
    return application


def request_correction(
    uow: UnitOfWork, principal: Principal, application_id: int, note: str
) -> PledgeApplication:
    application = _locked(uow, principal, application_id)
    _move(application, ApplicationStatus.CORRECTION_REQUESTED)
    application.note, application.updated_at = note, uow.now
    emit(
        uow,
        "application.correction_requested",
        refs=_refs(application),
        records={"application": application},
        digests={},
    )
    return application


def refuse_application(
    uow: UnitOfWork, principal: Principal, application_id: int, grounds: list[str], note: str | None
) -> PledgeApplication:
    """Refuse with the clerk's grounds (codes R01-R12)."""
    application = _locked(uow, principal, application_id)
    _move(application, ApplicationStatus.REFUSED)
    application.grounds = [Finding(Ground(code)).as_dict() for code in dict.fromkeys(grounds)]
    application.note, application.updated_at = note, uow.now
    emit(
        uow,
        "application.refused",
        refs=_refs(application),
        records={"application": application},
        data={"grounds": list(dict.fromkeys(grounds))},
    )
    return application


def register_application(uow: UnitOfWork, principal: Principal, application_id: int) -> Pledge:
    """Examine the application and register the pledge, or refuse with every ground found.

    The application row and then its assets (in id order) are locked, so examination sees a
    stable registry and concurrent registrations on one asset queue: the first wins, the others
    find it pledged (R09). The partial unique index on active pledge assets backs this up.
    """
    application = _locked(uow, principal, application_id)
    if not can_move(
        APPLICATION_TRANSITIONS, ApplicationStatus(application.status), ApplicationStatus.REGISTERED
    ):
        raise InvalidTransition(
            f"An application that is {application.status} cannot be registered."
        )
    findings = examine(_facts(uow, application), on=uow.now.date())
    if findings:
        raise RegistrationRefused([f.as_dict() for f in findings])
    pledge = _create_pledge(uow, application)
    try:
        uow.session.flush()
    except IntegrityError:  # lost a race the locks did not see; the database said no
        uow.session.rollback()
        raise RegistrationRefused([Finding(Ground.ALREADY_PLEDGED).as_dict()]) from None
    application.status, application.pledge_id = ApplicationStatus.REGISTERED.value, pledge.id
    application.updated_at = uow.now
    emit(
        uow,
        "pledge.registered",
        refs={**_refs(application), "pledge": pledge.id},
        records={"pledge": pledge, "application": application},
        data={"registration_number": pledge.registration_number, **_public_terms(application)},
    )
    return pledge


def _create_pledge(uow: UnitOfWork, application: PledgeApplication) -> Pledge:
    pledge = Pledge(
        registration_number=_next_registration_number(uow),
        application_id=application.id,
        status=PledgeStatus.REGISTERED.value,
        pledgor_id=application.pledgor_id,
        pledgee_id=application.pledgee_id,
        secured_amount=application.secured_amount,
        currency=application.currency,
        debt_start=application.debt_start,
        debt_end=application.debt_end,
        contract_number=application.contract_number,
        registered_at=uow.now,
        updated_at=uow.now,
        assets=[PledgeAsset(asset_id=a, active=True) for a in sorted(application.asset_ids)],
    )
    uow.session.add(pledge)
    return pledge


def _next_registration_number(uow: UnitOfWork) -> str:
    year = uow.now.year
    name = f"pledge-number-{year}"
    session = uow.session
    value = session.execute(
        update(Counter)
        .where(Counter.name == name)
        .values(value=Counter.value + 1)
        .returning(Counter.value)
    ).scalar_one_or_none()
    if value is None:
        try:
            with session.begin_nested():
                session.add(Counter(name=name, value=1))
            value = 1
        except IntegrityError:  # another transaction created this year's counter
            value = session.execute(
                update(Counter)
                .where(Counter.name == name)
                .values(value=Counter.value + 1)
                .returning(Counter.value)
            ).scalar_one()
    return f"IPX-P-{year}-{value:06d}"


def _facts(uow: UnitOfWork, application: PledgeApplication) -> ApplicationFacts:
    session = uow.session
    ids = sorted(application.asset_ids)
    assets = (
        session.execute(select(Asset).where(Asset.id.in_(ids)).order_by(Asset.id).with_for_update())
        .scalars()
        .all()
    )
    pledged: dict[int, set[int]] = {}
    for asset_id, pledge_id in session.execute(
        select(PledgeAsset.asset_id, PledgeAsset.pledge_id)
        .join(Pledge, Pledge.id == PledgeAsset.pledge_id)
        .where(
            PledgeAsset.asset_id.in_(ids),
            PledgeAsset.active,
            Pledge.status.in_([s.value for s in ENCUMBERING]),
        )
    ):
        pledged.setdefault(asset_id, set()).add(pledge_id)
    known = set(
        session.execute(
            select(Party.id).where(Party.id.in_([application.pledgor_id, application.pledgee_id]))
        ).scalars()
    )
    return ApplicationFacts(
        pledgor_id=application.pledgor_id,
        pledgee_id=application.pledgee_id,
        pledgor_known=application.pledgor_id in known,
        pledgee_known=application.pledgee_id in known,
        secured_amount=application.secured_amount,
        debt_start=application.debt_start,
        debt_end=application.debt_end,
        contract_number=application.contract_number,
        co_owner_consent_ids=frozenset(application.co_owner_consent_ids),
        forfeiture_clause=application.forfeiture_clause,
        acknowledged_risks=frozenset(application.acknowledged_risks),
        assets=tuple(
            AssetFacts(
                id=a.id,
                kind=AssetKind(a.kind),
                holder_ids=frozenset(a.holder_ids),
                status=LegalStatus(a.status),
                expiry_date=a.expiry_date,
                fees_paid_until=a.fees_paid_until,
                frozen=a.frozen,
                invalidation_pending=a.invalidation_pending,
                registered_pledge_ids=frozenset(pledged.get(a.id, ())),
            )
            for a in assets
        ),
    )


def _locked(uow: UnitOfWork, principal: Principal, application_id: int) -> PledgeApplication:
    application = get_or_404(
        uow.session, PledgeApplication, application_id, lock=True, what="pledge application"
    )
    ensure_sees_application(principal, application)
    return application


def _move(application: PledgeApplication, target: ApplicationStatus) -> None:
    if not can_move(APPLICATION_TRANSITIONS, ApplicationStatus(application.status), target):
        raise InvalidTransition(
            f"An application that is {application.status} cannot become {target.value}."
        )
    application.status = target.value


def _check_applicant(principal: Principal, data: dict) -> None:
    if principal.role is Role.BANK and data["pledgee_id"] != principal.party_id:
        raise Forbidden("A bank files applications only as the pledgee.")


def _known_asset_ids(uow: UnitOfWork, asset_ids: list[int]) -> list[int]:
    ids = list(dict.fromkeys(asset_ids))
    known = set(uow.session.execute(select(Asset.id).where(Asset.id.in_(ids))).scalars())
    if missing := [a for a in ids if a not in known]:
        raise ValidationFailed({"asset_ids": [f"Unknown assets: {missing}."]})
    return ids


def _normal(field: str, value):
    if field in ("co_owner_consent_ids", "acknowledged_risks"):
        return sorted(set(value or []))
    if field == "forfeiture_clause":
        return bool(value)
    return value


def _refs(application: PledgeApplication) -> dict:
    return {
        "application": application.id,
        "assets": sorted(application.asset_ids),
        "parties": [application.pledgor_id, application.pledgee_id],
    }


def _public_terms(application: PledgeApplication) -> dict:
    def text(value):
        return None if value is None else str(value)

    return {
        "secured_amount": text(application.secured_amount),
        "currency": application.currency,
        "debt_start": text(application.debt_start),
        "debt_end": text(application.debt_end),
        "status": application.status,
    }
