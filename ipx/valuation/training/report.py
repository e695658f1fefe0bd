"""The validation report training writes into metadata.json: every design, the choice of the
model served to owners absent from the reference data, and each case's grade bands.

Every figure is on rows the evaluated model never saw (held-out grant years, held-out owners).
"""

from __future__ import annotations

from ipx.valuation.stages import STAGES
from ipx.valuation.training.designs import (
    out_of_time_folds,
    pooled,
    served_scores,
    unseen_owner_folds,
)
from ipx.valuation.training.evaluation import grouped_by_owner, metrics, summarise
from ipx.valuation.training.grade_bands import draw_bands

OWNER_HISTORY, UNSEEN_OWNER = "owner-history", "unseen-owner"
_OOT = {
    1: "train 2004-2006, test 2007",
    2: "train 2004-2006, test 2007",
    3: "train 2004, test observable 2005 (Jan-May)",
}
_UNSEEN = {k: f"GroupKFold(5) by owner; within each fold {v} grants" for k, v in _OOT.items()}
DESIGNS = {
    OWNER_HISTORY: "out of time; test rows whose owner has patents in the training years",
    UNSEEN_OWNER: "grouped by owner (GroupKFold(5)), out of time within each fold",
}


def beats(report: dict, approach: str = "lightgbm", other: str = "logistic") -> dict[str, bool]:
    """Per stage: `approach` has the higher AUC and the lower Brier score than `other`."""
    return {
        k: r[approach]["auc"] > r[other]["auc"] and r[approach]["brier"] < r[other]["brier"]
        for k, r in report.items()
    }


def validation_report(sample, seed: int = 0) -> dict:
    """Both cases' designs (the headline), the earlier designs, the served choice, the bands."""
    oot, unseen = out_of_time_folds(sample, seed), unseen_owner_folds(sample, seed)
    report = {
        "unseen_owners": summarise(pooled(unseen), _UNSEEN),
        "with_history": summarise(pooled(oot, "seen"), _OOT),
        "out_of_time": summarise(pooled(oot), _OOT),
        "out_of_time_owner_absent": summarise(pooled(oot, "unseen"), _OOT),
        "grouped_by_owner": grouped_by_owner(sample, seed),
    }
    report["lightgbm_beats_logistic"] = {
        k: v for k, v in beats(report["out_of_time"]).items() if k in ("1", "2")
    }
    report["lightgbm_beats_logistic_unseen_owners"] = beats(report["unseen_owners"])
    choice = {
        int(k): "lightgbm" if wins else "logistic"
        for k, wins in report["lightgbm_beats_logistic_unseen_owners"].items()
    }
    report["served"] = {
        OWNER_HISTORY: dict.fromkeys([str(k) for k in STAGES], "lightgbm"),
        UNSEEN_OWNER: {str(k): choice.get(k, "lightgbm") for k in STAGES},
    }
    report["served_out_of_time"] = _served_metrics(oot, choice)
    report["grade_bands"] = {
        OWNER_HISTORY: draw_bands(*served_scores(oot, choice, "seen")),
        UNSEEN_OWNER: draw_bands(*served_scores(unseen, choice, "unseen")),
    }
    return report


def _served_metrics(folds, choice: dict[int, str]) -> dict:
    """Out-of-time figures of what is served: LightGBM for owners with training rows, the
    unseen-owner choice for the others (the held-out figure of the shipped model)."""
    out = {}
    for fold in folds:  # out of time is a single fold
        for k, preds in fold.p.items():
            served = preds["lightgbm"].copy()
            other = ~fold.seen[k]
            served[other] = preds[choice.get(k, "lightgbm")][other]
            y = fold.y[k]
            if 0 < y.sum() < len(y):
                out[str(k)] = {"split": _OOT[k], **metrics(y.astype(float), served)}
    return out


def served_approach(report: dict, case: str, stage: int) -> str:
    """Which approach serves `case` at `stage` (LightGBM when the report has no choice)."""
    return report.get("served", {}).get(case, {}).get(str(stage), "lightgbm")


def case_figures(report: dict, case: str) -> list[dict]:
    """The served approach's held-out figures of a case, per stage, from its own design."""
    key = "with_history" if case == OWNER_HISTORY else "unseen_owners"
    out = []
    for stage, result in sorted(report.get(key, {}).items()):
        name = served_approach(report, case, int(stage))
        m = result[name]
        out.append(
            {
                "stage": int(stage),
                "approach": name,
                "split": result["split"],
                **{f: m[f] for f in ("n", "base_rate", "auc", "brier", "ece")},
            }
        )
    return out
