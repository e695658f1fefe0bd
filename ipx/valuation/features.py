"""The one feature pipeline shared by training and serving.

Every feature is known at valuation time: bibliographic counts, the IPC section, the grant lag
and the owner's renewal history *from the reference data* (never the patent's own label, the
censoring flag, or anything observed after the valuation date).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from ipx.rights import PATENT_COUNTS
from ipx.valuation.sample import RenewalSample

#: The bibliographic counts of a patent record (what the registry stores), in model order.
COUNT_FEATURES = PATENT_COUNTS
IPC_SECTIONS = ("A", "B", "C", "D", "E", "F", "G", "H")
OWNER_FEATURES = ("owner_keep_rate_s1", "owner_keep_rate_s2", "owner_history_n")
FEATURE_NAMES: tuple[str, ...] = (
    *COUNT_FEATURES,
    "grant_lag_days",
    *(f"ipc_{s}" for s in IPC_SECTIONS),
    *OWNER_FEATURES,
)
FEATURE_TYPES: tuple[str, ...] = tuple(
    "binary" if n.startswith("ipc_") else "float" for n in FEATURE_NAMES
)
INDEX = {name: i for i, name in enumerate(FEATURE_NAMES)}
#: Owner history smoothing: an owner with m patents counts half its own rate, half the prior.
OWNER_SMOOTHING = 20.0

#: Inputs that may be imputed, in the order `registry_vector` names them.
IMPUTABLE = (*COUNT_FEATURES, "grant_lag_days", "ipc", "owner_history")

_COUNT_SET = frozenset(COUNT_FEATURES)
_SECTION_RE = re.compile(r"^\s*([A-Ha-h])")


def feature_schema_hash() -> str:
    """SHA-256 of the ordered (name, type) pairs; it changes whenever the schema does."""
    text = json.dumps([[n, t] for n, t in zip(FEATURE_NAMES, FEATURE_TYPES, strict=True)])
    return hashlib.sha256(text.encode()).hexdigest()


def ipc_section(ipc: str | None) -> str | None:
    """Section letter of an IPC symbol ("C22C 38/00" -> "C"), None if absent or malformed."""
    if not ipc:
        return None
    match = _SECTION_RE.match(ipc)
    return match.group(1).upper() if match else None


def owner_key(name: str | None) -> str:
    """Normalised owner name used to look up renewal history."""
    return " ".join(re.sub(r"[^\w ]", " ", (name or "").casefold()).split())


@dataclass(frozen=True)
class OwnerHistory:
    """Per-owner renewal counts from reference rows, encoded as smoothed keep rates."""

    counts: dict[str, tuple[int, ...]]  # key -> (n1, kept1, n2, kept2)
    prior_s1: float
    prior_s2: float

    @classmethod
    def fit(
        cls, owners: Sequence[str], payments: np.ndarray, observed: np.ndarray | None = None
    ) -> OwnerHistory:
        """Count stage-1 and stage-2 outcomes per owner, only where observed (`observed`: stages
        with a known outcome per row; None: stages 1-2 always known, as in the US sample)."""
        if observed is None:  # the US sample: stages 1-2 never censored
            seen1 = np.ones(len(payments), bool)
            seen2 = payments >= 1
        else:
            seen1, seen2 = observed >= 1, (payments >= 1) & (observed >= 2)
        counts: dict[str, list[int]] = {}
        rows = zip(owners, payments.tolist(), seen1.tolist(), seen2.tolist(), strict=True)
        for name, paid, s1, s2 in rows:
            c = counts.setdefault(owner_key(name), [0, 0, 0, 0])
            c[0] += int(s1)
            c[1] += int(s1 and paid >= 1)
            c[2] += int(s2)
            c[3] += int(s2 and paid >= 2)
        prior1 = float(np.mean(payments[seen1] >= 1))
        prior2 = float(np.mean(payments[seen2] >= 2))
        return cls({k: tuple(v) for k, v in counts.items()}, prior1, prior2)

    def encode(self, owners: Sequence[str | None]) -> np.ndarray:
        """(n, 3) owner features; an unknown owner gets the priors and a count of 0."""
        m = OWNER_SMOOTHING
        out = np.empty((len(owners), 3))
        for i, name in enumerate(owners):
            n1, k1, n2, k2 = self.counts.get(owner_key(name), (0, 0, 0, 0))
            out[i] = (
                (k1 + m * self.prior_s1) / (n1 + m),
                (k2 + m * self.prior_s2) / (n2 + m),
                n1,
            )
        return out

    def encode_one(self, owner: str | None) -> list[float]:
        """`encode` for a single owner, without numpy overhead (the serving path)."""
        m = OWNER_SMOOTHING
        n1, k1, n2, k2 = self.counts.get(owner_key(owner), (0, 0, 0, 0)) if owner else (0, 0, 0, 0)
        return [(k1 + m * self.prior_s1) / (n1 + m), (k2 + m * self.prior_s2) / (n2 + m), float(n1)]

    def to_json(self) -> dict:
        """Plain-JSON form for metadata.json."""
        return {"prior_s1": self.prior_s1, "prior_s2": self.prior_s2, "counts": self.counts}

    @classmethod
    def from_json(cls, data: Mapping) -> OwnerHistory:
        """Inverse of `to_json`."""
        counts = {k: tuple(int(x) for x in v) for k, v in data["counts"].items()}
        return cls(counts, float(data["prior_s1"]), float(data["prior_s2"]))


def out_of_fold_owner_features(
    owners: Sequence[str],
    payments: np.ndarray,
    n_folds: int = 5,
    seed: int = 0,
    observed: np.ndarray | None = None,
) -> np.ndarray:
    """Owner features of training rows, each computed without its own fold's labels."""
    fold = np.random.default_rng(seed).permutation(len(owners)) % n_folds
    out = np.empty((len(owners), 3))
    for f in range(n_folds):
        hist = OwnerHistory.fit(
            [o for o, g in zip(owners, fold, strict=True) if g != f],
            payments[fold != f],
            None if observed is None else observed[fold != f],
        )
        rows = np.flatnonzero(fold == f)
        out[rows] = hist.encode([owners[i] for i in rows.tolist()])
    return out


