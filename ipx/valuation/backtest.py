"""Outcomes analysis: realized disposal prices against the valuations made before the sale.

Pure computation over plain values (no database, no Flask, no numpy): `backtest_reads` reads
the transaction records and the stored value ranges, `judge` pairs each sale with the valuation
it is judged by (the one the pledge cited, else the latest of the asset made before the
disposal was opened), and `backtest` computes the figures.

A valuation made once the disposal was open (its reserve price and bids visible) is not a
forecast of the sale but a reading of it: it never counts (``valuation-after-disposal-opened``
when it is all the asset has). A sale whose pledge cited a valuation of another model version,
with none of this one's to fall back on, is left out as ``cited-valuation-of-other-model``.

What is measured, for every single-asset lot sold on the exchange (a lot of several assets has
one price for all of them and is left out: any split would be invented):

- *coverage*: the share of prices inside the valuation's [p10, p90] range (both ends
  included). A calibrated range holds about 80 % of prices;
- the distribution of price / p50 (quantiles by linear interpolation between order
  statistics, numpy's default), and the shares below p10 and above p90;
- *bias* by asset kind and by IPC section: the geometric mean of price / p50 (1.0 is unbiased;
  0.8 means prices ran 20 % under the valuations' medians) with the group's coverage and count.

A judgement needs enough sales: below MIN_SALES the verdict is ``too-few-sales`` and says so.
With enough, coverage is compared with 80 % at 1.96 binomial standard errors.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

#: The share of prices a calibrated [p10, p90] range holds.
NOMINAL_COVERAGE = 0.8
#: Fewer sales than this and the verdict is ``too-few-sales``: with 30 sales one binomial
#: standard error of an 80 % coverage is already 7.3 points.
MIN_SALES = 30
RATIO_QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9)
Z_95 = 1.96


@dataclass(frozen=True)
class RealizedSale:
    """A transaction record as the registry hands it over (the valuation's port)."""

    transaction_id: int
    asset_id: int
    asset_kind: str
    ipc: str | None
    price: Decimal
    currency: str
    lot_size: int
    sale_date: date
    recorded_at: datetime
    #: The valuation the pledge application cited, if any.
    cited_valuation_id: int | None
    #: When the disposal was opened (reserve price and bids visible from then): valuations
    #: made from then on are not judged against the price.
    disposal_opened_at: datetime


@dataclass(frozen=True)
class JudgedSale:
    """A realized price next to the valuation range it is judged against."""

    transaction_id: int
    asset_id: int
    asset_kind: str
    ipc_section: str | None
    price: Decimal
    currency: str
    sale_date: date
    valuation_id: int
    #: ``cited`` (the pledge's valuation) or ``latest-before-sale``.
    basis: str
    p10: Decimal
    p50: Decimal
    p90: Decimal

    @property
    def inside(self) -> bool:
        return self.p10 <= self.price <= self.p90

    @property
    def ratio(self) -> float:
        return float(self.price / self.p50)


def quantile(sorted_values: Sequence[float], q: float) -> float:
    """Linear interpolation between order statistics (numpy's default, R's type 7)."""
    if not sorted_values:
        raise ValueError("no values")
    position = (len(sorted_values) - 1) * q
    lo = math.floor(position)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (position - lo)


def verdict(n: int, coverage: float | None) -> dict:
    """Whether the ranges hold about 80 % of prices, in plain words, with the threshold."""
    if n < MIN_SALES or coverage is None:
        return {
            "code": "too-few-sales",
            "message": f"{n} sale(s) judged; at least {MIN_SALES} are needed before coverage "
            "can be told apart from 80 % (until then the figures are shown, not judged)",
        }
    margin = Z_95 * math.sqrt(NOMINAL_COVERAGE * (1 - NOMINAL_COVERAGE) / n)
    low, high = NOMINAL_COVERAGE - margin, NOMINAL_COVERAGE + margin
    band = f"{low:.1%}-{high:.1%} for {n} sales"
    if coverage < low:
        return {
            "code": "ranges-too-narrow",
            "message": f"coverage {coverage:.1%} is below the 95 % band around 80 % ({band}): "
            "prices fall outside [p10, p90] more often than the ranges claim",
        }
    if coverage > high:
        return {
            "code": "ranges-too-wide",
            "message": f"coverage {coverage:.1%} is above the 95 % band around 80 % ({band}): "
            "the ranges are wider than the prices need",
        }
    return {
        "code": "consistent",
        "message": f"coverage {coverage:.1%} is within the 95 % band around 80 % ({band})",
    }


def summary(sales: Sequence[JudgedSale]) -> dict:
    """Count, coverage, shares outside the range and price / p50 figures of some sales."""
    n = len(sales)
    if not n:
        return {
            "n": 0,
            "coverage": None,
            "below_p10": None,
            "above_p90": None,
            "geometric_mean_ratio": None,
            "median_ratio": None,
        }
    ratios = sorted(s.ratio for s in sales)
    return {
        "n": n,
        "coverage": _share(sum(s.inside for s in sales), n),
        "below_p10": _share(sum(s.price < s.p10 for s in sales), n),
        "above_p90": _share(sum(s.price > s.p90 for s in sales), n),
        "geometric_mean_ratio": round(math.exp(sum(map(math.log, ratios)) / n), 4),
        "median_ratio": round(quantile(ratios, 0.5), 4),
    }


def backtest(sales: Sequence[JudgedSale], excluded: dict[str, int] | None = None) -> dict:
    """The outcomes analysis of judged sales (see the module docstring)."""
    overall = summary(sales)
    ratios = sorted(s.ratio for s in sales)
    return {
        "nominal_coverage": NOMINAL_COVERAGE,
        "min_sales": MIN_SALES,
        **overall,
        "ratio_quantiles": [
            {"q": q, "ratio": round(quantile(ratios, q), 4) if ratios else None}
            for q in RATIO_QUANTILES
        ],
        "verdict": verdict(overall["n"], overall["coverage"]),
        "by_asset_kind": _groups(sales, lambda s: s.asset_kind),
        "by_ipc_section": _groups(sales, lambda s: s.ipc_section or "unknown"),
        "excluded": dict(sorted((excluded or {}).items())),
        "items": [_item(s) for s in sales],
    }


@dataclass(frozen=True)
class StoredRange:
    """A stored valuation's value range, as the back-test reads it."""

    valuation_id: int
    asset_id: int
    created_at: datetime
    currency: str
    p10: Decimal
    p50: Decimal
    p90: Decimal


def judge(
    sales: Iterable[RealizedSale],
    ranges: Iterable[StoredRange],
    section_of,
    other_model_valuations: Collection[int] = (),
) -> tuple[list[JudgedSale], dict[str, int]]:
    """Each single-asset sale next to the valuation the pledge cited (when it is of that asset
    and was made before the disposal was opened), else the latest one of the asset made before
    then; and the count of sales left out, by reason. ``section_of`` maps an IPC symbol to its
    section; ``other_model_valuations`` are the cited valuation ids of other model versions
    (``ranges`` holds only this version's)."""
    other_model = frozenset(other_model_valuations)
    by_asset: dict[int, list[StoredRange]] = {}
    for r in sorted(ranges, key=lambda r: (r.created_at, r.valuation_id)):
        by_asset.setdefault(r.asset_id, []).append(r)
    judged: list[JudgedSale] = []
    excluded: dict[str, int] = {}
    for sale in sales:
        reason, chosen = _choose(sale, by_asset.get(sale.asset_id, []), other_model)
        if chosen is None:
            excluded[reason] = excluded.get(reason, 0) + 1
            continue
        judged.append(
            JudgedSale(
                transaction_id=sale.transaction_id,
                asset_id=sale.asset_id,
                asset_kind=sale.asset_kind,
                ipc_section=section_of(sale.ipc),
                price=sale.price,
                currency=sale.currency,
                sale_date=sale.sale_date,
                valuation_id=chosen.valuation_id,
                basis=reason,
                p10=chosen.p10,
                p50=chosen.p50,
                p90=chosen.p90,
            )
        )
    return judged, excluded


def _choose(
    sale: RealizedSale, ranges: list[StoredRange], other_model: frozenset[int]
) -> tuple[str, StoredRange | None]:
    if sale.lot_size != 1:
        return "multi-asset-lot", None
    cutoff = min(sale.disposal_opened_at, sale.recorded_at)
    before = [r for r in ranges if r.created_at < cutoff]
    if not before:
        if any(r.created_at < sale.recorded_at for r in ranges):
            return "valuation-after-disposal-opened", None
        if sale.cited_valuation_id is not None and sale.cited_valuation_id in other_model:
            return "cited-valuation-of-other-model", None
        return "no-valuation-before-sale", None
    cited = [r for r in before if r.valuation_id == sale.cited_valuation_id]
    basis, chosen = ("cited", cited[0]) if cited else ("latest-before-sale", before[-1])
    if chosen.currency != sale.currency:
        return "currency-differs", None
    if chosen.p50 <= 0:
        return "zero-median", None
    return basis, chosen


def _groups(sales: Iterable[JudgedSale], key) -> list[dict]:
    groups: dict[str, list[JudgedSale]] = {}
    for s in sales:
        groups.setdefault(key(s), []).append(s)
    return [
        {"group": name, **summary(members), "enough": len(members) >= MIN_SALES}
        for name, members in sorted(groups.items())
    ]


def _item(s: JudgedSale) -> dict:
    return {
        "transaction_id": s.transaction_id,
        "asset_id": s.asset_id,
        "asset_kind": s.asset_kind,
        "ipc_section": s.ipc_section,
        "sale_date": s.sale_date.isoformat(),
        "currency": s.currency,
        "price": f"{s.price:.2f}",
        "valuation_id": s.valuation_id,
        "basis": s.basis,
        "p10": f"{s.p10:.2f}",
        "p50": f"{s.p50:.2f}",
        "p90": f"{s.p90:.2f}",
        "ratio": round(s.ratio, 4),
        "inside": s.inside,
    }


def _share(count: int, n: int) -> float:
    return round(count / n, 4)
