"""The registry's rules on protection terms: which expiry a record may carry, and fee dates.

The statutory term itself (kinds, years, the design cut-off, the last day in force, leap days)
is `ipx.rights`, shared with the valuation; this module adds what only the registry decides.
"""

from __future__ import annotations

from datetime import date

from ipx.rights import (
    DESIGN_15_YEAR_CUTOFF,
    EXPLICIT_EXPIRY_KINDS,
    PATENT_KINDS,
    anniversary,
    statutory_expiry,
    statutory_term_years,
)

__all__ = [
    "DESIGN_15_YEAR_CUTOFF",
    "MissingExpiry",
    "anniversary",
    "fees_due_dates",
    "protection_expiry",
    "statutory_term_years",
]


class MissingExpiry(ValueError):
    """A trademark or copyright was given without its expiry date, or the expiry is unusable."""


def protection_expiry(kind: str, filing_date: date, explicit_expiry: date | None = None) -> date:
    """The last day on which the right is in force.

    Patents: from the statutory term. An explicit expiry is accepted for an invention only if it
    is not earlier than the statutory one (term compensation, Patent Law Art. 42 para. 2-3);
    for other patents it must equal the statutory expiry. Trademarks and copyrights must carry
    an explicit expiry not earlier than the filing date.
    """
    if kind in EXPLICIT_EXPIRY_KINDS:
        if explicit_expiry is None:
            raise MissingExpiry(f"a {kind} needs an explicit expiry date")
        if explicit_expiry < filing_date:
            raise MissingExpiry(f"the {kind}'s expiry {explicit_expiry} precedes its filing date")
        return explicit_expiry
    if kind not in PATENT_KINDS:
        raise ValueError(f"unknown asset kind {kind!r}")
    statutory = statutory_expiry(kind, filing_date)
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
