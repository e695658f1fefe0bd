"""Read models of overview pages: work queue counts, a party's pledges summary, and the names
of the parties to listed pledges."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from sqlalchemy import func, select

from ipx.auth import Principal
from ipx.registry.disposal.model import DisposalStatus
from ipx.registry.disposal.orm import Disposal
from ipx.registry.model import ApplicationStatus, PledgeStatus
from ipx.registry.orm import Freeze, Party, Pledge, PledgeApplication, PledgeAsset
from ipx.registry.visibility import (
    ensure_sees_pledge,
    party_filter_for_applications,
    party_filter_for_pledges,
)
from ipx.uow import UnitOfWork

#: How far back a court freeze on a pledged asset counts as recent.
RECENT_FREEZES = timedelta(days=30)
#: Pledges that still encumber their assets.
LIVE_PLEDGES = (PledgeStatus.REGISTERED, PledgeStatus.DEFAULTED, PledgeStatus.IN_DISPOSAL)


def work_queues(uow: UnitOfWork, who: Principal) -> dict[str, int]:
    """What waits for a clerk: applications to examine or awaiting correction, defaulted
    pledges with no disposal yet, open disposals, recent freezes on pledged assets."""
    session = uow.session
    by_status = dict(
        session.execute(
            select(PledgeApplication.status, func.count())
            .where(
                PledgeApplication.status.in_(
                    [ApplicationStatus.SUBMITTED, ApplicationStatus.CORRECTION_REQUESTED]
                )
            )
            .group_by(PledgeApplication.status)
        ).all()
    )
    pledged = select(PledgeAsset.asset_id).where(PledgeAsset.active)
    return {
        "applications_submitted": by_status.get(ApplicationStatus.SUBMITTED.value, 0),
        "applications_correction_requested": by_status.get(
            ApplicationStatus.CORRECTION_REQUESTED.value, 0
        ),
        "defaults_awaiting_disposal": _count(
            session, select(Pledge.id).where(Pledge.status == PledgeStatus.DEFAULTED)
        ),
        "open_disposals": _count(
            session, select(Disposal.id).where(Disposal.status == DisposalStatus.OPEN)
        ),
        "recent_freezes_on_pledged_assets": _count(
            session,
            select(Freeze.id).where(
                Freeze.status == "active",
                Freeze.created_at >= uow.now - RECENT_FREEZES,
                Freeze.asset_id.in_(pledged),
            ),
        ),
    }


def pledges_summary(uow: UnitOfWork, who: Principal) -> dict:
    """The pledges and applications the principal takes part in (all, for clerks): counts
    by status, and the amounts secured by live pledges per currency."""
    pledges = select(Pledge.status, func.count()).group_by(Pledge.status)
    secured = (
        select(Pledge.currency, func.sum(Pledge.secured_amount))
        .where(Pledge.status.in_(LIVE_PLEDGES))
        .group_by(Pledge.currency)
        .order_by(Pledge.currency)
    )
    applications = select(PledgeApplication.status, func.count()).group_by(PledgeApplication.status)
    if not who.sees_all():
        pledges = pledges.where(party_filter_for_pledges(who))
        secured = secured.where(party_filter_for_pledges(who))
        applications = applications.where(party_filter_for_applications(who))
    session = uow.session
    return {
        "pledges_by_status": dict(session.execute(pledges).all()),
        "secured_by_currency": dict(session.execute(secured).all()),
        "applications_by_status": dict(session.execute(applications).all()),
    }


def pledge_party_names(uow: UnitOfWork, who: Principal, pledges: Iterable[Pledge]) -> dict:
    """Names of the pledgors and pledgees of pledges the principal sees, by party id (a pledge's
    parties are visible to whoever sees the pledge), in one query for a whole page."""
    ids: set[int] = set()
    for pledge in pledges:
        ensure_sees_pledge(who, pledge)
        ids.update((pledge.pledgor_id, pledge.pledgee_id))
    if not ids:
        return {}
    return dict(uow.session.execute(select(Party.id, Party.name).where(Party.id.in_(ids))).all())


def _count(session, stmt) -> int:
    return session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
