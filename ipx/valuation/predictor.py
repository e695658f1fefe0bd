"""Serving: `Valuer` is loaded once and values assets in-process (no pandas, numpy rows).

A batch is valued column by column: features, predictions, maturity probabilities and flags are
numpy operations over the whole batch, and only the result objects (and the seeded Monte Carlo of
requests with economics) are built row by row. `value(r)` is `value_batch([r])[0]`.
"""

from __future__ import annotations

import dataclasses
import gc
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import cast

import numpy as np

from ipx.rights import AssetKind
from ipx.valuation import features as F
from ipx.valuation.artifact import Artifact, load_artifact
from ipx.valuation.batch import Batch, maturity_probabilities
from ipx.valuation.flags import batch_flags
from ipx.valuation.income import (
    DEFAULT_ROYALTY_RATES,
    FALLBACK_ROYALTY_RATE,
    relief_from_royalty,
    year_ends,
)
from ipx.valuation.model import (
    DEFAULT_LTV_CAPS,
    KIND_CASE,
    Collateral,
    Driver,
    Flag,
    IncomeValue,
    ValuationRequest,
    ValuationResult,
)
from ipx.valuation.stages import owner_seen
from ipx.valuation.survival import conditional_survival
from ipx.valuation.terms import years_in_force
from ipx.valuation.validity import Validity, ValidityTable

CENTS = Decimal("0.01")
TOP_DRIVERS = 6
DRIVERS_SPACE = "calibrated log-odds per stage, summed"
_RANGE_FEATURES = (*F.COUNT_FEATURES, "grant_lag_days")
_PERCENTILES = np.linspace(0, 100, 101)


