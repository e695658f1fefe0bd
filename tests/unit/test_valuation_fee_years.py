"""The CNIPA mapping pinned: fee years numbered from filing against the US stages (counted from
grant, mapped through the grant lag), the table stopping at the statutory expiry, and the
interpolation of ``p_in_force_at_maturity`` for a loan maturing between two stages."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from ipx.rights import statutory_expiry
from ipx.valuation.fee_years import (
    fee_calendar,
    fee_year_on,
    fee_year_table,
    p_fee_year_paid,
)
from ipx.valuation.predictor import Valuer
from ipx.valuation.registry_outcomes import STAGE_MONTHS
from ipx.valuation.terms import add_months
from tests.valuation_samples import BASE, MODEL

CURVE = (0.9, 0.6, 0.4)
KNOTS = (0.0, 3.5, 7.5, 11.5)
FILED, GRANTED = date(2015, 3, 1), date(2018, 6, 1)  # granted 3 years 3 months after filing


def by_hand(curve, t: float) -> float:
    """The stated rule: log S linear in time between the knots (0, 1), (3.5, s1), (7.5, s2),
    (11.5, s3); beyond 11.5 the last interval's rate continues."""
    s = (1.0, *curve)
    for i in range(1, 4):
        if t <= KNOTS[i]:
            a, b = KNOTS[i - 1], KNOTS[i]
            return s[i - 1] * (s[i] / s[i - 1]) ** ((t - a) / (b - a))
    return s[3] * (s[3] / s[2]) ** ((t - 11.5) / 4.0)


def test_fee_years_count_from_filing_and_the_first_is_paid_for_the_year_of_grant():
    assert fee_year_on(FILED, FILED) == 1
    assert fee_year_on(FILED, date(2016, 2, 29)) == 1  # the day before the first anniversary
    assert fee_year_on(FILED, date(2016, 3, 1)) == 2
    calendar = fee_calendar("invention", FILED, GRANTED)
    assert calendar.first_fee_year == 4  # 3.25 years after filing: the 4th year of the term
    assert calendar.last_fee_year == 20 and calendar.expiry == date(2035, 2, 28)
    with pytest.raises(ValueError):
        calendar.stage_covering(3)  # before grant: no fee
    with pytest.raises(ValueError):
        calendar.stage_covering(21)  # after expiry


def test_each_us_stage_maps_through_the_grant_lag_to_the_fee_year_its_day_falls_in():
    calendar = fee_calendar("invention", FILED, GRANTED)
    # stages 3.5, 7.5, 11.5 years after grant = 6.75, 10.75, 14.75 years after filing
    assert calendar.stage_fee_years == {1: 7, 2: 11, 3: 15}
    for stage, fee_year in calendar.stage_fee_years.items():
        day = add_months(GRANTED, STAGE_MONTHS[stage - 1])  # the registry's outcomes' day
        assert fee_year is not None
        assert add_months(FILED, 12 * (fee_year - 1)) <= day < add_months(FILED, 12 * fee_year)
    covering = [calendar.stage_covering(k) for k in range(4, 21)]
    assert covering == [1] * 4 + [2] * 4 + [3] * 4 + [None] * 5  # 4-7, 8-11, 12-15, 16-20
    quick = fee_calendar("invention", FILED, date(2016, 9, 1))  # a lag of 1.5 years
    assert quick.first_fee_year == 2 and quick.stage_fee_years == {1: 6, 2: 10, 3: 14}


