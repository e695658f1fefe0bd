"""Serving: `Valuer` is loaded once and values assets in-process (no pandas, numpy rows)."""

from __future__ import annotations

import gc
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

import numpy as np

from ipx.valuation import features as F
from ipx.valuation.artifact import Artifact, load_artifact
from ipx.valuation.income import (
    DEFAULT_ROYALTY_RATES,
    FALLBACK_ROYALTY_RATE,
    IncomeValue,
    relief_from_royalty,
    year_ends,
)
from ipx.valuation.model import (
    DEFAULT_LTV_CAPS,
    MODELLED_KINDS,
    AssetKind,
    Collateral,
    Driver,
    Flag,
    ValuationRequest,
    ValuationResult,
    grade_for,
)
from ipx.valuation.survival import LAST_OBSERVED_YEAR, conditional_survival, survival_scalar
from ipx.valuation.terms import add_months, statutory_expiry, years_between

CENTS = Decimal("0.01")
TOP_DRIVERS = 6
_RANGE_FEATURES = (*F.COUNT_FEATURES, "grant_lag_days")


@dataclass(frozen=True)
class _Prepared:
    request: ValuationRequest
    kind: AssetKind
    as_of: date
    row: list[float]
    imputed: list[str]
    flags: list[Flag]


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
        self._quantiles = np.asarray(artifact.metadata["reference_cohort"]["value_index_quantiles"])
        ranges = artifact.metadata["feature_ranges"]
        self._ranges = [(n, F.INDEX[n], *ranges[n]) for n in _RANGE_FEATURES]

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
        """Value many assets with one prediction per stage for the whole batch."""
        # The batch allocates millions of small objects that all survive: pausing the cyclic
        # garbage collector avoids repeated full scans of them (nearly halves the time).
        paused = gc.isenabled()
        gc.disable()
        try:
            return self._value_batch(requests)
        finally:
            if paused:
                gc.enable()

    def _value_batch(self, requests: Sequence[ValuationRequest]) -> list[ValuationResult]:
        prepared = [self._prepare(r) for r in requests]
        if not prepared:
            return []
        x = np.array([p.row for p in prepared], dtype=float)
        conditional = np.column_stack([s.predict(x) for s in self._stages])
        survival = np.cumprod(conditional, axis=1)
        scores = np.interp(survival.sum(axis=1), self._quantiles, np.linspace(0, 100, 101))
        explain = [i for i, p in enumerate(prepared) if p.request.explain]
        drivers = dict(zip(explain, self._drivers(x[explain]), strict=True)) if explain else {}
        return [
            self._assemble(p, survival[i], float(scores[i]), drivers.get(i))
            for i, p in enumerate(prepared)
        ]

    def _prepare(self, req: ValuationRequest) -> _Prepared:
        kind = AssetKind(req.kind)
        as_of = req.as_of or date.today()
        meta = self.artifact.model
        row, imputed = F.registry_vector(
            req.features,
            ipc=req.ipc,
            filing_date=req.filing_date,
            grant_date=req.grant_date,
            owner=req.owner,
            defaults=meta.defaults,
            history=meta.history,
        )
        flags = []
        if kind not in MODELLED_KINDS:  # the row is a placeholder: nothing to flag about it
            return _Prepared(req, kind, as_of, row, [], flags)
        if imputed:
            flags.append(
                Flag("imputed-features", "imputed with training medians: " + ", ".join(imputed))
            )
        outside = [
            f"{n}={row[i]:g} (trained on {lo:g}-{hi:g})"
            for n, i, lo, hi in self._ranges
            if n not in imputed and not lo <= row[i] <= hi
        ]
        if outside:
            flags.append(
                Flag("out-of-distribution", "outside the training range: " + "; ".join(outside))
            )
        return _Prepared(req, kind, as_of, row, imputed, flags)

    def _drivers(self, x: np.ndarray) -> list[list[Driver]]:
        """TreeSHAP per stage times the Platt slope: calibrated log-odds contributions."""
        per_stage = [
            s.booster.predict(x, pred_contrib=True, num_threads=1)[:, :-1] * s.platt.a
            for s in self._stages
        ]
        out = []
        for j in range(len(x)):
            stacked = np.stack([c[j] for c in per_stage])  # (3, features)
            total = stacked.sum(axis=0)
            top = np.argsort(-np.abs(total), kind="stable")[:TOP_DRIVERS]
            out.append(
                [
                    Driver(
                        F.FEATURE_NAMES[i],
                        float(x[j, i]),
                        float(total[i]),
                        tuple(float(v) for v in stacked[:, i]),
                    )
                    for i in top
                ]
            )
        return out

    def _assemble(
        self, p: _Prepared, survival: np.ndarray, score: float, drivers: list[Driver] | None
    ) -> ValuationResult:
        req, flags = p.request, list(p.flags)
        modelled = p.kind in MODELLED_KINDS
        expiry = req.expiry_date or statutory_expiry(p.kind, req.filing_date)
        since_grant = years_between(req.grant_date, p.as_of) if req.grant_date else 0.0
        flags += _status_flags(p, modelled, expiry)
        maturity_p = None
        if req.loan_term_months is not None and modelled:
            maturity = add_months(p.as_of, req.loan_term_months)
            maturity_p = self._p_in_force(p, survival, since_grant, expiry, maturity, flags)
        value = self._income(p, survival if modelled else None, since_grant, expiry, flags)
        collateral = self._collateral(p.kind, value, maturity_p)
        return ValuationResult(
            model_version=self.version,
            feature_schema_hash=self.feature_schema_hash,
            as_of=p.as_of,
            score=round(score, 1) if modelled else None,
            grade=grade_for(score) if modelled else None,
            survival=survival.tolist() if modelled else None,
            p_in_force_at_maturity=maturity_p,
            value=value,
            collateral=collateral,
            drivers=drivers if modelled else None,
            drivers_space="calibrated log-odds per stage, summed" if drivers and modelled else None,
            flags=flags,
            imputed=p.imputed,
        )

    def _p_in_force(self, p: _Prepared, survival, since_grant, expiry, maturity, flags) -> float:
        if expiry is not None and expiry < maturity:
            flags.append(
                Flag("term-shorter-than-loan", f"protection ends {expiry}, loan matures {maturity}")
            )
            return 0.0
        if p.request.lapsed:
            return 0.0
        to_years = since_grant + years_between(p.as_of, maturity)
        if to_years > LAST_OBSERVED_YEAR:
            flags.append(
                Flag(
                    "survival-extrapolated",
                    "beyond 11.5 years after grant the last stage's lapse rate is assumed",
                )
            )
        start = survival_scalar(survival, since_grant)
        return min(survival_scalar(survival, to_years) / start, 1.0)

    def _income(self, p: _Prepared, survival, since_grant, expiry, flags) -> IncomeValue | None:
        econ = p.request.economics
        if econ is None:
            return None
        if expiry is None:
            flags.append(
                Flag("value-not-computed", "no expiry date or filing date: remaining term unknown")
            )
            return None
        remaining = 0.0 if p.request.lapsed else max(years_between(p.as_of, expiry), 0.0)
        ends = year_ends(remaining)
        weights = (
            np.ones(len(ends))
            if survival is None
            else conditional_survival(survival, since_grant, since_grant + ends)
        )
        royalty = econ.royalty_rate
        if royalty is None:
            section = F.ipc_section(p.request.ipc)
            royalty = self.royalty_rates.get(section, FALLBACK_ROYALTY_RATE)
            flags.append(
                Flag(
                    "assumed-royalty-rate",
                    f"royalty rate {royalty} assumed for IPC section {section or 'unknown'}",
                )
            )
        return relief_from_royalty(econ, float(royalty), ends, weights, p.request.seed())

    def _collateral(self, kind: AssetKind, value: IncomeValue | None, maturity_p) -> Collateral:
        cap = self.ltv_caps[kind]
        if value is None:
            return Collateral(cap, None, None)
        collateral = (value.p10 * cap).quantize(CENTS, ROUND_HALF_EVEN)
        factor = Decimal(repr(maturity_p)) if maturity_p is not None else Decimal(1)
        return Collateral(cap, collateral, (collateral * factor).quantize(CENTS, ROUND_HALF_EVEN))


def _status_flags(p: _Prepared, modelled: bool, expiry: date | None) -> list[Flag]:
    req, flags = p.request, []
    if not modelled:
        flags.append(
            Flag(
                "model-not-applicable",
                f"the patent renewal model does not cover a {p.kind}: "
                "no score, grade or survival; any value is the unweighted income approach",
            )
        )
    elif p.kind is AssetKind.UTILITY_MODEL:
        flags.append(Flag("kind-extrapolated", "trained on inventions; applied to a utility model"))
    if req.frozen:
        flags.append(Flag("frozen", "the asset is frozen by a court; it cannot be pledged (R05)"))
    if req.lapsed:
        flags.append(Flag("lapsed", "the right is lapsed or invalidated: nothing to lend against"))
    if expiry is not None and expiry <= p.as_of:
        flags.append(Flag("expired", f"protection ended {expiry}"))
    if modelled and req.grant_date is None:
        flags.append(Flag("not-granted", "no grant date: survival counted from the valuation date"))
    return flags
