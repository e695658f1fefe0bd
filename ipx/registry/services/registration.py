"""Examination and registration: a pledge is registered only when no ground for refusal applies.

The application row and then its assets (in id order) are locked, so examination sees a stable
registry and concurrent registrations on one asset queue: the first wins, the others find it
pledged (R09). The partial unique index on active pledge assets backs this up in the database.
"""

from __future__ import annotations

from sqlalchemy import literal, select, union_all, update
from sqlalchemy.exc import IntegrityError

from ipx.auth import Principal
from ipx.errors import InvalidTransition, RegistrationRefused
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
from ipx.registry.orm import (
    Asset,
    AssetHolder,
    Counter,
    Party,
    Pledge,
    PledgeApplication,
    PledgeAsset,
)
from ipx.registry.services.applications import application_refs, locked_application, public_terms
from ipx.registry.services.common import emit
from ipx.uow import UnitOfWork


def register_application(uow: UnitOfWork, principal: Principal, application_id: int) -> Pledge:
    """Examine the application and register the pledge, or refuse with every ground found.

    The application row and then its assets (in id order) are locked, so examination sees a
    stable registry and concurrent registrations on one asset queue: the first wins, the others
    find it pledged (R09). The partial unique index on active pledge assets backs this up.
    """
    application = locked_application(uow, principal, application_id)
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
    uow.when_sequenced(lambda uow: _number_and_record(uow, pledge, application))
    return pledge


def _number_and_record(uow: UnitOfWork, pledge: Pledge, application: PledgeApplication) -> None:
    """Give the pledge its number and log the registration, in commit order.

    Numbers are gapless per year and follow the log. Taken earlier, the counter row's lock
    would be held through the rest of the registration and serialise every registration on
    it; taken here, under the log's head lock that every writer queues for anyway, it costs
    one statement in that queue.
    """
    pledge.registration_number = _next_registration_number(uow)
    emit(
        uow,
        "pledge.registered",
        refs={**application_refs(application), "pledge": pledge.id},
        records={"pledge": pledge, "application": application},
        data={"registration_number": pledge.registration_number, **public_terms(application)},
    )


def _create_pledge(uow: UnitOfWork, application: PledgeApplication) -> Pledge:
    pledge = Pledge(
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
    uow.session.add(pledge)
    return pledge


def _next_registration_number(uow: UnitOfWork) -> str:
    """The next number of the registration's year (the year of ``registered_at``).

    Called only under the log's head lock, so no two transactions reach the counter at once
    and creating a year's row cannot collide.
    """
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
        session.add(Counter(name=name, value=1))
        value = 1
    return f"IPX-P-{year}-{value:06d}"


def _facts(uow: UnitOfWork, application: PledgeApplication) -> ApplicationFacts:
    """What examination needs, in two statements: the assets (locked, in id order), then their
    holders, their registered pledges and which of the two parties exist, as one union."""
    session = uow.session
    ids = sorted(application.asset_ids)
    parties = [application.pledgor_id, application.pledgee_id]
    assets = session.execute(
        select(
            Asset.id,
            Asset.kind,
            Asset.status,
            Asset.expiry_date,
            Asset.fees_paid_until,
            Asset.frozen,
            Asset.invalidation_pending,
        )
        .where(Asset.id.in_(ids))
        .order_by(Asset.id)
        .with_for_update()
    ).all()
    holders: dict[int, set[int]] = {}
    pledged: dict[int, set[int]] = {}
    known: set[int] = set()
    found = {"holder": holders, "pledge": pledged}
    for what, key, value in session.execute(_related_facts(ids, parties)):
        if what == "party":
            known.add(value)
        else:
            found[what].setdefault(key, set()).add(value)
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
                holder_ids=frozenset(holders.get(a.id, ())),
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


def _related_facts(asset_ids: list[int], party_ids: list[int]):
    """``(what, key, value)`` rows: ("holder", asset, party), ("pledge", asset, pledge) for the
    encumbering pledges on the assets, ("party", party, party) for the parties that exist."""
    holders = select(
        literal("holder").label("what"), AssetHolder.asset_id, AssetHolder.party_id
    ).where(AssetHolder.asset_id.in_(asset_ids))
    pledges = (
        select(literal("pledge"), PledgeAsset.asset_id, PledgeAsset.pledge_id)
        .join(Pledge, Pledge.id == PledgeAsset.pledge_id)
        .where(
            PledgeAsset.asset_id.in_(asset_ids),
            PledgeAsset.active,
            Pledge.status.in_([s.value for s in ENCUMBERING]),
        )
    )
    parties = select(literal("party"), Party.id, Party.id).where(Party.id.in_(party_ids))
    return union_all(holders, pledges, parties)
