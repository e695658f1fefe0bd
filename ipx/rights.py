"""Facts about IP rights that both the registry and the valuation rely on.

The asset kinds, the bibliographic counts a patent record carries, and the statutory protection
term live here once, so the two contexts cannot drift apart (they once disagreed by a day on
every patent's expiry). Standard library only: no Flask, no SQLAlchemy, no NumPy.

Dates follow one convention: an N-year term "counted from the filing date" (Patent Law Art. 42)
covers the filing date itself, so the right is in force through the day *before* the N-th filing
anniversary, and an expiry date is that last day in force (an invention filed 2010-05-10 is in
force through 2030-05-09). A filing date of 29 February has its anniversary on 1 March in a
common year, so its term ends on 28 February whether or not the last year is a leap year (the
Civil Code Art. 202 "no corresponding day -> end of month" rule gives the same day).
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum

__all__ = [
    "DESIGN_15_YEAR_CUTOFF",
    "EXPLICIT_EXPIRY_KINDS",
    "PATENT_COUNTS",
    "PATENT_KINDS",
    "AssetKind",
    "anniversary",
    "statutory_expiry",
    "statutory_term_years",
]


class AssetKind(StrEnum):
    """Kinds of registered IP."""

    INVENTION = "invention"
    UTILITY_MODEL = "utility_model"
    DESIGN = "design"
    TRADEMARK = "trademark"
    COPYRIGHT = "copyright"

    @property
    def is_patent(self) -> bool:
        """Inventions, utility models and designs: rights with a statutory term."""
        return self in PATENT_KINDS


#: Patents: their term follows from the kind and the filing date.
PATENT_KINDS = frozenset({AssetKind.INVENTION, AssetKind.UTILITY_MODEL, AssetKind.DESIGN})
#: Rights whose record must carry its expiry date (no statutory term is computed for them).
EXPLICIT_EXPIRY_KINDS = frozenset({AssetKind.TRADEMARK, AssetKind.COPYRIGHT})

#: Bibliographic counts a patent record may carry: the registry stores them, the valuation
#: model reads them (its inputs besides the dates, the IPC section and the owner).
PATENT_COUNTS: tuple[str, ...] = (
    "claims",
    "backward_citations",
    "npl_citations",
    "family_size",
    "inventors",
    "similar_docs",
)

#: The fourth amendment of the Patent Law (in force 2021-06-01) raised the design term to 15
#: years for applications filed on or after that day.
DESIGN_15_YEAR_CUTOFF = date(2021, 6, 1)


def anniversary(start: date, years: int) -> date:
    """`start` moved by whole years; 29 February becomes 1 March in a common year."""
    try:
        return start.replace(year=start.year + years)
    except ValueError:  # 29 February in a common year
        return date(start.year + years, 3, 1)


def statutory_term_years(kind: str, filing_date: date) -> int:
    """Years of protection of a patent of `kind` filed on `filing_date`."""
    if kind == AssetKind.INVENTION:
        return 20
    if kind == AssetKind.UTILITY_MODEL:
        return 10
    if kind == AssetKind.DESIGN:
        return 10 if filing_date < DESIGN_15_YEAR_CUTOFF else 15
    raise ValueError(f"{kind!r} has no statutory term; it needs an explicit expiry")


def statutory_expiry(kind: str, filing_date: date) -> date:
    """The last day in force of a patent of `kind` filed on `filing_date` (the day before the
    term's last filing anniversary). Raises ValueError for kinds without a statutory term."""
    years = statutory_term_years(kind, filing_date)
    return anniversary(filing_date, years) - timedelta(days=1)
