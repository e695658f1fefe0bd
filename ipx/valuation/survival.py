"""Survival curve in continuous time from the three fee-stage probabilities.

Knots at the US maintenance-fee dates (3.5, 7.5, 11.5 years after grant) with a constant lapse
hazard inside each interval: this is how the yearly Chinese annual fees are mapped onto the three
US stages (each stage's lapse risk spread evenly over the years it covers). Past the last knot
the stage-3 hazard is continued; callers flag that as extrapolation.
"""

from __future__ import annotations

import math

import numpy as np

STAGE_YEARS = np.array([3.5, 7.5, 11.5])
_KNOTS = np.concatenate([[0.0], STAGE_YEARS])
LAST_OBSERVED_YEAR = float(STAGE_YEARS[-1])


def survival_at(cumulative: np.ndarray, years: np.ndarray | float) -> np.ndarray:
    """S(t) for t years since grant, given cumulative survival through the three stages."""
    log_s = np.log(np.clip(np.concatenate([[1.0], np.asarray(cumulative, float)]), 1e-12, 1.0))
    t = np.maximum(np.asarray(years, float), 0.0)
    inside = np.interp(t, _KNOTS, log_s)  # log-linear = constant hazard per interval
    last_rate = (log_s[-1] - log_s[-2]) / (_KNOTS[-1] - _KNOTS[-2])
    beyond = log_s[-1] + last_rate * (t - _KNOTS[-1])
    return np.exp(np.where(t > _KNOTS[-1], beyond, inside))


def conditional_survival(cumulative: np.ndarray, from_years: float, to_years) -> np.ndarray:
    """P(in force at `to_years` | in force at `from_years`), both in years since grant."""
    start = survival_at(cumulative, from_years)
    return np.minimum(survival_at(cumulative, to_years) / start, 1.0)


def survival_scalar(cumulative, years: float) -> float:
    """`survival_at` for one time point in plain Python (the per-request serving path)."""
    log_s = [0.0, *(math.log(max(min(float(c), 1.0), 1e-12)) for c in cumulative)]
    knots = (0.0, *STAGE_YEARS.tolist())
    t = max(years, 0.0)
    for i in range(1, 4):
        if t <= knots[i]:
            w = (t - knots[i - 1]) / (knots[i] - knots[i - 1])
            return math.exp(log_s[i - 1] + w * (log_s[i] - log_s[i - 1]))
    rate = (log_s[3] - log_s[2]) / (knots[3] - knots[2])
    return math.exp(log_s[3] + rate * (t - knots[3]))


def log_survival(cumulative: np.ndarray) -> np.ndarray:
    """(n, 4) log S at the knots (0, 3.5, 7.5, 11.5) for (n, 3) cumulative survival.

    `math.log` element by element, like `survival_scalar`, so batch and single valuations agree
    to the last bit (numpy's vectorised log may differ from libm in the last place).
    """
    clipped = np.clip(np.asarray(cumulative, float), 1e-12, 1.0)
    logs = np.fromiter(map(math.log, clipped.ravel().tolist()), float, clipped.size)
    return np.column_stack([np.zeros(len(clipped)), logs.reshape(clipped.shape)])


def survival_points(log_s: np.ndarray, years: np.ndarray) -> np.ndarray:
    """`survival_scalar` row by row, vectorised: S(years[i]) of curve `log_s[i]`."""
    t = np.maximum(np.asarray(years, float), 0.0)
    rows = np.arange(len(t))
    i = np.minimum(np.searchsorted(STAGE_YEARS, t, side="left"), 2)  # interval of t (last: 2)
    lo, hi = log_s[rows, i], log_s[rows, i + 1]
    w = (t - _KNOTS[i]) / (_KNOTS[i + 1] - _KNOTS[i])
    inside = lo + w * (hi - lo)
    rate = (log_s[:, 3] - log_s[:, 2]) / (_KNOTS[3] - _KNOTS[2])
    beyond = log_s[:, 3] + rate * (t - _KNOTS[3])
    logs = np.where(t > _KNOTS[3], beyond, inside)
    return np.fromiter(map(math.exp, logs.tolist()), float, len(logs))
