"""The model artifact: models/<version>/ with LightGBM text models, metadata.json and a card.

Never pickle: the boosters are LightGBM's own text format and everything else is JSON, so
loading an artifact cannot execute code.
"""

from __future__ import annotations

import hashlib
import json
import platform
from dataclasses import dataclass
from importlib.metadata import version as package_version
from pathlib import Path

import lightgbm as lgb
import numpy as np

from ipx.valuation import features as F
from ipx.valuation.sample import RenewalSample
from ipx.valuation.training import NUM_ROUNDS, PARAMS, STAGES, Platt, StageModel, SurvivalModel

#: repository root / models
MODELS_ROOT = Path(__file__).resolve().parents[2] / "models"
METADATA = "metadata.json"
CARD = "MODEL_CARD.md"


def model_file(stage: int) -> str:
    """File name of a stage's booster."""
    return f"model_stage{stage}.txt"


def value_index(survival: np.ndarray) -> np.ndarray:
    """Renewal-based value index: expected number of fee stages kept in force (0-3)."""
    return np.asarray(survival).sum(axis=-1)


def default_model_dir(path: str | Path | None = None, root: Path = MODELS_ROOT) -> Path:
    """`path` if given, else the newest version folder under models/ (by version order)."""
    if path:
        return Path(path)
    versions = [p for p in root.iterdir() if (p / METADATA).is_file()] if root.is_dir() else []
    if not versions:
        raise FileNotFoundError(f"no model under {root}; run `ipx train`")

    def order(p: Path) -> tuple:
        return tuple(int(x) if x.isdigit() else x for x in p.name.replace("-", ".").split("."))

    return max(versions, key=order)


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
    survival = np.cumprod(model.conditional(x), axis=1)
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
        "library_versions": _library_versions(),
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
    metadata = {**metadata, "model_files": digests}
    (out / METADATA).write_text(json.dumps(metadata, indent=2, sort_keys=True) + "\n")
    (out / CARD).write_text(card)
    return out


@dataclass(frozen=True)
class Artifact:
    """A loaded model directory."""

    path: Path
    model: SurvivalModel
    metadata: dict

    @property
    def version(self) -> str:
        """Model version (the folder's metadata, not its name)."""
        return self.metadata["version"]


def load_artifact(model_dir: str | Path | None = None) -> Artifact:
    """Load and check a model directory: schema hash and booster digests must match."""
    path = default_model_dir(model_dir)
    meta = json.loads((path / METADATA).read_text())
    if meta["feature_schema_hash"] != F.feature_schema_hash():
        raise ValueError(f"{path}: feature schema differs from this code's features.py")
    stages = {}
    for k in STAGES:
        text = (path / model_file(k)).read_bytes()
        if hashlib.sha256(text).hexdigest() != meta["model_files"][model_file(k)]:
            raise ValueError(f"{path}: {model_file(k)} does not match its recorded digest")
        cal = meta["calibration"][str(k)]
        booster = lgb.Booster(model_str=text.decode())
        stages[k] = StageModel(k, booster, Platt(cal["a"], cal["b"]))
    model = SurvivalModel(
        stages, F.OwnerHistory.from_json(meta["owner_history"]), meta["imputation_defaults"]
    )
    return Artifact(path, model, meta)
