"""The valuation's term flags and the registry's grounds read the same last day in force.

An invention filed 2010-05-10 is in force through 2030-05-09 (`ipx.rights`). A loan maturing on
that day is fine for both (no `term-shorter-than-loan`, no R06); one maturing a day later is
flagged by both. Likewise on the expiry day the right is in force (no `expired`, no R02), and
the day after it is not.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal

import pytest

from ipx.registry.model import (
    ApplicationFacts,
    AssetFacts,
    AssetKind,
    Ground,
    LegalStatus,
    examine,
)
from ipx.registry.terms import protection_expiry
from ipx.valuation.model import Economics, ValuationRequest
from ipx.valuation.predictor import Valuer
from tests.valuation_samples import FULL, MODEL

FILED = date(2010, 5, 10)
LAST_DAY = date(2030, 5, 9)
OWNER, BANK = 1, 2


@pytest.fixture(scope="module")
def valuer():
    return Valuer.load(MODEL)


def _request(as_of: date, months: int | None = None, expiry: date | None = None):
    return ValuationRequest(
        features=FULL,
        ipc="C22C 38/00",
        filing_date=FILED,
        grant_date=date(2012, 6, 1),
        expiry_date=expiry,
        as_of=as_of,
        loan_term_months=months,
    )


def _grounds(debt_start: date, debt_end: date, on: date) -> set[Ground]:
    asset = AssetFacts(
        id=10,
        kind=AssetKind.INVENTION,
        holder_ids=frozenset({OWNER}),
        status=LegalStatus.GRANTED,
        expiry_date=protection_expiry("invention", FILED),
        fees_paid_until=LAST_DAY,
        frozen=False,
        invalidation_pending=False,
    )
    app = ApplicationFacts(
        pledgor_id=OWNER,
        pledgee_id=BANK,
        pledgor_known=True,
        pledgee_known=True,
        secured_amount=Decimal("1000000.00"),
        debt_start=debt_start,
        debt_end=debt_end,
        contract_number="JK-2027-0001",
        co_owner_consent_ids=frozenset(),
        forfeiture_clause=False,
        acknowledged_risks=frozenset(),
        assets=(asset,),
    )
    return {finding.ground for finding in examine(app, on)}


def _codes(valuer: Valuer, request: ValuationRequest) -> set[str]:
    return {flag.code for flag in valuer.value(request).flags}


@pytest.mark.parametrize("expiry", [None, LAST_DAY], ids=["statutory", "registry's"])
@pytest.mark.parametrize(
    ("as_of", "past_the_term"),
    [(date(2027, 5, 9), False), (date(2027, 5, 10), True)],
    ids=["maturity-on-the-last-day", "maturity-the-day-after"],
)
def test_term_shorter_than_the_loan_and_r06_agree_at_the_boundary(
    valuer, expiry, as_of, past_the_term
):
    maturity = date(as_of.year + 3, as_of.month, as_of.day)  # a 36-month loan
    flagged = "term-shorter-than-loan" in _codes(valuer, _request(as_of, 36, expiry))
    refused = Ground.DEBT_OUTLASTS_TERM in _grounds(as_of, maturity, as_of)
    assert flagged is refused is past_the_term


@pytest.mark.parametrize("expiry", [None, LAST_DAY], ids=["statutory", "registry's"])
@pytest.mark.parametrize(("on", "ended"), [(LAST_DAY, False), (date(2030, 5, 10), True)])
def test_expired_and_r02_agree_at_the_boundary(valuer, expiry, on, ended):
    expired = "expired" in _codes(valuer, _request(on, expiry=expiry))
    not_in_force = Ground.NOT_IN_FORCE in _grounds(date(2027, 1, 1), date(2028, 1, 1), on)
    assert expired is not_in_force is ended


def test_the_remaining_term_runs_through_the_last_day_in_force(valuer):
    """A statutory expiry and the same date given as the registry's expiry value alike."""
    economics = Economics(Decimal("1000000"), 0.05)
    request = dataclasses.replace(_request(date(2026, 11, 1)), economics=economics)
    given = dataclasses.replace(request, expiry_date=LAST_DAY)
    statutory, registered = valuer.value(request).value, valuer.value(given).value
    assert statutory.assumptions["years"] == registered.assumptions["years"]
    days = (date(2030, 5, 10) - date(2026, 11, 1)).days
    assert statutory.assumptions["days"] == registered.assumptions["days"] == days
    assert statutory.assumptions["years"] == round(days / 365.25, 2)
