"""The support programmes' domain: kinds, states, the facts a decision rests on, eligibility.

Plain Python: nothing here knows Flask or the database. Money is integer cents
(``ipx.support.money``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, timedelta

# The programmes count China's calendar days (``ipx.china_time.china_date``): a pledge
# registered at 01:00 China time (17:00 UTC the day before) is in force from that day.


class ProgrammeKind(enum.StrEnum):
    INTEREST_SUBSIDY = "interest_subsidy"
    FIRST_LOAN = "first_loan"
    EVALUATION_FEE = "evaluation_fee"
    GUARANTEE_FEE = "guarantee_fee"
    RISK_COMPENSATION = "risk_compensation"


#: Kinds that subsidise a fee the owner paid (one loan per application; the owner may apply).
FEE_KINDS = frozenset({ProgrammeKind.EVALUATION_FEE, ProgrammeKind.GUARANTEE_FEE})


class ApplicationStatus(enum.StrEnum):
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REFUSED = "refused"
    PAID = "paid"


#: Where an application may go from each status (anything else is ``invalid-transition``).
TRANSITIONS: dict[ApplicationStatus, frozenset[ApplicationStatus]] = {
    ApplicationStatus.SUBMITTED: frozenset({ApplicationStatus.APPROVED, ApplicationStatus.REFUSED}),
    ApplicationStatus.APPROVED: frozenset({ApplicationStatus.PAID}),
    ApplicationStatus.REFUSED: frozenset(),
    ApplicationStatus.PAID: frozenset(),
}


class Ineligibility(enum.StrEnum):
    """Why the registry's facts rule an application out (checked when it is filed)."""

    WINDOW_CLOSED = "window-closed"
    NOT_SME = "not-sme"
    PLEDGE_NOT_IN_FORCE = "pledge-not-in-force"
    CLAIM_OUTSIDE_PERIOD = "claim-outside-period"
    ASSET_KIND = "asset-kind-not-eligible"
    NOT_FIRST_LOAN = "not-first-loan"
    CURRENCY = "currency-mismatch"
    NO_REALIZED_DISPOSAL = "no-realized-disposal"
    NO_SHORTFALL = "no-principal-shortfall"


INELIGIBILITY_TEXT: dict[Ineligibility, str] = {
    Ineligibility.WINDOW_CLOSED: "The programme does not accept applications today.",
    Ineligibility.NOT_SME: "The firm is not recorded as a small or medium enterprise.",
    Ineligibility.PLEDGE_NOT_IN_FORCE: "The pledge was not in force within the period.",
    Ineligibility.CLAIM_OUTSIDE_PERIOD: "The claimed period lies outside the programme period.",
    Ineligibility.ASSET_KIND: "A pledged asset is of a kind the programme does not support.",
    Ineligibility.NOT_FIRST_LOAN: "The firm had an IP pledge loan registered before this one.",
    Ineligibility.CURRENCY: "The loan's currency is not the programme's.",
    Ineligibility.NO_REALIZED_DISPOSAL: "No final sale of the pledged assets has been realized.",
    Ineligibility.NO_SHORTFALL: "The realized sale left no principal unpaid.",
}


class RefusalReason(enum.StrEnum):
    """A clerk's coded reasons for refusing an application."""

    DOCUMENTS_MISSING = "documents-missing"
    CLAIM_NOT_SUBSTANTIATED = "claim-not-substantiated"
    NOT_ELIGIBLE = "not-eligible"
    DUPLICATE_SUPPORT = "duplicate-support"
    OTHER = "other"


@dataclass(frozen=True)
class Terms:
    """One version of a programme's terms (money in cents, ``share_bp`` in basis points)."""

    kind: ProgrammeKind
    period_start: date
    period_end: date
    cap_per_loan: int
    cap_per_firm_year: int
    budget: int
    currency: str = "CNY"
    rate_bp: int | None = None
    share_bp: int | None = None
    sme_only: bool = False
    first_loan_only: bool = False
    asset_kinds: frozenset[str] = frozenset()
    applications_open: date | None = None
    applications_close: date | None = None

    @property
    def by_rate(self) -> bool:
        """Whether these terms pay interest at a rate (see ``pays_by_rate``)."""
        return pays_by_rate(self.kind, self.rate_bp)


def pays_by_rate(kind: ProgrammeKind, rate_bp: int | None) -> bool:
    """Whether a programme pays interest at a rate on the outstanding principal, counted by
    days in force: an interest subsidy, or a first-loan subsidy given a rate (it takes a rate
    or a share of the fee, never both); the others pay a share of a fee or of a loss."""
    return kind is ProgrammeKind.INTEREST_SUBSIDY or (
        kind is ProgrammeKind.FIRST_LOAN and rate_bp is not None
    )


