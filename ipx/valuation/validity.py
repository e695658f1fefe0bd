"""How far to trust a valuation: the case it is in and that case's held-out figures.

The case is read from the inputs alone: is the owner in the reference data (its renewal history
is used) or not (the population priors stand in), is the kind one the model was trained on
(invention), extrapolated to (utility model) or outside it, and which inputs were imputed. Each
case carries the out-of-sample AUC, Brier score and ECE per stage that training measured for
it (`metadata.json` "validity", written from the validation report) and its own grade bands.
Plain Python: no NumPy, no Flask.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

OWNER_HISTORY = "owner-history"
UNSEEN_OWNER = "unseen-owner"
KIND_EXTRAPOLATED = "kind-extrapolated"
NOT_MODELLED = "not-modelled"

_SUMMARY = {
    OWNER_HISTORY: "The owner has patents in the reference data and its renewal history is used.",
    UNSEEN_OWNER: (
        "The owner is absent from the reference data (as every Chinese owner is today): the "
        "population priors stand in for its renewal history, and discrimination is weak."
    ),
    KIND_EXTRAPOLATED: (
        "The model was trained and validated on inventions only; no held-out figures exist for "
        "this kind, so none are given, and the grade uses the coarsest validated bands."
    ),
    NOT_MODELLED: "The renewal model does not cover this kind: no score, grade or figures.",
}


#: Without a validation report no separation is supported: one middling grade.
UNVALIDATED_BANDS = ({"grade": "BBB", "min_score": 0.0, "n": 0, "kept_through_stage2": None},)
_UNVALIDATED: Mapping = {"design": None, "stages": [], "grade_bands": UNVALIDATED_BANDS}


@dataclass(frozen=True)
class StageFigures:
    """Held-out discrimination and calibration of one stage in one case."""

    stage: int
    approach: str
    split: str
    n: int
    base_rate: float
    auc: float
    brier: float
    ece: float


@dataclass(frozen=True)
class GradeBand:
    """A grade of a case: scores from `min_score` up to the next band's floor."""

    grade: str
    min_score: float
    n: int
    kept_through_stage2: float | None


@dataclass(frozen=True)
class CaseValidity:
    """What training measured for one case (shared by every valuation in it)."""

    case: str
    design: str | None
    stages: tuple[StageFigures, ...]
    grade_bands: tuple[GradeBand, ...]
    summary: str

    def grade(self, score: float) -> str:
        """The band of `score` among this case's grades (bands best first)."""
        return next(b.grade for b in self.grade_bands if score >= b.min_score)


@dataclass(frozen=True)
class Validity:
    """The case of one valuation, its figures and the inputs that were imputed."""

    owner_history_used: bool
    kind: str  # modelled | extrapolated | not-modelled
    inputs_imputed: tuple[str, ...]
    of_case: CaseValidity

    @property
    def case(self) -> str:
        """The case whose figures these are."""
        return self.of_case.case


class ValidityTable:
    """The cases of a model artifact, built once from its metadata."""

    def __init__(self, cases: Mapping[str, Mapping]) -> None:
        # An artifact written before validity was recorded has no figures and claims no
        # separation: one middling grade for every score.
        self.cases = {
            name: _case(name, cases.get(name, _UNVALIDATED))
            for name in (OWNER_HISTORY, UNSEEN_OWNER)
        }
        coarsest = min(self.cases.values(), key=lambda c: len(c.grade_bands)).grade_bands
        self.cases[KIND_EXTRAPOLATED] = CaseValidity(
            KIND_EXTRAPOLATED, None, (), coarsest, _SUMMARY[KIND_EXTRAPOLATED]
        )
        self.cases[NOT_MODELLED] = CaseValidity(NOT_MODELLED, None, (), (), _SUMMARY[NOT_MODELLED])

    def of(self, kind: str, owner_seen: bool, imputed: Sequence[str]) -> Validity:
        """The validity of a valuation of `kind` (modelled, extrapolated or not-modelled)."""
        if kind == "modelled":
            case = OWNER_HISTORY if owner_seen else UNSEEN_OWNER
        else:
            case = KIND_EXTRAPOLATED if kind == "extrapolated" else NOT_MODELLED
        return Validity(
            owner_seen and kind != "not-modelled", kind, tuple(imputed), self.cases[case]
        )


def _case(name: str, data: Mapping) -> CaseValidity:
    stages = tuple(
        StageFigures(**{f: s[f] for f in StageFigures.__dataclass_fields__})
        for s in data.get("stages", [])
    )
    bands = tuple(GradeBand(**b) for b in data["grade_bands"])
    figures = "; ".join(
        f"stage {s.stage} ({s.approach}): AUC {s.auc:.3f}, Brier {s.brier:.4f}, ECE {s.ece:.4f}, "
        f"n {s.n}"
        for s in stages
    )
    summary = f"{_SUMMARY[name]} Held out ({data.get('design')}): {figures or 'not validated'}."
    summary += " Grades of this case: " + ", ".join(b.grade for b in bands) + "."
    return CaseValidity(name, data.get("design"), stages, bands, summary)


def validity_json(v: Validity) -> dict:
    """The stored and returned form of a valuation's validity."""
    c = v.of_case
    return {
        "case": c.case,
        "owner_history_used": v.owner_history_used,
        "kind": v.kind,
        "inputs_imputed": list(v.inputs_imputed),
        "design": c.design,
        "stages": [
            {
                "stage": s.stage,
                "approach": s.approach,
                "split": s.split,
                "n": s.n,
                "base_rate": round(s.base_rate, 4),
                "auc": round(s.auc, 4),
                "brier": round(s.brier, 4),
                "ece": round(s.ece, 4),
            }
            for s in c.stages
        ],
        "grades": [b.grade for b in c.grade_bands],
        "grade_bands": [
            {
                "grade": b.grade,
                "min_score": b.min_score,
                "n": b.n,
                "kept_through_stage2": None
                if b.kept_through_stage2 is None
                else round(b.kept_through_stage2, 4),
            }
            for b in c.grade_bands
        ],
        "summary": c.summary + _imputed_note(v.inputs_imputed),
    }


def _imputed_note(imputed: Sequence[str]) -> str:
    given = [n for n in imputed if n != "owner_history"]  # no owner: the unseen-owner case
    if not given:
        return ""
    return (
        f" Imputed here: {', '.join(given)}; the figures were measured with every input known, "
        "so they overstate how far this valuation can be trusted."
    )
