"""Valuation domain: request and result dataclasses, grades and loan-to-value caps.

Plain Python only (no Flask, no SQLAlchemy, no NumPy): the API layer maps JSON to these and
back, and building a request loads no part of the model. Asset kinds come from `ipx.rights`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from ipx.rights import AssetKind
from ipx.valuation.validity import Validity

#: Kinds the renewal model scores. Utility models are scored with a `kind-extrapolated` flag;
#: designs, trademarks and copyrights get no score (their features and renewal economics differ).
MODELLED_KINDS = frozenset({AssetKind.INVENTION, AssetKind.UTILITY_MODEL})

#: How the model covers each kind it scores: trained on it, or extrapolated to it.
KIND_CASE = {AssetKind.INVENTION: "modelled", AssetKind.UTILITY_MODEL: "extrapolated"}

#: Default loan-to-value caps on the p10 value (configurable via `Valuer.load(ltv_caps=...)`).
#: Designs and copyrights: 0.10, below utility models, as they are thin, easily designed-around
#: rights with few transaction comparables.
DEFAULT_LTV_CAPS = {
    AssetKind.INVENTION: Decimal("0.25"),
    AssetKind.UTILITY_MODEL: Decimal("0.15"),
    AssetKind.DESIGN: Decimal("0.10"),
    AssetKind.TRADEMARK: Decimal("0.30"),
    AssetKind.COPYRIGHT: Decimal("0.10"),
}

#: Grade bands on the 0-100 score (lower bound inclusive), best first.
GRADES = (
    ("AAA", 90),
    ("AA", 80),
    ("A", 65),
    ("BBB", 50),
    ("BB", 35),
    ("B", 20),
    ("CCC", 10),
    ("CC", 5),
    ("C", 0),
)


def grade_for(score: float) -> str:
    """Grade band of a score on the full scale (each case draws its own, coarser or not:
    `ipx.valuation.validity`)."""
    return next(name for name, floor in GRADES if score >= floor)


@dataclass(frozen=True)
class Economics:
    """Economic inputs of a valuation; rates are fractions in [0, 1]."""

    annual_revenue: Decimal
    royalty_rate: float | None = None
    discount_rate: float = 0.12
    tax_rate: float = 0.25
    growth: float = 0.0

    def __post_init__(self) -> None:
        if not isinstance(self.annual_revenue, Decimal) or not self.annual_revenue.is_finite():
            raise ValueError("annual_revenue must be a finite Decimal")
        if self.annual_revenue < 0:
            raise ValueError("annual_revenue must not be negative")
        for name in ("royalty_rate", "discount_rate", "tax_rate"):
            value = getattr(self, name)
            if value is not None and not 0 <= float(value) <= 1:
                raise ValueError(f"{name} must be within [0, 1]")
        if not -1 < float(self.growth) <= 1:
            raise ValueError("growth must be within (-1, 1]")


#: The economic inputs a caller may leave out, and what each is then taken to be.
ECONOMICS_DEFAULTS = {
    name: getattr(Economics, name) for name in ("discount_rate", "tax_rate", "growth")
}


@dataclass(frozen=True)
class IncomeValue:
    """Value range in `currency`, and the assumptions used to get it."""

    p10: Decimal
    p50: Decimal
    p90: Decimal
    currency: str = "CNY"
    assumptions: dict[str, Any] = field(default_factory=dict)


#: Request fields that change how an answer is presented, never what it says: kept out of the
#: Monte Carlo seed.
PRESENTATION_OPTIONS = frozenset({"explain"})


@dataclass(frozen=True)
class ValuationRequest:
    """One asset to value. `features` is registry-style and may be partial."""

    kind: AssetKind | str = AssetKind.INVENTION
    features: dict[str, Any] | None = None
    ipc: str | None = None
    owner: str | None = None
    filing_date: date | None = None
    grant_date: date | None = None
    expiry_date: date | None = None
    frozen: bool = False
    lapsed: bool = False  # lapsed or invalidated
    as_of: date | None = None  # None: today (resolved before the seed is derived)
    loan_term_months: int | None = None
    economics: Economics | None = None
    explain: bool = False

    def canonical_json(self, model_version: str) -> str:
        """Sorted-key, compact JSON of what determines the value (every field but the
        presentation options) and the model version: the source of the Monte Carlo seed."""
        facts = {k: v for k, v in asdict(self).items() if k not in PRESENTATION_OPTIONS}
        facts["model_version"] = model_version
        return json.dumps(facts, sort_keys=True, separators=(",", ":"), default=str)

    def seed(self, model_version: str) -> int:
        """64-bit seed from the SHA-256 of the canonical JSON: asking for drivers (or any other
        presentation option) never changes the money figures."""
        digest = hashlib.sha256(self.canonical_json(model_version).encode()).digest()
        return int.from_bytes(digest[:8], "big")


@dataclass(frozen=True)
class Flag:
    """Something the bank must know about this valuation."""

    code: str
    message: str


@dataclass(frozen=True)
class Collateral:
    """Lending value: `collateral_value` = p10 x `ltv_cap`; `max_loan` also discounts by the
    probability the right is still in force at the loan's maturity (when a term is given)."""

    ltv_cap: Decimal
    collateral_value: Decimal | None
    max_loan: Decimal | None


@dataclass(frozen=True)
class Driver:
    """A feature's TreeSHAP contribution to the calibrated log-odds, summed over stages."""

    feature: str
    value: float
    contribution: float
    by_stage: tuple[float, float, float]


@dataclass(frozen=True)
class ValuationResult:
    """Answer of `Valuer.value`; money is Decimal, probabilities float."""

    model_version: str
    feature_schema_hash: str
    as_of: date
    score: float | None
    grade: str | None
    survival: list[float] | None
    p_in_force_at_maturity: float | None
    value: IncomeValue | None
    collateral: Collateral
    drivers: list[Driver] | None
    drivers_space: str | None
    flags: list[Flag] = field(default_factory=list)
    imputed: list[str] = field(default_factory=list)
    validity: Validity | None = None

    @classmethod
    def trusted(cls, **values: Any) -> ValuationResult:
        """Build from every field by name, skipping the frozen-dataclass `__init__` (one
        `object.__setattr__` per field: the largest cost of assembling a 100,000-row batch).
        The object is the same frozen, comparable result; callers must pass every field."""
        result = object.__new__(cls)
        result.__dict__.update(values)
        return result
