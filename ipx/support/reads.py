"""Reading programmes, applications and the per-programme report.

Programmes are public policy: every caller with a key reads them. An application is seen by
clerks, auditors and admins, by its bank and by its firm; to anyone else it does not exist
(404). The report is for clerks, auditors and admins (the route's roles).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import or_, select

from ipx.auth import Principal
from ipx.china_time import china_date
from ipx.errors import NotFound
from ipx.support.model import ApplicationStatus
from ipx.support.money import cents, text
from ipx.support.orm import SupportApplication, SupportProgramme
from ipx.support.ports import RegistryFacts
from ipx.support.repositories import SupportRecords, budget_of
from ipx.uow import UnitOfWork


def get_programme(uow: UnitOfWork, principal: Principal, programme_id: int) -> SupportProgramme:
    programme = uow.session.get(SupportProgramme, programme_id)
    if programme is None:
        raise NotFound(f"No support programme with id {programme_id}.")
    return programme


def list_programmes(
    uow: UnitOfWork,
    principal: Principal,
    *,
    after: int | None,
    limit: int | None,
    current: bool = False,
) -> list[SupportProgramme]:
    """Programme versions in id order (``limit + 1`` at most; ``current``: only the versions
    that take applications, the newest of each programme)."""
    stmt = select(SupportProgramme).order_by(SupportProgramme.id)
    if limit is not None:
        stmt = stmt.limit(limit + 1)
    if current:
        stmt = stmt.where(SupportProgramme.superseded.is_(False))
    if after:
        stmt = stmt.where(SupportProgramme.id > after)
    return list(uow.session.execute(stmt).scalars())


def get_application(
    uow: UnitOfWork, principal: Principal, application_id: int
) -> SupportApplication:
    application = uow.session.get(SupportApplication, application_id)
    if application is None or not _sees(principal, application):
        raise NotFound(f"No support application with id {application_id}.")
    return application


def list_applications(
    uow: UnitOfWork, principal: Principal, *, filters: dict, after: int | None, limit: int
) -> list[SupportApplication]:
    stmt = select(SupportApplication).order_by(SupportApplication.id).limit(limit + 1)
    if after:
        stmt = stmt.where(SupportApplication.id > after)
    if filters.get("status"):
        stmt = stmt.where(SupportApplication.status == filters["status"])
    if filters.get("programme_id"):
        series = _series_of(uow, filters["programme_id"])
        stmt = stmt.where(SupportApplication.series_id == series)
    if not principal.sees_all():
        stmt = stmt.where(
            or_(
                SupportApplication.bank_id == principal.party_id,
                SupportApplication.firm_id == principal.party_id,
            )
        )
    return list(uow.session.execute(stmt).scalars())


def report(uow: UnitOfWork, principal: Principal, programme_id: int, facts: RegistryFacts) -> dict:
    """Budget, reserved, paid and remaining for the programme's series, with its applications
    by bank and by firm, and the budget used over time (one point per decision day)."""
    programme = get_programme(uow, principal, programme_id)
    head = SupportRecords(uow.session).newest_of_series(programme.series_id)
    applications = list(
        uow.session.execute(
            select(SupportApplication)
            .where(SupportApplication.series_id == programme.series_id)
            .order_by(SupportApplication.id)
        ).scalars()
    )
    names = facts.party_names(
        uow.session, {a.bank_id for a in applications} | {a.firm_id for a in applications}
    )
    budget = budget_of(head)
    return {
        "programme_id": head.id,
        "series_id": head.series_id,
        "version": head.version,
        "name": head.name,
        "kind": head.kind,
        "currency": head.currency,
        "period_start": head.period_start,
        "period_end": head.period_end,
        "budget": text(budget.total),
        "reserved": text(budget.reserved),
        "paid": text(budget.paid),
        "remaining": text(budget.remaining),
        "applications": _counts(applications),
        "by_bank": _grouped(applications, "bank_id", names),
        "by_firm": _grouped(applications, "firm_id", names),
        "used_over_time": _used_over_time(applications),
    }


REPORT_CSV_HEADER = ("group", "party_id", "name", "applications", "approved", "paid")


def report_rows(body: dict) -> list[tuple]:
    """The report as CSV rows: a totals row, then one per bank and one per firm."""
    rows: list[tuple] = [
        ("total", "", body["name"], body["applications"]["total"], body["reserved"], body["paid"])
    ]
    for group in ("by_bank", "by_firm"):
        for item in body[group]:
            rows.append(
                (
                    group.removeprefix("by_"),
                    item["party_id"],
                    item["name"],
                    item["applications"],
                    item["approved"],
                    item["paid"],
                )
            )
    return rows


def _sees(principal: Principal, application: SupportApplication) -> bool:
    return principal.sees_all() or principal.party_id in (application.bank_id, application.firm_id)


def _series_of(uow: UnitOfWork, programme_id: int) -> int:
    programme = uow.session.get(SupportProgramme, programme_id)
    return programme.series_id if programme else -1


def _counts(applications: list[SupportApplication]) -> dict:
    counts = {status.value: 0 for status in ApplicationStatus}
    for a in applications:
        counts[a.status] += 1
    return {"total": len(applications), **counts}


def _grouped(applications: list[SupportApplication], key: str, names: dict[int, str]) -> list[dict]:
    groups: dict[int, dict] = {}
    for a in applications:
        party = getattr(a, key)
        group = groups.setdefault(party, {"applications": 0, "approved": 0, "paid": 0})
        group["applications"] += 1
        if a.status in (ApplicationStatus.APPROVED, ApplicationStatus.PAID):
            group["approved"] += _approved(a)
        if a.status == ApplicationStatus.PAID:
            group["paid"] += _approved(a)
    return [
        {
            "party_id": party,
            "name": names.get(party, ""),
            "applications": g["applications"],
            "approved": text(g["approved"]),
            "paid": text(g["paid"]),
        }
        for party, g in sorted(groups.items())
    ]


def _used_over_time(applications: list[SupportApplication]) -> list[dict]:
    by_day: dict[date, int] = defaultdict(int)
    for a in applications:
        if a.status in (ApplicationStatus.APPROVED, ApplicationStatus.PAID) and a.decided_at:
            by_day[china_date(a.decided_at)] += _approved(a)  # China dates, as days in force
    points, total = [], 0
    for day in sorted(by_day):
        total += by_day[day]
        points.append({"date": day, "reserved": text(total)})
    return points


def _approved(application: SupportApplication) -> int:
    amount = application.approved_amount
    return 0 if amount is None else cents(amount)
