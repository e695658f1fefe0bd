"""Each bank's own monthly revaluation schedule: set, read, delete; when a run is due.

A schedule is an operational setting, as a webhook subscription is, not a ledger event: setting
or deleting one appends nothing to the log (the revaluations it runs are logged, each valuation
as any other). A bank sets its own schedule; a clerk (or an admin) names the bank. A bank may
neither read nor set another bank's schedule (403). A bank without a schedule keeps the
operator's default, ``REVALUATION_EVERY_DAYS`` (``ipx.notify.portfolio.banks_due``); a disabled
schedule means no scheduled revaluation for that bank at all.

Days are China's (``ipx.china_time.china_date``), as the rest of the service counts them.
A month's run falls due on its ``day_of_month`` and stays due until it has run that month: a
worker that was down on the day catches up later in the month, never twice in one month.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from ipx.auth import Principal
from ipx.errors import Forbidden, NotFound, ValidationFailed
from ipx.notify.orm import RevaluationSchedule
from ipx.registry.orm import Party
from ipx.uow import UnitOfWork

RATIO = Decimal("0.0001")


@dataclass(frozen=True)
class SetRevaluationSchedule:
    day_of_month: int  # 1..28: every month has the day
    ltv_threshold: Decimal | None = None  # a share in (0, 1]; None: breach above max_loan
    enabled: bool = True
    party_id: int | None = None  # a clerk names the bank; a bank sets its own


@dataclass(frozen=True)
class DeleteRevaluationSchedule:
    party_id: int | None = None


def is_due(schedule: RevaluationSchedule, today: date) -> bool:
    """Whether the schedule's run of ``today``'s month is due (and not yet made)."""
    ran = schedule.last_run_on
    return (
        schedule.enabled
        and today.day >= schedule.day_of_month
        and (ran is None or ran < today.replace(day=1))
    )


def schedules_due(session, today: date) -> list[int]:
    """The banks whose own schedule is due on the China date ``today``."""
    rows = session.execute(
        select(RevaluationSchedule)
        .where(RevaluationSchedule.enabled.is_(True))
        .order_by(RevaluationSchedule.party_id)
    ).scalars()
    return [row.party_id for row in rows if is_due(row, today)]


def view(schedule: RevaluationSchedule) -> dict:
    return {
        "party_id": schedule.party_id,
        "day_of_month": schedule.day_of_month,
        "ltv_threshold": schedule.ltv_threshold,
        "enabled": schedule.enabled,
        "last_run_on": schedule.last_run_on,
        "updated_at": schedule.updated_at,
    }


def bank_of(principal: Principal, party_id: int | None) -> int:
    """The bank the schedule is for: a bank's own party; the party a clerk names."""
    if not principal.sees_all():
        if party_id is not None and party_id != principal.party_id:
            raise Forbidden("A bank reads and sets its own revaluation schedule only.")
        assert principal.party_id is not None
        return principal.party_id
    if party_id is None:
        raise ValidationFailed({"party_id": ["Name the bank the schedule is for."]})
    return party_id


def get_schedule(uow: UnitOfWork, principal: Principal, party_id: int | None) -> dict:
    schedule = uow.session.get(RevaluationSchedule, bank_of(principal, party_id))
    if schedule is None:
        raise NotFound("No revaluation schedule: the operator's default applies.")
    return view(schedule)


def set_schedule(uow: UnitOfWork, principal: Principal, command: SetRevaluationSchedule) -> dict:
    """Create or replace the bank's schedule; the month's last run stays (no second run)."""
    party_id = bank_of(principal, command.party_id)
    if uow.session.get(Party, party_id) is None:
        raise ValidationFailed({"party_id": [f"Unknown party {party_id}."]})
    schedule = uow.session.get(RevaluationSchedule, party_id, with_for_update=True)
    if schedule is None:
        schedule = RevaluationSchedule(party_id=party_id, last_run_on=None)
        uow.session.add(schedule)
    threshold = command.ltv_threshold
    schedule.day_of_month = command.day_of_month
    schedule.ltv_threshold = None if threshold is None else str(threshold.quantize(RATIO))
    schedule.enabled = command.enabled
    schedule.updated_by, schedule.updated_at = principal.actor, uow.now
    uow.session.flush()
    return view(schedule)


def delete_schedule(
    uow: UnitOfWork, principal: Principal, command: DeleteRevaluationSchedule
) -> dict:
    """Back to the operator's default; the deleted schedule is answered."""
    party_id = bank_of(principal, command.party_id)
    schedule = uow.session.get(RevaluationSchedule, party_id, with_for_update=True)
    if schedule is None:
        raise NotFound("No revaluation schedule: the operator's default applies.")
    answer = view(schedule)
    uow.session.delete(schedule)
    return answer
