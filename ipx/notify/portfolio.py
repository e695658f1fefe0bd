"""Collateral revaluation: a bank revalues every asset pledged to it, and hears of breaches.

Each asset under the bank's encumbering pledges is valued again with the current model and the
economics of the bank's own latest stored valuation of it (none: the model's default; another
party's valuations are not the bank's to see), and the valuation stored and logged as any
other. A pledge whose ``secured_amount`` now exceeds the summed ``max_loan`` of its assets (or,
with ``ltv_threshold``, whose secured amount exceeds that share of the collateral value) is
logged as ``valuation.ltv_breach``, a confidential ledger event that the outbox announces to
the pledge's parties.

The worker runs the scheduled revaluation (``ipx.notify.worker``): a bank with its own monthly
schedule (``ipx.notify.schedules``) when that schedule is due, once a month; every other bank on
the operator's default, every ``REVALUATION_EVERY_DAYS`` (``banks_due``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ipx.auth import Principal, Role
from ipx.ledger.events import Event
from ipx.notify import schedules
from ipx.notify.orm import RevaluationSchedule
from ipx.registry.model import ENCUMBERING
from ipx.registry.orm import Pledge
from ipx.uow import UnitOfWork
from ipx.usecases import UseCase, use_case
from ipx.valuation import services
from ipx.valuation.orm import Valuation

if TYPE_CHECKING:
    from ipx.valuation.predictor import Valuer

CENT, RATIO = Decimal("0.01"), Decimal("0.0001")


@dataclass(frozen=True)
class RevaluePortfolio:
    ltv_threshold: Decimal | None = None  # a share of the collateral value, in (0, 1]


@dataclass(frozen=True)
class RunScheduledRevaluation:
    """The bank's own schedule's run of the month of ``today`` (a China date), if due."""

    today: date


def handlers(
    valuer: Callable[[], Valuer], asset_source: services.AssetSource
) -> dict[type, UseCase]:
    def revalue_portfolio(uow: UnitOfWork, principal: Principal, command: RevaluePortfolio):
        """Revalue the bank's collateral; per pledge, old and new value and coverage."""
        pledges = _pledges_of(uow, principal.party_id)
        return [_revalue(uow, principal, p, valuer(), asset_source, command) for p in pledges]

    def run_scheduled(uow: UnitOfWork, principal: Principal, command: RunScheduledRevaluation):
        """Revalue as the schedule says and mark the month done, in one transaction: two
        workers finding the bank due revalue it once (the row is locked, then checked again).
        None when the run is no longer due."""
        schedule = uow.session.get(
            RevaluationSchedule, principal.party_id, with_for_update=True, populate_existing=True
        )
        if schedule is None or not schedules.is_due(schedule, command.today):
            return None
        schedule.last_run_on = command.today
        threshold = schedule.ltv_threshold
        order = RevaluePortfolio(None if threshold is None else Decimal(threshold))
        return revalue_portfolio(uow, principal, order)

    return {
        RevaluePortfolio: use_case(revalue_portfolio, Role.BANK),
        RunScheduledRevaluation: use_case(run_scheduled, Role.BANK),
        schedules.SetRevaluationSchedule: use_case(schedules.set_schedule, *SCHEDULERS),
        schedules.DeleteRevaluationSchedule: use_case(schedules.delete_schedule, *SCHEDULERS),
    }


#: Who may set or delete a bank's revaluation schedule (a bank its own; admins may too).
SCHEDULERS = (Role.BANK, Role.CLERK)


#: Who runs the scheduled revaluation of a bank's portfolio (as that bank).
SCHEDULED = "scheduled-revaluation"


def banks_due(session: Session, now: datetime, every_days: float) -> list[int]:
    """On the operator's default schedule: pledgees of encumbering pledges, without a schedule
    of their own, whose portfolio was not revalued on schedule within ``every_days`` (the
    worker revalues them, each as its bank)."""
    pledgees = (
        select(Pledge.pledgee_id)
        .where(
            Pledge.status.in_([s.value for s in ENCUMBERING]),
            Pledge.pledgee_id.not_in(select(RevaluationSchedule.party_id)),
        )
        .distinct()
    )
    last = dict(
        session.execute(
            select(Valuation.party_id, func.max(Valuation.created_at))
            .where(Valuation.requested_by == Principal(SCHEDULED, Role.BANK, None).actor)
            .group_by(Valuation.party_id)
        ).all()
    )
    cutoff = now - timedelta(days=every_days)
    return [
        p for p in session.execute(pledgees).scalars() if last.get(p) is None or last[p] < cutoff
    ]


def _pledges_of(uow: UnitOfWork, party_id: int | None) -> list[Pledge]:
    stmt = (
        select(Pledge)
        .where(Pledge.pledgee_id == party_id, Pledge.status.in_([s.value for s in ENCUMBERING]))
        .order_by(Pledge.id)
    )
    return list(uow.session.execute(stmt).scalars())


