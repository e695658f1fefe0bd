"""Income approach and survival curve against hand-computed cases."""

from decimal import Decimal

import numpy as np
import pytest

from ipx.valuation.income import Uncertainty, relief_from_royalty, year_ends
from ipx.valuation.model import Economics
from ipx.valuation.survival import conditional_survival, survival_at

EXACT = Uncertainty(revenue_sigma=0.0, royalty_concentration=None, growth_sd=0.0, draws=10)


def test_zero_uncertainty_is_the_closed_form_discounted_sum():
    econ = Economics(Decimal("1000000"), 0.05, discount_rate=0.10, tax_rate=0.25, growth=0.0)
    ends = year_ends(2.5)
    assert ends.tolist() == [1.0, 2.0, 2.5]
    value = relief_from_royalty(
        econ, 0.05, ends, np.array([1.0, 0.9, 0.8]), seed=1, uncertainty=EXACT
    )
    # 37,500 a year after tax; year 3 is half a year; weights 1, 0.9, 0.8.
    by_hand = 37500 / 1.1 + 37500 * 0.9 / 1.1**2 + 18750 * 0.8 / 1.1**2.5
    expected = Decimal(str(round(by_hand, 2)))
    assert value.p10 == value.p50 == value.p90 == expected
    assert expected == Decimal("73803.26")
    assert all(isinstance(v, Decimal) for v in (value.p10, value.p50, value.p90))


def test_growth_compounds_from_the_second_year():
    econ = Economics(Decimal("100"), 1.0, discount_rate=0.0, tax_rate=0.0, growth=0.10)
    value = relief_from_royalty(econ, 1.0, year_ends(3), np.ones(3), seed=0, uncertainty=EXACT)
    assert value.p50 == Decimal("331.00")  # 100 + 110 + 121


def test_monte_carlo_is_seeded_and_ordered():
    econ = Economics(Decimal("5000000"), 0.04)
    ends = year_ends(8)
    weights = np.linspace(1, 0.5, len(ends))
    a = relief_from_royalty(econ, 0.04, ends, weights, seed=42)
    b = relief_from_royalty(econ, 0.04, ends, weights, seed=42)
    c = relief_from_royalty(econ, 0.04, ends, weights, seed=43)
    assert a == b and a != c
    assert a.p10 < a.p50 < a.p90
    assert a.assumptions["royalty_rate"] == 0.04 and a.assumptions["discount_rate"] == 0.12


def test_expired_right_is_worth_nothing():
    value = relief_from_royalty(Economics(Decimal("1")), 0.05, year_ends(0), np.ones(0), seed=0)
    assert value.p90 == Decimal("0.00")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"royalty_rate": 1.5},
        {"tax_rate": -0.1},
        {"annual_revenue": Decimal("-1")},
        {"annual_revenue": 1000.0},
        {"discount_rate": 2},
    ],
)
def test_economics_rejects_bad_inputs(kwargs):
    with pytest.raises(ValueError):
        Economics(**{"annual_revenue": Decimal("1000"), **kwargs})


def test_survival_curve_hits_the_knots_with_constant_hazard_between():
    cum = np.array([0.9, 0.6, 0.3])
    np.testing.assert_allclose(survival_at(cum, [0, 3.5, 7.5, 11.5]), [1, 0.9, 0.6, 0.3])
    np.testing.assert_allclose(survival_at(cum, 1.75), 0.9**0.5)
    np.testing.assert_allclose(survival_at(cum, 15.5), 0.3 * 0.5)  # stage-3 hazard continued
    np.testing.assert_allclose(conditional_survival(cum, 3.5, 7.5), 0.6 / 0.9)
