"""Write a model artifact: models/<version>/ with the boosters, metadata.json and the card.

The layout (file names, what metadata.json holds) is read back by `ipx.valuation.artifact`;
never pickle, so loading an artifact cannot execute code.
"""

from __future__ import annotations

import hashlib
import json
import platform
from importlib.metadata import version as package_version
from pathlib import Path

import numpy as np

from ipx.valuation import features as F
from ipx.valuation.artifact import CARD, METADATA, model_file, unseen_owner_file, value_index
from ipx.valuation.sample import RenewalSample
from ipx.valuation.stages import SurvivalModel, cumulative
from ipx.valuation.training.fitting import NUM_ROUNDS, PARAMS
from ipx.valuation.training.report import DESIGNS, OWNER_HISTORY, UNSEEN_OWNER, case_figures
from ipx.valuation.validity import UNVALIDATED_BANDS


def _library_versions() -> dict[str, str]:
    names = ("lightgbm", "scikit-learn", "numpy")
    return {"python": platform.python_version(), **{n: package_version(n) for n in names}}


def _feature_ranges(x: np.ndarray) -> dict[str, list[float]]:
    columns = (*F.COUNT_FEATURES, "grant_lag_days")
    return {n: [float(x[:, F.INDEX[n]].min()), float(x[:, F.INDEX[n]].max())] for n in columns}


def build_metadata(
    model: SurvivalModel, sample: RenewalSample, report: dict, version: str, seed: int
) -> dict:
    """Everything serving and auditors need besides the boosters themselves."""
    x = F.training_matrix(sample, seed=seed)
    survival = cumulative(model.conditional(x))
    return {
        "version": version,
        "feature_names": list(F.FEATURE_NAMES),
        "feature_types": list(F.FEATURE_TYPES),
        "feature_schema_hash": F.feature_schema_hash(),
        "training_data": {
            "file": "data/samples/us-university-renewals.csv",
            "sha256": sample.sha256,
            "rows": len(sample),
        },
        "seed": seed,
        "params": PARAMS,
        "num_rounds": {str(k): v for k, v in NUM_ROUNDS.items()},
        "calibration": {
            str(k): {"method": "platt", "a": m.platt.a, "b": m.platt.b}
            for k, m in model.stages.items()
        },
        "value_index": "sum of the cumulative survival probabilities of the three stages",
        "reference_cohort": {
            "description": "training patents scored by this model (owner history out of fold)",
            "value_index_quantiles": np.quantile(
                value_index(survival), np.linspace(0, 1, 101)
            ).tolist(),
        },
        "feature_ranges": _feature_ranges(x),
        "imputation_defaults": model.defaults,
        "owner_history": model.history.to_json(),
        "metrics": report,
        "validity": validity_cases(report),
        "unseen_owner_logistic_stages": sorted(model.unseen_owner),
        "library_versions": _library_versions(),
    }


def validity_cases(report: dict) -> dict:
    """What serving attaches to each valuation: per case, its design, the served approach's
    held-out figures per stage and the grade bands those figures support."""
    return {
        case: {
            "design": DESIGNS[case],
            "stages": case_figures(report, case),
            "grade_bands": report.get("grade_bands", {}).get(case, list(UNVALIDATED_BANDS)),
        }
        for case in (OWNER_HISTORY, UNSEEN_OWNER)
    }


def write_artifact(model: SurvivalModel, metadata: dict, out_dir: str | Path, card: str) -> Path:
    """Write the boosters, metadata.json (with each booster's SHA-256) and the model card."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    digests = {}
    for k, stage in model.stages.items():
        path = out / model_file(k)
        stage.booster.save_model(str(path))
        digests[model_file(k)] = hashlib.sha256(path.read_bytes()).hexdigest()
    for k, logistic in model.unseen_owner.items():
        path = out / unseen_owner_file(k)
        path.write_text(json.dumps(logistic.to_json(), indent=2, sort_keys=True) + "\n")
        digests[unseen_owner_file(k)] = hashlib.sha256(path.read_bytes()).hexdigest()
    metadata = {**metadata, "model_files": digests}
    (out / METADATA).write_text(json.dumps(metadata, indent=2, sort_keys=True) + "\n")
    (out / CARD).write_text(card)
    return out
