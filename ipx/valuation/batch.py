"""A batch of valuation requests as columns, and the per-row dates and probabilities over it.

Everything a result needs that is not a model prediction is computed here for the whole batch
at once: kinds, valuation dates, statutory expiries, years since grant, loan maturities and the
probability of being in force at maturity. Repeated values (the same filing date, the same
valuation date and loan term) are computed once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from ipx.rights import AssetKind
from ipx.valuation import features as F
from ipx.valuation.feature_batch import registry_matrix
from ipx.valuation.model import MODELLED_KINDS, ValuationRequest
from ipx.valuation.survival import LAST_OBSERVED_YEAR, log_survival, survival_points
from ipx.valuation.terms import DAYS_PER_YEAR, add_months, statutory_expiry

_KINDS = {k.value: k for k in AssetKind}  # a StrEnum member hashes and compares as its value
_NO_DATE = 0  # date.min.toordinal() is 1


def _ordinals(dates) -> np.ndarray:
    return np.array([d.toordinal() if d else _NO_DATE for d in dates], dtype=np.int64)


@dataclass(frozen=True)
class Batch:
    """Requests as columns, with the feature matrix and the imputed-input mask."""

    kinds: list[AssetKind]
    as_of: list[date]
    x: np.ndarray
    imputed: np.ndarray  # (n, len(F.IMPUTABLE)) bool
    modelled: np.ndarray
    explain: np.ndarray
    frozen: np.ndarray
    lapsed: np.ndarray
    granted: np.ndarray
    expiry: list[date | None]
    as_of_days: np.ndarray
    expiry_days: np.ndarray  # _NO_DATE when unknown
    since_grant: np.ndarray  # years from grant to as_of; 0 when not granted
    loan_months: list[int | None]

    @classmethod
    def of(cls, requests: Sequence[ValuationRequest], today: date, model) -> Batch:
        """Columns of `requests`; invalid input raises the first request's own ValueError."""
        try:
            kinds = [_KINDS[r.kind] for r in requests]
        except (KeyError, TypeError):
            _raise_first_error(requests, model)
            raise
        x, imputed = registry_matrix(
            [r.features for r in requests],
            ipcs=[r.ipc for r in requests],
            filing_dates=[r.filing_date for r in requests],
            grant_dates=[r.grant_date for r in requests],
            owners=[r.owner for r in requests],
            defaults=model.defaults,
            history=model.history,
        )
        as_of = [r.as_of or today for r in requests]
        expiry = _expiries(requests, kinds)
        as_of_days, grant_days = _ordinals(as_of), _ordinals(r.grant_date for r in requests)
        granted = grant_days != _NO_DATE
        since = np.where(granted, (as_of_days - grant_days) / DAYS_PER_YEAR, 0.0)
        n = len(requests)
        return cls(
            kinds=kinds,
            as_of=as_of,
            x=x,
            imputed=imputed,
            modelled=np.array([k in MODELLED_KINDS for k in kinds], dtype=bool),
            explain=np.fromiter((r.explain for r in requests), bool, n),
            frozen=np.fromiter((r.frozen for r in requests), bool, n),
            lapsed=np.fromiter((r.lapsed for r in requests), bool, n),
            granted=granted,
            expiry=expiry,
            as_of_days=as_of_days,
            expiry_days=_ordinals(expiry),
            since_grant=since,
            loan_months=[r.loan_term_months for r in requests],
        )

    def imputed_lists(self) -> list[list[str]]:
        """Names of the imputed inputs per row (modelled kinds only), in IMPUTABLE order."""
        mask = self.imputed & self.modelled[:, None]
        codes = mask @ (1 << np.arange(mask.shape[1]))
        names = {
            int(c): tuple(n for j, n in enumerate(F.IMPUTABLE) if int(c) >> j & 1)
            for c in np.unique(codes)
        }
        return [list(names[c]) for c in codes.tolist()]


def _expiries(requests: Sequence[ValuationRequest], kinds: list[AssetKind]) -> list[date | None]:
    """The given expiry date, else the statutory one (computed once per kind and filing date)."""
    statutory: dict = {}
    out = []
    for r, k in zip(requests, kinds, strict=True):
        if r.expiry_date is None:
            key = (k, r.filing_date)
            if key not in statutory:
                statutory[key] = statutory_expiry(k, r.filing_date)
            out.append(statutory[key])
        else:
            out.append(r.expiry_date)
    return out


def _raise_first_error(requests: Sequence[ValuationRequest], model) -> None:
    """Check requests one by one in order, as a single valuation would, raising the first error."""
    for r in requests:
        AssetKind(r.kind)
        F.registry_vector(
            r.features,
            ipc=r.ipc,
            filing_date=r.filing_date,
            grant_date=r.grant_date,
            owner=r.owner,
            defaults=model.defaults,
            history=model.history,
        )


@dataclass(frozen=True)
class Maturity:
    """Per row: the loan's maturity (None without a term) and P(in force at maturity) (NaN when
    not asked or not modelled); which rows the term outlasts and which are extrapolated."""

    dates: list[date | None]
    p: np.ndarray
    term_shorter: np.ndarray
    extrapolated: np.ndarray


def maturity_probabilities(b: Batch, survival: np.ndarray) -> Maturity:
    """P(in force at the loan's maturity | in force at as_of) from each row's survival curve."""
    n = len(b.kinds)
    asked = np.array([m is not None for m in b.loan_months], dtype=bool) & b.modelled
    dates: list[date | None] = [None] * n
    cache: dict = {}
    for i in np.flatnonzero(asked).tolist():
        months = b.loan_months[i]
        assert months is not None  # asked
        key = (b.as_of[i], months)
        dates[i] = cache.get(key) or cache.setdefault(key, add_months(*key))
    maturity_days = _ordinals(dates)
    known_expiry = b.expiry_days != _NO_DATE
    term_shorter = asked & known_expiry & (b.expiry_days < maturity_days)
    curve = asked & ~term_shorter & ~b.lapsed
    to_years = b.since_grant + (maturity_days - b.as_of_days) / DAYS_PER_YEAR
    p = np.full(n, np.nan)
    p[asked] = 0.0
    rows = np.flatnonzero(curve)
    if len(rows):
        log_s = log_survival(survival[rows])
        years = np.append(b.since_grant[rows], to_years[rows])  # start and end in one call
        both = survival_points(np.tile(log_s, (2, 1)), years)
        start, end = both[: len(rows)], both[len(rows) :]
        p[rows] = np.minimum(end / start, 1.0)
    return Maturity(dates, p, term_shorter, curve & (to_years > LAST_OBSERVED_YEAR))