def test_the_table_stops_at_expiry_and_a_stage_after_it_is_never_reached():
    utility = fee_calendar("utility_model", FILED, date(2016, 3, 1))  # 10 years; lag 1
    assert utility.last_fee_year == 10 and utility.expiry == statutory_expiry(
        "utility_model", FILED
    )
    assert utility.stage_fee_years == {1: 5, 2: 9, 3: None}  # 12.5 years after filing: expired
    table = fee_year_table(CURVE, utility)
    assert [row["fee_year"] for row in table] == list(range(2, 11))
    assert [row["stage"] for row in table] == [1] * 4 + [2] * 4 + [None]
    design = fee_calendar("design", date(2022, 1, 10), date(2022, 7, 1))  # after 2021-06-01
    assert design.last_fee_year == 15 and fee_year_table(CURVE, design)[-1]["fee_year"] == 15
    old_design = fee_calendar("design", date(2020, 1, 10), date(2020, 7, 1))
    assert old_design.last_fee_year == 10


def test_fee_years_paid_follow_the_curve_at_their_middle_since_grant():
    calendar = fee_calendar("invention", FILED, GRANTED)
    lag = calendar.grant_lag_years
    table = fee_year_table(CURVE, calendar)
    assert [row["fee_year"] for row in table] == list(range(4, 21))
    assert table[0] == {
        "fee_year": 4,
        "due_years_after_filing": 3,
        "paid_at_grant": True,
        "stage": 1,
        "extrapolated": False,
        "p_paid": 1.0,
    }
    for row in table[1:]:
        k = row["fee_year"]
        assert row["p_paid"] == pytest.approx(by_hand(CURVE, k - 0.5 - lag), abs=1e-6)
        assert p_fee_year_paid(CURVE, calendar, k) == pytest.approx(row["p_paid"], abs=1e-6)
    # the stage's own fee year: its middle within half a year of the stage day
    for stage, fee_year in calendar.stage_fee_years.items():
        assert fee_year is not None
        assert abs(calendar.midpoint_years_after_grant(fee_year) - KNOTS[stage]) <= 0.5
    # within stage 2 (fee years 8-11) each year keeps the same share: (0.6 / 0.9) ** (1 / 4)
    p = {row["fee_year"]: row["p_paid"] for row in table}
    ratios = [p[k] / p[k - 1] for k in range(9, 11)]
    assert ratios == pytest.approx([(0.6 / 0.9) ** 0.25] * 2, abs=1e-5)
    assert [p["extrapolated"] for p in table if p["fee_year"] in (15, 16)] == [False, True]


def test_a_loan_ending_between_stages_by_hand():
    # valued 2 years after grant, a 42-month loan matures 5.5 years after grant (stage 2's
    # interval): S(2) = 0.9 ** (2 / 3.5), S(5.5) = 0.9 * (0.6 / 0.9) ** (2 / 4)
    start, end = 0.9 ** (2 / 3.5), 0.9 * (0.6 / 0.9) ** 0.5
    assert (round(start, 4), round(end, 4), round(end / start, 4)) == (0.9416, 0.7348, 0.7804)
    assert by_hand(CURVE, 5.5) / by_hand(CURVE, 2.0) == pytest.approx(end / start)


@pytest.mark.parametrize("months", [6, 12, 24, 60, 96])
def test_the_served_p_in_force_at_maturity_follows_the_stated_interpolation(months):
    valuer = Valuer.load(MODEL)
    result = valuer.value(dataclasses.replace(BASE, loan_term_months=months))
    assert BASE.grant_date is not None and BASE.as_of is not None
    since = (BASE.as_of - BASE.grant_date).days / 365.25
    maturity = since + (add_months(BASE.as_of, months) - BASE.as_of).days / 365.25
    expected = by_hand(result.survival, maturity) / by_hand(result.survival, since)
    assert result.p_in_force_at_maturity == pytest.approx(expected, rel=1e-12)


def test_the_model_card_states_the_mapping():
    card = (MODEL / "MODEL_CARD.md").read_text()
    section = card.split("## The Chinese annual-fee system", 1)[1].split("\n## ", 1)[0]
    for words in ("FILING date", "fee years 4-7", "S(k - 0.5 - lag)", "0.7804", "expiry"):
        assert words in section, words
    assert "fee years 1-4" not in section  # the old numbering from grant
