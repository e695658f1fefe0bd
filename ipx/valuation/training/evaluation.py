"""Validation a model-risk team can accept: out of time and grouped by owner, three approaches.

Every number here is computed on rows the fitted model never saw (held-out grant years or
held-out owners); nothing is measured on training rows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score
from sklearn.model_selection import GroupKFold

from ipx.valuation import features as F
from ipx.valuation.sample import RenewalSample, stage_rows_and_labels
from ipx.valuation.stages import STAGES
from ipx.valuation.training.fitting import fit_platt, fit_stage, logistic_stage

APPROACHES = ("lightgbm", "logistic", "heuristic")
_HEURISTIC_COLUMNS = [F.INDEX[n] for n in ("claims", "backward_citations", "npl_citations")]


def ece(y: np.ndarray, p: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error over equal-width probability bins."""
    return float(
        sum(r["n"] * abs(r["mean_p"] - r["observed"]) for r in reliability(y, p, bins)) / len(y)
    )


def reliability(y: np.ndarray, p: np.ndarray, bins: int = 10) -> list[dict]:
    """Reliability table: per equal-width bin, count, mean predicted and observed rate."""
    which = np.minimum((p * bins).astype(int), bins - 1)
    table = []
    for b in range(bins):
        m = which == b
        if m.any():
            table.append(
                {
                    "bin": [b / bins, (b + 1) / bins],
                    "n": int(m.sum()),
                    "mean_p": float(p[m].mean()),
                    "observed": float(y[m].mean()),
                }
            )
    return table


def metrics(y: np.ndarray, p: np.ndarray) -> dict:
    """AUC, Brier, log loss, ECE (10 bins) and the reliability table."""
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return {
        "n": int(len(y)),
        "base_rate": float(y.mean()),
        "auc": float(roc_auc_score(y, p)),
        "brier": float(brier_score_loss(y, p)),
        "log_loss": float(log_loss(y, p, labels=[0, 1])),
        "ece": ece(y, p),
        "reliability": reliability(y, p),
    }


def fit_logistic(x: np.ndarray, y: np.ndarray, seed: int) -> Callable[[np.ndarray], np.ndarray]:
    """Baseline: the logistic regression, predicting exactly as serving would."""
    return logistic_stage(x, y, 0).predict


def heuristic_index(x: np.ndarray) -> np.ndarray:
    """Claims-and-citations rule of thumb: sum of log1p(claims, backward and NPL citations)."""
    return np.log1p(x[:, _HEURISTIC_COLUMNS]).sum(axis=1)


def fit_heuristic(x: np.ndarray, y: np.ndarray, seed: int) -> Callable[[np.ndarray], np.ndarray]:
    """The heuristic index mapped to a probability by Platt scaling on the training rows."""
    platt = fit_platt(heuristic_index(x), y)
    return lambda z: platt.apply(heuristic_index(z))


def fit_lightgbm(x: np.ndarray, y: np.ndarray, seed: int, stage: int):
    """The shipped procedure: booster plus Platt calibration on inner held-out folds."""
    return fit_stage(x, y, stage, seed).predict


def split_matrices(sample: RenewalSample, train: np.ndarray, test: np.ndarray, seed: int):
    """Train rows: owner history out of fold; test rows: history from train rows only."""
    tr, te = sample.subset(train), sample.subset(test)
    history = F.OwnerHistory.fit(tr.assignees, tr.payments, tr.observed_stages)
    return tr, F.training_matrix(tr, seed=seed), te, F.scoring_matrix(te, history)


def _score_split(sample, train, test, stages, seed) -> dict[int, dict[str, np.ndarray]]:
    """Held-out predictions of each approach per stage, plus the labels under key 'y'."""
    tr, xtr, te, xte = split_matrices(sample, train, test, seed)
    out = {}
    for k in stages:
        rtr, ytr = stage_rows_and_labels(tr, k)
        rte, yte = stage_rows_and_labels(te, k)
        if len(rte) == 0 or len(set(ytr)) < 2:
            continue
        preds = {"y": yte}
        preds["lightgbm"] = fit_lightgbm(xtr[rtr], ytr, seed, k)(xte[rte])
        preds["logistic"] = fit_logistic(xtr[rtr], ytr, seed)(xte[rte])
        preds["heuristic"] = fit_heuristic(xtr[rtr], ytr, seed)(xte[rte])
        out[k] = preds
    return out


_split_matrices = split_matrices  # the name bench/valuation_stage3.py uses


def summarise(preds: dict[int, dict[str, np.ndarray]], note: Mapping[int, str]) -> dict:
    """Metrics of every approach per stage (stages whose labels are all alike are left out:
    no AUC exists there)."""
    return {
        str(k): {"split": note[k], **{a: metrics(v["y"], v[a]) for a in APPROACHES}}
        for k, v in sorted(preds.items())
        if 0 < v["y"].sum() < len(v["y"])
    }


def grouped_by_owner(sample: RenewalSample, seed: int = 0, folds: int = 5) -> dict:
    """GroupKFold on the owner: pooled predictions for owners never seen in training."""
    groups = [F.owner_key(a) for a in sample.assignees]
    pooled: dict[int, dict[str, list]] = {}
    for train, test in GroupKFold(folds).split(np.zeros(len(sample)), groups=groups):
        for k, preds in _score_split(sample, train, test, STAGES, seed).items():
            for name, values in preds.items():
                pooled.setdefault(k, {}).setdefault(name, []).append(values)
    joined = {k: {n: np.concatenate(v) for n, v in d.items()} for k, d in pooled.items()}
    return summarise(joined, dict.fromkeys(STAGES, f"GroupKFold({folds}) by owner, all years"))
