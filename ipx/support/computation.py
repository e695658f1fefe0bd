"""The eligible amount of an application, line by line, from the registry's facts and the claim.

- interest subsidy (and a first-loan subsidy given as a rate): outstanding principal (the
  claim's, capped at the pledge's registered secured amount) x ``rate_bp`` / 10,000 x days the
  pledge was in force within the claimed period / 365, capped per loan; never more than the
  interest the claim says was paid;
- fee subsidies (and a first-loan subsidy given as a share): ``share`` of the fee, capped per loan;
- risk compensation: ``share`` of the principal still unpaid after the final realized sale,
  per loan, capped per loan;
- then the room left under the firm's yearly cap by the firm's other live applications in the
  programme (the working line states the room only: what the firm holds through other banks'
  applications is not the applicant's to see); rounded half-up to the cent once, at the end
  (``ipx.support.money``).

Every step is a working line ``{step, detail, amount}`` the applicant and the clerk can follow.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from ipx.support.model import (
    Claim,
    LoanFacts,
    ProgrammeKind,
    Terms,
    claim_period,
    days_in_force,
)
from ipx.support.money import ROUNDING_RULE, exact_text, round_half_up, text

BP = 10_000
DAYS_PER_YEAR = 365


@dataclass(frozen=True)
class Computation:
    amount: int  # cents
    working: list[dict]


def compute(terms: Terms, loans: list[LoanFacts], claim: Claim, firm_used: int = 0) -> Computation:
    """The amount the programme pays for this claim (cents) and how it was reached.

    ``firm_used``: cents the firm's other live applications in the programme already hold.
    """
    working: list[dict] = []
    if terms.by_rate:
        total = _interest(terms, loans, claim, working)
    elif terms.kind is ProgrammeKind.RISK_COMPENSATION:
        total = _risk(terms, loans, working)
    else:
        total = _fee(terms, claim, working)
    room = max(0, terms.cap_per_firm_year - firm_used)
    if total > room:
        total = Fraction(room)
        working.append(
            _line(
                "cap_per_firm_year",
                f"no more than the {text(room)} left under the firm's yearly cap",
                total,
            )
        )
    amount = round_half_up(total)
    working.append({"step": "result", "detail": ROUNDING_RULE, "amount": text(amount)})
    return Computation(amount, working)


def _interest(terms: Terms, loans: list[LoanFacts], claim: Claim, working: list) -> Fraction:
    if len(loans) != 1:
        raise ValueError("an interest claim concerns one loan (its outstanding principal)")
    period = claim_period(terms, claim)
    rate = terms.rate_bp or 0
    total = Fraction(0)
    for loan in loans:
        principal = _outstanding(loan, claim, working)
        days = days_in_force(loan, period)
        amount = Fraction(principal * rate * days, BP * DAYS_PER_YEAR)
        detail = (
            f"pledge {loan.pledge_id}: {text(principal)} outstanding x {rate} bp x {days} days "
            f"in force from {period.start} to {period.end} / {DAYS_PER_YEAR}"
        )
        working.append(_line("interest", detail, amount, loan.pledge_id))
        total += _loan_cap(terms, amount, loan.pledge_id, working)
    if claim.interest_paid is not None and total > claim.interest_paid:
        total = Fraction(claim.interest_paid)
        working.append(
            _line(
                "cap_interest_paid",
                f"no more than the interest paid, {text(claim.interest_paid)}",
                total,
            )
        )
    return total


def _outstanding(loan: LoanFacts, claim: Claim, working: list) -> int:
    """The claim's outstanding principal, at most the pledge's secured amount (the registered
    maximum, never the principal itself)."""
    claimed = claim.outstanding_principal
    if claimed is None:  # filing refuses such a claim; nothing is owed on nothing claimed
        working.append(_line("outstanding", "no outstanding principal claimed", Fraction(0)))
        return 0
    if claimed <= loan.principal:
        return claimed
    detail = (
        f"outstanding principal {text(claimed)} claimed; at most the pledge's secured amount "
        f"{text(loan.principal)}"
    )
    working.append(_line("cap_secured_amount", detail, Fraction(loan.principal), loan.pledge_id))
    return loan.principal


def _fee(terms: Terms, claim: Claim, working: list) -> Fraction:
    fee, share = claim.fee_amount or 0, terms.share_bp or 0
    amount = Fraction(fee * share, BP)
    working.append(_line("fee_share", f"{text(fee)} x {_percent(share)}", amount))
    return _loan_cap(terms, amount, None, working)


def _risk(terms: Terms, loans: list[LoanFacts], working: list) -> Fraction:
    share = terms.share_bp or 0
    total = Fraction(0)
    for loan in loans:
        unpaid = loan.unpaid_principal or 0
        amount = Fraction(unpaid * share, BP)
        detail = (
            f"pledge {loan.pledge_id}: principal unpaid after the realized sale "
            f"{text(unpaid)} x {_percent(share)}"
        )
        working.append(_line("loss_share", detail, amount, loan.pledge_id))
        total += _loan_cap(terms, amount, loan.pledge_id, working)
    return total


def _loan_cap(terms: Terms, amount: Fraction, pledge_id: int | None, working: list) -> Fraction:
    if amount <= terms.cap_per_loan:
        return amount
    capped = Fraction(terms.cap_per_loan)
    working.append(
        _line("cap_per_loan", f"cap per loan {text(terms.cap_per_loan)}", capped, pledge_id)
    )
    return capped


def _line(step: str, detail: str, amount: Fraction, pledge_id: int | None = None) -> dict:
    line: dict = {"step": step, "detail": detail, "amount": exact_text(amount)}
    if pledge_id is not None:
        line["pledge_id"] = pledge_id
    return line


def _percent(share_bp: int) -> str:
    return f"{Decimal(share_bp) / 100:f}%"
