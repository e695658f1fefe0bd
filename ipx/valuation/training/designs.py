"""Validation designs that follow the case a valuation is in.

*Out of time* (train on 2004-2006 grants, test on 2007; stage 3 on 2004 -> January-May 2005),
with its test rows split by whether the owner has patents in the training years: the figures
of a valuation that uses the owner's renewal history. *Unseen owners*: GroupKFold(5) on the
owner and out of time within each fold (train on the other owners' earlier grants, test on the
held-out owners' later grants): the figures of every owner absent from the reference data,
which today is every Chinese owner.

Each fold also scores its stage-1/2 test rows on the serving score scale (the percentile of the
value index among the fold's training rows, scored as serving scores its reference cohort), so
that grade bands can be checked against what those rows did next (`grade_bands`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
from sklearn.model_selection import GroupKFold

from ipx.valuation import features as F
from ipx.valuation.sample import RenewalSample, stage3_observable, stage_rows_and_labels
from ipx.valuation.stages import STAGES, cumulative, owner_seen
from ipx.valuation.training.evaluation import (
    APPROACHES,
    fit_heuristic,
    fit_lightgbm,
    fit_logistic,
    split_matrices,
)

_PERCENTILES = np.linspace(0, 100, 101)
Predictor = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Fold:
    """Held-out predictions of one train/test split, per stage and approach."""

    y: dict[int, np.ndarray]  # stage -> labels of the test risk set
    p: dict[int, dict[str, np.ndarray]]  # stage -> approach -> predictions on that risk set
    seen: dict[int, np.ndarray]  # stage -> the risk-set row's owner has training rows
    test: dict[str, np.ndarray]  # approach -> (n, 3) conditional, every stage-1/2 test row
    test_seen: np.ndarray
    kept2: np.ndarray  # stage-1/2 test rows kept through stage 2 (never censored)
    cohort: dict[str, np.ndarray]  # approach -> (m, 3) conditional on the training rows
    cohort_seen: np.ndarray


def _fit_all(x: np.ndarray, y: np.ndarray, seed: int, stage: int) -> dict[str, Predictor]:
    return {
        "lightgbm": fit_lightgbm(x, y, seed, stage),
        "logistic": fit_logistic(x, y, seed),
        "heuristic": fit_heuristic(x, y, seed),
    }


def run_fold(sample: RenewalSample, tr12, te12, tr3, te3, seed: int) -> Fold:
    """Fit every approach per stage (stages 1-2 on tr12, stage 3 on tr3) and predict."""
    a, xa, b, xb = split_matrices(sample, tr12, te12, seed)
    y, p, seen = {}, {}, {}
    test = {n: np.empty((len(b), 3)) for n in APPROACHES}
    cohort = {n: np.empty((len(a), 3)) for n in APPROACHES}
    for k in STAGES:
        trs, xtr, tes, xte = (a, xa, b, xb) if k < 3 else split_matrices(sample, tr3, te3, seed)
        rtr, ytr = stage_rows_and_labels(trs, k)
        rte, yte = stage_rows_and_labels(tes, k)
        if len(set(ytr.tolist())) < 2:  # nothing to learn (tiny samples): the base rate
            rate = float(ytr.mean()) if len(ytr) else 0.5
            for n in APPROACHES:
                test[n][:, k - 1], cohort[n][:, k - 1] = rate, rate
            continue
        models = _fit_all(xtr[rtr], ytr, seed, k)
        for n, model in models.items():
            test[n][:, k - 1], cohort[n][:, k - 1] = model(xb), model(xa)
        if len(rte):
            y[k], seen[k] = yte, owner_seen(xte[rte])
            p[k] = {n: model(xte[rte]) for n, model in models.items()}
    return Fold(y, p, seen, test, owner_seen(xb), b.payments >= 2, cohort, owner_seen(xa))


def pooled(folds: list[Fold], rows: str = "all") -> dict[int, dict[str, np.ndarray]]:
    """Per stage, labels ('y') and each approach's predictions pooled over the folds;
    `rows` 'seen' or 'unseen' keeps the rows whose owner has (or lacks) training rows."""
    out: dict[int, dict[str, list]] = {}
    for fold in folds:
        for k, preds in fold.p.items():
            keep = {"all": np.ones(len(fold.y[k]), bool), "seen": fold.seen[k]}.get(
                rows, ~fold.seen[k]
            )
            if keep.any():
                d = out.setdefault(k, {})
                d.setdefault("y", []).append(fold.y[k][keep])
                for n, v in preds.items():
                    d.setdefault(n, []).append(v[keep])
    return {k: {n: np.concatenate(v) for n, v in d.items()} for k, d in out.items()}


def served_scores(
    folds: list[Fold], unseen_choice: Mapping[int, str], rows: str
) -> tuple[np.ndarray, np.ndarray]:
    """Scores (serving's scale) and kept-through-stage-2 outcomes of the stage-1/2 test rows,
    each row predicted as serving would: LightGBM for a seen owner, else `unseen_choice`."""
    scores, kept = [], []
    for fold in folds:
        quantiles = np.quantile(
            _value_index(fold.cohort, fold.cohort_seen, unseen_choice), np.linspace(0, 1, 101)
        )
        index = _value_index(fold.test, fold.test_seen, unseen_choice)
        keep = fold.test_seen if rows == "seen" else ~fold.test_seen
        scores.append(np.interp(index[keep], quantiles, _PERCENTILES))
        kept.append(fold.kept2[keep])
    return np.concatenate(scores), np.concatenate(kept)


def _value_index(preds: dict[str, np.ndarray], seen: np.ndarray, choice: Mapping[int, str]):
    conditional = preds["lightgbm"].copy()
    for k, name in choice.items():
        conditional[~seen, k - 1] = preds[name][~seen, k - 1]
    return cumulative(conditional).sum(axis=1)


def out_of_time_folds(sample: RenewalSample, seed: int = 0) -> list[Fold]:
    """The out-of-time design as one fold."""
    years, obs = sample.grant_years, stage3_observable(sample)
    return [
        run_fold(
            sample,
            np.flatnonzero(years <= 2006),
            np.flatnonzero(years == 2007),
            np.flatnonzero(obs & (years == 2004)),
            np.flatnonzero(obs & (years == 2005)),
            seed,
        )
    ]


def unseen_owner_folds(sample: RenewalSample, seed: int = 0, folds: int = 5) -> list[Fold]:
    """GroupKFold on the owner, out of time within each fold."""
    years, obs = sample.grant_years, stage3_observable(sample)
    groups = [F.owner_key(a) for a in sample.assignees]
    out = []
    for train, test in GroupKFold(folds).split(np.zeros(len(sample)), groups=groups):
        tr, te = np.zeros(len(sample), bool), np.zeros(len(sample), bool)
        tr[train], te[test] = True, True
        out.append(
            run_fold(
                sample,
                np.flatnonzero(tr & (years <= 2006)),
                np.flatnonzero(te & (years == 2007)),
                np.flatnonzero(tr & obs & (years == 2004)),
                np.flatnonzero(te & obs & (years == 2005)),
                seed,
            )
        )
    return out
