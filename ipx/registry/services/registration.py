"""Examination and registration: a pledge is registered only when no ground for refusal applies.

The application row and then its assets (in id order) are locked, so examination sees a stable
registry and concurrent registrations on one asset queue: the first wins, the others find it
pledged (R09). The partial unique index on active pledge assets backs this up in the database.
"""

from __future__ import annotations

from ipx.auth import Principal
from ipx.errors import InvalidTransition, RegistrationRefused
from ipx.registry.commands import RegisterPledge
from ipx.registry.model import (
    APPLICATION_TRANSITIONS,
    ApplicationStatus,
    Finding,
    Ground,
    PledgeStatus,
    can_move,
    examine,
)
from ipx.registry.orm import Pledge, PledgeApplication, PledgeAsset
from ipx.registry.ports import Duplicate
from ipx.registry.repositories import repositories
from ipx.registry.services.applications import application_refs, locked_application, public_terms
from ipx.registry.services.common import emit
from ipx.uow import UnitOfWork


def register_application(uow: UnitOfWork, principal: Principal, command: RegisterPledge) -> Pledge:
    """Examine the application and register the pledge, or refuse with every ground found.

    The application row and then its assets (in id order) are locked, so examination sees a
    stable registry and concurrent registrations on one asset queue: the first wins, the others
    find it pledged (R09). The partial unique index on active pledge assets backs this up.
    """
    application = locked_application(uow, principal, command.application_id)
    if not can_move(
        APPLICATION_TRANSITIONS, ApplicationStatus(application.status), ApplicationStatus.REGISTERED
    ):
        raise InvalidTransition(
            f"An application that is {application.status} cannot be registered."
        )
    pledges = repositories(uow).pledges
    findings = examine(pledges.examination_facts(application), on=uow.now.date())
    if findings:
        raise RegistrationRefused([f.as_dict() for f in findings])
    try:
        pledge = pledges.add(_new_pledge(uow, application))
    except Duplicate:  # lost a race the locks did not see; the database said no
        # The transaction is spoilt and fails with the refusal; its owner (the unit of work,
        # or the Idempotency-Key claim holding the key's row too) rolls it back.
        raise RegistrationRefused([Finding(Ground.ALREADY_PLEDGED).as_dict()]) from None
    application.status, application.pledge_id = ApplicationStatus.REGISTERED.value, pledge.id
    application.updated_at = uow.now
    uow.when_sequenced(lambda uow: _number_and_record(uow, pledge, application))
    return pledge


def _number_and_record(uow: UnitOfWork, pledge: Pledge, application: PledgeApplication) -> None:
    """Give the pledge its number and log the registration, in commit order.

    Numbers are gapless per year and follow the log. Taken earlier, the counter row's lock
    would be held through the rest of the registration and serialise every registration on
    it; taken here, under the log's head lock that every writer queues for anyway, it costs
    one statement in that queue.
    """
    number = repositories(uow).pledges.next_registration_number(uow.now.year)
    pledge.registration_number = number
    emit(
        uow,
        "pledge.registered",
        refs={**application_refs(application), "pledge": pledge.id},
        records={"pledge": pledge, "application": application},
        data={"registration_number": pledge.registration_number, **public_terms(application)},
    )


def _new_pledge(uow: UnitOfWork, application: PledgeApplication) -> Pledge:
    return Pledge(
        # Provisional, unique among open transactions, replaced before commit (see above).
        registration_number=f"pending-{application.id}",
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
