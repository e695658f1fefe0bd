"""Protection terms by kind and filing date, the design cut-off, leap days and fee dates.

The statutory term is `ipx.rights`'; the registry (`registry.terms`) and the valuation
(`valuation.terms`) must both give its last day in force.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ipx.registry.terms import MissingExpiry, fees_due_dates, protection_expiry
from ipx.rights import AssetKind, anniversary, statutory_expiry, statutory_term_years
from ipx.valuation import terms as valuation_terms


@pytest.mark.parametrize(
    ("kind", "filed", "expiry"),
    [
        ("invention", date(2015, 5, 10), date(2035, 5, 9)),
        ("utility_model", date(2015, 5, 10), date(2025, 5, 9)),
        ("design", date(2021, 5, 31), date(2031, 5, 30)),  # last day under the old law
        ("design", date(2021, 6, 1), date(2036, 5, 31)),  # first day under the new law
        ("invention", date(2004, 2, 29), date(2024, 2, 28)),  # 2024 is a leap year
        ("utility_model", date(2004, 2, 29), date(2014, 2, 28)),  # 2014 has no 29 February
        ("invention", date(2003, 3, 1), date(2023, 2, 28)),
        ("invention", date(2004, 3, 1), date(2024, 2, 29)),
    ],
)
def test_statutory_expiry(kind, filed, expiry) -> None:
    assert protection_expiry(kind, filed) == expiry


def test_cnipa_rule_the_term_ends_the_day_before_the_anniversary() -> None:
    assert statutory_expiry("invention", date(2010, 5, 10)) == date(2030, 5, 9)
    assert protection_expiry("invention", date(2010, 5, 10)) == date(2030, 5, 9)
    assert valuation_terms.statutory_expiry("invention", date(2010, 5, 10)) == date(2030, 5, 9)


@pytest.mark.parametrize(
    ("kind", "expiry"),
    [
        # 2032 has a 29 February, but the term counted from 2012-02-29 still ends on the 28th
        ("invention", date(2032, 2, 28)),
        # 2022 has none: the anniversary is 1 March, so the last day is 28 February as well
        ("utility_model", date(2022, 2, 28)),
        ("design", date(2022, 2, 28)),
    ],
)
def test_a_leap_day_filing_ends_on_28_february(kind, expiry) -> None:
    filed = date(2012, 2, 29)
    assert statutory_expiry(kind, filed) == expiry
    assert protection_expiry(kind, filed) == expiry
    assert valuation_terms.statutory_expiry(kind, filed) == expiry


@given(
    st.dates(date(1985, 4, 1), date(2040, 12, 31)),
    st.sampled_from([AssetKind.INVENTION, AssetKind.UTILITY_MODEL, AssetKind.DESIGN]),
)
def test_the_registry_and_the_valuation_agree_on_every_patent_term(filed, kind) -> None:
    assert valuation_terms.statutory_expiry(kind, filed) == protection_expiry(kind, filed)


def test_the_valuation_computes_no_term_for_trademarks_copyrights_or_without_a_date() -> None:
    assert valuation_terms.statutory_expiry("trademark", date(2020, 1, 1)) is None
    assert valuation_terms.statutory_expiry("copyright", date(2020, 1, 1)) is None
    assert valuation_terms.statutory_expiry("invention", None) is None


def test_years_in_force_count_the_expiry_day() -> None:
    expiry = date(2030, 5, 9)
    assert valuation_terms.years_in_force(date(2030, 5, 9), expiry) == 1 / 365.25
    assert valuation_terms.years_in_force(date(2030, 5, 10), expiry) == 0.0
    # from the filing date, the whole statutory term
    assert valuation_terms.years_in_force(date(2010, 5, 10), expiry) * 365.25 == 7305


@given(st.dates(date(1985, 4, 1), date(2040, 12, 31)), st.sampled_from(["invention", "design"]))
def test_term_is_whole_years_less_one_day(filed, kind) -> None:
    expiry = protection_expiry(kind, filed)
    years = statutory_term_years(kind, filed)
    # the day after expiry is the N-th anniversary: same month and day, or 1 March for 29 Feb
    following = expiry + timedelta(days=1)
    assert following.year == filed.year + years
    if (filed.month, filed.day) == (2, 29) and following.month == 3:
        assert following.day == 1
    else:
        assert (following.month, following.day) == (filed.month, filed.day)


@pytest.mark.parametrize("kind", ["trademark", "copyright"])
def test_trademarks_and_copyrights_need_an_explicit_expiry(kind) -> None:
    with pytest.raises(MissingExpiry):
        protection_expiry(kind, date(2020, 1, 1))
    with pytest.raises(MissingExpiry):
        protection_expiry(kind, date(2020, 1, 1), date(2019, 12, 31))
    assert protection_expiry(kind, date(2020, 1, 1), date(2030, 1, 6)) == date(2030, 1, 6)


def test_explicit_expiry_of_a_patent() -> None:
    filed = date(2016, 7, 1)
    statutory = date(2036, 6, 30)
    assert protection_expiry("invention", filed, statutory) == statutory
    # term compensation lengthens an invention's term, never shortens it
    assert protection_expiry("invention", filed, date(2037, 1, 1)) == date(2037, 1, 1)
    with pytest.raises(ValueError, match="expires on 2036-06-30"):
        protection_expiry("invention", filed, date(2036, 1, 1))
    with pytest.raises(ValueError):
        protection_expiry("utility_model", filed, date(2027, 1, 1))


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError):
        protection_expiry("domain_name", date(2020, 1, 1))


def test_anniversary_of_a_leap_day() -> None:
    assert anniversary(date(2020, 2, 29), 1) == date(2021, 3, 1)
    assert anniversary(date(2020, 2, 29), 4) == date(2024, 2, 29)


def test_fee_dates_are_the_anniversaries_up_to_until() -> None:
    assert fees_due_dates(date(2020, 2, 29), date(2024, 2, 29)) == [
        date(2021, 3, 1),
        date(2022, 3, 1),
        date(2023, 3, 1),
        date(2024, 2, 29),
    ]
    assert fees_due_dates(date(2020, 5, 10), date(2021, 5, 9)) == []
    assert fees_due_dates(date(2020, 5, 10), date(2021, 5, 10)) == [date(2021, 5, 10)]


@given(st.dates(date(1990, 1, 1), date(2030, 12, 31)), st.integers(0, 25))
def test_one_fee_date_per_completed_year(filed, years) -> None:
    until = anniversary(filed, years)
    due = fees_due_dates(filed, until)
    assert len(due) == years
    assert due == sorted(due) and all(filed < d <= until for d in due)
