"""The model artifact: models/<version>/ with LightGBM text models, metadata.json and a card,
plus the JSON logistic regressions served to owners absent from the reference data.

Never pickle: the boosters are LightGBM's own text format and everything else is JSON, so
loading an artifact cannot execute code; every model file's SHA-256 is checked on load. This
module finds and loads artifacts (serving); `ipx.valuation.training.artifact_writer` writes them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import lightgbm as lgb
import numpy as np

from ipx.valuation import features as F
from ipx.valuation.stages import STAGES, LogisticStage, Platt, StageModel, SurvivalModel

#: repository root / models
MODELS_ROOT = Path(__file__).resolve().parents[2] / "models"
METADATA = "metadata.json"
CARD = "MODEL_CARD.md"


def model_file(stage: int) -> str:
    """File name of a stage's booster."""
    return f"model_stage{stage}.txt"


def unseen_owner_file(stage: int) -> str:
    """File name of a stage's logistic regression served to owners unseen by the model."""
    return f"logistic_unseen_owner_stage{stage}.json"


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
        text = _checked(path, model_file(k), meta)
        cal = meta["calibration"][str(k)]
        booster = lgb.Booster(model_str=text.decode())
        stages[k] = StageModel(k, booster, Platt(cal["a"], cal["b"]))
    unseen = {}
    for k in meta.get("unseen_owner_logistic_stages", []):
        text = _checked(path, unseen_owner_file(k), meta)
        unseen[k] = LogisticStage.from_json(json.loads(text))
    model = SurvivalModel(
        stages,
        F.OwnerHistory.from_json(meta["owner_history"]),
        meta["imputation_defaults"],
        unseen,
    )
    return Artifact(path, model, meta)


def _checked(path: Path, name: str, meta: dict) -> bytes:
    """A model file's bytes, refused unless they match the digest metadata.json records."""
    text = (path / name).read_bytes()
    if hashlib.sha256(text).hexdigest() != meta["model_files"][name]:
        raise ValueError(f"{path}: {name} does not match its recorded digest")
    return text