class Valuer:
    """The valuation model, loaded once; `value`/`value_batch` are pure functions of requests."""

    def __init__(self, artifact: Artifact, ltv_caps=None, royalty_rates=None) -> None:
        self.artifact = artifact
        self.version: str = artifact.version
        self.feature_schema_hash: str = artifact.metadata["feature_schema_hash"]
        self.ltv_caps = {
            AssetKind(k): Decimal(str(v)) for k, v in (ltv_caps or DEFAULT_LTV_CAPS).items()
        }
        self.royalty_rates = dict(royalty_rates or DEFAULT_ROYALTY_RATES)
        self._stages = [artifact.model.stages[k] for k in (1, 2, 3)]
        self._unseen_owner = artifact.model.unseen_owner  # stage -> logistic regression
        self.validity = ValidityTable(artifact.metadata.get("validity", {}))
        self._quantiles = np.asarray(artifact.metadata["reference_cohort"]["value_index_quantiles"])
        ranges = artifact.metadata["feature_ranges"]
        self._ranges = [(n, F.INDEX[n], *ranges[n]) for n in _RANGE_FEATURES]
        # Results without a money value share one immutable Collateral per kind.
        self._no_collateral = {k: Collateral(cap, None, None) for k, cap in self.ltv_caps.items()}

    @classmethod
    def load(
        cls,
        model_dir: str | Path | None = None,
        ltv_caps: Mapping | None = None,
        royalty_rates: Mapping | None = None,
    ) -> Valuer:
        """Load models/<version>/ (newest if no path) with optional LTV caps and royalty rates."""
        return cls(load_artifact(model_dir), ltv_caps, royalty_rates)

    def card(self) -> dict:
        """Model card data for GET /models/current."""
        meta = self.artifact.metadata
        keys = (
            "version",
            "feature_names",
            "feature_types",
            "feature_schema_hash",
            "training_data",
            "calibration",
            "metrics",
            "library_versions",
            "value_index",
            "feature_ranges",
        )
        card = {k: meta[k] for k in keys}
        card["ltv_caps"] = {str(k): str(v) for k, v in self.ltv_caps.items()}
        card["royalty_rates"] = self.royalty_rates
        card["model_card_markdown"] = (self.artifact.path / "MODEL_CARD.md").read_text()
        return card

    def value(self, request: ValuationRequest) -> ValuationResult:
        """Value one asset."""
        return self.value_batch([request])[0]

    def value_batch(self, requests: Sequence[ValuationRequest]) -> list[ValuationResult]:
        """Value many assets: one prediction per stage and numpy over the whole batch."""
        # The batch allocates many small objects that all survive: pausing the cyclic garbage
        # collector avoids repeated full scans of them.
        paused = gc.isenabled()
        gc.disable()
        try:
            return self._value_batch(requests) if requests else []
        finally:
            if paused:
                gc.enable()

    def feature_rows(self, requests: Sequence[ValuationRequest]) -> np.ndarray:
        """The model's feature matrix for `requests` (what the boosters see; for benchmarks)."""
        return Batch.of(requests, date.today(), self.artifact.model).x

    def _value_batch(self, requests: Sequence[ValuationRequest]) -> list[ValuationResult]:
        b = Batch.of(requests, date.today(), self.artifact.model)
        seen = owner_seen(b.x)
        conditional = self.artifact.model.conditional(b.x)
        survival = np.cumprod(conditional, axis=1)
        scores = np.interp(survival.sum(axis=1), self._quantiles, _PERCENTILES)
        maturity = maturity_probabilities(b, survival)
        flags = batch_flags(b, self._ranges, maturity)
        drivers = self._drivers(b, np.flatnonzero(b.explain & b.modelled), seen)
        validity = self._validities(b, seen)
        values: list[IncomeValue | None] = [None] * len(requests)
        for i, req in enumerate(requests):
            if req.economics is not None:  # after batch_flags: income flags come last
                curve = survival[i] if b.modelled[i] else None
                since = float(b.since_grant[i])
                values[i] = self._income(req, b.as_of[i], curve, since, b.expiry[i], flags[i])
        rows = zip(
            b.kinds,
            b.as_of,
            b.modelled.tolist(),
            survival.tolist(),
            scores.tolist(),
            validity,
            maturity.p.tolist(),
            values,
            drivers,
            flags,
            b.imputed_lists(),
            strict=True,
        )
        return [
            ValuationResult.trusted(
                model_version=self.version,
                feature_schema_hash=self.feature_schema_hash,
                as_of=as_of,
                score=round(score, 1) if modelled else None,
                grade=valid.of_case.grade(score) if modelled else None,
                survival=surv if modelled else None,
                p_in_force_at_maturity=None if p != p else p,  # NaN: not asked or not modelled
                value=value,
                collateral=self._collateral(kind, value, p),
                drivers=drv,
                drivers_space=DRIVERS_SPACE if drv else None,
                flags=flag,
                imputed=imputed,
                validity=valid,
            )
            for kind, as_of, modelled, surv, score, valid, p, value, drv, flag, imputed in rows
        ]

    def _validities(self, b: Batch, seen: np.ndarray) -> list[Validity]:
        """Each row's case and figures (one object per distinct case and imputed set)."""
        cache: dict = {}
        out = []
        for kind, modelled, owner, imputed in zip(
            b.kinds, b.modelled.tolist(), seen.tolist(), b.imputed_lists(), strict=True
        ):
            how = "not-modelled" if not modelled else KIND_CASE.get(kind, "modelled")
            key = (how, owner, tuple(imputed))
            if key not in cache:
                cache[key] = self.validity.of(how, owner, imputed)
            out.append(cache[key])
        return out

    def _drivers(self, b: Batch, rows: np.ndarray, seen: np.ndarray) -> list[list[Driver] | None]:
        """Per stage, exact contributions to the log-odds of the model serving the row:
        TreeSHAP times the Platt slope (LightGBM), or coefficient times the standardised
        input (the logistic regression served to unseen owners)."""
        out: list[list[Driver] | None] = [None] * len(b.kinds)
        if not len(rows):
            return out
        x = b.x[rows]
        stacked = np.stack(
            [
                # Dense input: an ndarray (the booster's type also allows sparse matrices).
                cast("np.ndarray", s.booster.predict(x, pred_contrib=True, num_threads=1))[:, :-1]
                * s.platt.a
                for s in self._stages
            ]
        )  # (3, rows, features)
        unseen = ~seen[rows]
        for k, logistic in self._unseen_owner.items():
            if unseen.any():
                stacked[k - 1, unseen] = logistic.contributions(x[unseen])
        total = stacked.sum(axis=0)
        top = np.argsort(-np.abs(total), axis=1, kind="stable")[:, :TOP_DRIVERS]
        values = np.take_along_axis(x, top, axis=1).tolist()
        totals = np.take_along_axis(total, top, axis=1).tolist()
        by_stage = np.stack([np.take_along_axis(c, top, axis=1) for c in stacked], -1).tolist()
        for j, r in enumerate(rows.tolist()):
            out[r] = [
                Driver(F.FEATURE_NAMES[i], v, t, tuple(by))
                for i, v, t, by in zip(
                    top[j].tolist(), values[j], totals[j], by_stage[j], strict=True
                )
            ]
        return out

    def _income(self, req, as_of, survival, since_grant, expiry, flags) -> IncomeValue | None:
        econ = req.economics
        if expiry is None:
            flags.append(
                Flag("value-not-computed", "no expiry date or filing date: remaining term unknown")
            )
            return None
        remaining = 0.0 if req.lapsed else years_in_force(as_of, expiry)
        ends = year_ends(remaining)
        weights = (
            np.ones(len(ends))
            if survival is None
            else conditional_survival(survival, since_grant, since_grant + ends)
        )
        royalty = econ.royalty_rate
        if royalty is None:
            section = F.ipc_section(req.ipc)
            royalty = self.royalty_rates.get(section, FALLBACK_ROYALTY_RATE)
            flags.append(
                Flag(
                    "assumed-royalty-rate",
                    f"royalty rate {royalty} assumed for IPC section {section or 'unknown'}",
                )
            )
        # The seed is the request's value facts with as_of resolved, and the model version.
        facts = req if req.as_of == as_of else dataclasses.replace(req, as_of=as_of)
        return relief_from_royalty(econ, float(royalty), ends, weights, facts.seed(self.version))

    def _collateral(self, kind: AssetKind, value: IncomeValue | None, maturity_p) -> Collateral:
        if value is None:
            return self._no_collateral[kind]  # immutable, shared
        cap = self.ltv_caps[kind]
        collateral = (value.p10 * cap).quantize(CENTS, ROUND_HALF_EVEN)
        factor = Decimal(1) if maturity_p != maturity_p else Decimal(repr(maturity_p))
        return Collateral(cap, collateral, (collateral * factor).quantize(CENTS, ROUND_HALF_EVEN))
