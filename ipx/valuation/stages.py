"""The fitted survival model as serving uses it: one calibrated booster per fee stage.

Why one model per stage rather than one model with the stage as an input: the stage-3 risk set
is a different population (only 2004 and early-2005 grants are observable), the drivers of
keeping a patent differ between the first and the last fee, and separate models keep each
stage's calibration and explanation self-contained. Fitting is offline, in
`ipx.valuation.training`; nothing here fits anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
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


#: Columns the logistic regression reads as log1p: the counts, the grant lag, the owner's count.
LOG1P_FEATURES = (*F.COUNT_FEATURES, "grant_lag_days", "owner_history_n")
_LOG1P_COLUMNS = [F.INDEX[n] for n in LOG1P_FEATURES]


def log1p_features(x: np.ndarray) -> np.ndarray:
    """The logistic regression's inputs: `x` with the LOG1P_FEATURES columns log1p'd."""
    z = np.array(x, dtype=float)
    z[:, _LOG1P_COLUMNS] = np.log1p(z[:, _LOG1P_COLUMNS])
    return z


@dataclass(frozen=True)
class LogisticStage:
    """A fee stage served by an L2 logistic regression on standardised log1p features.

    Stored as plain JSON numbers (never pickled). Serving uses it for owners absent from the
    reference data at the stages where it validated better than LightGBM for such owners.
    """

    stage: int
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    def contributions(self, x: np.ndarray) -> np.ndarray:
        """(n, features) exact contributions to the log-odds (the intercept is the rest)."""
        return self.coef * ((log1p_features(x) - self.mean) / self.scale)

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Probability of paying this stage's fee."""
        logit = self.contributions(x).sum(axis=1) + self.intercept
        return 1.0 / (1.0 + np.exp(-logit))

    def to_json(self) -> dict:
        """Plain-JSON form (floats round-trip exactly through Python's repr)."""
        return {
            "stage": self.stage,
            "kind": "logistic regression (L2, C=1) on standardised features",
            "feature_names": list(F.FEATURE_NAMES),
            "log1p_features": list(LOG1P_FEATURES),
            "mean": self.mean.tolist(),
            "scale": self.scale.tolist(),
            "coef": self.coef.tolist(),
            "intercept": self.intercept,
        }

    @classmethod
    def from_json(cls, data: dict) -> LogisticStage:
        """Inverse of `to_json`; refuses a file written for other features."""
        if data["feature_names"] != list(F.FEATURE_NAMES) or data["log1p_features"] != list(
            LOG1P_FEATURES
        ):
            raise ValueError("logistic stage written for other features")
        return cls(
            int(data["stage"]),
            np.asarray(data["mean"], float),
            np.asarray(data["scale"], float),
            np.asarray(data["coef"], float),
            float(data["intercept"]),
        )


@dataclass(frozen=True)
class SurvivalModel:
    """Three stage models plus what serving needs to build features.

    `unseen_owner` holds the stages served by a logistic regression for owners absent from
    the reference data (empty when LightGBM validated better for them at every stage).
    """

    stages: dict[int, StageModel]
    history: F.OwnerHistory
    defaults: dict[str, float | str]
    unseen_owner: dict[int, LogisticStage] = field(default_factory=dict)

    def conditional(self, x: np.ndarray) -> np.ndarray:
        """(n, 3) calibrated conditional probabilities of paying each stage, each row by the
        model of its case (owner in the reference data or not)."""
        out = np.column_stack([self.stages[k].predict(x) for k in STAGES])
        unseen = ~owner_seen(x)
        if unseen.any():
            for k, stage in self.unseen_owner.items():
                out[unseen, k - 1] = stage.predict(x[unseen])
        return out


def owner_seen(x: np.ndarray) -> np.ndarray:
    """Rows whose owner has patents in the reference data (its renewal history is used)."""
    return np.asarray(x)[:, F.INDEX["owner_history_n"]] > 0


def cumulative(conditional: np.ndarray) -> np.ndarray:
    """Survival through each stage: running product of the conditional probabilities."""
    return np.cumprod(conditional, axis=1)
