"""Reads of the clerk's screens: an application with its grounds R01-R12 checked as of
today (the examination screen), and an asset's court freezes.

A read decides nothing, so it takes no locks: the registration itself examines again, under
its locks, and only that outcome counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from ipx.auth import Principal
from ipx.errors import Forbidden
from ipx.registry.model import ApplicationStatus, GroundCheck, checklist
from ipx.registry.orm import Freeze, PledgeApplication
from ipx.registry.repositories import repositories
from ipx.registry.services.applications import get_application
from ipx.registry.services.assets import get_asset
from ipx.uow import UnitOfWork

#: States in which an application still awaits the clerk's decision.
AWAITING = frozenset(
    {ApplicationStatus.SUBMITTED.value, ApplicationStatus.CORRECTION_REQUESTED.value}
)


@dataclass(frozen=True)
class Examination:
    """An application and the outcome of every ground on ``on``."""

    application: PledgeApplication
    checks: list[GroundCheck]
    on: date

    @property
    def registrable(self) -> bool:
        return all(check.passed for check in self.checks)


def examination(uow: UnitOfWork, principal: Principal, application_id: int) -> Examination:
    """The application and its checklist as of today, for the registry's own staff (the
    facts of the assets go beyond what a bank or an owner may see of them)."""
    application = get_application(uow, principal, application_id)
    if not principal.sees_all():
        raise Forbidden("Only the registry's staff see the examination of an application.")
    facts = repositories(uow).pledges.examination_facts(application, lock=False)
    on = uow.now.date()
    return Examination(application, checklist(facts, on), on)


def asset_freezes(uow: UnitOfWork, principal: Principal, asset_id: int) -> list[Freeze]:
    """The court freezes recorded on an asset the principal may see, newest first."""
    get_asset(uow, principal, asset_id)
    stmt = select(Freeze).where(Freeze.asset_id == asset_id).order_by(Freeze.id.desc())
    return list(uow.session.execute(stmt).scalars())
