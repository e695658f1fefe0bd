"""Stage-3 calibration study: candidates compared on owner-grouped folds of 2004 grants only.

    python bench/valuation_stage3.py

The stage-3 out-of-time test rows (observable 2005 grants) are never used to choose: every
candidate is fitted and scored on GroupKFold(5) by owner inside the 2004 training year, with the
same features and owner-history handling as `ipx evaluate`. The model card quotes this table.
"""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
from sklearn.isotonic import IsotonicRegression
from sklearn.model_selection import GroupKFold, KFold

from ipx.valuation import features as F
from ipx.valuation.artifact import MODELS_ROOT
from ipx.valuation.sample import load_sample, stage3_observable, stage_rows_and_labels
from ipx.valuation.training import evaluation as E
from ipx.valuation.training import fitting as T

DATA = MODELS_ROOT.parent / "data" / "samples" / "us-university-renewals.csv"
OWNER_RATES_UP = [int(n in ("owner_keep_rate_s1", "owner_keep_rate_s2")) for n in F.FEATURE_NAMES]


def lightgbm(rounds: int, calibration: str, leaves: int = 4, monotone=None):
    """The shipped procedure with one setting changed: inner 5-fold margins, then calibration."""

    def fit(x, y, seed=0):
        params = {**T.PARAMS, "seed": seed, "num_leaves": leaves}
        if monotone:
            params["monotone_constraints"] = monotone

        def booster(rows):
            data = lgb.Dataset(x[rows], y[rows], feature_name=list(F.FEATURE_NAMES))
            return lgb.train(params, data, num_boost_round=rounds)

        margin = np.empty(len(y))
        for fit_rows, held in KFold(5, shuffle=True, random_state=seed).split(x):
            margin[held] = booster(fit_rows).predict(x[held], raw_score=True)
        full = booster(np.arange(len(y)))
        if calibration == "platt":
            platt = T.fit_platt(margin, y)
            return lambda z: platt.apply(full.predict(z, raw_score=True))
        iso = IsotonicRegression(out_of_bounds="clip", y_min=1e-3, y_max=1 - 1e-3).fit(margin, y)
        return lambda z: iso.predict(full.predict(z, raw_score=True))

    return fit


CANDIDATES = {
    "lightgbm 100 rounds, Platt (shipped)": lightgbm(100, "platt"),
    "lightgbm 50 rounds, Platt": lightgbm(50, "platt"),
    "lightgbm 200 rounds, Platt": lightgbm(200, "platt"),
    "lightgbm 100 rounds, isotonic": lightgbm(100, "isotonic"),
    "lightgbm 50 rounds, isotonic": lightgbm(50, "isotonic"),
    "lightgbm 100, monotone owner rates, Platt": lightgbm(100, "platt", monotone=OWNER_RATES_UP),
    "lightgbm 100 rounds, 2 leaves, Platt": lightgbm(100, "platt", leaves=2),
    "logistic regression": lambda x, y, seed=0: E.fit_logistic(x, y, seed),
}


def main() -> None:
    """Print the fold table for the 2004 stage-3 risk set."""
    sample = load_sample(DATA)
    train = sample.subset(np.flatnonzero(stage3_observable(sample) & (sample.grant_years == 2004)))
    groups = [F.owner_key(a) for a in train.assignees]
    pooled: dict[str, list] = {c: [] for c in CANDIDATES}
    labels = []
    for fit_idx, test_idx in GroupKFold(5).split(np.zeros(len(train)), groups=groups):
        tr, xtr, te, xte = E._split_matrices(train, fit_idx, test_idx, 0)
        rtr, ytr = stage_rows_and_labels(tr, 3)
        rte, yte = stage_rows_and_labels(te, 3)
        labels.append(yte)
        for name, fit in CANDIDATES.items():
            pooled[name].append(fit(xtr[rtr], ytr)(xte[rte]))
    y = np.concatenate(labels)
    print(f"stage 3, 2004 grants, GroupKFold(5) by owner: n {len(y)}, base rate {y.mean():.3f}\n")
    print("| candidate | AUC | Brier | log loss | ECE |\n| --- | ---: | ---: | ---: | ---: |")
    for name in CANDIDATES:
        m = E.metrics(y, np.concatenate(pooled[name]))
        scores = f"{m['auc']:.3f} | {m['brier']:.4f} | {m['log_loss']:.4f} | {m['ece']:.4f}"
        print(f"| {name} | {scores} |")


if __name__ == "__main__":
    main()
