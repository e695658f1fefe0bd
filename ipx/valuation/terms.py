"""Calendar arithmetic for statutory terms and loan maturities."""

from __future__ import annotations

import calendar
from datetime import date

DAYS_PER_YEAR = 365.25
#: Designs filed from this date get 15 years (Patent Law 2020 amendment), before it 10.
DESIGN_15_YEARS_FROM = date(2021, 6, 1)


def add_months(start: date, months: int) -> date:
    """`start` plus whole months, clamped to the month's last day (Jan 31 + 1 -> Feb 28/29)."""
    if months < 0:
        raise ValueError("loan_term_months must not be negative")
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def years_between(start: date, end: date) -> float:
    """Signed years from start to end (365.25-day years)."""
    return (end - start).days / DAYS_PER_YEAR


def _add_years(start: date, years: int) -> date:
    try:
        return start.replace(year=start.year + years)
    except ValueError:  # 29 February
        return start.replace(year=start.year + years, day=28)


def statutory_expiry(kind: str, filing_date: date | None) -> date | None:
    """End of a Chinese patent's term from its filing date; None for other kinds or no date."""
    if filing_date is None:
        return None
    if kind == "invention":
        return _add_years(filing_date, 20)
    if kind == "utility_model":
        return _add_years(filing_date, 10)
    if kind == "design":
        return _add_years(filing_date, 15 if filing_date >= DESIGN_15_YEARS_FROM else 10)
    return None
