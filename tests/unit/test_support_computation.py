"""The support programmes' computation, caps, rounding, eligibility and budget (no database)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ipx.china_time import china_date
from ipx.support.budget import Budget, BudgetExhausted, FirmCapReached, check_firm_cap
from ipx.support.computation import compute
from ipx.support.model import (
    Claim,
    FirmFacts,
    Ineligibility,
    LoanFacts,
    Period,
    ProgrammeKind,
    Terms,
    days_in_force,
    eligibility,
)
from ipx.support.money import round_half_up

YEAR = Terms(
    kind=ProgrammeKind.INTEREST_SUBSIDY,
    period_start=date(2026, 1, 1),
    period_end=date(2026, 12, 31),
    rate_bp=150,
    cap_per_loan=30_000_000,
    cap_per_firm_year=50_000_000,
    budget=2_000_000_000,
    sme_only=True,
)
SME = FirmFacts(party_id=1, sme=True, sme_source="划型申报表")


def loan(pledge_id=1, principal=125_000_000, registered=date(2026, 7, 1), **more) -> LoanFacts:
    return LoanFacts(
        pledge_id=pledge_id,
        pledgor_id=1,
        pledgee_id=2,
        principal=principal,
        currency="CNY",
        registered_on=registered,
        asset_kinds=("invention",),
        **more,
    )


def owed(principal: int = 125_000_000, **more) -> Claim:
    """An interest claim for a loan with ``principal`` cents outstanding."""
    return Claim(outstanding_principal=principal, **more)


def test_rounding_is_half_up_once():
    assert round_half_up(Fraction(1, 2)) == 1
    assert round_half_up(Fraction(3, 2)) == 2  # not banker's rounding
    assert round_half_up(Fraction(249, 100)) == 2
    assert round_half_up(Fraction(7)) == 7


def test_interest_for_the_days_in_force_of_a_pledge_registered_mid_year():
    result = compute(YEAR, [loan()], owed())
    days = (date(2026, 12, 31) - date(2026, 7, 1)).days + 1  # 184
    exact = Decimal(1_250_000) * 150 * days / Decimal(10_000 * 365)
    expected = exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert Decimal(result.amount) / 100 == expected
    assert f"{days} days" in result.working[0]["detail"]
    assert result.working[-1]["amount"] == f"{expected:.2f}"


def test_rounding_happens_once_at_the_end_not_per_loan():
    # Two loans whose exact compensations are 0.5 cent each: per-loan rounding would give 2.
    terms = Terms(**{**YEAR.__dict__, "kind": ProgrammeKind.RISK_COMPENSATION, "share_bp": 5_000})
    loans = [loan(1, unpaid_principal=1), loan(2, unpaid_principal=1)]
    assert compute(terms, loans, Claim()).amount == 1


def test_interest_is_on_the_claimed_outstanding_principal_at_most_the_secured_amount():
    days = 184  # 1 July to 31 December
    half = compute(YEAR, [loan()], owed(62_500_000))
    assert half.amount == round_half_up(Fraction(62_500_000 * 150 * days, 10_000 * 365))
    assert "625000.00 outstanding" in half.working[0]["detail"]
    assert all(line["step"] != "cap_secured_amount" for line in half.working)
    over = compute(YEAR, [loan()], owed(200_000_000))
    assert over.amount == compute(YEAR, [loan()], owed(125_000_000)).amount
    capped = [line for line in over.working if line["step"] == "cap_secured_amount"]
    assert len(capped) == 1 and capped[0]["amount"] == "1250000.000000"
    assert "2000000.00" in capped[0]["detail"]
    assert compute(YEAR, [loan()], Claim()).amount == 0  # filing refuses a claim without one
    with pytest.raises(ValueError):
        compute(YEAR, [loan(1), loan(2)], owed())  # one loan, one outstanding principal


def test_the_firm_cap_line_shows_the_room_left_not_what_the_firm_holds_elsewhere():
    terms = Terms(**{**YEAR.__dict__, "rate_bp": 10_000, "cap_per_firm_year": 150_000})
    result = compute(terms, [loan()], owed(), firm_used=120_000)
    line = result.working[-2]
    assert line["step"] == "cap_per_firm_year" and "300.00" in line["detail"]
    assert all(
        "1200.00" not in w["detail"] and "1500.00" not in w["detail"] for w in result.working
    )


def test_a_date_in_force_is_the_china_date_of_the_moment():
    assert china_date(datetime(2026, 3, 1, 16, 0, tzinfo=UTC)) == date(2026, 3, 2)  # 00:00 CST
    assert china_date(datetime(2026, 3, 1, 15, 59, 59, tzinfo=UTC)) == date(2026, 3, 1)
    assert china_date(datetime(2026, 12, 31, 16, 30)) == date(2027, 1, 1)  # naive: UTC


def test_caps_per_loan_interest_paid_and_firm_year():
    terms = Terms(**{**YEAR.__dict__, "rate_bp": 10_000, "cap_per_loan": 100_000})
    assert compute(terms, [loan()], owed()).amount == 100_000
    assert compute(terms, [loan()], owed(interest_paid=40_000)).amount == 40_000
    firm = Terms(**{**terms.__dict__, "cap_per_firm_year": 150_000})
    assert compute(firm, [loan()], owed(), firm_used=120_000).amount == 30_000
    assert compute(firm, [loan()], owed(), firm_used=200_000).amount == 0


def test_fee_and_risk_shares():
    fee = Terms(**{**YEAR.__dict__, "kind": ProgrammeKind.GUARANTEE_FEE, "share_bp": 5_000})
    assert compute(fee, [loan()], Claim(fee_amount=1_000_001)).amount == 500_001  # 500000.5
    risk = Terms(**{**YEAR.__dict__, "kind": ProgrammeKind.RISK_COMPENSATION, "share_bp": 3_000})
    assert compute(risk, [loan(unpaid_principal=10_000_000)], Claim()).amount == 3_000_000


def test_days_in_force_stop_at_cancellation_and_never_count_a_revoked_pledge():
    period = Period(date(2026, 1, 1), date(2026, 12, 31))
    assert days_in_force(loan(registered=date(2025, 6, 1)), period) == 365
    closed = loan(registered=date(2026, 1, 1), closed_on=date(2026, 1, 11))
    assert days_in_force(closed, period) == 10
    assert days_in_force(loan(registered=date(2027, 1, 1)), period) == 0
    assert days_in_force(loan(revoked=True), period) == 0


def test_eligibility_names_every_ground():
    old = loan(registered=date(2027, 2, 1), first_loan=False)
    terms = Terms(
        **{**YEAR.__dict__, "first_loan_only": True, "asset_kinds": frozenset({"trademark"})}
    )
    found = eligibility(terms, FirmFacts(1, sme=None), [old], Claim(), date(2026, 6, 1))
    assert {g.code for g in found.grounds} == {
        Ineligibility.NOT_SME,
        Ineligibility.PLEDGE_NOT_IN_FORCE,
        Ineligibility.NOT_FIRST_LOAN,
        Ineligibility.ASSET_KIND,
    }
    assert eligibility(YEAR, SME, [loan()], Claim(), date(2026, 6, 1)).eligible
    risk = Terms(**{**YEAR.__dict__, "kind": ProgrammeKind.RISK_COMPENSATION, "share_bp": 1})
    codes = [g.code for g in eligibility(risk, SME, [loan()], Claim(), date(2026, 6, 1)).grounds]
    assert codes == [Ineligibility.NO_REALIZED_DISPOSAL]
    outside = Claim(period_start=date(2025, 12, 1), period_end=date(2026, 1, 31))
    codes = [g.code for g in eligibility(YEAR, SME, [loan()], outside, date(2026, 6, 1)).grounds]
    assert Ineligibility.CLAIM_OUTSIDE_PERIOD in codes


def test_the_budget_refuses_what_it_has_not():
    budget = Budget(total=100).reserve(60)
    with pytest.raises(BudgetExhausted):
        budget.reserve(41)
    assert budget.reserve(40).remaining == 0
    with pytest.raises(ValueError):
        budget.pay(61)
    with pytest.raises(FirmCapReached):
        check_firm_cap(100, 90, 11)


# --- properties -------------------------------------------------------------------------------

cents = st.integers(min_value=0, max_value=10**12)


@given(total=cents, asks=st.lists(cents, max_size=40))
def test_no_set_of_approvals_exceeds_the_budget(total, asks):
    budget, accepted = Budget(total), 0
    for amount in asks:
        try:
            budget = budget.reserve(amount)
            accepted += amount
        except BudgetExhausted:
            assert amount > budget.remaining
        assert 0 <= budget.reserved <= budget.total
        assert budget.reserved + budget.remaining == budget.total
    assert budget.reserved == accepted


@given(
    principal=st.integers(0, 10**11),
    outstanding=st.integers(1, 10**11),
    rate=st.integers(1, 10_000),
    registered=st.dates(date(2025, 1, 1), date(2027, 12, 31)),
    cap=cents,
    firm_cap=cents,
    used=cents,
    paid=st.none() | cents,
)
def test_the_computed_amount_never_exceeds_a_cap(
    principal, outstanding, rate, registered, cap, firm_cap, used, paid
):
    terms = Terms(
        **{**YEAR.__dict__, "rate_bp": rate, "cap_per_loan": cap, "cap_per_firm_year": firm_cap}
    )
    claim = Claim(interest_paid=paid, outstanding_principal=outstanding)
    facts = loan(principal=principal, registered=registered)
    result = compute(terms, [facts], claim, used)
    assert 0 <= result.amount <= cap
    year = Period(terms.period_start, terms.period_end)
    on_secured = Fraction(min(principal, outstanding) * rate * days_in_force(facts, year), 3650000)
    assert result.amount <= round_half_up(on_secured)  # never on more than the secured amount
    assert result.amount <= max(0, firm_cap - used)
    if paid is not None:
        assert result.amount <= paid


@given(
    firm_cap=st.integers(0, 10**9),
    asks=st.lists(st.tuples(st.integers(1, 4), st.integers(1, 3), cents), max_size=30),
)
def test_a_firms_yearly_cap_holds_across_its_loans_and_banks(firm_cap, asks):
    """Applications for loans of one firm from several banks, each computed against what the
    firm's earlier ones hold, then approved under the firm cap check: never above the cap."""
    terms = Terms(
        **{
            **YEAR.__dict__,
            "rate_bp": 10_000,
            "cap_per_loan": 10**12,
            "cap_per_firm_year": firm_cap,
        }
    )
    approved = 0
    for pledge_id, bank, principal in asks:
        facts = LoanFacts(pledge_id, 1, bank, principal, "CNY", date(2026, 1, 1))
        amount = compute(terms, [facts], owed(principal), firm_used=approved).amount
        try:
            check_firm_cap(firm_cap, approved, amount)
        except FirmCapReached:
            continue
        approved += amount
        assert approved <= firm_cap
    assert approved <= firm_cap


def test_a_claims_money_day_arithmetic_handles_leap_years():
    leap = Terms(
        **{**YEAR.__dict__, "period_start": date(2028, 1, 1), "period_end": date(2028, 12, 31)}
    )
    result = compute(leap, [loan(registered=date(2028, 1, 1) - timedelta(1))], owed())
    assert "366 days" in result.working[0]["detail"]


def test_budget_used_over_time_counts_each_decision_on_its_china_date():
    """A decision at 01:30 China time (17:30 UTC the day before) counts on the China date."""
    from datetime import UTC, datetime
    from decimal import Decimal

    from ipx.support.model import ApplicationStatus
    from ipx.support.orm import SupportApplication
    from ipx.support.reads import _used_over_time

    late = SupportApplication(
        status=ApplicationStatus.APPROVED,
        approved_amount=Decimal("10.00"),
        decided_at=datetime(2026, 3, 1, 17, 30, tzinfo=UTC),
    )
    points = _used_over_time([late])
    assert [(p["date"].isoformat(), p["reserved"]) for p in points] == [("2026-03-02", "10.00")]
