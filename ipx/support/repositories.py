"""Reading and writing programmes and applications (SQL); locks where an invariant needs one."""

from __future__ import annotations

from sqlalchemy import BigInteger, func, select, type_coerce, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ipx.errors import Conflict
from ipx.support.budget import Budget
from ipx.support.model import ApplicationStatus
from ipx.support.money import cents
from ipx.support.orm import SupportApplication, SupportClaim, SupportProgramme

LIVE = (
    ApplicationStatus.SUBMITTED.value,
    ApplicationStatus.APPROVED.value,
    ApplicationStatus.PAID.value,
)
DECIDED_FOR = (ApplicationStatus.APPROVED.value, ApplicationStatus.PAID.value)


class DuplicateClaim(Exception):
    """A loan is already claimed by a live application in the programme."""


class ProgrammeChanged(Conflict):
    code, title = "programme-changed", "The programme changed meanwhile; try again"


class SupportRecords:
    def __init__(self, session: Session) -> None:
        self.session = session

    def programme(self, programme_id: int, *, lock: bool = False) -> SupportProgramme | None:
        stmt = select(SupportProgramme).where(SupportProgramme.id == programme_id)
        if lock:
            # The budget's counters live on this row: approvals of the programme queue here.
            stmt = stmt.with_for_update().execution_options(populate_existing=True)
        return self.session.execute(stmt).scalar_one_or_none()

    def newest_of_series(self, series_id: int, *, lock: bool = False) -> SupportProgramme:
        """The series' newest version (it holds the budget's counters); ``ProgrammeChanged``
        when a concurrent change superseded it while this waited for its lock."""
        stmt = select(SupportProgramme).where(
            SupportProgramme.series_id == series_id, SupportProgramme.superseded.is_(False)
        )
        if lock:
            stmt = stmt.with_for_update().execution_options(populate_existing=True)
        programme = self.session.execute(stmt).scalar_one_or_none()
        if programme is None:
            raise ProgrammeChanged()
        return programme

    def application(self, application_id: int, *, lock: bool = False) -> SupportApplication | None:
        stmt = select(SupportApplication).where(SupportApplication.id == application_id)
        if lock:
            stmt = stmt.with_for_update().execution_options(populate_existing=True)
        return self.session.execute(stmt).scalar_one_or_none()

    def add(self, record: object) -> None:
        self.session.add(record)
        self.session.flush()

    def has_applications(self, programme_id: int) -> bool:
        stmt = select(SupportApplication.id).where(SupportApplication.programme_id == programme_id)
        return self.session.execute(stmt.limit(1)).first() is not None

    def submitted_of(self, programme_id: int) -> list[SupportApplication]:
        stmt = (
            select(SupportApplication)
            .where(
                SupportApplication.programme_id == programme_id,
                SupportApplication.status == ApplicationStatus.SUBMITTED.value,
            )
            .order_by(SupportApplication.id)
            .with_for_update()
        )
        return list(self.session.execute(stmt).scalars())

    def repoint(self, application_ids: list[int], programme_id: int) -> None:
        if application_ids:
            self.session.execute(
                update(SupportApplication)
                .where(SupportApplication.id.in_(application_ids))
                .values(programme_id=programme_id)
            )

    def firm_held(self, series_id: int, firm_id: int, *, decided_only: bool = False) -> int:
        """What the firm's live applications in the programme hold: approved amounts, and
        (unless ``decided_only``) the computed amounts of those not decided yet. The firm's cap
        is a yearly one: a series' period lies within one calendar year
        (``ipx.support.programmes``), so the series is the year."""
        held = func.coalesce(SupportApplication.approved_amount, SupportApplication.computed_amount)
        total = type_coerce(func.coalesce(func.sum(held), 0), BigInteger)  # cents, as stored
        stmt = select(total).where(
            SupportApplication.series_id == series_id,
            SupportApplication.firm_id == firm_id,
            SupportApplication.status.in_(DECIDED_FOR if decided_only else LIVE),
        )
        return int(self.session.execute(stmt).scalar_one())

    def claim(self, application: SupportApplication) -> None:
        """Hold each of the application's loans in its programme; ``DuplicateClaim`` when a
        live application holds one already (the partial unique index decides, also for two
        arriving at once)."""
        for pledge_id in application.pledge_ids:
            self.session.add(
                SupportClaim(
                    application_id=application.id,
                    pledge_id=pledge_id,
                    series_id=application.series_id,
                    active=True,
                )
            )
        try:
            self.session.flush()
        except IntegrityError:
            raise DuplicateClaim() from None

    def claimed(self, series_id: int, pledge_ids: list[int]) -> list[int]:
        stmt = select(SupportClaim.pledge_id).where(
            SupportClaim.series_id == series_id,
            SupportClaim.pledge_id.in_(pledge_ids),
            SupportClaim.active.is_(True),
        )
        return sorted(self.session.execute(stmt).scalars())

    def release_claims(self, application_id: int) -> None:
        self.session.execute(
            update(SupportClaim)
            .where(SupportClaim.application_id == application_id)
            .values(active=False)
        )


def budget_of(programme: SupportProgramme) -> Budget:
    """The budget's counters a programme's row holds (its series' newest version holds them)."""
    return Budget(cents(programme.budget), cents(programme.reserved), cents(programme.paid))
