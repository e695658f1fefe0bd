"""Drift monitoring's reads: the valuations served in a window and the training rows the model
was fitted on; the index itself is `monitoring`'s pure computation.

The reference bins are computed from the model's own training data (the file and SHA-256 its
metadata.json records, under the project's folder), not stored beside the model: the model
files stay byte for byte what ``ipx train`` wrote. A data file that is missing or differs from
the recorded digest stops the report (503, ``service-unavailable``): drift against other data
would mean nothing. The answer names the model version only; where the server keeps the model
and its data goes to the log, never to the caller.
"""

from __future__ import annotations

import functools
import hashlib
import logging
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from ipx.auth import Principal
from ipx.errors import ServiceUnavailable
from ipx.uow import UnitOfWork
from ipx.valuation.backtest_reads import ensure_model_risk_reader
from ipx.valuation.orm import Valuation

if TYPE_CHECKING:
    from ipx.valuation.artifact import Artifact
    from ipx.valuation.monitoring import FeatureBins
    from ipx.valuation.predictor import Valuer

log = logging.getLogger(__name__)

DEFAULT_WINDOW_DAYS = 30
#: The 503's detail when the training data is missing or altered (no server path in it).
TRAINING_DATA_UNAVAILABLE = (
    "The training data of model {version} is missing or differs from the SHA-256 its metadata "
    "records: input drift cannot be measured."
)
#: The folder the model's metadata names its training file from (the repository root).
PROJECT_ROOT = Path(__file__).resolve().parents[2]


def read_monitoring(
    uow: UnitOfWork, who: Principal | None, valuer: Valuer, days: int = DEFAULT_WINDOW_DAYS
) -> dict:
    """Input drift of the valuations served in the last ``days`` days, for clerks and auditors."""
    ensure_model_risk_reader(who)
    return monitoring_report(uow.session, valuer, now=uow.now, days=days)


def monitoring_report(session: Session, valuer: Valuer, *, now: datetime, days: int) -> dict:
    """PSI per feature of ``valuer``'s valuations created in (now - days, now]."""
    from ipx.valuation import monitoring as M

    start = now - timedelta(days=days)
    rows = session.execute(
        select(Valuation.request, Valuation.result).where(
            Valuation.created_at > start,
            Valuation.created_at <= now,
            Valuation.model_version == valuer.version,
        )
    ).all()
    served = served_columns(valuer, [r for r, _ in rows])
    modelled = served["n"]
    out_of_range = sum(
        any(f["code"] == "out-of-distribution" for f in result["flags"]) for _, result in rows
    )
    drift = [M.feature_drift(b, served[b.feature]) for b in training_bins(valuer.artifact)]
    flagged = [d["feature"] for d in drift if d["flagged"]]
    too_few = [d["feature"] for d in drift if not d["judged"]]
    return {
        "model_version": valuer.version,
        "window": {"start": start, "end": now, "days": days},
        "valuations": len(rows),
        "modelled": modelled,
        "out_of_range": {
            "count": out_of_range,
            "share": round(out_of_range / modelled, 4) if modelled else None,
        },
        "psi_threshold": M.PSI_FLAG,
        "empty_bin_share": M.EMPTY_SHARE,
        "min_valuations": M.MIN_VALUATIONS,
        "features": drift,
        "flagged_features": flagged,
        "verdict": M.drift_verdict(modelled, flagged, too_few),
    }


def served_columns(valuer: Valuer, requests: list[dict]) -> dict:
    """Each monitored feature's served values (inputs the caller gave, never imputed ones) from
    stored requests of modelled kinds, rebuilt by the serving feature pipeline; ``n`` rows."""
    from ipx.valuation import features as F
    from ipx.valuation import monitoring as M
    from ipx.valuation.feature_batch import registry_matrix
    from ipx.valuation.model import MODELLED_KINDS

    kept = [r for r in requests if r.get("kind") in MODELLED_KINDS]
    model = valuer.artifact.model
    x, imputed = registry_matrix(
        [r.get("features") for r in kept],
        ipcs=[r.get("ipc") for r in kept],
        filing_dates=[_date(r.get("filing_date")) for r in kept],
        grant_dates=[_date(r.get("grant_date")) for r in kept],
        owners=[r.get("owner") for r in kept],
        defaults=model.defaults,
        history=model.history,
    )
    given = ~imputed
    out: dict = {"n": len(kept)}
    for name in M.NUMERIC_FEATURES:
        out[name] = x[given[:, F.IMPUTABLE.index(name)], F.INDEX[name]]
    categorical = M.categorical_columns(x)
    ipc_given = given[:, F.IMPUTABLE.index("ipc")].tolist()
    out["ipc_section"] = [
        s for s, g in zip(categorical["ipc_section"], ipc_given, strict=True) if g
    ]
    out["owner_history"] = categorical["owner_history"]
    return out


def training_bins(artifact: Artifact) -> list[FeatureBins]:
    """The reference bins of ``artifact``'s training data (computed once per model folder)."""
    data = artifact.metadata["training_data"]
    return _training_bins(
        str(artifact.path), data["file"], data["sha256"], artifact.metadata["seed"]
    )


@functools.cache
def _training_bins(model_path: str, file: str, sha256: str, seed: int) -> list[FeatureBins]:
    from ipx.valuation import features as F
    from ipx.valuation.monitoring import reference_bins
    from ipx.valuation.sample import load_sample

    path = PROJECT_ROOT / file
    if not path.is_file() or hashlib.sha256(path.read_bytes()).hexdigest() != sha256:
        log.error(
            "input drift: the training data %s of the model at %s is %s (SHA-256 expected %s)",
            path,
            model_path,
            "present but differs" if path.is_file() else "missing",
            sha256,
        )
        raise ServiceUnavailable(TRAINING_DATA_UNAVAILABLE.format(version=Path(model_path).name))
    return reference_bins(F.training_matrix(load_sample(path), seed=seed))


def _date(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)
