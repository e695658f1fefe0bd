"""The fitted survival model as serving uses it: one calibrated booster per fee stage.

Why one model per stage rather than one model with the stage as an input: the stage-3 risk set
is a different population (only 2004 and early-2005 grants are observable), the drivers of
keeping a patent differ between the first and the last fee, and separate models keep each
stage's calibration and explanation self-contained. Fitting is offline, in
`ipx.valuation.training`; nothing here fits anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

import numpy as np

from ipx.valuation import features as F

if TYPE_CHECKING:  # boosters arrive built (artifact loading or training); only the type here
    import lightgbm as lgb

STAGES = (1, 2, 3)


@dataclass(frozen=True)
class Platt:
    """Calibration map p = sigmoid(a * margin + b), fitted on out-of-fold margins.

    Platt (not isotonic) because it is affine in log-odds: SHAP contributions of the raw
    margin times `a` are exact contributions to the calibrated log-odds.
    """

    a: float
    b: float

    def apply(self, margin: np.ndarray) -> np.ndarray:
        """Calibrated probability for raw LightGBM margins."""
        return 1.0 / (1.0 + np.exp(-(self.a * margin + self.b)))


@dataclass(frozen=True)
class StageModel:
    """A fee stage: raw booster plus its calibration."""

    stage: int
    booster: lgb.Booster
    platt: Platt

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Calibrated conditional probability of paying this stage's fee."""
        # One thread for small inputs: waking OpenMP workers costs more than it saves and
        # makes the tail latency of single valuations erratic.
        threads = 1 if len(x) < 2048 else 0
        # Dense input: the booster answers an ndarray (its type also allows sparse matrices).
        margin = cast("np.ndarray", self.booster.predict(x, raw_score=True, num_threads=threads))
        return self.platt.apply(margin)


@dataclass(frozen=True)
class SurvivalModel:
    """Three stage models plus what serving needs to build features."""

    stages: dict[int, StageModel]
    history: F.OwnerHistory
    defaults: dict[str, float | str]

    def conditional(self, x: np.ndarray) -> np.ndarray:
        """(n, 3) calibrated conditional probabilities of paying each stage."""
        return np.column_stack([self.stages[k].predict(x) for k in STAGES])


def cumulative(conditional: np.ndarray) -> np.ndarray:
    """Survival through each stage: running product of the conditional probabilities."""
    return np.cumprod(conditional, axis=1)