def base_matrix(sample: RenewalSample) -> np.ndarray:
    """Bibliographic part of the feature matrix; owner columns left as NaN to be filled."""
    x = np.full((len(sample), len(FEATURE_NAMES)), np.nan)
    for name in COUNT_FEATURES:
        x[:, INDEX[name]] = sample.counts[name]
    x[:, INDEX["grant_lag_days"]] = [
        (g - f).days for g, f in zip(sample.grant_dates, sample.filing_dates, strict=True)
    ]
    for s in IPC_SECTIONS:
        x[:, INDEX[f"ipc_{s}"]] = [float(sec == s) for sec in sample.ipc_sections]
    return x


def training_matrix(sample: RenewalSample, seed: int = 0) -> np.ndarray:
    """Features of training rows: owner history out of fold, so no row sees its own label."""
    x = base_matrix(sample)
    x[:, -3:] = out_of_fold_owner_features(
        sample.assignees, sample.payments, seed=seed, observed=sample.observed_stages
    )
    return x


def scoring_matrix(sample: RenewalSample, history: OwnerHistory) -> np.ndarray:
    """Features of rows scored by a model whose reference history is `history`."""
    x = base_matrix(sample)
    x[:, -3:] = history.encode(sample.assignees)
    return x


def training_defaults(x: np.ndarray) -> dict[str, float | str]:
    """Imputation values from training features: medians, and the most common IPC section."""
    defaults: dict[str, float | str] = {
        n: float(np.median(x[:, INDEX[n]])) for n in (*COUNT_FEATURES, "grant_lag_days")
    }
    section_counts = [x[:, INDEX[f"ipc_{s}"]].sum() for s in IPC_SECTIONS]
    defaults["ipc_section"] = IPC_SECTIONS[int(np.argmax(section_counts))]
    return defaults


def _count(value: object, name: str) -> float:
    if type(value) is int and value >= 0:  # the common case, checked cheaply
        return float(value)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, not {value!r}")
    if value < 0:
        raise ValueError(f"{name} must not be negative")
    return float(value)


def registry_vector(
    features: Mapping[str, object] | None,
    *,
    ipc: str | None,
    filing_date: date | None,
    grant_date: date | None,
    owner: str | None,
    defaults: Mapping[str, float | str],
    history: OwnerHistory,
) -> tuple[list[float], list[str]]:
    """Map a registry-style asset to the model's feature row (a list, in FEATURE_NAMES order).

    `features` holds any of COUNT_FEATURES (missing or None ones are imputed with training
    medians); `ipc` gives the section (imputed with the most common one when absent). Returns
    the row and the names of the inputs that were imputed, so the caller can flag them.
    """
    features = features or {}
    if not features.keys() <= _COUNT_SET:
        raise ValueError(f"unknown features: {sorted(set(features) - _COUNT_SET)}")
    row = [0.0] * len(FEATURE_NAMES)
    imputed: list[str] = []
    for name in COUNT_FEATURES:
        value = features.get(name)
        if value is None:
            imputed.append(name)
            row[INDEX[name]] = float(defaults[name])
        else:
            row[INDEX[name]] = _count(value, name)
    if filing_date is None or grant_date is None:
        imputed.append("grant_lag_days")
        row[INDEX["grant_lag_days"]] = float(defaults["grant_lag_days"])
    elif grant_date < filing_date:
        raise ValueError("grant_date is before filing_date")
    else:
        row[INDEX["grant_lag_days"]] = float((grant_date - filing_date).days)
    section = ipc_section(ipc)
    if section is None:
        imputed.append("ipc")
        section = str(defaults["ipc_section"])
    row[INDEX[f"ipc_{section}"]] = 1.0
    if not owner:
        imputed.append("owner_history")
    row[-3:] = history.encode_one(owner)
    return row, imputed
