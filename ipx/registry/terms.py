"""Statutory protection terms and the annual-fee calendar of Chinese patents.

Dates follow one convention throughout: an N-year term "counted from the filing date" (Patent
Law Art. 42) covers the filing date itself, so the right is in force through the day *before*
the N-th filing anniversary; `protection_expiry` returns that last day in force. A filing date
of 29 February has its anniversary on 1 March in common years, so the last day is 28 February
(the same day the Civil Code Art. 202 "no corresponding day -> end of month" rule gives).
"""

from __future__ import annotations

from datetime import date, timedelta

__all__ = [
    "DESIGN_15_YEAR_CUTOFF",
    "MissingExpiry",
    "anniversary",
    "fees_due_dates",
    "protection_expiry",
    "statutory_term_years",
]

# The fourth amendment of the Patent Law (in force 2021-06-01) raised the design term to 15 years
# for applications filed on or after that day.
DESIGN_15_YEAR_CUTOFF = date(2021, 6, 1)
_PATENT_KINDS = ("invention", "utility_model", "design")
_EXPLICIT_KINDS = ("trademark", "copyright")


class MissingExpiry(ValueError):
    """A trademark or copyright was given without its expiry date, or the expiry is unusable."""


def anniversary(start: date, years: int) -> date:
    """`start` moved by whole years; 29 February becomes 1 March in a common year."""
    try:
        return start.replace(year=start.year + years)
    except ValueError:  # 29 February in a common year
        return date(start.year + years, 3, 1)


def statutory_term_years(kind: str, filing_date: date) -> int:
    """Years of protection of a patent of `kind` filed on `filing_date`."""
    if kind == "invention":
        return 20
    if kind == "utility_model":
        return 10
    if kind == "design":
        return 10 if filing_date < DESIGN_15_YEAR_CUTOFF else 15
    raise ValueError(f"{kind!r} has no statutory term; it needs an explicit expiry")


def protection_expiry(kind: str, filing_date: date, explicit_expiry: date | None = None) -> date:
    """The last day on which the right is in force.

    Patents: from the statutory term. An explicit expiry is accepted for an invention only if it
    is not earlier than the statutory one (term compensation, Patent Law Art. 42 para. 2-3);
    for other patents it must equal the statutory expiry. Trademarks and copyrights must carry
    an explicit expiry not earlier than the filing date.
    """
    if kind in _EXPLICIT_KINDS:
        if explicit_expiry is None:
            raise MissingExpiry(f"a {kind} needs an explicit expiry date")
        if explicit_expiry < filing_date:
            raise MissingExpiry(f"the {kind}'s expiry {explicit_expiry} precedes its filing date")
        return explicit_expiry
    if kind not in _PATENT_KINDS:
        raise ValueError(f"unknown asset kind {kind!r}")
    statutory = anniversary(filing_date, statutory_term_years(kind, filing_date)) - timedelta(1)
    if explicit_expiry is None or explicit_expiry == statutory:
        return statutory
    if kind == "invention" and explicit_expiry > statutory:
        return explicit_expiry
    raise ValueError(
        f"a {kind.replace('_', ' ')} filed on {filing_date} expires on {statutory}, "
        f"not {explicit_expiry}"
    )


def fees_due_dates(filing_date: date, until: date) -> list[date]:
    """Filing-date anniversaries after `filing_date` up to and including `until`.

    Each is the day a new fee year starts and its annual fee falls due (the fee for the first
    year is paid at grant, so it is not listed). A six-month grace period with a surcharge
    follows each due date; a right lapses only after it.
    """
    due: list[date] = []
    years = 1
    while (day := anniversary(filing_date, years)) <= until:
        due.append(day)
        years += 1
    return due
