"""Programmes: defined by an admin for a period; versioned once applications exist.

A programme's period lies within one calendar year (the firm's cap is a yearly one, counted
over the programme's series), and once applications exist it stays in that year.

A change to a programme nobody has applied to yet edits it in place. Once applications exist,
a change makes a new version (same series, ``version + 1``) and supersedes the old one:
decided applications keep the version they were decided under; those still undecided move to
the new version and are computed again under its terms. The budget's counters are the series'
and carry over.
"""

from __future__ import annotations

from dataclasses import asdict, fields
from decimal import Decimal

from ipx.auth import Principal
from ipx.errors import Conflict, NotFound, ValidationFailed
from ipx.support import events
from ipx.support.commands import ChangeProgramme, CreateProgramme
from ipx.support.model import FEE_KINDS, ProgrammeKind, Terms
from ipx.support.money import cents
from ipx.support.orm import SupportProgramme
from ipx.support.repositories import SupportRecords
from ipx.uow import UnitOfWork

ZERO = Decimal("0.00")
TERM_FIELDS = [f.name for f in fields(CreateProgramme)]


def create_programme(uow: UnitOfWork, principal: Principal, command: CreateProgramme):
    """Define a programme (version 1 of its series)."""
    values = asdict(command)
    _check_terms(values)
    programme = SupportProgramme(
        **values,
        series_id=0,
        version=1,
        superseded=False,
        reserved=ZERO,
        paid=ZERO,
        created_by=principal.actor,
        created_at=uow.now,
        updated_at=uow.now,
    )
    records = SupportRecords(uow.session)
    records.add(programme)
    programme.series_id = programme.id
    uow.session.flush()
    events.record(
        uow,
        "support.programme_created",
        programmes=[programme],
        public={"kind": programme.kind, "version": 1},
        private=_terms_json(programme),
    )
    return programme


def change_programme(uow: UnitOfWork, principal: Principal, command: ChangeProgramme, recompute):
    """Change a programme's terms: in place, or as a new version once applications exist.

    ``recompute(uow, applications, programme)``: computes the undecided applications again
    under the new version, in id order (``ipx.support.applications.recompute``).
    """
    records = SupportRecords(uow.session)
    current = head_or_404(records, command.programme_id)
    values = {name: getattr(current, name) for name in TERM_FIELDS} | dict(command.changes)
    _check_terms(values)
    if Decimal(values["budget"]) < current.reserved:
        raise ValidationFailed({"budget": ["Less than the approvals already reserve."]})
    applied = records.has_applications(current.id)
    if (applied or current.version > 1) and values[
        "period_start"
    ].year != current.period_start.year:
        raise ValidationFailed(
            {"period_start": ["With applications filed, the period stays in its year."]}
        )
    if not applied:
        for name, value in command.changes.items():
            setattr(current, name, value)
        current.updated_at = uow.now
        events.record(
            uow,
            "support.programme_changed",
            programmes=[current],
            public={"kind": current.kind, "version": current.version},
            private=_terms_json(current),
        )
        return current
    if current.kind == ProgrammeKind.FIRST_LOAN.value and (current.rate_bp is None) != (
        values.get("rate_bp") is None
    ):
        raise ValidationFailed(
            {"rate_bp": ["With applications filed, a first-loan subsidy keeps its rate or share."]}
        )
    return _new_version(uow, records, current, values, principal, recompute)


def _new_version(uow, records, current, values, principal, recompute) -> SupportProgramme:
    new = SupportProgramme(
        **values,
        series_id=current.series_id,
        version=current.version + 1,
        superseded=False,
        reserved=current.reserved,
        paid=current.paid,
        created_by=principal.actor,
        created_at=uow.now,
        updated_at=uow.now,
    )
    current.superseded, current.updated_at = True, uow.now
    records.add(new)
    undecided = records.submitted_of(current.id)
    records.repoint([a.id for a in undecided], new.id)
    events.record(
        uow,
        "support.programme_versioned",
        programmes=[new, current],
        public={"kind": new.kind, "version": new.version},
        private={**_terms_json(new), "moved_applications": [a.id for a in undecided]},
    )
    for application in undecided:
        uow.session.refresh(application)
    recompute(uow, undecided, new)
    return new


def head_or_404(records: SupportRecords, programme_id: int) -> SupportProgramme:
    """The programme, locked, if it is its series' newest version (409 otherwise)."""
    programme = records.programme(programme_id, lock=True)
    if programme is None:
        raise NotFound(f"No support programme with id {programme_id}.")
    if programme.superseded:
        raise Conflict(
            f"Programme {programme_id} was superseded by a newer version.",
            code="programme-superseded",
        )
    return programme


def terms_of(p: SupportProgramme) -> Terms:
    return Terms(
        kind=ProgrammeKind(p.kind),
        period_start=p.period_start,
        period_end=p.period_end,
        cap_per_loan=cents(p.cap_per_loan),
        cap_per_firm_year=cents(p.cap_per_firm_year),
        budget=cents(p.budget),
        currency=p.currency,
        rate_bp=p.rate_bp,
        share_bp=None if p.share is None else cents(p.share),
        sme_only=p.sme_only,
        first_loan_only=p.first_loan_only,
        asset_kinds=frozenset(p.asset_kinds),
        applications_open=p.applications_open,
        applications_close=p.applications_close,
    )


def _check_terms(values: dict) -> None:
    """The rules between fields: a period in order, a rate or a share as the kind needs."""
    errors: dict[str, list[str]] = {}
    kind = ProgrammeKind(values["kind"])
    if values["period_end"] < values["period_start"]:
        errors["period_end"] = ["The period ends before it starts."]
    elif values["period_end"].year != values["period_start"].year:
        # The firm's cap is a yearly one, kept per series: a series covers one calendar year.
        errors["period_end"] = ["The period lies within one calendar year."]
    opens, closes = values.get("applications_open"), values.get("applications_close")
    if opens and closes and closes < opens:
        errors["applications_close"] = ["The window closes before it opens."]
    rate, share = values.get("rate_bp"), values.get("share")
    if kind is ProgrammeKind.INTEREST_SUBSIDY and rate is None:
        errors["rate_bp"] = ["An interest subsidy needs rate_bp."]
    if (kind in FEE_KINDS or kind is ProgrammeKind.RISK_COMPENSATION) and share is None:
        errors["share"] = ["This kind of programme pays a share: give share."]
    if kind is ProgrammeKind.FIRST_LOAN and (rate is None) == (share is None):
        errors["rate_bp"] = [
            "A first-loan subsidy takes rate_bp (of interest) or share (of the fee)."
        ]
    if share is not None and not ZERO < Decimal(share) <= 100:
        errors["share"] = ["A percentage above 0 and at most 100."]
    if errors:
        raise ValidationFailed(errors)


def _terms_json(p: SupportProgramme) -> dict:
    return events.programme_state(p)
