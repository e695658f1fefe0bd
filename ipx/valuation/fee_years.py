"""CNIPA's annual fees against the model's three US maintenance-fee stages.

CNIPA numbers annual-fee years from the FILING date: fee year k (k = 1, 2, ...) is the k-th year
of the term counted from filing, k - 1 to k years after it, its fee paid ahead, by its start.
The first fee is paid at grant, for the fee year the grant falls in (granted 3 years 3 months
after filing: fee year 4); the years before grant carry no fee. The last fee year is the last
of the statutory term (20 years from filing for an invention, 10 for a utility model, 10 or 15
for a design: ``ipx.rights``, the rule the registry uses too), so the table stops at expiry.

The USPTO stages fall 3.5, 7.5 and 11.5 years after GRANT (``registry_outcomes.STAGE_MONTHS``:
the registry's outcomes count the same days), i.e. grant lag + 3.5, ... years after filing. A
stage is read as paid when the fee year its day falls in is paid; stage 1 covers the fee years
from grant through its own, stage 2 and 3 the following ones through theirs. A stage whose day
falls after expiry is never reached. Fee years after the stage-3 year are beyond the last stage:
the stage-3 lapse hazard is continued there (``survival-extrapolated``).

The probability that fee year k is paid is read as S at the middle of that year in years since
grant, S(k - 0.5 - lag) (``survival``: log-linear between the knots, a constant lapse hazard per
stage); the fee of the year of grant is paid at grant: 1. In a stage's own fee year the middle
lies within half a year of the stage day, so the probability is close to the stage's. The model
card states the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from ipx.rights import anniversary, statutory_expiry, statutory_term_years
from ipx.valuation.registry_outcomes import STAGE_MONTHS
from ipx.valuation.survival import LAST_OBSERVED_YEAR, survival_scalar
from ipx.valuation.terms import DAYS_PER_YEAR, add_months  # years as the valuer counts them


def fee_year_on(filing_date: date, day: date) -> int:
    """The fee year ``day`` falls in: 1 + the filing anniversaries passed by then."""
    if day < filing_date:
        raise ValueError(f"{day} precedes the filing date {filing_date}")
    year = 1
    while anniversary(filing_date, year) <= day:
        year += 1
    return year


@dataclass(frozen=True)
class FeeCalendar:
    """One patent's fee years, numbered from filing, and where the US stages fall among them."""

    filing_date: date
    grant_date: date
    #: The last day in force (the statutory term from filing).
    expiry: date
    #: The fee year of grant: its fee is the first one, paid at grant.
    first_fee_year: int
    #: The last fee year of the term.
    last_fee_year: int
    #: Stage -> the fee year its day falls in (None: the day is after expiry).
    stage_fee_years: dict[int, int | None]

    @property
    def grant_lag_years(self) -> float:
        return (self.grant_date - self.filing_date).days / DAYS_PER_YEAR

    def stage_covering(self, fee_year: int) -> int | None:
        """The US stage whose lapse risk covers ``fee_year`` (None beyond the last stage)."""
        if not self.first_fee_year <= fee_year <= self.last_fee_year:
            raise ValueError(
                f"fee years run from {self.first_fee_year} (grant) to {self.last_fee_year}"
            )
        for stage, last in sorted(self.stage_fee_years.items()):
            if last is not None and fee_year <= last:
                return stage
        return None

    def midpoint_years_after_grant(self, fee_year: int) -> float:
        """Years after grant at the middle of ``fee_year`` (0 for a middle before grant)."""
        return max(0.0, fee_year - 0.5 - self.grant_lag_years)


def fee_calendar(kind: str, filing_date: date, grant_date: date) -> FeeCalendar:
    """The fee calendar of a patent of ``kind`` filed and granted on these days."""
    if grant_date < filing_date:
        raise ValueError(f"the grant {grant_date} precedes the filing {filing_date}")
    expiry = statutory_expiry(kind, filing_date)
    if grant_date > expiry:
        raise ValueError(f"the grant {grant_date} is after the term's end {expiry}")
    stages: dict[int, int | None] = {}
    for stage, months in enumerate(STAGE_MONTHS, start=1):
        day = add_months(grant_date, months)
        stages[stage] = fee_year_on(filing_date, day) if day <= expiry else None
    return FeeCalendar(
        filing_date=filing_date,
        grant_date=grant_date,
        expiry=expiry,
        first_fee_year=fee_year_on(filing_date, grant_date),
        last_fee_year=statutory_term_years(kind, filing_date),
        stage_fee_years=stages,
    )


def p_fee_year_paid(cumulative: Sequence[float], calendar: FeeCalendar, fee_year: int) -> float:
    """P(fee year ``fee_year`` is paid) from the three cumulative stage probabilities."""
    calendar.stage_covering(fee_year)  # in the term and not before grant, else ValueError
    if fee_year == calendar.first_fee_year:
        return 1.0  # paid at grant
    return survival_scalar(cumulative, calendar.midpoint_years_after_grant(fee_year))


def fee_year_table(cumulative: Sequence[float], calendar: FeeCalendar) -> list[dict]:
    """Each fee year from grant to expiry: when its fee is due (years after filing), the stage
    covering it, whether it is beyond the last stage, and the probability it is paid."""
    return [
        {
            "fee_year": k,
            "due_years_after_filing": k - 1,
            "paid_at_grant": k == calendar.first_fee_year,
            "stage": calendar.stage_covering(k),
            "extrapolated": calendar.midpoint_years_after_grant(k) > LAST_OBSERVED_YEAR,
            "p_paid": round(p_fee_year_paid(cumulative, calendar, k), 6),
        }
        for k in range(calendar.first_fee_year, calendar.last_fee_year + 1)
    ]
