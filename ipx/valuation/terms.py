"""Calendar arithmetic of valuations: statutory expiries, loan maturities, years left in force.

The statutory term is `ipx.rights`' (shared with the registry, so the "term shorter than the
loan" flag and the registry's ground R06 read the same last day in force).
"""

from __future__ import annotations

import calendar
from datetime import date

from ipx.rights import PATENT_KINDS
from ipx.rights import statutory_expiry as _statutory_expiry

DAYS_PER_YEAR = 365.25


def add_months(start: date, months: int) -> date:
    """`start` plus whole months, clamped to the month's last day (Jan 31 + 1 -> Feb 28/29)."""
    if months < 0:
        raise ValueError("loan_term_months must not be negative")
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def statutory_expiry(kind: str, filing_date: date | None) -> date | None:
    """Last day in force of a Chinese patent from its filing date; None for other kinds (their
    expiry must be given) or without a filing date."""
    if filing_date is None or kind not in PATENT_KINDS:
        return None
    return _statutory_expiry(kind, filing_date)


def years_in_force(as_of: date, expiry: date) -> float:
    """Years of protection left from the start of `as_of` through `expiry`, its last day in
    force (one day on the expiry day itself, 0 once it has passed)."""
    return max((expiry - as_of).days + 1, 0) / DAYS_PER_YEAR