@dataclass(frozen=True)
class LoanFacts:
    """What the registry knows of a pledge loan (money in cents)."""

    pledge_id: int
    pledgor_id: int
    pledgee_id: int
    principal: int
    currency: str
    registered_on: date
    closed_on: date | None = None  # the first day it no longer encumbered (cancelled, revoked)
    revoked: bool = False
    asset_kinds: tuple[str, ...] = ()
    first_loan: bool = True
    #: Principal still unpaid after a final realized sale; None: no such sale.
    unpaid_principal: int | None = None


@dataclass(frozen=True)
class FirmFacts:
    party_id: int
    sme: bool | None = None
    sme_source: str | None = None


@dataclass(frozen=True)
class Claim:
    """What the applicant claims (cents; the period within the programme's).

    ``outstanding_principal``: the loan's principal outstanding in the period, which an
    interest claim gives (the registry knows only the pledge's secured maximum, which caps it).
    """

    interest_paid: int | None = None
    outstanding_principal: int | None = None
    fee_amount: int | None = None
    period_start: date | None = None
    period_end: date | None = None


@dataclass(frozen=True)
class Ground:
    code: Ineligibility
    pledge_id: int | None = None

    def to_dict(self) -> dict:
        out: dict = {"code": self.code.value, "message": INELIGIBILITY_TEXT[self.code]}
        if self.pledge_id is not None:
            out["pledge_id"] = self.pledge_id
        return out


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive

    @property
    def days(self) -> int:
        return max(0, (self.end - self.start).days + 1)


def claim_period(terms: Terms, claim: Claim) -> Period:
    """The period a claim covers: its own, or else the programme's."""
    return Period(claim.period_start or terms.period_start, claim.period_end or terms.period_end)


def days_in_force(loan: LoanFacts, period: Period) -> int:
    """Days of ``period`` (inclusive) on which the pledge was registered and not yet closed."""
    if loan.revoked:
        return 0  # a revoked registration never took effect
    start = max(period.start, loan.registered_on)
    last = period.end if loan.closed_on is None else min(period.end, loan.closed_on - timedelta(1))
    return max(0, (last - start).days + 1)


def in_force_within(loan: LoanFacts, period: Period) -> bool:
    """Whether the pledge encumbered on some day of the period, its closing day included (a
    pledge realized and cancelled on the day of its sale was in force that day)."""
    if loan.revoked:
        return False
    return loan.registered_on <= period.end and (
        loan.closed_on is None or loan.closed_on >= period.start
    )


@dataclass(frozen=True)
class Eligibility:
    grounds: list[Ground] = field(default_factory=list)

    @property
    def eligible(self) -> bool:
        return not self.grounds


def eligibility(
    terms: Terms, firm: FirmFacts, loans: list[LoanFacts], claim: Claim, today: date
) -> Eligibility:
    """Every ground that rules the application out, decided from the registry's facts."""
    grounds: list[Ground] = []
    if (terms.applications_open and today < terms.applications_open) or (
        terms.applications_close and today > terms.applications_close
    ):
        grounds.append(Ground(Ineligibility.WINDOW_CLOSED))
    if (terms.sme_only or terms.kind is ProgrammeKind.FIRST_LOAN) and firm.sme is not True:
        grounds.append(Ground(Ineligibility.NOT_SME))
    period = claim_period(terms, claim)
    if period.start < terms.period_start or period.end > terms.period_end or not period.days:
        grounds.append(Ground(Ineligibility.CLAIM_OUTSIDE_PERIOD))
    for loan in loans:
        grounds.extend(_loan_grounds(terms, loan, period))
    return Eligibility(grounds)


def _loan_grounds(terms: Terms, loan: LoanFacts, period: Period) -> list[Ground]:
    found: list[Ineligibility] = []
    by_days = terms.by_rate
    if loan.currency != terms.currency:
        found.append(Ineligibility.CURRENCY)
    if not in_force_within(loan, period) or (by_days and not days_in_force(loan, period)):
        found.append(Ineligibility.PLEDGE_NOT_IN_FORCE)
    if terms.asset_kinds and not set(loan.asset_kinds) <= terms.asset_kinds:
        found.append(Ineligibility.ASSET_KIND)
    if (terms.first_loan_only or terms.kind is ProgrammeKind.FIRST_LOAN) and not loan.first_loan:
        found.append(Ineligibility.NOT_FIRST_LOAN)
    if terms.kind is ProgrammeKind.RISK_COMPENSATION:
        if loan.unpaid_principal is None:
            found.append(Ineligibility.NO_REALIZED_DISPOSAL)
        elif loan.unpaid_principal == 0:
            found.append(Ineligibility.NO_SHORTFALL)
    return [Ground(code, loan.pledge_id) for code in found]