def _revalue(uow, principal, pledge: Pledge, valuer, asset_source, command) -> dict:
    asset_ids = [a.asset_id for a in pledge.assets if a.active]
    newest = _latest_of(uow, principal, asset_ids)
    latest = {asset_id: newest.get(asset_id) for asset_id in asset_ids}
    items = [_item(asset_id, latest[asset_id], pledge) for asset_id in asset_ids]
    rows = services.create_valuations(uow, valuer, principal, items, asset_source)
    # The answer is in the new values' currency; amounts in two currencies are not added up,
    # and the earlier values are shown only in that same currency.
    currencies = _currencies(rows)
    currency = next(iter(currencies)) if len(currencies) == 1 else None
    new = max_loan = old = None
    if len(currencies) <= 1:
        new = _sum(_collateral(r, "collateral_value") for r in rows)
        max_loan = _sum(_collateral(r, "max_loan") for r in rows)
    earlier = [v for v in latest.values() if v]
    if _currencies(earlier) <= ({currency} if currency else set()) or not earlier:
        old = _sum(_collateral(v, "collateral_value") if v else None for v in latest.values())
    breach: bool | None
    if currencies - {pledge.currency}:  # values in CNY, a debt in USD: no ratio
        coverage, breach = None, None
    else:
        coverage = None if new is None else (new / pledge.secured_amount).quantize(RATIO)
        if command.ltv_threshold is not None and new is not None:
            breach = pledge.secured_amount > new * command.ltv_threshold
        else:
            breach = max_loan is not None and pledge.secured_amount > max_loan
    answer = {
        "pledge_id": pledge.id,
        "currency": currency,
        "old_collateral_value": _money(old),
        "new_collateral_value": _money(new),
        "max_loan": _money(max_loan),
        "coverage": None if coverage is None else str(coverage),
        "breach": breach,
        "valuation_ids": [r.id for r in rows],
    }
    if breach:
        facts = {k: answer[k] for k in ("new_collateral_value", "max_loan", "coverage")}
        uow.record(
            Event(
                type="valuation.ltv_breach",
                refs={
                    "pledge": pledge.id,
                    "assets": asset_ids,
                    "valuations": answer["valuation_ids"],
                },
                data=facts,
            )
        )
    return answer


def overview(uow: UnitOfWork, principal: Principal) -> list[dict]:
    """The bank's encumbering pledges with what its own latest valuations say of them: the
    collateral value and the largest loan (summed over the pledge's assets when every one has
    a money value, in one currency: a value needs the valuation's economics), the coverage of
    the secured amount, and the oldest of those valuations' times (None: some asset has no
    valuation of the bank's yet)."""
    answer = []
    pledges = _pledges_of(uow, principal.party_id)
    newest = _latest_of(uow, principal, [a.asset_id for p in pledges for a in p.assets if a.active])
    for pledge in pledges:
        asset_ids = [a.asset_id for a in pledge.assets if a.active]
        latest = [newest.get(asset_id) for asset_id in asset_ids]
        rows = [row for row in latest if row is not None]
        every = len(rows) == len(latest)
        currencies = _currencies(rows)
        whole = every and len(currencies) == 1  # (a value needs economics; one currency)
        value = _sum(_collateral(r, "collateral_value") for r in rows) if whole else None
        comparable = whole and currencies == {pledge.currency}
        answer.append(
            {
                "pledge": pledge,
                "currency": next(iter(currencies)) if whole else None,
                "collateral_value": value,
                "max_loan": _sum(_collateral(r, "max_loan") for r in rows) if whole else None,
                "coverage": (value / pledge.secured_amount).quantize(RATIO)
                if comparable and value is not None
                else None,
                "valued_at": min(r.created_at for r in rows) if every and rows else None,
            }
        )
    return answer


def _latest_of(uow: UnitOfWork, principal: Principal, asset_ids: list[int]) -> dict[int, Valuation]:
    """The bank's own latest valuation of each asset that has one (the newest by time, then
    id), in one query: another party's valuation (its value and economics) is confidential to
    that party."""
    if not asset_ids:
        return {}
    ranked = (
        select(
            Valuation.id,
            func.row_number()
            .over(
                partition_by=Valuation.asset_id,
                order_by=(Valuation.created_at.desc(), Valuation.id.desc()),
            )
            .label("rank"),
        )
        .where(
            Valuation.party_id == principal.party_id,
            Valuation.asset_id.in_(sorted(set(asset_ids))),
        )
        .subquery()
    )
    rows = uow.session.execute(
        select(Valuation).join(ranked, ranked.c.id == Valuation.id).where(ranked.c.rank == 1)
    ).scalars()
    return {row.asset_id: row for row in rows if row.asset_id is not None}


def _item(asset_id: int, latest: Valuation | None, pledge: Pledge) -> dict:
    months = max(
        1,
        (pledge.debt_end.year - pledge.debt_start.year) * 12
        + pledge.debt_end.month
        - pledge.debt_start.month,
    )
    item: dict = {"asset_id": asset_id, "loan_term_months": min(months, 600)}
    economics = (latest.request or {}).get("economics") if latest else None
    if economics:
        item["economics"] = {**economics, "annual_revenue": Decimal(economics["annual_revenue"])}
    return item


def _collateral(row: Valuation, name: str) -> Decimal | None:
    value = (row.result.get("collateral") or {}).get(name)
    return None if value is None else Decimal(value)


def _currencies(rows: list[Valuation]) -> set[str]:
    """The currencies of the rows' values (the model values in one; none: no value)."""
    return {row.result["value"]["currency"] for row in rows if row.result.get("value")}


def _sum(values) -> Decimal | None:
    values = list(values)
    if not values or any(v is None for v in values):
        return None
    return sum(values, Decimal(0))


def _money(value: Decimal | None) -> str | None:
    return None if value is None else str(value.quantize(CENT, ROUND_HALF_UP))
