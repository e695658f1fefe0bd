"""Income approach: relief from royalty, weighted by survival, Monte Carlo over the inputs.

Value = sum over the remaining statutory term of
revenue x (1 + growth)^(year-1) x royalty rate x (1 - tax) x P(in force) / (1 + discount)^t,
with t the end of each (possibly partial, last) year. Uncertain inputs, drawn with a numpy
Generator seeded from the request digest so the same request always gives the same range:
revenue lognormal around the stated figure (median = stated, sigma 0.30), royalty rate beta
(mean = stated or default rate, concentration 200), growth normal (sd 0.02). Discount and tax
rates are the bank's policy inputs and are not varied. Money leaves this module as Decimal.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from decimal import ROUND_HALF_EVEN, Decimal

import numpy as np

from ipx.valuation.model import Economics, IncomeValue
from ipx.valuation.terms import DAYS_PER_YEAR

#: Assumed royalty rates by IPC section when the caller gives none (documented, configurable via
#: `Valuer.load(royalty_rates=...)`): mid-points of published licensing-survey ranges.
DEFAULT_ROYALTY_RATES = {
    "A": 0.05,
    "B": 0.03,
    "C": 0.04,
    "D": 0.03,
    "E": 0.03,
    "F": 0.03,
    "G": 0.04,
    "H": 0.035,
}
FALLBACK_ROYALTY_RATE = 0.03
CENTS = Decimal("0.01")


@dataclass(frozen=True)
class Uncertainty:
    """Spread of the Monte Carlo inputs; zeros (and None) make the calculation exact."""

    revenue_sigma: float = 0.30
    royalty_concentration: float | None = 200.0
    growth_sd: float = 0.02
    draws: int = 2000


def year_ends(years_remaining: float) -> np.ndarray:
    """End of each cash-flow year, the last one partial: 2.5 -> [1, 2, 2.5]."""
    if years_remaining <= 0:
        return np.zeros(0)
    ends: np.ndarray = np.minimum(
        np.arange(1, math.ceil(years_remaining) + 1, dtype=float), years_remaining
    )
    return ends


def _draws(
    econ: Economics, royalty: float, unc: Uncertainty, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = unc.draws
    revenue = float(econ.annual_revenue) * np.exp(rng.normal(0.0, unc.revenue_sigma, n))
    if unc.royalty_concentration and 0 < royalty < 1:
        k = unc.royalty_concentration
        rates = rng.beta(royalty * k, (1 - royalty) * k, n)
    else:
        rates = np.full(n, royalty)
    growth = econ.growth + rng.normal(0.0, unc.growth_sd, n)
    return revenue, rates, growth


def relief_from_royalty(
    econ: Economics,
    royalty_rate: float,
    ends: np.ndarray,
    in_force: np.ndarray,
    seed: int,
    uncertainty: Uncertainty = Uncertainty(),
) -> IncomeValue:
    """p10/p50/p90 of the survival-weighted, discounted after-tax royalty savings.

    `ends` are the year ends (years from the valuation date, see `year_ends`) and `in_force`
    the probability the right is still in force at each of them.
    """
    rng = np.random.default_rng(seed)
    revenue, rates, growth = _draws(econ, royalty_rate, uncertainty, rng)
    lengths = np.diff(np.concatenate([[0.0], ends]))
    periods = np.arange(len(ends))
    yearly = revenue[:, None] * (1 + growth[:, None]) ** periods * lengths * rates[:, None]
    factor = (1 - econ.tax_rate) * in_force / (1 + econ.discount_rate) ** ends
    values = (yearly * factor).sum(axis=1) if len(ends) else np.zeros(uncertainty.draws)
    p10, p50, p90 = np.percentile(values, [10, 50, 90])
    assumptions = {
        **{k: (str(v) if isinstance(v, Decimal) else v) for k, v in asdict(econ).items()},
        "royalty_rate": royalty_rate,
        # The remaining term: whole days through the last day in force, and years to two
        # decimals (the calculation itself uses the exact fraction).
        "days": round(float(ends[-1]) * DAYS_PER_YEAR) if len(ends) else 0,
        "years": round(float(ends[-1]), 2) if len(ends) else 0.0,
        "uncertainty": asdict(uncertainty),
    }
    return IncomeValue(_cents(p10), _cents(p50), _cents(p90), assumptions=assumptions)


def _cents(value: float) -> Decimal:
    return Decimal(repr(float(value))).quantize(CENTS, ROUND_HALF_EVEN)
