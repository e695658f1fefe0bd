"""Training with the registry's own outcomes: validate on the registry's rows, compare in the
same run with the bundled model, and refuse a candidate that does worse there.

The candidate is fitted on the US sample plus the registry's training rows; both it and the
bundled model are scored on the same held-out registry rows, in two designs: *out of time*
(the latest fifth of registry grants held out) and *grouped by owner* (GroupKFold on the
registry's owner digests, so every held-out owner is new to the candidate). Owner history of
training rows is out of fold and held-out rows see only training rows' history, as in training
on the US sample, so no row's own outcome reaches its features.
"""

from __future__ import annotations

import numpy as np
from sklearn.model_selection import GroupKFold

from ipx.valuation import features as F
from ipx.valuation.artifact import Artifact
from ipx.valuation.sample import RenewalSample, join_samples, stage_rows_and_labels
from ipx.valuation.stages import STAGES, owner_seen
from ipx.valuation.training.evaluation import (
    fit_lightgbm,
    fit_logistic,
    metrics,
    split_matrices,
)

#: Stages the refusal is judged on (stage 3 rarely has registry outcomes yet).
JUDGED_STAGES = (1, 2)
#: Held-out rows a stage needs before its Brier score is compared.
MIN_HELD_OUT = 30
HOLDOUT_SHARE = 0.2


def observed_outcomes(registry: RenewalSample) -> int:
    """Registry rows with at least one stage's outcome known."""
    return int((registry.observed() >= 1).sum())


def _splits(us: RenewalSample, registry: RenewalSample):
    """(design, train, test) index sets into the joined sample: registry rows only in test."""
    n = len(us)
    ordinal = np.array([d.toordinal() for d in registry.grant_dates])
    cut = np.quantile(ordinal, 1 - HOLDOUT_SHARE)
    later = ordinal >= cut
    base = np.arange(n)
    yield (
        "out_of_time",
        np.concatenate([base, n + np.flatnonzero(~later)]),
        n + np.flatnonzero(later),
    )
    groups = [F.owner_key(a) for a in registry.assignees]
    folds = min(5, len(set(groups)))
    if folds < 2:
        return
    for train, test in GroupKFold(folds).split(np.zeros(len(registry)), groups=groups):
        yield "grouped_by_owner", np.concatenate([base, n + train]), n + test


def registry_validation(
    us: RenewalSample,
    registry: RenewalSample,
    bundled: Artifact,
    unseen_logistic: tuple[int, ...],
    seed: int = 0,
) -> dict:
    """Per design and stage: the candidate's and the bundled model's held-out figures on the
    registry's rows, and whether the candidate may be written."""
    joined = join_samples(us, registry)
    pooled: dict[str, dict[int, dict[str, list]]] = {}
    for design, train, test in _splits(us, registry):
        tr, xtr, te, xte = split_matrices(joined, train, test, seed)
        bundled_p = bundled.model.conditional(F.scoring_matrix(te, bundled.model.history))
        for k in STAGES:
            rtr, ytr = stage_rows_and_labels(tr, k)
            rte, yte = stage_rows_and_labels(te, k)
            if not len(rte) or len(set(ytr.tolist())) < 2:
                continue
            candidate = fit_lightgbm(xtr[rtr], ytr, seed, k)(xte[rte])
            if k in unseen_logistic:  # held-out owners new to the candidate, as in serving
                unseen = ~owner_seen(xte[rte])
                candidate[unseen] = fit_logistic(xtr[rtr], ytr, seed)(xte[rte][unseen])
            d = pooled.setdefault(design, {}).setdefault(
                k, {"y": [], "candidate": [], "bundled": []}
            )
            d["y"].append(yte.astype(float))
            d["candidate"].append(candidate)
            d["bundled"].append(bundled_p[rte, k - 1])
    return _judge(pooled)


def _judge(pooled: dict) -> dict:
    report: dict = {"designs": {}, "worse": []}
    for design, stages in pooled.items():
        for k, d in sorted(stages.items()):
            y = np.concatenate(d["y"])
            if len(y) < MIN_HELD_OUT or not 0 < y.sum() < len(y):
                continue
            figures = {m: metrics(y, np.concatenate(d[m])) for m in ("candidate", "bundled")}
            report["designs"].setdefault(design, {})[str(k)] = figures
            if k in JUDGED_STAGES and figures["candidate"]["brier"] > figures["bundled"]["brier"]:
                report["worse"].append(
                    f"{design}, stage {k}: Brier {figures['candidate']['brier']:.4f} against "
                    f"the bundled model's {figures['bundled']['brier']:.4f} on {len(y)} "
                    "held-out registry rows"
                )
    judged = [k for stages in report["designs"].values() for k in stages if int(k) in JUDGED_STAGES]
    if not judged:
        report["worse"].append(
            f"no stage in {JUDGED_STAGES} has {MIN_HELD_OUT} held-out registry rows with both "
            "outcomes: nothing shows the candidate is not worse"
        )
    report["may_ship"] = not report["worse"]
    return report
