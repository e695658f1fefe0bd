"""The model artifact: models/<version>/ with LightGBM text models, metadata.json and a card.

Never pickle: the boosters are LightGBM's own text format and everything else is JSON, so
loading an artifact cannot execute code. This module finds and loads artifacts (serving);
`ipx.valuation.training.artifact_writer` writes them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import lightgbm as lgb
import numpy as np

from ipx.valuation import features as F
from ipx.valuation.stages import STAGES, Platt, StageModel, SurvivalModel

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
